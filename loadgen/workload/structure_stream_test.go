package workload_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// parseName returns the index of a universe name prefix+digits+padding, or
// an error unless it has exactly that form: digits zero-padded to width,
// the whole at least size bytes, padded with '.'.
func parseName(name, prefix string, width, size, count int) (int, error) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || len(rest) < width {
		return 0, fmt.Errorf("name %q: want prefix %q and %d digits", name, prefix, width)
	}
	digits, pad := rest[:width], rest[width:]
	if strings.Trim(pad, ".") != "" || len(name) != max(size, len(prefix)+width) {
		return 0, fmt.Errorf("name %q: want %d bytes, padded with '.'", name, max(size, len(prefix)+width))
	}
	i, err := strconv.Atoi(digits)
	if err != nil || i < 0 || i >= count {
		return 0, fmt.Errorf("name %q: index %q, want a number in [0, %d)", name, digits, count)
	}
	return i, nil
}

// TestStructurePrepare checks, through a stream, that each data-structure
// op's Prepare fills what its Issue reads, from the bounded universes.
func TestStructurePrepare(t *testing.T) {
	t.Parallel()
	const count = 100
	tests := []struct {
		name string
		s    workload.Structure
	}{
		{"small", workload.Structure{Elements: 50, ElementSize: 16, RangeLen: 5}},
		{"one element", workload.Structure{Elements: 1, ElementSize: 0}},
		{"range longer than the structure", workload.Structure{Elements: 3, ElementSize: 4, RangeLen: 8}},
		{"default range", workload.Structure{Elements: 1000, ElementSize: 2}},
		// Too many names to keep in a table: each is built when drawn.
		{"large universe", workload.Structure{Elements: 1 << 20, ElementSize: 24, RangeLen: 3}},
	}
	for _, tt := range tests {
		for _, k := range workload.Kinds()[1:] {
			t.Run(tt.name+"/"+string(k), func(t *testing.T) {
				t.Parallel()
				s := tt.s
				s.Kind = k
				e, rangeLen := s.Elements, s.RangeLen
				if rangeLen == 0 {
					rangeLen = workload.DefaultRangeLen
				}
				width := len(strconv.Itoa(e - 1))
				for _, name := range workload.OpNamesFor(k) {
					w := structureWorkload(t, s, "p:", count, 2, 1, name)
					st := newStream(t, w)
					var r workload.Request
					signs := map[float64]int{}
					for range 300 {
						st.Next(&r)
						for i := range r.Cmds {
							a := &r.Cmds[i].Args
							if err := checkArgs(name, a, s, width, rangeLen, signs); err != nil {
								t.Fatalf("%s: %v", name, err)
							}
						}
					}
					if name == "zincrby" && (signs[1] == 0 || signs[-1] == 0) {
						t.Errorf("zincrby increments %v, want both +1 and -1", signs)
					}
				}
			})
		}
	}
}

func checkArgs(op string, a *workload.Args, s workload.Structure, width, rangeLen int, signs map[float64]int) error {
	keys := []string{a.Key}
	if op == "sinter" {
		if len(a.Keys) != 2 {
			return fmt.Errorf("%d keys, want 2", len(a.Keys))
		}
		keys = a.Keys
	}
	for _, k := range keys {
		if _, err := parseKey(k, "p:", 100); err != nil {
			return err
		}
	}
	e := s.Elements
	member := func(prefix string, size int) (int, error) { return parseName(a.Member, prefix, width, size, e) }
	window := func() error {
		if a.Start < 0 || a.Stop-a.Start+1 != int64(rangeLen) || a.Stop >= int64(max(e, rangeLen)) {
			return fmt.Errorf("range [%d, %d], want %d items within [0, %d)", a.Start, a.Stop, rangeLen, max(e, rangeLen))
		}
		return nil
	}
	switch op {
	case "lpush", "rpush":
		if len(a.Value) != s.ElementSize {
			return fmt.Errorf("item of %d bytes, want %d", len(a.Value), s.ElementSize)
		}
	case "lrange", "zrange", "zrangebyscore", "zrevrange":
		return window()
	case "lindex":
		if a.Start < 0 || a.Start >= int64(e) {
			return fmt.Errorf("index %d, want [0, %d)", a.Start, e)
		}
	case "hset":
		if len(a.Value) != s.ElementSize {
			return fmt.Errorf("value of %d bytes, want %d", len(a.Value), s.ElementSize)
		}
		_, err := member("f:", 0)
		return err
	case "hget", "hdel":
		_, err := member("f:", 0)
		return err
	case "hincrby":
		_, err := member("n:", 0)
		return err
	case "hmget":
		if len(a.Members) != rangeLen {
			return fmt.Errorf("%d fields, want %d", len(a.Members), rangeLen)
		}
		for _, f := range a.Members {
			if _, err := parseName(f, "f:", width, 0, e); err != nil {
				return err
			}
		}
	case "sadd", "srem", "sismember", "zscore", "zrank", "zrem":
		_, err := member("m:", s.ElementSize)
		return err
	case "zadd":
		i, err := member("m:", s.ElementSize)
		if err == nil && a.Score != float64(i) {
			return fmt.Errorf("member %q added with score %g, want its index %d", a.Member, a.Score, i)
		}
		return err
	case "zincrby":
		signs[a.Score]++
		if a.Score != 1 && a.Score != -1 {
			return fmt.Errorf("increment %g, want ±1", a.Score)
		}
		_, err := member("m:", s.ElementSize)
		return err
	}
	return nil
}

