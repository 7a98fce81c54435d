package workload_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// dsStep is one command of a scripted exchange with a real server, the
// outcome it must be classified as and, when reply is not nil, the value
// its reply must hold (which shows it is the op's own command, not a
// helper's).
type dsStep struct {
	op      string
	args    workload.Args
	outcome result.Outcome
	class   result.Class
	reply   any
}

// TestStructureOpsAgainstServers issues every data-structure op against
// real Redis and Valkey and checks the replies and how Outcome classifies
// them. Each script runs once command by command and once as one pipeline,
// reading each command's reply from the Cmder its op returned, as the
// runner does.
func TestStructureOpsAgainstServers(t *testing.T) {
	t.Parallel()
	const ok, miss, fail, none = result.OK, result.Miss, result.Error, result.ClassNone
	wrongType := result.ClassWrongType
	// Three elements, ranges of two.
	structure := func(k workload.Kind) workload.Structure {
		return workload.Structure{Kind: k, Elements: 3, RangeLen: 2}
	}
	key := func(k string) workload.Args { return workload.Args{Key: k} }
	item := func(k, v string) workload.Args { return workload.Args{Key: k, Value: []byte(v)} }
	member := func(k, m string) workload.Args { return workload.Args{Key: k, Member: m} }
	field := func(k, f, v string) workload.Args { return workload.Args{Key: k, Member: f, Value: []byte(v)} }
	scored := func(k, m string, score float64) workload.Args { return workload.Args{Key: k, Member: m, Score: score} }
	span := func(k string, start, stop int64) workload.Args {
		return workload.Args{Key: k, Start: start, Stop: stop}
	}
	step := func(op string, a workload.Args, o result.Outcome, reply any) dsStep {
		return dsStep{op: op, args: a, outcome: o, class: none, reply: reply}
	}
	failStep := func(op string, a workload.Args, c result.Class) dsStep {
		return dsStep{op: op, args: a, outcome: fail, class: c}
	}

	tests := []struct {
		name  string
		setup func(ctx context.Context, c redis.Cmdable, p string) error
		steps func(p string) []dsStep
		check func(ctx context.Context, c redis.Cmdable, p string) error
	}{
		{
			name: "list reads of nothing",
			steps: func(p string) []dsStep {
				l := p + "l"
				return []dsStep{
					step("lpop", key(l), miss, ""),
					step("rpop", key(l), miss, ""),
					step("llen", key(l), miss, int64(0)),
					step("lrange", span(l, 0, 1), miss, []string{}),
					step("lindex", workload.Args{Key: l, Start: 0}, miss, ""),
				}
			},
		},
		{
			// The push's reply is the length after the push, before the
			// trim: the trim is there all the same.
			name: "capped pushes",
			steps: func(p string) []dsStep {
				l := p + "l"
				return []dsStep{
					step("lpush", item(l, "a"), ok, int64(1)),
					step("rpush", item(l, "b"), ok, int64(2)),
					step("lpush", item(l, "c"), ok, int64(3)),
					step("lpush", item(l, "d"), ok, int64(4)), // [d c a b] → [d c a]
					step("rpush", item(l, "e"), ok, int64(4)), // [d c a e] → [c a e]
					step("llen", key(l), ok, int64(3)),
					step("lrange", span(l, 0, 1), ok, []string{"c", "a"}),
					step("lrange", span(l, 2, 3), ok, []string{"e"}),
					step("lrange", span(l, 3, 4), miss, []string{}),
					step("lindex", workload.Args{Key: l, Start: 2}, ok, "e"),
					step("lindex", workload.Args{Key: l, Start: 3}, miss, ""),
				}
			},
			check: func(ctx context.Context, c redis.Cmdable, p string) error {
				return wantEqual(c.LRange(ctx, p+"l", 0, -1).Val(), []string{"c", "a", "e"})
			},
		},
		{
			name: "pops",
			setup: func(ctx context.Context, c redis.Cmdable, p string) error {
				return c.RPush(ctx, p+"l", "a", "b", "c").Err()
			},
			steps: func(p string) []dsStep {
				l := p + "l"
				return []dsStep{
					step("lpop", key(l), ok, "a"),
					step("rpop", key(l), ok, "c"),
					step("lpop", key(l), ok, "b"),
					step("rpop", key(l), miss, ""),
					step("llen", key(l), miss, int64(0)),
				}
			},
		},
		{
			name: "hash",
			steps: func(p string) []dsStep {
				h := p + "h"
				return []dsStep{
					step("hget", member(h, "f:0"), miss, ""),
					step("hmget", workload.Args{Key: h, Members: []string{"f:0", "f:1"}}, miss, []any{nil, nil}),
					step("hgetall", key(h), miss, map[string]string{}),
					step("hlen", key(h), miss, int64(0)),
					step("hdel", member(h, "f:0"), miss, int64(0)),
					step("hset", field(h, "f:0", "v"), ok, int64(1)),
					step("hset", field(h, "f:0", "w"), ok, int64(0)), // an overwrite
					step("hget", member(h, "f:0"), ok, "w"),
					step("hmget", workload.Args{Key: h, Members: []string{"f:1", "f:0"}}, ok, []any{nil, "w"}),
					step("hmget", workload.Args{Key: h, Members: []string{"f:1", "f:2"}}, miss, []any{nil, nil}),
					step("hgetall", key(h), ok, map[string]string{"f:0": "w"}),
					step("hincrby", member(h, "n:0"), ok, int64(1)),
					step("hincrby", member(h, "n:0"), ok, int64(2)),
					step("hlen", key(h), ok, int64(2)),
					// Why hincrby has its own fields: on a value field it fails.
					failStep("hincrby", member(h, "f:0"), result.ClassOther),
					step("hdel", member(h, "f:0"), ok, int64(1)),
					step("hdel", member(h, "f:0"), miss, int64(0)),
					step("hlen", key(h), ok, int64(1)),
				}
			},
		},
		{
			name: "set",
			steps: func(p string) []dsStep {
				a, b := p+"a", p+"b"
				return []dsStep{
					step("sismember", member(a, "m:0"), miss, false),
					step("smembers", key(a), miss, []string{}),
					step("scard", key(a), miss, int64(0)),
					step("srandmember", key(a), miss, ""),
					step("srem", member(a, "m:0"), miss, int64(0)),
					step("sinter", workload.Args{Keys: []string{a, b}}, miss, []string{}),
					step("sadd", member(a, "m:0"), ok, int64(1)),
					step("sadd", member(a, "m:0"), ok, int64(0)), // already there
					step("sismember", member(a, "m:0"), ok, true),
					step("sismember", member(a, "m:1"), miss, false),
					step("smembers", key(a), ok, []string{"m:0"}),
					step("scard", key(a), ok, int64(1)),
					step("srandmember", key(a), ok, "m:0"),
					step("sinter", workload.Args{Keys: []string{a, b}}, miss, []string{}),
					step("sadd", member(b, "m:1"), ok, int64(1)),
					step("sinter", workload.Args{Keys: []string{a, b}}, miss, []string{}), // disjoint
					step("sadd", member(b, "m:0"), ok, int64(1)),
					step("sinter", workload.Args{Keys: []string{a, b}}, ok, []string{"m:0"}),
					step("sinter", workload.Args{Keys: []string{a, a}}, ok, []string{"m:0"}),
					step("srem", member(a, "m:0"), ok, int64(1)),
					step("srem", member(a, "m:0"), miss, int64(0)),
					step("scard", key(a), miss, int64(0)),
				}
			},
		},
		{
			name: "zset",
			steps: func(p string) []dsStep {
				z := p + "z"
				return []dsStep{
					step("zscore", member(z, "m:0"), miss, float64(0)),
					step("zrank", member(z, "m:0"), miss, int64(0)),
					step("zrange", span(z, 0, 1), miss, []string{}),
					step("zrangebyscore", span(z, 0, 1), miss, []string{}),
					step("zrevrange", span(z, 0, 1), miss, []string{}),
					step("zrem", member(z, "m:0"), miss, int64(0)),
					step("zcard", key(z), miss, int64(0)),
					step("zadd", scored(z, "m:2", 2), ok, int64(1)),
					step("zadd", scored(z, "m:0", 0), ok, int64(1)),
					step("zadd", scored(z, "m:1", 1), ok, int64(1)),
					step("zadd", scored(z, "m:1", 1), ok, int64(0)),
					step("zscore", member(z, "m:1"), ok, float64(1)),
					step("zrank", member(z, "m:2"), ok, int64(2)),
					step("zrange", span(z, 0, 1), ok, []string{"m:0", "m:1"}),
					step("zrevrange", span(z, 0, 1), ok, []string{"m:2", "m:1"}),
					step("zrangebyscore", span(z, 1, 2), ok, []string{"m:1", "m:2"}),
					step("zrangebyscore", span(z, 3, 4), miss, []string{}),
					step("zincrby", scored(z, "m:0", 1), ok, float64(1)),
					step("zincrby", scored(z, "m:0", -1), ok, float64(0)),
					step("zincrby", scored(z, "m:9", -1), ok, float64(-1)), // added at -1
					step("zrem", member(z, "m:9"), ok, int64(1)),
					step("zrem", member(z, "m:0"), ok, int64(1)),
					step("zrem", member(z, "m:0"), miss, int64(0)),
					step("zscore", member(z, "m:0"), miss, float64(0)),
					step("zcard", key(z), ok, int64(2)),
				}
			},
		},
		{
			name: "wrong type",
			setup: func(ctx context.Context, c redis.Cmdable, p string) error {
				if err := c.Set(ctx, p+"str", "v", 0).Err(); err != nil {
					return err
				}
				if err := c.HSet(ctx, p+"hash", "f:0", "v").Err(); err != nil {
					return err
				}
				return c.SAdd(ctx, p+"set", "m:0").Err()
			},
			steps: func(p string) []dsStep {
				return []dsStep{
					// A failed capped push reports the push's error.
					failStep("lpush", item(p+"str", "a"), wrongType),
					failStep("rpush", item(p+"hash", "a"), wrongType),
					failStep("lrange", span(p+"set", 0, 1), wrongType),
					failStep("hget", member(p+"str", "f:0"), wrongType),
					failStep("hset", field(p+"set", "f:0", "v"), wrongType),
					failStep("sismember", member(p+"hash", "m:0"), wrongType),
					failStep("sinter", workload.Args{Keys: []string{p + "set", p + "hash"}}, wrongType),
					failStep("zadd", scored(p+"set", "m:0", 0), wrongType),
					failStep("zrangebyscore", span(p+"str", 0, 1), wrongType),
					failStep("scard", key(p+"hash"), wrongType),
					step("sismember", member(p+"set", "m:0"), ok, true),
				}
			},
			check: func(ctx context.Context, c redis.Cmdable, p string) error {
				// The failed pushes' trims did nothing either.
				return wantEqual(c.Get(ctx, p+"str").Val(), "v")
			},
		},
	}
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			c := servertest.Start(t, e).Client()
			for _, tt := range tests {
				for _, pipelined := range []bool{false, true} {
					mode := "direct"
					if pipelined {
						mode = "pipelined"
					}
					t.Run(tt.name+"/"+mode, func(t *testing.T) {
						t.Parallel()
						ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
						defer cancel()
						p := "t:" + tt.name + ":" + mode + ":"
						if tt.setup != nil {
							if err := tt.setup(ctx, c, p); err != nil {
								t.Fatalf("setup: %v", err)
							}
						}
						steps := tt.steps(p)
						ops := make([]workload.Op, len(steps))
						for i, s := range steps {
							ops[i] = mustOp(t, structure(kindOf(s.op)), s.op)
						}
						args := make([]*workload.Args, len(steps))
						for i := range steps {
							args[i] = &steps[i].args
						}
						replies, _ := issueAll(ctx, c, pipelined, ops, args)
						for i, s := range steps {
							outcome, class := workload.Outcome(ops[i], replies[i])
							if outcome != s.outcome || class != s.class {
								t.Errorf("step %d, %s %s: outcome (%v, %q), want (%v, %q); reply: %v", i, s.op, s.args.Key, outcome, class, s.outcome, s.class, replies[i])
							}
							if s.reply != nil {
								if got := replyVal(replies[i]); !reflect.DeepEqual(got, s.reply) && !emptyEqual(got, s.reply) {
									t.Errorf("step %d, %s %s: reply %#v, want %#v", i, s.op, s.args.Key, got, s.reply)
								}
							}
						}
						if tt.check != nil {
							if err := tt.check(ctx, c, p); err != nil {
								t.Error(err)
							}
						}
					})
				}
			}
		})
	}
}

