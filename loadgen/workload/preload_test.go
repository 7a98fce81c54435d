package workload_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// readOps are the ops of each kind that only read, which must all hit
// after a preload.
var readOps = map[workload.Kind][]string{
	"kv":   {"get", "mget"},
	"list": {"lrange", "llen", "lindex"},
	"hash": {"hget", "hmget", "hgetall", "hlen"},
	"set":  {"sismember", "smembers", "scard", "srandmember", "sinter"},
	"zset": {"zscore", "zrank", "zrange", "zrangebyscore", "zrevrange", "zcard"},
}

// TestPreload preloads each kind over keys that already hold junk (another
// type, a larger structure), then checks every structure's exact contents
// and that every read op hits.
func TestPreload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		s      workload.Structure
		values workload.Values
		count  uint64
		// Pipelines hold 256 commands or 4 MiB: how many times at least
		// a preload must report progress.
		progress int
	}{
		{"kv fixed", workload.Structure{}, workload.Values{Min: 32, Max: 32}, 300, 2},
		{"kv ranged", workload.Structure{Kind: "kv"}, workload.Values{Min: 1, Max: 100}, 300, 2},
		{"list", workload.Structure{Kind: "list", Elements: 100, ElementSize: 16, RangeLen: 7}, workload.Values{}, 300, 3},
		{"hash", workload.Structure{Kind: "hash", Elements: 100, ElementSize: 16, RangeLen: 7}, workload.Values{}, 300, 3},
		{"set", workload.Structure{Kind: "set", Elements: 100, ElementSize: 16}, workload.Values{}, 300, 3},
		{"zset", workload.Structure{Kind: "zset", Elements: 100, ElementSize: 0, RangeLen: 20}, workload.Values{}, 300, 3},
		// More elements than one command carries; 6.4 MB of lists in 12
		// commands fill a pipeline by bytes.
		{"large lists", workload.Structure{Kind: "list", Elements: 2000, ElementSize: 800}, workload.Values{}, 4, 2},
		{"large hashes", workload.Structure{Kind: "hash", Elements: 2100, ElementSize: 10}, workload.Values{}, 3, 1},
		{"large sets", workload.Structure{Kind: "set", Elements: 2100, ElementSize: 10}, workload.Values{}, 3, 1},
		{"large zsets", workload.Structure{Kind: "zset", Elements: 2100, ElementSize: 10}, workload.Values{}, 3, 1},
		{"one element", workload.Structure{Kind: "zset", Elements: 1}, workload.Values{}, 10, 1},
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
					kind := tt.s.Kind
					if kind == "" {
						kind = workload.KindKV
					}
					w := structureWorkload(t, tt.s, "pre:"+tt.name+":", tt.count, 4, 5, readOps[kind]...)
					w.Values = tt.values
					// Junk: a key of another type, and a larger structure
					// with members outside the universe.
					must(t, c.Set(ctx, w.Keys.Prefix+"0", "junk", 0).Err())
					if kind == workload.KindKV {
						must(t, c.RPush(ctx, w.Keys.Prefix+"1", "junk").Err())
					} else {
						src := structureWorkload(t, workload.Structure{Kind: kind, Elements: tt.s.Elements + 50, ElementSize: 3}, w.Keys.Prefix, 2, 1, 1, readOps[kind][0])
						src.Keys.Count = 2
						must(t, src.Preload(ctx, c, nil))
						must(t, c.Set(ctx, w.Keys.Prefix+"0", "junk", 0).Err())
					}

					var calls [][2]int64
					err := w.Preload(ctx, c, func(done, total int64) { calls = append(calls, [2]int64{done, total}) })
					if err != nil {
						t.Fatalf("Preload: %v", err)
					}
					checkProgress(t, calls, int64(tt.count))
					if len(calls) < tt.progress {
						t.Errorf("progress reported %d times (%v), want at least %d", len(calls), calls, tt.progress)
					}
					if err := checkPreloaded(ctx, c, w); err != nil {
						t.Fatal(err)
					}
					// Every read hits, and range reads return RangeLen items.
					st := newStream(t, w)
					var r workload.Request
					for range 50 {
						st.Next(&r)
						for i, cmd := range send(ctx, c, w, &r) {
							op := w.Ops[r.Cmds[i].Op].Op
							if outcome, class := workload.Outcome(op, cmd); outcome != result.OK {
								t.Fatalf("%s after preload: %v (%s): %v", op.Name(), outcome, class, cmd)
							}
							switch op.Name() {
							case "lrange", "zrange", "zrangebyscore", "zrevrange":
								rangeLen := cmp.Or(w.Structure.RangeLen, workload.DefaultRangeLen)
								if got, want := len(cmd.(*redis.StringSliceCmd).Val()), min(rangeLen, w.Structure.Elements); got != want {
									t.Fatalf("%s after preload: %d items, want %d", op.Name(), got, want)
								}
							}
						}
					}
				})
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkProgress checks the progress reports of a preload of total keys:
// increasing, within [1, total], the last one complete.
func checkProgress(t *testing.T, calls [][2]int64, total int64) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatal("progress never called")
	}
	prev := int64(0)
	for _, c := range calls {
		if c[1] != total || c[0] <= prev || c[0] > total {
			t.Fatalf("progress calls %v: want done increasing in [1, %d], total %d", calls, total, total)
		}
		prev = c[0]
	}
	if last := calls[len(calls)-1]; last[0] != total {
		t.Fatalf("last progress call %v, want done = total = %d", last, total)
	}
}