// TestStructureStreamDeterministic checks that two streams of the same
// data-structure workload send the same commands, helpers included, and
// that another seed sends others.
func TestStructureStreamDeterministic(t *testing.T) {
	t.Parallel()
	const requests = 1000
	commands := func(t *testing.T, w *workload.Workload) []string {
		s := newStream(t, w)
		var (
			r   workload.Request
			out []string
		)
		for range requests {
			s.Next(&r)
			for i := range r.Cmds {
				for _, args := range queuedArgs(w.Ops[r.Cmds[i].Op].Op, &r.Cmds[i].Args) {
					out = append(out, fmt.Sprint(args...))
				}
			}
		}
		return out
	}
	for _, k := range workload.Kinds()[1:] {
		for _, pipeline := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/pipeline=%d", k, pipeline), func(t *testing.T) {
				t.Parallel()
				s := workload.Structure{Kind: k, Elements: 200, ElementSize: 12, RangeLen: 4}
				build := func(seed uint64) *workload.Workload {
					w := structureWorkload(t, s, "d:", 10_000, pipeline, seed)
					w.Keys.Distribution, w.Keys.ZipfExponent = workload.Zipfian, 0.99
					return w
				}
				a, b := commands(t, build(42)), commands(t, build(42))
				if !slices.Equal(a, b) {
					i := 0
					for i < min(len(a), len(b)) && a[i] == b[i] {
						i++
					}
					t.Fatalf("two streams of seed 42 differ at command %d", i)
				}
				if slices.Equal(a, commands(t, build(43))) {
					t.Error("seeds 42 and 43 sent the same commands")
				}
			})
		}
	}
}

// TestStructureKeysIndependentOfMix checks that element draws do not come
// from the key stream: whatever a kind's mix, the keys come out in the same
// order as for a mix of one op that draws no element.
func TestStructureKeysIndependentOfMix(t *testing.T) {
	t.Parallel()
	reads := map[workload.Kind]string{"list": "llen", "hash": "hlen", "set": "scard", "zset": "zcard"}
	for _, k := range workload.Kinds()[1:] {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			s := workload.Structure{Kind: k, Elements: 30, ElementSize: 8}
			keys := func(w *workload.Workload, want int) []string {
				st := newStream(t, w)
				var (
					r   workload.Request
					out []string
				)
				for len(out) < want {
					st.Next(&r)
					for _, c := range r.Cmds {
						if w.Ops[c.Op].Op.Name() == "sinter" {
							out = append(out, c.Args.Keys...)
						} else {
							out = append(out, c.Args.Key)
						}
					}
				}
				return out[:want]
			}
			const n = 3000
			base := keys(structureWorkload(t, s, "k:", 1_000_000, 3, 7, reads[k]), n)
			if mixed := keys(structureWorkload(t, s, "k:", 1_000_000, 3, 7), n); !slices.Equal(base, mixed) {
				t.Error("key sequence depends on the op mix")
			}
		})
	}
}

