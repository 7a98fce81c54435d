package workload_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// TestStreamDeterministic checks the property the comparison rests on: the
// Redis and Valkey runners each build a Stream from the same workload and
// must send the same commands, keys and values in the same order.
func TestStreamDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		keys     workload.Keys
		values   workload.Values
		pipeline int
	}{
		{"uniform fixed", workload.Keys{Prefix: "u:", Count: 100_000}, workload.Values{Min: 32, Max: 32}, 1},
		{"uniform default distribution", workload.Keys{Prefix: "u:", Count: 1000}, workload.Values{Min: 8, Max: 8}, 1},
		{"zipfian ranged", workload.Keys{Prefix: "z:", Count: 100_000, Distribution: workload.Zipfian, ZipfExponent: 0.99}, workload.Values{Min: 1, Max: 512}, 1},
		{"sequential ranged pipelined", workload.Keys{Prefix: "s:", Count: 777, Distribution: workload.Sequential}, workload.Values{Min: 16, Max: 64}, 8},
		{"uniform pipelined", workload.Keys{Prefix: "p:", Count: 1 << 40}, workload.Values{Min: 100, Max: 200}, 3},
	}
	const requests = 10_000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := workload.Workload{Name: "w", Ops: allOps(), Keys: tt.keys, Values: tt.values, Pipeline: tt.pipeline, Seed: 42}
			// Each runner gets its own copy of the description.
			w2 := w
			w2.Ops = allOps()
			a, b := drawCmds(t, &w, requests), drawCmds(t, &w2, requests)
			if i := firstDiff(a, b); i >= 0 {
				t.Fatalf("two streams of seed 42 differ at command %d: %+v vs %+v", i, a[i], b[i])
			}
			w3 := w
			w3.Seed = 43
			if c := drawCmds(t, &w3, requests); firstDiff(a, c) < 0 {
				t.Error("seeds 42 and 43 produced the same sequence")
			}
			// With one op the seed can only show in keys and values:
			// random distributions draw other keys, ranged sizes differ.
			if tt.keys.Distribution != workload.Sequential || tt.values.Min != tt.values.Max {
				one := func(seed uint64) []drawn {
					w := workload.Workload{Ops: []workload.Weighted{{Op: workload.Set{}, Weight: 1}}, Keys: tt.keys, Values: tt.values, Seed: seed}
					return drawCmds(t, &w, 100)
				}
				if firstDiff(one(42), one(43)) < 0 {
					t.Error("seeds 42 and 43 drew the same keys and values")
				}
			}
		})
	}
}