func kindOf(op string) workload.Kind {
	for _, k := range workload.Kinds() {
		if slices.Contains(workload.OpNamesFor(k), op) {
			return k
		}
	}
	return ""
}

// emptyEqual treats a nil and an empty slice or map as the same reply.
func emptyEqual(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() != vb.Kind() || va.Type() != vb.Type() {
		return false
	}
	switch va.Kind() {
	case reflect.Slice, reflect.Map:
		return va.Len() == 0 && vb.Len() == 0
	}
	return false
}

func wantEqual(got, want any) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("got %#v, want %#v", got, want)
	}
	return nil
}

// TestStructureStreamAgainstServers preloads each kind's structures on
// Redis and on Valkey and sends both the same seeded stream of every op of
// the kind. Nothing may fail, every op must succeed at least once, and
// since both engines hold the same data and see the same commands, they
// must answer with the same sequence of outcomes.
func TestStructureStreamAgainstServers(t *testing.T) {
	t.Parallel()
	clients := make([]*redis.Client, len(servertest.Engines))
	for i, e := range servertest.Engines {
		clients[i] = servertest.Start(t, e).Client()
	}
	for _, k := range workload.Kinds()[1:] {
		for _, pipeline := range []int{1, 8} {
			name := fmt.Sprintf("%s/pipeline=%d", k, pipeline)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				s := workload.Structure{Kind: k, Elements: 20, ElementSize: 16, RangeLen: 5}
				w := structureWorkload(t, s, "st:"+name+":", 30, pipeline, 99)
				w.Keys.Distribution, w.Keys.ZipfExponent = workload.Zipfian, 0.9
				outcomes := make([][]result.Outcome, len(clients))
				t.Run("engines", func(t *testing.T) {
					for i, e := range servertest.Engines {
						t.Run(string(e), func(t *testing.T) {
							t.Parallel()
							outcomes[i] = runStructureStream(t, clients[i], w, 1200/pipeline)
						})
					}
				})
				if t.Failed() {
					return
				}
				for i := 1; i < len(outcomes); i++ {
					if !slices.Equal(outcomes[0], outcomes[i]) {
						t.Errorf("%s and %s answered the same stream with different outcomes", servertest.Engines[0], servertest.Engines[i])
					}
				}
			})
		}
	}
}

// runStructureStream preloads w on c and sends it requests of w's stream,
// and returns the outcome of every command in order.
func runStructureStream(t *testing.T, c *redis.Client, w *workload.Workload, requests int) []result.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := w.Preload(ctx, c, nil); err != nil {
		t.Fatalf("Preload: %v", err)
	}
	s := newStream(t, w)
	var (
		r     workload.Request
		out   []result.Outcome
		perOp = map[string][3]int{}
	)
	for range requests {
		s.Next(&r)
		for i, cmd := range send(ctx, c, w, &r) {
			op := w.Ops[r.Cmds[i].Op].Op
			outcome, class := workload.Outcome(op, cmd)
			if outcome == result.Error {
				t.Fatalf("request %d: %s failed (%s): %v", r.N, op.Name(), class, cmd.Err())
			}
			n := perOp[op.Name()]
			n[outcome]++
			perOp[op.Name()] = n
			out = append(out, outcome)
		}
	}
	t.Logf("[ok miss error] by op: %v", perOp)
	for _, name := range w.OpNames() {
		if perOp[name][result.OK] == 0 {
			t.Errorf("%s: %d ok, %d miss: want some ok", name, perOp[name][result.OK], perOp[name][result.Miss])
		}
	}
	return out
}
