package workload_test

import (
	"context"
	"math"
	"testing"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/keyspace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

func sizeTable(t testing.TB, entries ...keyspace.SizeWeight) *keyspace.SizeTable {
	t.Helper()
	table, err := keyspace.NewSizeTable(entries)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// shares counts the sizes of what draw returns n times, as shares.
func shares(n int, draw func() int) map[int]float64 {
	counts := map[int]float64{}
	for range n {
		counts[draw()]++
	}
	for k := range counts {
		counts[k] /= float64(n)
	}
	return counts
}

// TestStreamSizeTables checks that kv values and list and hash elements
// take their sizes from the tables, the same for the same seed: the
// shares of a fixed-seed stream are the table's within a point.
func TestStreamSizeTables(t *testing.T) {
	t.Parallel()
	table := sizeTable(t, keyspace.SizeWeight{Size: 32, Weight: 70}, keyspace.SizeWeight{Size: 1024, Weight: 30})
	want := map[int]float64{32: 0.7, 1024: 0.3}
	tests := []struct {
		name string
		w    workload.Workload
	}{
		{"kv set", workload.Workload{
			Ops: []workload.Weighted{{Op: workload.Set{}, Weight: 1}}, Keys: workload.Keys{Prefix: "t:", Count: 100},
			Values: workload.Values{Min: 5, Max: 5, Sizes: table}, Seed: 3,
		}},
		{"list rpush", *structureWorkload(t, workload.Structure{Kind: workload.KindList, Elements: 10, ElementSizes: table}, "t:", 10, 1, 9, "rpush")},
		{"hash hset", *structureWorkload(t, workload.Structure{Kind: workload.KindHash, Elements: 10, ElementSizes: table}, "t:", 10, 1, 9, "hset")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := newStream(t, &tt.w), newStream(t, &tt.w)
			var ra, rb workload.Request
			got := shares(20_000, func() int {
				a.Next(&ra)
				b.Next(&rb)
				if string(ra.Cmds[0].Args.Value) != string(rb.Cmds[0].Args.Value) {
					t.Fatal("two streams of one seed wrote different values")
				}
				return len(ra.Cmds[0].Args.Value)
			})
			for size, share := range want {
				if math.Abs(got[size]-share) > 0.01 {
					t.Errorf("size %d: share %.3f, want %.2f ± 0.01 (all: %v)", size, got[size], share, got)
				}
			}
			if len(got) != len(want) {
				t.Errorf("sizes drawn %v, want only the table's", got)
			}
		})
	}
}

// TestSizeTableBudgets checks that the in-flight and preload budgets
// charge a table's largest size, never a typical one.
func TestSizeTableBudgets(t *testing.T) {
	t.Parallel()
	table := sizeTable(t, keyspace.SizeWeight{Size: 10, Weight: 99}, keyspace.SizeWeight{Size: 5000, Weight: 1})
	kv := workload.Workload{Ops: []workload.Weighted{{Op: workload.Get{}, Weight: 1}, {Op: workload.MGet{Batch: 3}, Weight: 1}},
		Values: workload.Values{Sizes: table}}
	if got, want := kv.MaxCommandBytes(), int64(3*(5000+workload.ItemOverhead)); got != want {
		t.Errorf("kv MaxCommandBytes() = %d, want %d: mget of 3 of the largest values", got, want)
	}
	if got := (workload.Values{Min: 1, Max: 7, Sizes: table}).Largest(); got != 5000 {
		t.Errorf("Values.Largest() = %d, want the table's 5000 over Max", got)
	}
	list := workload.Sizes{Structure: workload.Structure{Kind: workload.KindList, Elements: 50, ElementSizes: table}}
	set := workload.Sizes{Structure: workload.Structure{Kind: workload.KindSet, Elements: 1000, ElementSizes: table}}
	tests := []struct {
		name string
		got  int64
		want int64
	}{
		{"lpush", workload.CommandBytes("lpush", list), 5000 + 32},
		{"lrange", workload.CommandBytes("lrange", list), workload.DefaultRangeLen * 5032},
		{"smembers", workload.CommandBytes("smembers", set), 1000 * 5032},
		{"list stream", workload.StreamMemory(list), 5000},
		// A set's names do not fit the name table at 5000 bytes each
		// (5 MB > 1 MiB): they are built as drawn.
		{"set stream", workload.StreamMemory(set), 5000},
		{"small set stream", workload.StreamMemory(workload.Sizes{Structure: workload.Structure{Kind: workload.KindSet, Elements: 100, ElementSizes: table}}),
			5000 + 100*(5000+4)},
		{"kv preload", workload.PreloadMemory(workload.Sizes{MaxValue: table.Largest()}), 5000 + workload.PreloadBytes},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %d bytes, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestStructureSizeTableExclusive(t *testing.T) {
	t.Parallel()
	table := sizeTable(t, keyspace.SizeWeight{Size: 10, Weight: 1})
	s := workload.Structure{Kind: workload.KindList, Elements: 5, ElementSize: 10, ElementSizes: table}
	_, err := workload.NewOp(workload.KindList, "lpush", workload.OpParams{Structure: s})
	want := "op lpush: list structure: element size 10 and an element size table are exclusive: set one"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestPreloadSizeTables preloads structures whose elements come from a
// table into a real server and reads back what it holds: list items and
// hash values of the table's sizes in its shares, set and zset members
// of the table's sizes (never below their name), each member the one the
// ops draw.
func TestPreloadSizeTables(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	c := srv.Client()
	ctx := context.Background()
	table := sizeTable(t, keyspace.SizeWeight{Size: 2, Weight: 50}, keyspace.SizeWeight{Size: 300, Weight: 50})
	for _, kind := range []workload.Kind{workload.KindList, workload.KindHash, workload.KindSet, workload.KindZSet} {
		s := workload.Structure{Kind: kind, Elements: 400, ElementSizes: table}
		op := map[workload.Kind]string{workload.KindList: "llen", workload.KindHash: "hlen", workload.KindSet: "scard", workload.KindZSet: "zcard"}[kind]
		w := structureWorkload(t, s, "pre:"+string(kind)+":", 2, 1, 1, op)
		if err := w.Preload(ctx, c, nil); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		key := w.Keys.Prefix + "0"
		var elems []string
		switch kind {
		case workload.KindList:
			elems = c.LRange(ctx, key, 0, -1).Val()
		case workload.KindHash:
			for _, v := range c.HGetAll(ctx, key).Val() {
				elems = append(elems, v)
			}
		case workload.KindSet:
			elems = c.SMembers(ctx, key).Val()
		case workload.KindZSet:
			elems = c.ZRange(ctx, key, 0, -1).Val()
		}
		if len(elems) != 400 {
			t.Fatalf("%s: %d elements, want 400", kind, len(elems))
		}
		counts := map[int]int{}
		for _, e := range elems {
			counts[len(e)]++
		}
		// Members are at least "m:" and 3 digits: the table's 2 becomes 5.
		small := 2
		if kind == workload.KindSet || kind == workload.KindZSet {
			small = 5
		}
		if counts[small]+counts[300] != 400 || counts[small] < 150 || counts[300] < 150 {
			t.Errorf("%s: element sizes %v, want about 200 of %d and 200 of 300 bytes", kind, counts, small)
		}
	}
}
