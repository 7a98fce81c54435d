package workload_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// step is one command of a scripted exchange with a real server and the
// outcome it must be classified as.
type step struct {
	op      workload.Op
	args    workload.Args
	outcome result.Outcome
	class   result.Class
}

func (s step) String() string {
	k := s.args.Key
	if s.args.Keys != nil {
		k = strings.Join(s.args.Keys, " ")
	}
	return s.op.Name() + " " + k
}

// TestOpsAgainstServers issues every op against real Redis and Valkey and
// checks how Outcome classifies the real replies: each script runs once
// command by command and once as one pipeline, as the runner sends requests
// deeper than one command.
func TestOpsAgainstServers(t *testing.T) {
	t.Parallel()
	value := []byte("not a number")
	get := func(k string, o result.Outcome, c result.Class) step {
		return step{workload.Get{}, workload.Args{Key: k}, o, c}
	}
	set := func(k string, v []byte) step {
		return step{workload.Set{}, workload.Args{Key: k, Value: v}, result.OK, result.ClassNone}
	}
	setTTL := func(k string, ttl time.Duration) step {
		return step{workload.SetTTL{TTL: ttl}, workload.Args{Key: k, Value: value, TTL: ttl}, result.OK, result.ClassNone}
	}
	mget := func(o result.Outcome, keys ...string) step {
		return step{workload.MGet{Batch: len(keys)}, workload.Args{Keys: keys}, o, result.ClassNone}
	}
	del := func(k string, o result.Outcome) step {
		return step{workload.Del{}, workload.Args{Key: k}, o, result.ClassNone}
	}
	incr := func(k string, o result.Outcome, c result.Class) step {
		return step{workload.Incr{}, workload.Args{Key: k}, o, c}
	}
	const ok, miss, fail, none = result.OK, result.Miss, result.Error, result.ClassNone

	tests := []struct {
		name  string
		setup func(ctx context.Context, c redis.Cmdable, p string) error
		steps func(p string) []step
		check func(t *testing.T, ctx context.Context, c redis.Cmdable, p string)
	}{
		{
			name: "get",
			steps: func(p string) []step {
				return []step{get(p+"1", miss, none), set(p+"1", value), get(p+"1", ok, none)}
			},
		},
		{
			name: "empty value is a hit",
			steps: func(p string) []step {
				return []step{set(p+"1", []byte{}), get(p+"1", ok, none), mget(ok, p+"1")}
			},
		},
		{
			name: "mget",
			steps: func(p string) []step {
				return []step{
					mget(miss, p+"1", p+"2", p+"3"),
					mget(miss, p+"1"),
					set(p+"2", value),
					mget(ok, p+"1", p+"2", p+"3"),
					mget(ok, p+"2"),
					mget(miss, p+"3", p+"3"),
				}
			},
		},
		{
			name: "del",
			steps: func(p string) []step {
				return []step{del(p+"1", miss), set(p+"1", value), del(p+"1", ok), del(p+"1", miss), get(p+"1", miss, none)}
			},
		},
		{
			name: "incr",
			steps: func(p string) []step {
				return []step{
					incr(p+"ctr:1", ok, none),
					incr(p+"ctr:1", ok, none),
					// Why INCR has its own namespace: on a SET key it fails.
					set(p+"1", value),
					incr(p+"1", fail, result.ClassOther),
				}
			},
			check: func(t *testing.T, ctx context.Context, c redis.Cmdable, p string) {
				if n, err := c.Get(ctx, p+"ctr:1").Int(); err != nil || n != 2 {
					t.Errorf("counter after two INCRs = %d (%v), want 2", n, err)
				}
			},
		},
		{
			name: "set_ttl",
			steps: func(p string) []step {
				return []step{
					setTTL(p+"sec", time.Minute),
					setTTL(p+"ms", 1500*time.Millisecond),
					setTTL(p+"persist", time.Minute),
					set(p+"persist", value), // a plain SET clears the TTL
					get(p+"sec", ok, none),
				}
			},
			check: func(t *testing.T, ctx context.Context, c redis.Cmdable, p string) {
				for _, k := range []struct {
					key      string
					min, max time.Duration
				}{
					{p + "sec", 50 * time.Second, time.Minute},
					{p + "ms", time.Millisecond, 1500 * time.Millisecond},
					{p + "persist", -1, -1}, // go-redis: -1ns for "no expiry"
				} {
					got, err := c.PTTL(ctx, k.key).Result()
					if err != nil {
						t.Fatalf("PTTL %s: %v", k.key, err)
					}
					if got < k.min || got > k.max {
						t.Errorf("PTTL %s = %v, want in [%v, %v]", k.key, got, k.min, k.max)
					}
				}
			},
		},
		{
			name: "wrong type",
			setup: func(ctx context.Context, c redis.Cmdable, p string) error {
				return c.RPush(ctx, p+"list", "a", "b").Err()
			},
			steps: func(p string) []step {
				return []step{
					get(p+"list", fail, result.ClassWrongType),
					incr(p+"list", fail, result.ClassWrongType),
					// MGET answers nil for a key of another type, not an error.
					mget(miss, p+"list"),
					del(p+"list", ok),
					get(p+"list", miss, none),
				}
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
						ops, args := make([]workload.Op, len(steps)), make([]*workload.Args, len(steps))
						for i := range steps {
							ops[i], args[i] = steps[i].op, &steps[i].args
						}
						cmds, executed := issueAll(ctx, c, pipelined, ops, args)
						if executed != len(steps) {
							t.Fatalf("pipeline of %d commands returned %d", len(steps), executed)
						}
						for i, s := range steps {
							outcome, class := workload.Outcome(s.op, cmds[i])
							if outcome != s.outcome || class != s.class {
								t.Errorf("step %d, %s: outcome (%v, %q), want (%v, %q); reply: %v", i, s, outcome, class, s.outcome, s.class, cmds[i])
							}
						}
						if tt.check != nil {
							tt.check(t, ctx, c, p)
						}
					})
				}
			}
			t.Run("canceled", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				cmd := workload.Get{}.Issue(ctx, c, &workload.Args{Key: "t:canceled"})
				if outcome, class := workload.Outcome(workload.Get{}, cmd); outcome != fail || class != result.ClassCanceled {
					t.Errorf("GET with a canceled context: outcome (%v, %q), want (error, canceled)", outcome, class)
				}
			})
		})
	}
}

