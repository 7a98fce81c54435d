package workload_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// BenchmarkStreamNext measures drawing one request on the scheduling
// goroutine: op choice plus each command's Prepare. The per-op cases have a
// second op of weight 0 so that the weighted pick is not skipped.
func BenchmarkStreamNext(b *testing.B) {
	uniform := workload.Keys{Prefix: "ecbench:bench:", Count: 1e8}
	zipfian := workload.Keys{Prefix: "ecbench:bench:", Count: 1e8, Distribution: workload.Zipfian, ZipfExponent: 0.99}
	ranged := workload.Values{Min: 16, Max: 4096}
	single := func(op workload.Op) []workload.Weighted {
		return []workload.Weighted{{Op: op, Weight: 1}, {Op: workload.Get{}, Weight: 0}}
	}
	benches := []struct {
		name     string
		ops      []workload.Weighted
		keys     workload.Keys
		pipeline int
	}{
		{"mix/uniform/pipeline=1", allOps(), uniform, 1},
		{"mix/zipfian/pipeline=1", allOps(), zipfian, 1},
		{"mix/uniform/pipeline=16", allOps(), uniform, 16},
		{"op=get", single(workload.Get{}), uniform, 1},
		{"op=set", single(workload.Set{}), uniform, 1},
		{"op=set_ttl", single(workload.SetTTL{TTL: time.Minute}), uniform, 1},
		{"op=mget/batch=10", single(workload.MGet{Batch: 10}), uniform, 1},
		{"op=incr", single(workload.Incr{}), uniform, 1},
		{"op=del", single(workload.Del{}), uniform, 1},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			w := &workload.Workload{Ops: bb.ops, Keys: bb.keys, Values: ranged, Pipeline: bb.pipeline, Seed: 1}
			s := newStream(b, w)
			var r workload.Request
			b.ReportAllocs()
			for b.Loop() {
				s.Next(&r)
			}
		})
	}
}

// genCapture is an op that hands out the Gen its stream passes to Prepare,
// so that a benchmark can call real ops' Prepare without the stream around.
type genCapture struct{ gen **workload.Gen }

func (genCapture) Name() string                                { return "capture" }
func (c genCapture) Prepare(g *workload.Gen, _ *workload.Args) { *c.gen = g }
func (genCapture) Issue(context.Context, redis.Cmdable, *workload.Args) redis.Cmder {
	return nil
}

// BenchmarkPrepare measures each op's Prepare alone: drawing its keys (and
// value) from a uniform key space of 1e8 and ranged values.
func BenchmarkPrepare(b *testing.B) {
	ops := []workload.Op{
		workload.Get{}, workload.Set{}, workload.SetTTL{TTL: time.Minute},
		workload.MGet{Batch: 10}, workload.Incr{}, workload.Del{},
	}
	for _, op := range ops {
		b.Run(op.Name(), func(b *testing.B) {
			var g *workload.Gen
			w := &workload.Workload{
				Ops:    []workload.Weighted{{Op: genCapture{&g}, Weight: 1}},
				Keys:   workload.Keys{Prefix: "ecbench:bench:", Count: 1e8},
				Values: workload.Values{Min: 16, Max: 4096}, Seed: 1,
			}
			newStream(b, w).Next(&workload.Request{})
			var a workload.Args
			b.ReportAllocs()
			for b.Loop() {
				op.Prepare(g, &a)
			}
		})
	}
}