func firstDiff(a, b []drawn) int {
	for i := range min(len(a), len(b)) {
		if !a[i].equal(b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestStreamKeysIndependentOfMix checks that op choice and keys draw from
// separate streams: whatever the mix, the key indexes come out in the same
// order, so adding an op does not reshuffle the key sequence.
func TestStreamKeysIndependentOfMix(t *testing.T) {
	t.Parallel()
	keys := workload.Keys{Prefix: "k:", Count: 1_000_000}
	indexes := func(ops []workload.Weighted, want int) []uint64 {
		w := &workload.Workload{Ops: ops, Keys: keys, Values: workload.Values{Min: 4, Max: 4}, Pipeline: 2, Seed: 7}
		var out []uint64
		for _, d := range drawCmds(t, w, want) {
			for _, k := range d.Keys {
				prefix := keys.Prefix
				if d.Op == "incr" {
					prefix += "ctr:"
				}
				out = append(out, keyIndex(t, k, prefix, keys.Count))
			}
		}
		return out[:want]
	}
	const n = 5000
	base := indexes([]workload.Weighted{{Op: workload.Get{}, Weight: 1}}, n)
	if mixed := indexes(allOps(), n); !slices.Equal(base, mixed) {
		t.Error("key index sequence depends on the op mix")
	}
}

// TestStreamValuesIndependentOfMix checks the same for values: the k-th
// value written is the same whichever other ops are in the mix.
func TestStreamValuesIndependentOfMix(t *testing.T) {
	t.Parallel()
	values := func(ops []workload.Weighted, want int) []string {
		w := &workload.Workload{Ops: ops, Keys: workload.Keys{Prefix: "v:", Count: 100}, Values: workload.Values{Min: 1, Max: 300}, Seed: 9}
		var out []string
		for len(out) < want {
			for _, d := range drawCmds(t, w, 4*want) {
				if d.Op == "set" || d.Op == "set_ttl" {
					out = append(out, d.Value)
				}
			}
		}
		return out[:want]
	}
	const n = 1000
	base := values([]workload.Weighted{{Op: workload.Set{}, Weight: 1}}, n)
	if mixed := values(allOps(), n); !slices.Equal(base, mixed) {
		t.Error("value sequence depends on the op mix")
	}
}

// TestPrefixesDisjoint checks that workloads with different prefixes (that
// are not prefixes of one another, which config validation enforces) never
// share a key, and that a workload's INCR counters never share a key with
// its other ops, which would turn INCR into a WRONGTYPE error.
func TestPrefixesDisjoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		a, b   string
		counts [2]uint64
	}{
		{"same seed and count", "ecbench:a:", "ecbench:b:", [2]uint64{1000, 1000}},
		{"empty prefix vs named", "", "x:", [2]uint64{50, 50}},
		{"tiny key spaces", "a:", "b:", [2]uint64{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			owner := map[string]string{}
			for i, prefix := range []string{tt.a, tt.b} {
				w := &workload.Workload{Ops: allOps(), Keys: workload.Keys{Prefix: prefix, Count: tt.counts[i]}, Values: workload.Values{Min: 1, Max: 1}, Pipeline: 4, Seed: 1}
				for _, d := range drawCmds(t, w, 2000) {
					ns := prefix
					if d.Op == "incr" {
						ns += "ctr:"
					}
					for _, k := range d.Keys {
						keyIndex(t, k, ns, tt.counts[i])
						if o, ok := owner[k]; ok && o != ns {
							t.Fatalf("key %q drawn in namespace %q and %q", k, o, ns)
						}
						owner[k] = ns
					}
				}
			}
			if len(owner) == 0 {
				t.Fatal("no keys drawn")
			}
		})
	}
}

// TestOpMix checks each op's share of 100k commands against its weight: a
// multinomial draw, so each count is binomial and must lie within 5
// standard deviations of n·p. The seed is fixed, so this cannot flake.
func TestOpMix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		weights  []float64 // for allOps() in order: get, set, set_ttl, mget, incr, del
		pipeline int
	}{
		{"all ops", []float64{40, 25, 10, 10, 10, 5}, 1},
		{"zero weights first, middle and last", []float64{0, 3, 0, 1, 1, 0}, 1},
		{"single positive weight", []float64{0, 0, 0, 7, 0, 0}, 1},
		{"fractional weights", []float64{0.1, 0.9, 0, 0, 0, 0}, 1},
		{"pipelined picks per command", []float64{1, 1, 1, 1, 1, 1}, 5},
		{"rare op", []float64{1000, 0, 0, 0, 0, 1}, 1},
	}
	const commands = 100_000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ops := allOps()
			total := 0.0
			for i, wt := range tt.weights {
				ops[i].Weight = wt
				total += wt
			}
			w := &workload.Workload{Ops: ops, Keys: workload.Keys{Prefix: "m:", Count: 10}, Values: workload.Values{Min: 1, Max: 1}, Pipeline: tt.pipeline, Seed: 3}
			s := newStream(t, w)
			counts := make([]int, len(ops))
			var r workload.Request
			for range commands / tt.pipeline {
				s.Next(&r)
				for _, c := range r.Cmds {
					if c.Op < 0 || c.Op >= len(ops) {
						t.Fatalf("Command.Op = %d, want an index into %d ops", c.Op, len(ops))
					}
					counts[c.Op]++
				}
			}
			for i, n := range counts {
				p := tt.weights[i] / total
				if p == 0 {
					if n != 0 {
						t.Errorf("%s has weight 0 but was drawn %d times", ops[i].Op.Name(), n)
					}
					continue
				}
				want := commands * p
				tol := 5 * math.Sqrt(commands*p*(1-p))
				if math.Abs(float64(n)-want) > tol {
					t.Errorf("%s drawn %d times in %d, want %.0f ± %.0f", ops[i].Op.Name(), n, commands, want, tol)
				}
			}
		})
	}
}