// checkPreloaded checks that every key of w holds exactly what Preload
// writes, reading them all in one pipeline.
func checkPreloaded(ctx context.Context, c redis.Cmdable, w *workload.Workload) error {
	s := w.Structure
	e := s.Elements
	width := len(strconv.Itoa(e - 1))
	name := func(prefix string, j, size int) string {
		n := fmt.Sprintf("%s%0*d", prefix, width, j)
		return n + strings.Repeat(".", max(size-len(n), 0))
	}
	kind := cmp.Or(s.Kind, workload.KindKV)
	wantType := map[workload.Kind]string{"kv": "string", "list": "list", "hash": "hash", "set": "set", "zset": "zset"}[kind]
	pipe := c.Pipeline()
	types := make([]*redis.StatusCmd, w.Keys.Count)
	reads := make([]redis.Cmder, w.Keys.Count)
	for i := range w.Keys.Count {
		key := w.Keys.Prefix + strconv.FormatUint(i, 10)
		types[i] = pipe.Type(ctx, key)
		switch kind {
		case workload.KindKV:
			reads[i] = pipe.Get(ctx, key)
		case workload.KindList:
			reads[i] = pipe.LRange(ctx, key, 0, -1)
		case workload.KindHash:
			reads[i] = pipe.HGetAll(ctx, key)
		case workload.KindSet:
			reads[i] = pipe.SMembers(ctx, key)
		case workload.KindZSet:
			reads[i] = pipe.ZRangeWithScores(ctx, key, 0, -1)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	for i, typ := range types {
		key := typ.Args()[1]
		if typ.Val() != wantType {
			return fmt.Errorf("%s is a %s, want a %s", key, typ.Val(), wantType)
		}
		switch r := reads[i].(type) {
		case *redis.StringCmd: // kv
			if v := r.Val(); len(v) < w.Values.Min || len(v) > w.Values.Max {
				return fmt.Errorf("%s = %d bytes, want [%d, %d]", key, len(v), w.Values.Min, w.Values.Max)
			}
		case *redis.StringSliceCmd:
			items := r.Val()
			if len(items) != e {
				return fmt.Errorf("%s %s: %d items, want %d", kind, key, len(items), e)
			}
			if kind == workload.KindSet {
				slices.Sort(items)
			}
			for j, it := range items {
				if kind == workload.KindSet && it != name("m:", j, s.ElementSize) {
					return fmt.Errorf("set %s: member %q, want %q", key, it, name("m:", j, s.ElementSize))
				}
				if kind == workload.KindList && len(it) != s.ElementSize {
					return fmt.Errorf("list %s: item of %d bytes, want %d", key, len(it), s.ElementSize)
				}
			}
		case *redis.MapStringStringCmd:
			h := r.Val()
			if len(h) != e {
				return fmt.Errorf("hash %s: %d fields, want %d", key, len(h), e)
			}
			for j := range e {
				if v, ok := h[name("f:", j, 0)]; !ok || len(v) != s.ElementSize {
					return fmt.Errorf("hash %s: field %s = %d bytes (present: %v), want %d", key, name("f:", j, 0), len(v), ok, s.ElementSize)
				}
			}
		case *redis.ZSliceCmd:
			zs := r.Val()
			if len(zs) != e {
				return fmt.Errorf("zset %s: %d members, want %d", key, len(zs), e)
			}
			for j, z := range zs {
				if z.Member != name("m:", j, s.ElementSize) || z.Score != float64(j) {
					return fmt.Errorf("zset %s: rank %d is %v, want %s with score %d", key, j, z, name("m:", j, s.ElementSize), j)
				}
			}
		}
	}
	return nil
}

// TestPreloadSameOnBothEngines preloads Redis and Valkey and compares
// everything they hold, byte for byte.
func TestPreloadSameOnBothEngines(t *testing.T) {
	t.Parallel()
	clients := make([]*redis.Client, len(servertest.Engines))
	for i, e := range servertest.Engines {
		clients[i] = servertest.Start(t, e).Client()
	}
	for _, k := range workload.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			s := workload.Structure{Kind: k, Elements: 30, ElementSize: 10}
			w := &workload.Workload{Structure: s, Keys: workload.Keys{Prefix: "same:" + string(k) + ":", Count: 50}, Values: workload.Values{Min: 1, Max: 64}, Seed: 17}
			dumps := make([]string, len(clients))
			for i, c := range clients {
				must(t, w.Preload(ctx, c, nil))
				dumps[i] = dump(t, ctx, c, w)
			}
			if dumps[0] != dumps[1] {
				t.Errorf("%s and %s hold different data after the same preload", servertest.Engines[0], servertest.Engines[1])
			}
			// Set and zset members do not depend on the seed; values do.
			if k == workload.KindSet || k == workload.KindZSet {
				return
			}
			w2 := *w
			w2.Seed, w2.Keys.Prefix = 18, "other:"+string(k)+":"
			must(t, w2.Preload(ctx, clients[0], nil))
			if dump(t, ctx, clients[0], &w2) == dumps[0] {
				t.Error("seeds 17 and 18 preloaded the same values")
			}
		})
	}
}

