package workload_test

import (
	"testing"

	"github.com/ecbench/ecbench/loadgen/workload"
)

func TestCommandBytes(t *testing.T) {
	t.Parallel()
	kv := workload.Sizes{MaxValue: 1000, MGetBatch: 10}
	list := workload.Sizes{Structure: workload.Structure{Kind: workload.KindList, Elements: 50, ElementSize: 100}}
	hash := workload.Sizes{Structure: workload.Structure{Kind: workload.KindHash, Elements: 100, ElementSize: 32, RangeLen: 7}}
	set := workload.Sizes{Structure: workload.Structure{Kind: workload.KindSet, Elements: 1000, ElementSize: 1}}
	zset := workload.Sizes{Structure: workload.Structure{Kind: workload.KindZSet, Elements: 10, ElementSize: 64, RangeLen: 5}}
	tests := []struct {
		op    string
		sizes workload.Sizes
		want  int64
	}{
		{"get", kv, 1000 + 32},
		{"set", kv, 1032},
		{"set_ttl", kv, 1032},
		{"mget", kv, 10 * 1032},
		{"mget", workload.Sizes{MaxValue: 1000}, 1032}, // a batch below 1 is 1
		{"incr", kv, 0},
		{"del", kv, 0},
		{"lpush", list, 132},
		{"lrange", list, workload.DefaultRangeLen * 132},
		{"llen", list, 0},
		// A hash element is its field's name ("f:00") and its value; a
		// whole hash holds hincrby's counters too.
		{"hset", hash, 4 + 32 + 32},
		{"hmget", hash, 7 * 68},
		{"hgetall", hash, 2 * 100 * 68},
		{"hincrby", hash, 0},
		// A member is at least its name, "m:000".
		{"sadd", set, 5 + 32},
		{"smembers", set, 1000 * 37},
		{"sinter", set, 1000 * 37},
		{"zrange", zset, 5 * 96},
		{"zcard", zset, 0},
		{"an op of a test", kv, 1032},
	}
	for _, tt := range tests {
		if got := workload.CommandBytes(tt.op, tt.sizes); got != tt.want {
			t.Errorf("CommandBytes(%s, %+v) = %d, want %d", tt.op, tt.sizes, got, tt.want)
		}
	}
}

func TestMaxCommandBytes(t *testing.T) {
	t.Parallel()
	w := &workload.Workload{
		Values: workload.Values{Min: 10, Max: 1000},
		Ops:    []workload.Weighted{{Op: workload.Get{}, Weight: 1}, {Op: workload.MGet{Batch: 20}, Weight: 1}, {Op: workload.Incr{}, Weight: 1}},
	}
	if got, want := w.MaxCommandBytes(), int64(20*1032); got != want {
		t.Errorf("MaxCommandBytes() = %d, want %d (mget's batch of the largest values)", got, want)
	}
	w.Ops = w.Ops[:1]
	if got, want := w.MaxCommandBytes(), int64(1032); got != want {
		t.Errorf("MaxCommandBytes() of get = %d, want %d", got, want)
	}
}

func TestStreamAndPreloadMemory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		sizes           workload.Sizes
		stream, preload int64
	}{
		{"kv: the value buffer", workload.Sizes{MaxValue: 1000}, 1000, 1000 + workload.PreloadBytes},
		{"kv of 512 MiB values: one SET alone", workload.Sizes{MaxValue: 512 << 20}, 512 << 20, 512<<20 + 512<<20 + 32},
		{"set: its member names", workload.Sizes{Structure: workload.Structure{Kind: workload.KindSet, Elements: 1000, ElementSize: 1}}, 1 + 5*1000, 5001 + workload.PreloadBytes},
		{"hash: field and counter names", workload.Sizes{Structure: workload.Structure{Kind: workload.KindHash, Elements: 100, ElementSize: 32}}, 32 + 2*4*100, 832 + workload.PreloadBytes},
		{"names too many for a table", workload.Sizes{Structure: workload.Structure{Kind: workload.KindSet, Elements: 10_000_000, ElementSize: 8}}, 8, 8 + workload.PreloadBytes},
	}
	for _, tt := range tests {
		if got := workload.StreamMemory(tt.sizes); got != tt.stream {
			t.Errorf("%s: StreamMemory = %d, want %d", tt.name, got, tt.stream)
		}
		if got := workload.PreloadMemory(tt.sizes); got != tt.preload {
			t.Errorf("%s: PreloadMemory = %d, want %d", tt.name, got, tt.preload)
		}
	}
}