func TestOpNames(t *testing.T) {
	t.Parallel()
	// The op label values: a fixed set, in the order the ops are listed.
	allowed := []string{"get", "set", "set_ttl", "mget", "incr", "del"}
	tests := []struct {
		name string
		ops  []workload.Weighted
		want []string
	}{
		{"all", allOps(), allowed},
		{"reordered", []workload.Weighted{{Op: workload.Del{}}, {Op: workload.Get{}}, {Op: workload.MGet{Batch: 100}}}, []string{"del", "get", "mget"}},
		{"parameters do not leak into names", []workload.Weighted{{Op: workload.SetTTL{TTL: 17 * time.Second}}, {Op: workload.MGet{Batch: 3}}}, []string{"set_ttl", "mget"}},
		{"none", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := &workload.Workload{Ops: tt.ops}
			got := w.OpNames()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("OpNames() = %q, want %q", got, tt.want)
			}
			for _, n := range got {
				if !slices.Contains(allowed, n) {
					t.Errorf("op name %q is not one of the fixed label values %q", n, allowed)
				}
			}
			if len(got) > 0 {
				got[0] = "mutated"
				if w.OpNames()[0] == "mutated" {
					t.Error("OpNames returns a slice shared between calls")
				}
			}
		})
	}
}

// TestSequentialKeys checks that sequential keys walk the key space in order
// and wrap, shared by every op (counters included) in draw order.
func TestSequentialKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ops      []workload.Weighted
		count    uint64
		pipeline int
		want     []uint64 // key indexes in draw order
	}{
		{"get wraps", []workload.Weighted{{Op: workload.Get{}, Weight: 1}}, 3, 1, []uint64{0, 1, 2, 0, 1, 2, 0}},
		{"single key", []workload.Weighted{{Op: workload.Del{}, Weight: 1}}, 1, 1, []uint64{0, 0, 0}},
		{"mget batches continue the walk", []workload.Weighted{{Op: workload.MGet{Batch: 3}, Weight: 1}}, 5, 1, []uint64{0, 1, 2, 3, 4, 0, 1, 2, 3}},
		{"mixed ops and pipeline share one walk", allOps(), 4, 3, []uint64{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := &workload.Workload{Ops: tt.ops, Keys: workload.Keys{Prefix: "seq:", Count: tt.count, Distribution: workload.Sequential}, Values: workload.Values{Min: 1, Max: 1}, Pipeline: tt.pipeline, Seed: 5}
			var got []uint64
			for _, d := range drawCmds(t, w, len(tt.want)) {
				prefix := "seq:"
				if d.Op == "incr" {
					prefix = "seq:ctr:"
				}
				for _, k := range d.Keys {
					got = append(got, keyIndex(t, k, prefix, tt.count))
				}
			}
			if got = got[:len(tt.want)]; !slices.Equal(got, tt.want) {
				t.Errorf("key indexes %v, want %v", got, tt.want)
			}
		})
	}
}

// TestKeyDistributions draws 100k GET keys and checks the range and the
// shape: uniform covers every index about evenly, zipfian puts far more of
// its draws on index 0 than uniform puts on any key.
func TestKeyDistributions(t *testing.T) {
	t.Parallel()
	const (
		count = 1000
		draws = 100_000
		mean  = draws / count
	)
	counts := func(t *testing.T, keys workload.Keys) []int {
		w := &workload.Workload{Ops: []workload.Weighted{{Op: workload.Get{}, Weight: 1}}, Keys: keys, Seed: 11}
		c := make([]int, count)
		for _, d := range drawCmds(t, w, draws) {
			c[keyIndex(t, d.Keys[0], keys.Prefix, count)]++
		}
		return c
	}
	t.Run("uniform", func(t *testing.T) {
		t.Parallel()
		c := counts(t, workload.Keys{Prefix: "u:", Count: count, Distribution: workload.Uniform})
		tol := 5 * math.Sqrt(mean)
		for i, n := range c {
			if math.Abs(float64(n-mean)) > tol {
				t.Errorf("index %d drawn %d times, want %d ± %.0f", i, n, mean, tol)
			}
		}
	})
	for _, s := range []float64{0.99, 1.2} {
		t.Run(fmt.Sprintf("zipfian s=%g", s), func(t *testing.T) {
			t.Parallel()
			c := counts(t, workload.Keys{Prefix: "z:", Count: count, Distribution: workload.Zipfian, ZipfExponent: s})
			if top := slices.Max(c); c[0] != top {
				t.Errorf("s=%g: hottest key drawn %d times, index 0 only %d: index 0 should be the hottest", s, top, c[0])
			}
			// p(0) = 1/H(1000, s): about 0.13 for s=0.99, 0.22 for s=1.2;
			// uniform gives each key 0.001.
			if c[0] < 50*mean {
				t.Errorf("s=%g: index 0 drawn %d times, want over %d (50× uniform)", s, c[0], 50*mean)
			}
			if c[0] <= c[1] || c[1] <= c[9] || c[9] <= c[99] {
				t.Errorf("s=%g: counts at ranks 1, 2, 10, 100 = %d, %d, %d, %d: want decreasing", s, c[0], c[1], c[9], c[99])
			}
		})
	}
	t.Run("single key", func(t *testing.T) {
		t.Parallel()
		for _, dist := range []workload.Distribution{workload.Uniform, workload.Zipfian, workload.Sequential} {
			w := &workload.Workload{Ops: allOps(), Keys: workload.Keys{Prefix: "one:", Count: 1, Distribution: dist, ZipfExponent: 1}, Seed: 1}
			for _, d := range drawCmds(t, w, 100) {
				for _, k := range d.Keys {
					if k != "one:0" && k != "one:ctr:0" {
						t.Fatalf("%s over one key drew %q", dist, k)
					}
				}
			}
		}
	})
}

