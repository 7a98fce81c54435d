package workload

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ecbench/ecbench/loadgen/keyspace"
)

// Kind is the type of value a workload's keys hold.
type Kind string

// The workload kinds. The zero Kind is KindKV.
const (
	KindKV   Kind = "kv"   // strings: get, set, …
	KindList Kind = "list" // lists: lpush, lrange, …
	KindHash Kind = "hash" // hashes: hset, hget, …
	KindSet  Kind = "set"  // sets: sadd, sismember, …
	KindZSet Kind = "zset" // sorted sets: zadd, zrange, …
)

// Kinds lists every workload kind, kv first.
func Kinds() []Kind { return []Kind{KindKV, KindList, KindHash, KindSet, KindZSet} }

// DefaultRangeLen is how many items a range read asks for when
// Structure.RangeLen is 0.
const DefaultRangeLen = 10

// Structure describes the structures of a list, hash, set or zset workload.
// Keys.Count is the number of structures and Keys.Distribution picks which
// one an op touches; Structure says what is inside each.
//
// Every element an op names is drawn uniformly from a finite universe of
// Elements indexes per structure, so that a structure stays bounded however
// long the run:
//
//	set, zset  members  "m:<i>" padded to ElementSize   ≤ Elements members
//	hash       fields   "f:<i>", values ElementSize B   ≤ Elements fields
//	           hincrby  "n:<i>", integer values         + ≤ Elements counters
//	list       items    ElementSize B                   ≤ Elements items after each capped push
//
// <i> is the index zero-padded to the width of Elements-1, so every name of
// a universe has the same length and names sort as their indexes.
// List items and hash field values are ElementSize bytes (or of sizes drawn
// from ElementSizes) derived from the seed; Workload.Values is not used by
// these kinds.
//
// Sorted-set scores are meaningful: member i is preloaded and added with
// score i, so ZRANGEBYSCORE lo lo+RangeLen-1 returns RangeLen members.
// ZINCRBY moves a score by +1 or -1 (even odds), so scores wander around
// their index rather than drift one way; every zadd of a member puts its
// score back to its index.
type Structure struct {
	Kind Kind
	// Elements is how many list items, hash fields, or set or zset members a
	// structure holds when full (and after Preload).
	Elements int
	// ElementSize is the size in bytes of a list item, a hash field value, or
	// a set or zset member. Members are never shorter than their prefix and
	// index, so that they stay distinct: a member is
	// max(ElementSize, 2+digits(Elements-1)) bytes.
	ElementSize int
	// RangeLen is how many items lrange, zrange, zrangebyscore and zrevrange
	// ask for, and how many fields hmget names; 0 means DefaultRangeLen.
	RangeLen int
	// ElementSizes, when set, replaces ElementSize (which must then be 0)
	// by an empirical distribution: list items and hash field values are
	// drawn from it as they are written; set and zset member i is padded
	// to a size given once for all by i (memberSize), so that a member's
	// name never changes. It is read, never changed, and compared by
	// identity: ops and their workload share one table.
	ElementSizes *keyspace.SizeTable
}

// describe writes s for an error: its fields as %+v would, and its size
// table (by its identity, as it is compared) only when it has one.
func (s Structure) describe() string {
	d := fmt.Sprintf("{Kind:%s Elements:%d ElementSize:%d RangeLen:%d", s.Kind, s.Elements, s.ElementSize, s.RangeLen)
	if s.ElementSizes != nil {
		d += fmt.Sprintf(" ElementSizes:%p (%d sizes up to %d)", s.ElementSizes, s.ElementSizes.Len(), s.ElementSizes.Largest())
	}
	return d + "}"
}

// largestElement returns the largest ElementSize, of the table when there
// is one: what the in-flight and preload budgets charge an element.
func (s Structure) largestElement() int {
	if s.ElementSizes != nil {
		return s.ElementSizes.Largest()
	}
	return s.ElementSize
}

// normalized returns s with its defaults filled in: the kind "" is kv, a
// RangeLen of 0 is DefaultRangeLen. A kv structure has nothing else.
func (s Structure) normalized() Structure {
	if s.Kind == "" || s.Kind == KindKV {
		return Structure{Kind: KindKV}
	}
	if s.RangeLen == 0 {
		s.RangeLen = DefaultRangeLen
	}
	return s
}

// validate checks a normalized structure.
func (s Structure) validate() error {
	if _, ok := opNames[s.Kind]; !ok {
		return unknownKind(s.Kind)
	}
	if s.Kind == KindKV {
		return nil
	}
	switch {
	case s.Elements < 1:
		return fmt.Errorf("%s structure: elements must be > 0, got %d", s.Kind, s.Elements)
	case s.ElementSize < 0:
		return fmt.Errorf("%s structure: element size must be >= 0, got %d", s.Kind, s.ElementSize)
	case s.RangeLen < 0:
		return fmt.Errorf("%s structure: range length must be >= 0, got %d", s.Kind, s.RangeLen)
	case s.ElementSizes != nil && s.ElementSize != 0:
		return fmt.Errorf("%s structure: element size %d and an element size table are exclusive: set one", s.Kind, s.ElementSize)
	}
	return nil
}

