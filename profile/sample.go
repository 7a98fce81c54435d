package profile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// What the sampler asks of each key, at most.
const (
	// scanCount is SCAN's COUNT: about how many keys one SCAN looks at,
	// a few hundred microseconds of server time at most.
	scanCount = 100
	// batchKeys is how many keys are probed in one pipeline of TYPE and
	// PTTL (and one of their size commands): at most 2×batchKeys+1
	// commands leave at once, a burst the limiter pays for after.
	batchKeys = 16
	// elementSample is how many elements of each structure are read for
	// their sizes: HRANDFIELD and SRANDMEMBER with this count, LRANGE and
	// ZRANGE of the first ones.
	elementSample = 5
	// memoryEvery: one sampled key in this many gets MEMORY USAGE.
	memoryEvery = 16
	// maxPrefixes bounds the key prefixes counted; beyond, keys count
	// under otherFamily.
	maxPrefixes = 10_000
	// maxPrefix bounds a family's prefix: a key whose delimiter comes
	// later has no family.
	maxPrefix = 64
)

// otherFamily and noFamily are the families of keys beyond maxPrefixes and
// of keys without a delimiter in their first maxPrefix bytes.
const (
	otherFamily = "(other prefixes)"
	noFamily    = "(no prefix)"
)

// TypeSample is what the sampled keys of one Redis type said.
type TypeSample struct {
	Keys    int             // keys of the type sampled
	WithTTL int             // of them, with a TTL
	TTLs    []time.Duration // their remaining TTLs
	// Lengths are the strings' STRLEN, or the structures' element counts
	// (LLEN, HLEN, SCARD, ZCARD).
	Lengths []int
	// Elements are the sizes of the elements read: list items, hash
	// field values, set and sorted-set members.
	Elements []int
	Fields   []int // hash field names' sizes
	Memory   []int // MEMORY USAGE of one key in memoryEvery, bytes
}

// Family is the sampled keys of one prefix.
type Family struct {
	Prefix  string
	Keys    int            // sampled keys
	Types   map[string]int // sampled keys by type
	WithTTL int
	Bytes   float64 // their value bytes: STRLEN, or element count × the mean sampled element
}

// sampler walks each primary's keys with SCAN and probes the ones it
// takes. It is shared by one goroutine per primary.
type sampler struct {
	delimiter string

	mu       sync.Mutex
	types    map[string]*TypeSample
	families map[string]*Family
	sampled  int             // keys recorded
	asked    int             // keys probed, recorded or gone
	notes    map[string]bool // what could not be measured, once each
}

func newSampler(delimiter string) *sampler {
	return &sampler{delimiter: delimiter, types: map[string]*TypeSample{}, families: map[string]*Family{}, notes: map[string]bool{}}
}

// node samples up to quota keys of one primary, stopping early when ctx is
// done or the primary has no more keys. It returns how many SCAN calls it
// made and the keys it took.
func (s *sampler) node(ctx context.Context, c *redis.Client, quota int) (scans, taken int, err error) {
	seen := make(map[string]bool, quota) // SCAN may return a key twice
	var cursor uint64
	for taken < quota {
		keys, next, err := c.Scan(ctx, cursor, "", scanCount).Result()
		if err != nil {
			return scans, taken, ctxOr(ctx, fmt.Errorf("%s: SCAN: %w", c.Options().Addr, err))
		}
		scans++
		fresh := keys[:0]
		for _, k := range keys {
			if !seen[k] && taken+len(fresh) < quota {
				seen[k] = true
				fresh = append(fresh, k)
			}
		}
		for len(fresh) > 0 {
			n := min(batchKeys, len(fresh))
			got, err := s.probe(ctx, c, fresh[:n])
			taken += got
			if err != nil {
				return scans, taken, ctxOr(ctx, fmt.Errorf("%s: %w", c.Options().Addr, err))
			}
			fresh = fresh[n:]
		}
		if next == 0 { // every key of the primary has been seen
			return scans, taken, nil
		}
		cursor = next
	}
	return scans, taken, nil
}

// ctxOr returns ctx's error when it is done (the window ended: not a
// failure), else err.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// keyInfo is what the first pipeline says of a key.
type keyInfo struct {
	key    string
	typ    string
	ttl    time.Duration // < 0: none
	memory int           // 0: not asked
}

// probe asks TYPE and PTTL (and one MEMORY USAGE) of keys, then their
// sizes, and records them. It returns how many keys it recorded: a key
// gone meanwhile is not.
func (s *sampler) probe(ctx context.Context, c *redis.Client, keys []string) (int, error) {
	s.mu.Lock()
	base := s.asked
	s.asked += len(keys)
	s.mu.Unlock()
	type pair struct {
		typ *redis.StatusCmd
		ttl *redis.DurationCmd
		mem *redis.IntCmd
	}
	pairs := make([]pair, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			pairs[i] = pair{typ: p.Type(ctx, k), ttl: p.PTTL(ctx, k)}
			if (base+i)%memoryEvery == 0 {
				pairs[i].mem = p.MemoryUsage(ctx, k)
			}
		}
		return nil
	}); err != nil && !isReply(err) {
		return 0, fmt.Errorf("TYPE, PTTL: %w", err)
	}
	infos := make([]keyInfo, 0, len(keys))
	for i, k := range keys {
		typ, ttl := pairs[i].typ.Val(), pairs[i].ttl.Val()
		if pairs[i].typ.Err() != nil || typ == "none" || ttl == -2 { // gone since SCAN
			continue
		}
		in := keyInfo{key: k, typ: typ, ttl: -1}
		if ttl >= 0 {
			in.ttl = ttl
		}
		if m := pairs[i].mem; m != nil {
			if m.Err() != nil {
				s.note("MEMORY USAGE failed: " + m.Err().Error())
			} else {
				in.memory = int(m.Val())
			}
		}
		infos = append(infos, in)
	}
	sizes, err := s.sizes(ctx, c, infos)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, in := range infos {
		s.record(in, sizes[i])
	}
	return len(infos), nil
}

