package workload_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// BenchmarkStreamNextStructures measures drawing one request of a
// data-structure workload on the scheduling goroutine: each kind's whole
// mix, and single ops that draw the most (hmget's fields, sinter's two
// keys), over 1e6 structures of 100 elements, and of 1e6 elements, too
// many to keep their names in a table.
func BenchmarkStreamNextStructures(b *testing.B) {
	small := workload.Structure{Elements: 100, ElementSize: 32, RangeLen: 10}
	large := workload.Structure{Elements: 1e6, ElementSize: 32, RangeLen: 10}
	benches := []struct {
		name     string
		s        workload.Structure
		kind     workload.Kind
		ops      []string // nil: every op of the kind
		pipeline int
	}{
		{"list/mix", small, "list", nil, 1},
		{"hash/mix", small, "hash", nil, 1},
		{"set/mix", small, "set", nil, 1},
		{"zset/mix", small, "zset", nil, 1},
		{"zset/mix/pipeline=16", small, "zset", nil, 16},
		{"hash/op=hmget", small, "hash", []string{"hmget", "hget"}, 1},
		{"set/op=sinter", small, "set", []string{"sinter", "sadd"}, 1},
		{"zset/op=zadd", small, "zset", []string{"zadd", "zscore"}, 1},
		{"set/mix/elements=1e6", large, "set", nil, 1},
		{"hash/op=hmget/elements=1e6", large, "hash", []string{"hmget", "hget"}, 1},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			s := bb.s
			s.Kind = bb.kind
			w := structureWorkload(b, s, "ecbench:bench:", 1e6, bb.pipeline, 1, bb.ops...)
			if bb.ops != nil {
				w.Ops[1].Weight = 0 // a single op, but through the weighted pick
			}
			st := newStream(b, w)
			var r workload.Request
			b.ReportAllocs()
			for b.Loop() {
				st.Next(&r)
			}
		})
	}
}

// BenchmarkPreload fills 10k structures of 100 elements of 32 bytes on a
// real server over loopback: one iteration is one whole preload.
func BenchmarkPreload(b *testing.B) {
	for _, e := range servertest.Engines {
		c := servertest.Start(b, e).Client()
		for _, k := range workload.Kinds() {
			b.Run(fmt.Sprintf("%s/%s", e, k), func(b *testing.B) {
				w := &workload.Workload{
					Structure: workload.Structure{Kind: k, Elements: 100, ElementSize: 32},
					Keys:      workload.Keys{Prefix: "bench:" + string(k) + ":", Count: 10_000},
					Values:    workload.Values{Min: 32, Max: 32},
				}
				for b.Loop() {
					if err := w.Preload(context.Background(), c, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkIssue measures each op's Issue on a worker: building its command
// from drawn arguments and queueing it on a pipeline, which is discarded
// (never sent) so that only the op's and go-redis's own work is measured.
func BenchmarkIssue(b *testing.B) {
	ctx := context.Background()
	for _, k := range workload.Kinds() {
		s := workload.Structure{Kind: k, Elements: 100, ElementSize: 32, RangeLen: 10}
		if k == workload.KindKV {
			s = workload.Structure{}
		}
		p := workload.OpParams{TTL: time.Minute, MGetBatch: 10, Structure: s}
		for _, name := range workload.OpNamesFor(k) {
			b.Run(string(k)+"/"+name, func(b *testing.B) {
				op, err := workload.NewOp(k, name, p)
				if err != nil {
					b.Fatal(err)
				}
				w := &workload.Workload{
					Ops: []workload.Weighted{{Op: op, Weight: 1}}, Structure: s, Seed: 1,
					Keys: workload.Keys{Prefix: "ecbench:bench:", Count: 1e6}, Values: workload.Values{Min: 32, Max: 32},
				}
				var r workload.Request
				newStream(b, w).Next(&r)
				pipe := offline.Pipeline()
				b.ReportAllocs()
				for b.Loop() {
					op.Issue(ctx, pipe, &r.Cmds[0].Args)
					pipe.Discard()
				}
			})
		}
	}
}