func unknownKind(k Kind) error {
	names := make([]string, 0, len(opNames))
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return fmt.Errorf("%w %q: want one of %s", ErrUnknownKind, k, strings.Join(names, ", "))
}

// maxNameTable bounds the memory a Gen spends on keeping a universe's names
// (per universe, per stream). Below it, drawing a name is a substring of the
// table and allocates nothing; above it, each draw builds its name.
const maxNameTable = 1 << 20

// names encodes the element names of one universe: prefix, the index
// zero-padded to digits, then '.' up to size, or with sizes up to that
// index's own size (memberSize).
//
//	newNames("m:", 1000, 8, nil).name(42) == "m:042..."
type names struct {
	prefix string
	digits int                 // width of the largest index
	size   int                 // length of every name; with sizes, the longest
	sizes  *keyspace.SizeTable // when set, each name's own padded size
	table  string              // every name back to back, when it fits in maxNameTable
	// offsets, with sizes, start each name in table: name i is
	// table[offsets[i]:offsets[i+1]].
	offsets []uint32
	buf     []byte
}

// nameOffsetBytes is what the offsets of names of several sizes add per
// name to their table.
const nameOffsetBytes = 4

func newNames(prefix string, count, minSize int, sizes *keyspace.SizeTable) *names {
	digits := len(strconv.Itoa(max(count-1, 0)))
	if sizes != nil {
		minSize = sizes.Largest()
	}
	n := &names{prefix: prefix, digits: digits, size: nameSize(prefix, count, minSize), sizes: sizes}
	// The bound is on the longest name, as StreamMemory charges it.
	if count <= maxNameTable/n.size {
		var b strings.Builder
		b.Grow(count * n.size)
		buf := make([]byte, 0, n.size)
		if sizes != nil {
			n.offsets = make([]uint32, 0, count+1)
		}
		for i := range count {
			if sizes != nil {
				n.offsets = append(n.offsets, uint32(b.Len()))
			}
			buf = n.append(buf[:0], i)
			b.Write(buf)
		}
		if sizes != nil {
			n.offsets = append(n.offsets, uint32(b.Len()))
		}
		n.table = b.String()
	}
	return n
}

// append appends the name of index i to dst.
func (n *names) append(dst []byte, i int) []byte {
	start := len(dst)
	dst = append(dst, n.prefix...)
	var d [20]byte
	digits := strconv.AppendUint(d[:0], uint64(i), 10)
	for range n.digits - len(digits) {
		dst = append(dst, '0')
	}
	dst = append(dst, digits...)
	size := n.size
	if n.sizes != nil {
		size = memberSize(n.sizes, i)
	}
	for len(dst)-start < size {
		dst = append(dst, '.')
	}
	return dst
}

// name returns the name of index i, which must be in [0, count).
func (n *names) name(i int) string {
	switch {
	case n.table == "":
		n.buf = n.append(n.buf[:0], i)
		return string(n.buf)
	case n.offsets != nil:
		return n.table[n.offsets[i]:n.offsets[i+1]]
	}
	return n.table[i*n.size : (i+1)*n.size]
}

// memberSize is the size of the name of index i: the same for the same
// table and index in every stream, preload and engine, as a member's name
// must be. The sizes follow the table's shares in every universe, within
// a member or two even of a few members: index i takes the table's
// quantile at the i-th point of the golden-ratio (Weyl) sequence, which
// spreads any run of consecutive indexes evenly over [0, 1), where random
// draws would leave a universe of 50 members 36% small instead of 50%. A
// name is never shorter than its prefix and digits whatever its size.
func memberSize(sizes *keyspace.SizeTable, i int) int {
	// frac(½ + i/φ) in 53-bit fixed point: 2^64/φ is 0x9e3779b97f4a7c15.
	u := uint64(i)*0x9e3779b97f4a7c15 + 1<<63
	return sizes.Quantile(float64(u>>11) / (1 << 53))
}

// universes returns the name universes kind s.Kind draws from; the others
// are nil.
func universes(s Structure) (members, fields, counters *names) {
	switch s.Kind {
	case KindSet, KindZSet:
		members = newNames("m:", s.Elements, s.ElementSize, s.ElementSizes)
	case KindHash:
		fields = newNames("f:", s.Elements, 0, nil)
		counters = newNames("n:", s.Elements, 0, nil)
	}
	return members, fields, counters
}

// element draws an element index, uniform in [0, Elements).
func (g *Gen) element() int { return g.elems.IntN(g.elements) }

// member draws a set or zset member, and returns its index too.
func (g *Gen) member() (string, int) {
	i := g.element()
	return g.members.name(i), i
}

// field draws a hash field.
func (g *Gen) field() string { return g.fields.name(g.element()) }

// counterField draws a hash field of the hincrby namespace.
func (g *Gen) counterField() string { return g.counters.name(g.element()) }

// window draws a range of n items within [0, Elements), the first index
// uniform: [start, start+n-1]. When n >= Elements it is [0, n-1].
func (g *Gen) window(n int) (start, stop int64) {
	if n < g.elements {
		start = int64(g.elems.IntN(g.elements - n + 1))
	}
	return start, start + int64(n) - 1
}

// sign draws +1 or -1 with even odds.
func (g *Gen) sign() float64 {
	if g.elems.Uint64()&1 == 0 {
		return 1
	}
	return -1
}