// dump returns everything w's keys hold on c, in a canonical form.
func dump(t *testing.T, ctx context.Context, c redis.Cmdable, w *workload.Workload) string {
	t.Helper()
	var b strings.Builder
	for i := range w.Keys.Count {
		key := w.Keys.Prefix + strconv.FormatUint(i, 10)
		var v any
		var err error
		switch w.Structure.Kind {
		case workload.KindKV:
			v, err = c.Get(ctx, key).Result()
		case workload.KindList:
			v, err = c.LRange(ctx, key, 0, -1).Result()
		case workload.KindHash:
			v, err = c.HGetAll(ctx, key).Result() // fmt prints maps sorted
		case workload.KindSet:
			var m []string
			m, err = c.SMembers(ctx, key).Result()
			slices.Sort(m)
			v = m
		case workload.KindZSet:
			v, err = c.ZRangeWithScores(ctx, key, 0, -1).Result()
		}
		if err != nil {
			t.Fatalf("reading %s: %v", key, err)
		}
		fmt.Fprintf(&b, "%d=%q\n", i, v)
	}
	return b.String()
}

// TestPreloadCluster preloads through a cluster client: each pipeline's
// commands go to the nodes owning their keys.
func TestPreloadCluster(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			nodes := servertest.StartCluster(t, e, 3)
			c := servertest.ClusterClient(t, nodes)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			for _, k := range workload.Kinds() {
				s := workload.Structure{Kind: k, Elements: 40, ElementSize: 8}
				w := &workload.Workload{Structure: s, Keys: workload.Keys{Prefix: "cl:" + string(k) + ":", Count: 300}, Values: workload.Values{Min: 8, Max: 8}}
				var last int64
				if err := w.Preload(ctx, c, func(done, _ int64) { last = done }); err != nil {
					t.Fatalf("%s: Preload: %v", k, err)
				}
				if last != 300 {
					t.Errorf("%s: last progress %d, want 300", k, last)
				}
				if err := checkPreloaded(ctx, c, w); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
			}
			// Every node got some of the keys.
			for _, n := range nodes {
				if size := n.Client().DBSize(ctx).Val(); size == 0 {
					t.Errorf("node %s holds no keys", n.Addr)
				}
			}
		})
	}
}