// keySizes is what the second pipeline says of a key: its length, and the
// sizes of the elements read.
type keySizes struct {
	ok       bool
	length   int
	elements []int
	fields   []int
}

// sizes asks each key's length and a few of its elements, by type.
func (s *sampler) sizes(ctx context.Context, c *redis.Client, infos []keyInfo) ([]keySizes, error) {
	lengths := make([]*redis.IntCmd, len(infos))
	elems := make([]redis.Cmder, len(infos))
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, in := range infos {
			switch in.typ {
			case "string":
				lengths[i] = p.StrLen(ctx, in.key)
			case "list":
				lengths[i] = p.LLen(ctx, in.key)
				elems[i] = p.LRange(ctx, in.key, 0, elementSample-1)
			case "hash":
				lengths[i] = p.HLen(ctx, in.key)
				elems[i] = p.HRandFieldWithValues(ctx, in.key, elementSample)
			case "set":
				lengths[i] = p.SCard(ctx, in.key)
				elems[i] = p.SRandMemberN(ctx, in.key, elementSample)
			case "zset":
				lengths[i] = p.ZCard(ctx, in.key)
				elems[i] = p.ZRange(ctx, in.key, 0, elementSample-1)
			}
		}
		return nil
	})
	if err != nil && !isReply(err) {
		return nil, fmt.Errorf("sizes: %w", err)
	}
	out := make([]keySizes, len(infos))
	for i, in := range infos {
		if lengths[i] == nil {
			continue // a type without sizes (a stream, a module's)
		}
		if lengths[i].Err() != nil { // changed type or gone since TYPE
			continue
		}
		out[i] = keySizes{ok: true, length: int(lengths[i].Val())}
		switch e := elems[i].(type) {
		case *redis.StringSliceCmd:
			if e.Err() != nil {
				s.note(fmt.Sprintf("element sizes of %s keys not sampled: %v", in.typ, e.Err()))
				continue
			}
			for _, v := range e.Val() {
				out[i].elements = append(out[i].elements, len(v))
			}
		case *redis.KeyValueSliceCmd:
			if e.Err() != nil {
				s.note(fmt.Sprintf("element sizes of hash keys not sampled (HRANDFIELD needs Redis 6.2): %v", e.Err()))
				continue
			}
			for _, kv := range e.Val() {
				out[i].fields = append(out[i].fields, len(kv.Key))
				out[i].elements = append(out[i].elements, len(kv.Value))
			}
		}
	}
	return out, nil
}

// record adds one key to the sample; s.mu is held.
func (s *sampler) record(in keyInfo, sz keySizes) {
	s.sampled++
	t := s.types[in.typ]
	if t == nil {
		t = &TypeSample{}
		s.types[in.typ] = t
	}
	t.Keys++
	if in.ttl >= 0 {
		t.WithTTL++
		t.TTLs = append(t.TTLs, in.ttl)
	}
	if in.memory > 0 {
		t.Memory = append(t.Memory, in.memory)
	}
	bytes := 0.0
	if sz.ok {
		t.Lengths = append(t.Lengths, sz.length)
		t.Elements = append(t.Elements, sz.elements...)
		t.Fields = append(t.Fields, sz.fields...)
		if in.typ == "string" {
			bytes = float64(sz.length)
		} else if len(sz.elements) > 0 {
			sum := 0
			for _, e := range sz.elements {
				sum += e
			}
			bytes = float64(sz.length) * float64(sum) / float64(len(sz.elements))
		}
	}
	prefix := family(in.key, s.delimiter)
	f := s.families[prefix]
	if f == nil {
		if len(s.families) >= maxPrefixes {
			prefix = otherFamily
			f = s.families[prefix]
		}
		if f == nil {
			f = &Family{Prefix: prefix, Types: map[string]int{}}
			s.families[prefix] = f
		}
	}
	f.Keys++
	f.Types[in.typ]++
	f.Bytes += bytes
	if in.ttl >= 0 {
		f.WithTTL++
	}
}

// family returns key's prefix up to and including the first delimiter,
// or noFamily.
func family(key, delimiter string) string {
	head := key[:min(len(key), maxPrefix)]
	if i := strings.Index(head, delimiter); i >= 0 {
		return key[:i+len(delimiter)]
	}
	return noFamily
}

// note records something that could not be measured, once.
func (s *sampler) note(msg string) {
	s.mu.Lock()
	s.notes[msg] = true
	s.mu.Unlock()
}

// isReply reports whether err is a server's reply (a command's own error,
// such as WRONGTYPE), which leaves the rest of a pipeline answered.
func isReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && !errors.Is(err, ErrNotAllowed)
}