// TestStreamAgainstServers sends the same seeded stream, every op in the
// mix, to a fresh Redis and a fresh Valkey, one request at a time. The
// counters' own namespace means no command fails, and since both engines
// see the same commands in the same order, they must answer with the same
// sequence of outcomes.
func TestStreamAgainstServers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pipeline int
		requests int
		dist     workload.Distribution
	}{
		{"single", 1, 1500, workload.Uniform},
		{"pipelined", 8, 400, workload.Zipfian},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := &workload.Workload{
				Name: "stream", Ops: allOps(), Pipeline: tt.pipeline, Seed: 1234,
				Keys:   workload.Keys{Prefix: "s:", Count: 300, Distribution: tt.dist, ZipfExponent: 0.99},
				Values: workload.Values{Min: 1, Max: 256},
			}
			outcomes := make([][]result.Outcome, len(servertest.Engines))
			t.Run("engines", func(t *testing.T) {
				for i, e := range servertest.Engines {
					t.Run(string(e), func(t *testing.T) {
						t.Parallel()
						outcomes[i] = runStream(t, servertest.Start(t, e).Client(), w, tt.requests)
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

// runStream sends requests of w's stream to c as the runner does, and
// returns the outcome of every command in order.
func runStream(t *testing.T, c *redis.Client, w *workload.Workload, requests int) []result.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s := newStream(t, w)
	var (
		r     workload.Request
		out   []result.Outcome
		perOp = map[string][3]int{}
		cmds  []redis.Cmder
	)
	for range requests {
		s.Next(&r)
		cmds = cmds[:0]
		if len(r.Cmds) == 1 {
			cmds = append(cmds, w.Ops[r.Cmds[0].Op].Op.Issue(ctx, c, &r.Cmds[0].Args))
		} else {
			pipe := c.Pipeline()
			for i := range r.Cmds {
				w.Ops[r.Cmds[i].Op].Op.Issue(ctx, pipe, &r.Cmds[i].Args)
			}
			cmds, _ = pipe.Exec(ctx)
		}
		if len(cmds) != len(r.Cmds) {
			t.Fatalf("request %d: %d commands answered, want %d", r.N, len(cmds), len(r.Cmds))
		}
		for i, cmd := range cmds {
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
	// Every op ran; reads and deletes both hit and missed over a small key
	// space; writes and counters always succeed.
	for _, name := range w.OpNames() {
		n := perOp[name]
		switch name {
		case "get", "mget", "del":
			if n[result.OK] == 0 || n[result.Miss] == 0 {
				t.Errorf("%s: %d ok, %d miss: want both", name, n[result.OK], n[result.Miss])
			}
		default:
			if n[result.OK] == 0 || n[result.Miss] != 0 {
				t.Errorf("%s: %d ok, %d miss: want only ok", name, n[result.OK], n[result.Miss])
			}
		}
	}
	return out
}