// TestPreloadStops checks that a preload stops when its context is done,
// before it starts or between pipelines, and at the first failed command.
func TestPreloadStops(t *testing.T) {
	t.Parallel()
	s := workload.Structure{Kind: workload.KindSet, Elements: 100, ElementSize: 16}
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			c := servertest.Start(t, e).Client()
			t.Run("canceled before", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				w := &workload.Workload{Structure: s, Keys: workload.Keys{Prefix: "stop:before:", Count: 10}}
				if err := w.Preload(ctx, c, nil); !errors.Is(err, context.Canceled) {
					t.Errorf("Preload with a canceled context: %v, want context.Canceled", err)
				}
				if n := c.Exists(t.Context(), "stop:before:0").Val(); n != 0 {
					t.Error("a canceled preload wrote")
				}
			})
			t.Run("canceled between pipelines", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				w := &workload.Workload{Structure: s, Keys: workload.Keys{Prefix: "stop:between:", Count: 1000}}
				var calls []int64
				err := w.Preload(ctx, c, func(done, _ int64) {
					calls = append(calls, done)
					cancel()
				})
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Preload canceled from progress: %v, want context.Canceled", err)
				}
				if len(calls) != 1 || calls[0] >= 1000 {
					t.Errorf("progress %v, want one call, before the end", calls)
				}
			})
			t.Run("command fails", func(t *testing.T) {
				t.Parallel()
				// 10 MB of lists on a server of 4 MB.
				c := servertest.Start(t, e, "maxmemory", "4mb").Client()
				w := &workload.Workload{Structure: workload.Structure{Kind: "list", Elements: 100, ElementSize: 1000}, Keys: workload.Keys{Prefix: "stop:oom:", Count: 100}}
				err := w.Preload(t.Context(), c, nil)
				if result.Classify(err) != result.ClassOOM || !strings.HasPrefix(fmt.Sprint(err), "preload: rpush stop:oom:") {
					t.Errorf("Preload over maxmemory: %v, want an OOM error naming the command and key", err)
				}
			})
		})
	}
}

func TestPreloadInvalid(t *testing.T) {
	t.Parallel()
	// Never dialed: every case fails before sending anything.
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = c.Close() })
	tests := []struct {
		name    string
		w       workload.Workload
		wantErr string
	}{
		{"no keys", workload.Workload{Structure: workload.Structure{Kind: "set", Elements: 1}}, "preload: key count must be > 0"},
		{"no elements", workload.Workload{Structure: workload.Structure{Kind: "list"}, Keys: workload.Keys{Count: 1}}, "preload: list structure: elements must be > 0, got 0"},
		{"unknown kind", workload.Workload{Structure: workload.Structure{Kind: "bitmap"}, Keys: workload.Keys{Count: 1}}, `preload: unknown workload kind "bitmap": want one of kv, list, hash, set, zset`},
		{"kv value sizes", workload.Workload{Values: workload.Values{Min: 3, Max: 2}, Keys: workload.Keys{Count: 1}}, "preload: value sizes: need 0 <= min <= max, got [3, 2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.w.Preload(t.Context(), c, func(int64, int64) { t.Error("progress reported") })
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Preload error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
