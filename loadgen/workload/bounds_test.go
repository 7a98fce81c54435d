package workload_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// TestStructuresStayBounded sends 20k writes (4k when each is its own round
// trip, 5k in mixes with removals) to 20 structures of 50 elements, from concurrent senders as runners
// and their workers do, and
// checks that no structure ends up larger than its bound: capped pushes
// keep lists at Elements, and the finite universes keep sets, sorted sets
// and hashes there (hashes at twice that, with hincrby's counters).
func TestStructuresStayBounded(t *testing.T) {
	t.Parallel()
	const (
		elements = 50
		count    = 20
		senders  = 4
	)
	tests := []struct {
		name     string
		kind     workload.Kind
		ops      []string
		pipeline int
		commands int
		bound    int  // largest size allowed
		full     bool // every structure must reach the bound
	}{
		{"capped pushes", "list", []string{"lpush", "rpush"}, 1, 4000, elements, true},
		{"capped pushes pipelined", "list", []string{"lpush", "rpush"}, 16, 20_000, elements, true},
		{"capped pushes and pops", "list", []string{"lpush", "rpush", "lpop", "rpop", "lindex"}, 16, 5000, elements, false},
		{"sadd", "set", []string{"sadd"}, 16, 20_000, elements, true},
		{"sadd and srem", "set", []string{"sadd", "sadd", "srem"}, 8, 5000, elements, false},
		{"hset and hincrby", "hash", []string{"hset", "hincrby"}, 16, 20_000, 2 * elements, false},
		{"zadd and zincrby", "zset", []string{"zadd", "zincrby"}, 16, 20_000, elements, true},
	}
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			c := servertest.Start(t, e).Client()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
					defer cancel()
					s := workload.Structure{Kind: tt.kind, Elements: elements, ElementSize: 8}
					prefix := "b:" + tt.name + ":"
					var wg sync.WaitGroup
					for i := range senders {
						w := structureWorkload(t, s, prefix, count, tt.pipeline, uint64(i), tt.ops...)
						wg.Go(func() {
							st := newStream(t, w)
							var r workload.Request
							for range tt.commands / senders / tt.pipeline {
								st.Next(&r)
								for j, cmd := range send(ctx, c, w, &r) {
									op := w.Ops[r.Cmds[j].Op].Op
									if outcome, class := workload.Outcome(op, cmd); outcome == result.Error {
										t.Errorf("%s: %s: %v", op.Name(), class, cmd.Err())
										return
									}
								}
							}
						})
					}
					wg.Wait()
					if t.Failed() {
						return
					}
					for i := range count {
						key := prefix + strconv.Itoa(i)
						size, err := structureSize(ctx, c, tt.kind, key)
						if err != nil {
							t.Fatalf("%s: %v", key, err)
						}
						if size > int64(tt.bound) || (tt.full && size != int64(tt.bound)) {
							t.Errorf("%s holds %d elements after %d writes to %d structures, want at most %d (exactly, after so many writes: %v)", key, size, tt.commands, count, tt.bound, tt.full)
						}
					}
					if tt.kind == workload.KindZSet {
						checkScores(t, ctx, c, prefix, count, elements)
					}
				})
			}
		})
	}
}

func structureSize(ctx context.Context, c redis.Cmdable, k workload.Kind, key string) (int64, error) {
	switch k {
	case workload.KindList:
		return c.LLen(ctx, key).Result()
	case workload.KindHash:
		return c.HLen(ctx, key).Result()
	case workload.KindSet:
		return c.SCard(ctx, key).Result()
	}
	return c.ZCard(ctx, key).Result()
}

// checkScores checks that zincrby's ±1 steps left every score near its
// member's index: 20k writes over 20 sorted sets are about 500 increments
// per set, 10 per member, so no score can have wandered 60 away.
func checkScores(t *testing.T, ctx context.Context, c redis.Cmdable, prefix string, count, elements int) {
	t.Helper()
	for i := range count {
		zs, err := c.ZRangeWithScores(ctx, prefix+strconv.Itoa(i), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range zs {
			m := z.Member.(string)
			idx, err := strconv.Atoi(strings.TrimRight(strings.TrimPrefix(m, "m:"), "."))
			if err != nil || idx >= elements {
				t.Fatalf("member %q is not from the universe of %d", m, elements)
			}
			if d := z.Score - float64(idx); d < -60 || d > 60 {
				t.Errorf("member %s has score %g, %g from its index", m, z.Score, d)
			}
		}
	}
}