func TestStructureNewStreamErrors(t *testing.T) {
	t.Parallel()
	list := workload.Structure{Kind: workload.KindList, Elements: 10}
	tests := []struct {
		name    string
		w       func(t *testing.T) *workload.Workload
		wantErr string
	}{
		{"kv op on a list workload", func(t *testing.T) *workload.Workload {
			w := structureWorkload(t, list, "e:", 10, 1, 1, "lpush")
			w.Ops = append(w.Ops, workload.Weighted{Op: workload.Get{}, Weight: 1})
			return w
		}, "op get is a kv op, but the workload's keys hold list"},
		{"list op on a kv workload", func(t *testing.T) *workload.Workload {
			w := structureWorkload(t, list, "e:", 10, 1, 1, "lpop")
			w.Structure = workload.Structure{}
			return w
		}, "op lpop is a list op, but the workload's keys hold kv"},
		{"hash op on a set workload", func(t *testing.T) *workload.Workload {
			w := structureWorkload(t, workload.Structure{Kind: "hash", Elements: 10}, "e:", 10, 1, 1, "hget")
			w.Structure.Kind = workload.KindSet
			return w
		}, "op hget is a hash op, but the workload's keys hold set"},
		{"op built for another structure", func(t *testing.T) *workload.Workload {
			w := structureWorkload(t, list, "e:", 10, 1, 1, "lpush")
			w.Structure.Elements = 11
			return w
		}, "op lpush: built for structure {Kind:list Elements:10 ElementSize:0 RangeLen:10}, but the workload's is {Kind:list Elements:11 ElementSize:0 RangeLen:10}"},
		{"defaults are filled in before comparing", func(t *testing.T) *workload.Workload {
			w := structureWorkload(t, list, "e:", 10, 1, 1, "lrange")
			w.Structure.RangeLen = workload.DefaultRangeLen
			return w
		}, ""},
		{"bad structure", func(t *testing.T) *workload.Workload {
			w := structureWorkload(t, list, "e:", 10, 1, 1, "llen")
			w.Structure.Elements = 0
			return w
		}, "list structure: elements must be > 0, got 0"},
		{"unknown kind", func(t *testing.T) *workload.Workload {
			return &workload.Workload{Ops: allOps(), Structure: workload.Structure{Kind: "stream"}, Keys: workload.Keys{Count: 1}}
		}, `unknown workload kind "stream": want one of kv, list, hash, set, zset`},
		{"values are not checked for structures", func(t *testing.T) *workload.Workload {
			w := structureWorkload(t, list, "e:", 10, 1, 1, "llen")
			w.Values = workload.Values{Min: 5, Max: 1}
			return w
		}, ""},
		{"no keys", func(t *testing.T) *workload.Workload {
			return structureWorkload(t, list, "e:", 0, 1, 1, "llen")
		}, "key count must be > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.w(t).NewStream()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewStream: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("NewStream error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestStructureNextAllocs pins the generator's cost for data-structure ops:
// one allocation per key drawn, none for members, fields or items while the
// universe's names fit in their table, one more per name drawn beyond it.
func TestStructureNextAllocs(t *testing.T) {
	small := workload.Structure{Elements: 1000, ElementSize: 32, RangeLen: 10}
	large := workload.Structure{Elements: 1 << 20, ElementSize: 32, RangeLen: 10}
	tests := []struct {
		s    workload.Structure
		kind workload.Kind
		op   string
		want float64
	}{
		{small, "list", "lpush", 1},
		{small, "list", "lrange", 1},
		{small, "list", "lindex", 1},
		{small, "hash", "hset", 1},
		{small, "hash", "hmget", 1},
		{small, "hash", "hincrby", 1},
		{small, "set", "sismember", 1},
		{small, "set", "sinter", 2},
		{small, "zset", "zadd", 1},
		{small, "zset", "zincrby", 1},
		{small, "zset", "zrangebyscore", 1},
		{large, "set", "sadd", 2},
		{large, "zset", "zscore", 2},
		{large, "hash", "hmget", 11},
	}
	for _, tt := range tests {
		s := tt.s
		s.Kind = tt.kind
		w := structureWorkload(t, s, "a:", 1e9, 1, 1, tt.op, workload.OpNamesFor(tt.kind)[0])
		w.Ops[1].Weight = 0
		st := newStream(t, w)
		var r workload.Request
		st.Next(&r)
		if n := testing.AllocsPerRun(1000, func() { st.Next(&r) }); n != tt.want {
			t.Errorf("%s of %d elements: %v allocations per Next, want %v", tt.op, s.Elements, n, tt.want)
		}
	}
}