// TestValueSizes checks that written values have sizes in [Min, Max], with
// both ends reached when ranged, and that SetTTL carries its TTL.
func TestValueSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		min, max int
		requests int
	}{
		{"fixed", 7, 7, 3000},
		{"empty", 0, 0, 3000},
		{"ranged", 10, 20, 3000},
		{"ranged from zero", 0, 3, 3000},
		{"large fixed", 1 << 20, 1 << 20, 20}, // each draw is copied out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ttl := 1500 * time.Millisecond
			ops := []workload.Weighted{{Op: workload.Set{}, Weight: 1}, {Op: workload.SetTTL{TTL: ttl}, Weight: 1}, {Op: workload.Get{}, Weight: 1}}
			w := &workload.Workload{Ops: ops, Keys: workload.Keys{Prefix: "v:", Count: 10}, Values: workload.Values{Min: tt.min, Max: tt.max}, Seed: 2}
			seen := map[int]int{}
			var first string
			for _, d := range drawCmds(t, w, tt.requests) {
				switch d.Op {
				case "get":
					continue
				case "set_ttl":
					if d.TTL != ttl {
						t.Fatalf("set_ttl drew TTL %v, want %v", d.TTL, ttl)
					}
				}
				n := len(d.Value)
				if n < tt.min || n > tt.max {
					t.Fatalf("value of %d bytes, want [%d, %d]", n, tt.min, tt.max)
				}
				seen[n]++
				if tt.min == tt.max {
					if first == "" {
						first = d.Value
					} else if d.Value != first {
						t.Fatal("fixed-size values differ between draws")
					}
				}
			}
			if seen[tt.min] == 0 || seen[tt.max] == 0 {
				t.Errorf("sizes %d and %d not both drawn: %v", tt.min, tt.max, seen)
			}
		})
	}
}

func TestNewStreamErrors(t *testing.T) {
	t.Parallel()
	valid := func() workload.Workload {
		return workload.Workload{Ops: allOps(), Keys: workload.Keys{Prefix: "e:", Count: 10}, Values: workload.Values{Min: 1, Max: 2}}
	}
	tests := []struct {
		name    string
		edit    func(*workload.Workload)
		wantErr string // "" for a valid workload
	}{
		{"valid", func(*workload.Workload) {}, ""},
		{"zipfian", func(w *workload.Workload) { w.Keys.Distribution, w.Keys.ZipfExponent = workload.Zipfian, 0.5 }, ""},
		{"zero pipeline means one", func(w *workload.Workload) { w.Pipeline = 0 }, ""},
		{"no ops", func(w *workload.Workload) { w.Ops = nil }, "workload has no ops"},
		{"negative weight", func(w *workload.Workload) { w.Ops[2].Weight = -1 }, "op set_ttl: weight must be a finite number >= 0, got -1"},
		{"NaN weight", func(w *workload.Workload) { w.Ops[0].Weight = math.NaN() }, "op get: weight must be a finite number >= 0, got NaN"},
		{"infinite weight", func(w *workload.Workload) { w.Ops[1].Weight = math.Inf(1) }, "op set: weight must be a finite number >= 0, got +Inf"},
		{"weights overflow", func(w *workload.Workload) { w.Ops[0].Weight, w.Ops[1].Weight = math.MaxFloat64, math.MaxFloat64 }, "workload op weights overflow when summed"},
		{"all weights zero", func(w *workload.Workload) {
			for i := range w.Ops {
				w.Ops[i].Weight = 0
			}
		}, "workload ops have no positive weight"},
		{"no keys", func(w *workload.Workload) { w.Keys.Count = 0 }, "key count must be > 0"},
		{"unknown distribution", func(w *workload.Workload) { w.Keys.Distribution = "gaussian" }, `unknown key distribution "gaussian"`},
		{"zipfian without exponent", func(w *workload.Workload) { w.Keys.Distribution = workload.Zipfian }, "zipfian exponent must be a finite number > 0, got 0"},
		{"min above max", func(w *workload.Workload) { w.Values = workload.Values{Min: 5, Max: 4} }, "value sizes: need 0 <= min <= max, got [5, 4]"},
		{"negative min", func(w *workload.Workload) { w.Values = workload.Values{Min: -1, Max: 4} }, "value sizes: need 0 <= min <= max, got [-1, 4]"},
		{"negative fixed", func(w *workload.Workload) { w.Values = workload.Values{Min: -3, Max: -3} }, "value sizes: need 0 <= min <= max, got [-3, -3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := valid()
			tt.edit(&w)
			s, err := w.NewStream()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewStream: %v", err)
			case tt.wantErr == "":
				if s.Workload() != &w {
					t.Error("Stream.Workload() is not the workload it was built from")
				}
			case err == nil:
				t.Fatalf("NewStream succeeded, want error %q", tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("NewStream error %q, want it to contain %q", err, tt.wantErr)
			case s != nil:
				t.Error("NewStream returned a stream with its error")
			}
		})
	}
}

