package profile_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/keyspace"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
	"github.com/ecbench/ecbench/profile"
)

// sent is one workload ecbench drives at a server while it is profiled.
type sent struct {
	w    *workload.Workload
	rate float64 // requests a second, each one command
}

// drive preloads every workload on c and runs them open loop at their
// rates until the test ends. It returns each workload's count of requests
// sent (answered or failed, not dropped), so that the test compares the
// profile with what the generator really sent: on a starved CI host it may
// send less than its rate.
func drive(t *testing.T, c redis.UniversalClient, ws ...sent) []*atomic.Int64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, s := range ws {
		if err := s.w.Preload(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	counts := make([]*atomic.Int64, len(ws))
	for k, s := range ws {
		counts[k] = &atomic.Int64{}
		r, err := runner.New(runner.Config{Client: c, Workload: s.w, Schedule: schedule.Constant{PerSecond: s.rate},
			MaxInFlight: 256, Drain: time.Second, Recorder: sentCounter{counts[k]}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { r.Run(ctx) })
	}
	return counts
}

// sentCounter counts the requests that reached the server.
type sentCounter struct{ n *atomic.Int64 }

func (c sentCounter) Record(r result.Result) {
	if r.Outcome != result.Dropped {
		c.n.Add(1)
	}
}

func mustOp(t *testing.T, s workload.Structure, name string) workload.Op {
	t.Helper()
	op, err := workload.NewOp(s.Kind, name, workload.OpParams{Structure: s})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// share returns part/whole.
func share(part, whole uint64) float64 { return float64(part) / float64(whole) }

// TestProfileAccuracy profiles a server while ecbench's own kv and hash
// workloads load it at known rates, op weights and sizes, and checks that
// the profile gives them back: the op mix within 3 points of the weights,
// each kind's rate within 5%, the kv values' one size exactly, the hash
// elements' two sizes within 5 points of their shares; and that the
// config it writes loads.
func TestProfileAccuracy(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			elements, err := keyspace.NewSizeTable([]keyspace.SizeWeight{{Size: 16, Weight: 50}, {Size: 256, Weight: 50}})
			if err != nil {
				t.Fatal(err)
			}
			hs := workload.Structure{Kind: workload.KindHash, Elements: 20, ElementSizes: elements}
			kv := &workload.Workload{Name: "kv", Keys: workload.Keys{Prefix: "kv:", Count: 2000}, Values: workload.Values{Min: 100, Max: 100}, Seed: 1,
				Ops: []workload.Weighted{{Op: workload.Get{}, Weight: 70}, {Op: workload.Set{}, Weight: 30}}}
			hash := &workload.Workload{Name: "hash", Keys: workload.Keys{Prefix: "hash:", Count: 400}, Structure: hs, Seed: 2,
				Ops: []workload.Weighted{{Op: mustOp(t, hs, "hset"), Weight: 30}, {Op: mustOp(t, hs, "hget"), Weight: 50}, {Op: mustOp(t, hs, "hgetall"), Weight: 20}}}
			const kvRate, hashRate = 800, 400
			counts := drive(t, srv.Client(), sent{kv, kvRate}, sent{hash, hashRate})
			time.Sleep(300 * time.Millisecond) // past the runners' start

			o := profile.DefaultOptions()
			o.Target = target.Options{Addrs: []string{srv.Addr}}
			o.Duration, o.Sample, o.MaxRate = 5*time.Second, 2400, 4000
			kv0, hash0, start := counts[0].Load(), counts[1].Load(), time.Now()
			p, err := profile.Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			// What the generator sent while the profile ran (its window is
			// within these few milliseconds more).
			elapsed := time.Since(start).Seconds()
			kvSent, hashSent := float64(counts[0].Load()-kv0)/elapsed, float64(counts[1].Load()-hash0)/elapsed
			t.Logf("sent %.1f kv and %.1f hash requests/s (rates %d and %d)", kvSent, hashSent, kvRate, hashRate)
			var buf bytes.Buffer
			if err := profile.Write(&buf, p); err != nil {
				t.Fatal(err)
			}
			t.Logf("profile of %s:\n%s", e, buf.String())

			ws := p.Workloads()
			if len(ws) != 2 || ws[0].Kind != workload.KindKV || ws[1].Kind != workload.KindHash {
				t.Fatalf("workloads: %+v, want kv and hash", ws)
			}
			gotKV, gotHash := ws[0], ws[1]
			for _, c := range []struct {
				name      string
				got, want float64
				tolerance float64
			}{
				{"kv get share", share(gotKV.Ops["get"], gotKV.Calls), 0.7, 0.03},
				{"kv set share", share(gotKV.Ops["set"], gotKV.Calls), 0.3, 0.03},
				{"hash hset share", share(gotHash.Ops["hset"], gotHash.Calls), 0.3, 0.03},
				{"hash hget share", share(gotHash.Ops["hget"], gotHash.Calls), 0.5, 0.03},
				{"hash hgetall share", share(gotHash.Ops["hgetall"], gotHash.Calls), 0.2, 0.03},
				{"kv share of the calls", share(gotKV.Calls, gotKV.Calls+gotHash.Calls), kvSent / (kvSent + hashSent), 0.03},
				{"kv rate / sent", gotKV.Rate / kvSent, 1, 0.05},
				{"hash rate / sent", gotHash.Rate / hashSent, 1, 0.05},
				{"server rate / sent", p.Rate() / (kvSent + hashSent), 1, 0.05},
				{"kv keys / 2000", float64(gotKV.Keys) / 2000, 1, 0.05},
			} {
				if math.Abs(c.got-c.want) > c.tolerance {
					t.Errorf("%s: %.4f, want %.4f ± %.2f", c.name, c.got, c.want, c.tolerance)
				}
			}
			if len(gotKV.Sizes) != 1 || gotKV.Sizes[0].Size != 100 {
				t.Errorf("kv value sizes %+v, want all 100 bytes", gotKV.Sizes)
			}
			var small, large, all int
			for _, b := range gotHash.Sizes {
				all += b.Count
				switch b.Size {
				case 16:
					small += b.Count
				case 256:
					large += b.Count
				}
			}
			if small+large != all || math.Abs(float64(small)/float64(all)-0.5) > 0.05 {
				t.Errorf("hash element sizes %+v, want 16 and 256 bytes, half each ± 5 points", gotHash.Sizes)
			}
			if gotHash.Elements != 20 {
				t.Errorf("hash elements %d, want 20", gotHash.Elements)
			}
			if p.OwnRate() > o.MaxRate*1.05 {
				t.Errorf("the profiler sent %.0f commands/s, over its cap of %v", p.OwnRate(), o.MaxRate)
			}
			t.Logf("%s: sampled %d keys; own load %.0f commands/s; mix kv get %.4f set %.4f, hash hset %.4f hget %.4f hgetall %.4f; rate kv %.1f hash %.1f all %.1f",
				e, p.Sampled, p.OwnRate(), share(gotKV.Ops["get"], gotKV.Calls), share(gotKV.Ops["set"], gotKV.Calls),
				share(gotHash.Ops["hset"], gotHash.Calls), share(gotHash.Ops["hget"], gotHash.Calls), share(gotHash.Ops["hgetall"], gotHash.Calls),
				gotKV.Rate, gotHash.Rate, p.Rate())
			loadsAsConfig(t, buf.Bytes())
		})
	}
}