// TestRequestReuse checks that Next resizes a reused request to the
// pipeline depth whatever it held before, as the runner's request pool and
// its shared scratch request rely on.
func TestRequestReuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		prev     workload.Request
		pipeline int
	}{
		{"empty", workload.Request{}, 4},
		{"larger", workload.Request{N: 99, Cmds: make([]workload.Command, 10)}, 3},
		{"smaller", workload.Request{Cmds: make([]workload.Command, 1, 1)}, 6},
		{"stale args", workload.Request{Cmds: []workload.Command{{Op: 5, Args: workload.Args{Key: "stale", Keys: []string{"a", "b", "c", "d", "e"}, Value: []byte("x")}}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := &workload.Workload{Ops: allOps(), Keys: workload.Keys{Prefix: "r:", Count: 100}, Values: workload.Values{Min: 3, Max: 3}, Pipeline: tt.pipeline, Seed: 8}
			want := drawCmds(t, w, 50)
			s := newStream(t, w)
			r := tt.prev
			var got []drawn
			for i := range 50 {
				s.Next(&r)
				if r.N != int64(i) || len(r.Cmds) != tt.pipeline {
					t.Fatalf("request %d: N = %d with %d commands, want N = %d with %d", i, r.N, len(r.Cmds), i, tt.pipeline)
				}
				for _, c := range r.Cmds {
					got = append(got, copyCmd(w.Ops[c.Op].Op, &c.Args))
				}
			}
			if i := firstDiff(want, got); i >= 0 {
				t.Errorf("reused request differs from a fresh one at command %d: %+v vs %+v", i, got[i], want[i])
			}
		})
	}
}

// TestNextAllocs pins the cost of the generator's hot path: one allocation
// per key drawn (the key string that Args hands to go-redis), none for the
// op choice, the value or the request itself once its buffers exist. It is
// not parallel: AllocsPerRun counts every allocation in the process.
func TestNextAllocs(t *testing.T) {
	tests := []struct {
		op       workload.Op
		pipeline int
		values   workload.Values
		want     float64
	}{
		{workload.Get{}, 1, workload.Values{}, 1},
		{workload.Set{}, 1, workload.Values{Min: 64, Max: 64}, 1},
		{workload.SetTTL{TTL: time.Second}, 1, workload.Values{Min: 16, Max: 4096}, 1},
		{workload.MGet{Batch: 10}, 1, workload.Values{}, 10},
		{workload.Incr{}, 1, workload.Values{}, 1},
		{workload.Del{}, 8, workload.Values{}, 8},
	}
	for _, tt := range tests {
		w := &workload.Workload{Ops: []workload.Weighted{{Op: tt.op, Weight: 1}, {Op: workload.Get{}, Weight: 0}}, Keys: workload.Keys{Prefix: "a:", Count: 1e9}, Values: tt.values, Pipeline: tt.pipeline, Seed: 1}
		s := newStream(t, w)
		var r workload.Request
		if n := testing.AllocsPerRun(1000, func() { s.Next(&r) }); n != tt.want {
			t.Errorf("%s, pipeline %d: %v allocations per Next, want %v", tt.op.Name(), tt.pipeline, n, tt.want)
		}
	}
}