// loadsAsConfig checks that a written config is one that check, run and
// bench accept.
func loadsAsConfig(t *testing.T, yaml []byte) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "workload.yaml")
	if err := os.WriteFile(path, yaml, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil, nil)
	if err != nil {
		t.Fatalf("the written config does not load: %v\n%s", err, yaml)
	}
	return cfg
}

// TestProfileReadOnly profiles an idle server holding keys of every type
// and checks, in the server's own commandstats, that every command the
// profiler caused is in the allow-list, that its counts of what it sent
// are the server's, and so that nothing is left in the mix: an idle
// server has no calls.
func TestProfileReadOnly(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			c := srv.Client()
			ctx := context.Background()
			fill(t, c, 300)
			if err := c.ConfigResetStat(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			o := profile.DefaultOptions()
			o.Target = target.Options{Addrs: []string{srv.Addr}}
			o.Duration, o.Sample, o.MaxRate = 2*time.Second, 1000, 5000
			p, err := profile.Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			stats := commandStats(t, c)
			allow := profile.AllowList()
			for name, calls := range stats {
				if name != "config|resetstat" && !slices.Contains(allow, name) {
					t.Errorf("the server ran %s %d times, which is not in the allow-list %v", name, calls, allow)
				}
			}
			// The window's own commands are the server's, but for the
			// last INFOs, after it, and the PING and HELLO of the first
			// connection, before it.
			for name, n := range p.Own {
				want := stats[name]
				switch name {
				case "info":
					want -= 5
				case "hello":
					want--
				}
				if n != want {
					t.Errorf("%s: the profiler counted %d in the window, the server ran %d", name, n, want)
				}
			}
			if len(p.Calls) != 0 || p.Processed != 0 {
				t.Errorf("an idle server's calls, the profiler's left out: %v (processed %d), want none", p.Calls, p.Processed)
			}
			if p.Sampled != 305 || p.Types["stream"] == nil || p.Types["string"].Keys != 300 {
				t.Errorf("sampled %d keys, types %v; want 305: 300 strings and one of each other type", p.Sampled, p.Types)
			}
			var buf bytes.Buffer
			if err := profile.Write(&buf, p); err != nil {
				t.Fatal(err)
			}
			loadsAsConfig(t, buf.Bytes())
		})
	}
}

// fill writes n strings of 1 to 300 bytes and one key of every other type.
func fill(t *testing.T, c redis.Cmdable, n int) {
	t.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := range n {
		pipe.Set(ctx, "str:"+strconv.Itoa(i), bytes.Repeat([]byte("x"), 1+i), 0)
	}
	pipe.RPush(ctx, "list:1", "a", "bb", "ccc")
	pipe.HSet(ctx, "hash:1", "f", "value")
	pipe.SAdd(ctx, "set:1", "m1", "m2")
	pipe.ZAdd(ctx, "zset:1", redis.Z{Score: 1, Member: "z"})
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: "stream:1", Values: []string{"k", "v"}})
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// commandStats reads INFO commandstats: calls by command.
func commandStats(t *testing.T, c *redis.Client) map[string]uint64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for name, cs := range target.ParseNodeStats("", time.Now(), map[string]target.InfoFields{"commandstats": target.ParseInfoFields(info)}).Commands {
		out[name] = cs.Calls
	}
	return out
}

// TestProfileCluster profiles a three-primary cluster: every primary is
// read (its keys counted, sampled, scanned) and the keys are all of the
// cluster's.
func TestProfileCluster(t *testing.T) {
	t.Parallel()
	servers := servertest.StartCluster(t, servertest.Valkey, 3)
	cc := servertest.ClusterClient(t, servers)
	ctx := context.Background()
	for i := range 600 {
		if err := cc.Set(ctx, "k:"+strconv.Itoa(i), "value", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	o := profile.DefaultOptions()
	o.Target = target.Options{Addrs: []string{servers[0].Addr}, Mode: target.Cluster}
	o.Duration, o.Sample, o.MaxRate = 2*time.Second, 300, 5000
	p, err := profile.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 3 || p.Keys != 600 || p.Sampled != 300 || p.Mode != "cluster" {
		t.Fatalf("nodes %+v, keys %d, sampled %d, mode %q; want 3 primaries, 600 keys, 300 sampled, cluster", p.Nodes, p.Keys, p.Sampled, p.Mode)
	}
	for _, n := range p.Nodes {
		if n.Keys == 0 || n.Sampled == 0 || n.Scans == 0 {
			t.Errorf("primary %s: keys %d, sampled %d, scans %d; every primary must be read", n.Addr, n.Keys, n.Sampled, n.Scans)
		}
	}
	for _, srv := range servers {
		if got := commandStats(t, srv.Client())["scan"]; got == 0 {
			t.Errorf("primary %s ran no SCAN", srv.Addr)
		}
	}
	var buf bytes.Buffer
	if err := profile.Write(&buf, p); err != nil {
		t.Fatal(err)
	}
	loadsAsConfig(t, buf.Bytes())
}
