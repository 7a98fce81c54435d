package runner

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// rawTarget is a target of addr with the given read timeout (0: the
// default), closed when the test ends.
func rawTarget(t testing.TB, addr string, readTimeout time.Duration) *target.Target {
	t.Helper()
	tg, err := target.New(target.Options{Name: "raw", Addrs: []string{addr}, ReadTimeout: readTimeout, PoolSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	return tg
}

// opResult is one (op, outcome, class) of a run.
type opResult struct {
	op      string
	outcome result.Outcome
	class   result.Class
}

func byOpResult(w *workload.Workload, rs []result.Result) map[opResult]int {
	names := w.OpNames()
	m := map[opResult]int{}
	for _, r := range rs {
		m[opResult{names[r.Op], r.Outcome, r.Class}]++
	}
	return m
}

// TestRawMatchesGoRedis runs the same closed-loop requests (one worker,
// so that the order is the stream's) by go-redis and by the raw path on
// both engines, from an empty server each time, for a workload of every
// op of each kind, pipelined and not: the same count of every op,
// outcome and class. The raw run's commands, as the server counted them
// (INFO commandstats), are those of its results.
func TestRawMatchesGoRedis(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			tg := rawTarget(t, srv.Addr, 0)
			admin := srv.Client()
			ctx := context.Background()
			for _, k := range workload.Kinds() {
				for _, pipeline := range []int{1, 5} {
					t.Run(fmt.Sprintf("%s pipeline %d", k, pipeline), func(t *testing.T) {
						w := kindWorkload(t, k, pipeline)
						var counts [2]map[opResult]int
						for i, raw := range []bool{false, true} {
							if err := admin.FlushAll(ctx).Err(); err != nil {
								t.Fatal(err)
							}
							if err := admin.ConfigResetStat(ctx).Err(); err != nil {
								t.Fatal(err)
							}
							rs := runOnPath(t, tg, Config{Workload: w, Workers: 1, Requests: 200, Drain: time.Second}, raw)
							if len(rs) != 200*pipeline {
								t.Fatalf("raw %v: %d results, want %d", raw, len(rs), 200*pipeline)
							}
							counts[i] = byOpResult(w, rs)
							if raw {
								checkCommandStats(t, admin, w, counts[i])
							}
						}
						if !maps.Equal(counts[0], counts[1]) {
							t.Errorf("results\nraw      %v\ngo-redis %v", counts[1], counts[0])
						}
						outcomes := map[result.Outcome]bool{}
						for k := range counts[0] {
							outcomes[k.outcome] = true
						}
						if !outcomes[result.OK] || k != workload.KindKV && !outcomes[result.Miss] {
							t.Errorf("outcomes %v: the run did not cover hits and misses", counts[0])
						}
					})
				}
			}
		})
	}
}

// kindWorkload is a workload of every op of kind k, over 20 keys.
func kindWorkload(t *testing.T, k workload.Kind, pipeline int) *workload.Workload {
	t.Helper()
	s := workload.Structure{Kind: k, Elements: 5, ElementSize: 8, RangeLen: 2}
	if k == workload.KindKV {
		s = workload.Structure{}
	}
	w := &workload.Workload{
		Name: string(k), Keys: workload.Keys{Prefix: "raw:", Count: 20, Distribution: workload.Uniform},
		Values: workload.Values{Min: 8, Max: 40}, Structure: s, Pipeline: pipeline, Seed: 11,
	}
	for _, name := range workload.OpNamesFor(k) {
		op, err := workload.NewOp(k, name, workload.OpParams{TTL: time.Minute, MGetBatch: 3, Structure: s})
		if err != nil {
			t.Fatal(err)
		}
		w.Ops = append(w.Ops, workload.Weighted{Op: op, Weight: 1})
	}
	return w
}

// checkCommandStats compares the server's count of each command with the
// results recorded: one command per result of its op, and an LTRIM per
// capped push.
func checkCommandStats(t *testing.T, admin *redis.Client, w *workload.Workload, counts map[opResult]int) {
	t.Helper()
	want := map[string]int64{}
	for k, n := range counts {
		name := k.op
		switch name {
		case "set_ttl":
			name = "set"
		case "lpush", "rpush":
			want["ltrim"] += int64(n)
		}
		want[name] += int64(n)
	}
	info, err := admin.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		var calls int64
		if _, err := fmt.Sscanf(rest, "%d", &calls); err != nil {
			t.Fatal(err)
		}
		if _, ours := want[name]; ours {
			got[name] = calls
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("commands counted by the server %v, want the results' %v", got, want)
	}
}

// TestRawReplay replays a trace closed-loop on the raw path to its end:
// every command sent once and answered, as on the go-redis path.
func TestRawReplay(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	tg := rawTarget(t, srv.Addr, 0)
	var lines []string
	for i := range 60 {
		lines = append(lines, fmt.Sprintf("0,SET,k%d,10", i%7), fmt.Sprintf("0,GET,k%d", i%9), fmt.Sprintf("0,HGET,k%d,f", i%5))
	}
	path := filepath.Join(t.TempDir(), "trace.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var counts [2]map[opResult]int
	for i, raw := range []bool{false, true} {
		if err := srv.Client().FlushAll(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		w, err := workload.NewReplayWorkload("r", "t:", 1, 4, workload.ReplayOptions{
			Trace: trace.Source{Path: path, Format: trace.Ecbench}, MaxValueSize: 64})
		if err != nil {
			t.Fatal(err)
		}
		rs := runOnPath(t, tg, Config{Workload: w, Workers: 1, Drain: time.Second, StopAtEnd: true}, raw)
		if len(rs) != len(lines) {
			t.Errorf("raw %v: %d results, want %d", raw, len(rs), len(lines))
		}
		counts[i] = byOpResult(w, rs)
	}
	if !maps.Equal(counts[0], counts[1]) {
		t.Errorf("results\nraw      %v\ngo-redis %v", counts[1], counts[0])
	}
	if counts[1][opResult{"hget", result.Error, result.ClassWrongType}] == 0 {
		t.Errorf("results %v: want WRONGTYPE errors of HGET on strings", counts[1])
	}
}

// TestRawOnlyWhereItServes checks that the raw path is taken only with
// every op a RawOp, and in the open loop only with pool limits.
func TestRawOnlyWhereItServes(t *testing.T) {
	t.Parallel()
	tg := rawTarget(t, "127.0.0.1:1", 0)
	foreign := kvWorkload(1)
	foreign.Ops = append(foreign.Ops, workload.Weighted{Op: foreignOp{}, Weight: 1})
	for _, tc := range []struct {
		name string
		cfg  Config
		raw  bool
	}{
		{"closed loop", Config{Raw: tg.RawDialer(), Workload: kvWorkload(1)}, true},
		{"no dialer", Config{Workload: kvWorkload(1)}, false},
		{"open loop without pool limits", Config{Raw: tg.RawDialer(), Workload: kvWorkload(1), Schedule: schedule.Constant{PerSecond: 1}}, false},
		{"open loop", Config{Raw: tg.RawDialer(), RawPool: tg.RawPoolLimits(), Workload: kvWorkload(1), Schedule: schedule.Constant{PerSecond: 1}}, true},
		{"a foreign op", Config{Raw: tg.RawDialer(), Workload: foreign}, false},
	} {
		r, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.Raw() != tc.raw {
			t.Errorf("%s: Raw() = %v, want %v", tc.name, r.Raw(), tc.raw)
		}
	}
}

// foreignOp is an op from outside package workload: no RawOp.
type foreignOp struct{}

func (foreignOp) Name() string                              { return "foreign" }
func (foreignOp) Prepare(g *workload.Gen, a *workload.Args) { a.Key = g.Key() }
func (foreignOp) Issue(ctx context.Context, c redis.Cmdable, a *workload.Args) redis.Cmder {
	return c.Get(ctx, a.Key)
}

// TestRawServerKilledAndBack kills the server under raw closed-loop
// workers and restarts it: requests fail while it is down (refused, or
// backed off), the workers dial again, and the last requests are all
// answered.
func TestRawServerKilledAndBack(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []int{1, 4} {
		t.Run(fmt.Sprintf("pipeline %d", pipeline), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, servertest.Valkey)
			tg := rawTarget(t, srv.Addr, 0)
			var col collector
			r, err := New(Config{Raw: tg.RawDialer(), Workload: kvWorkload(pipeline), Workers: 4, Drain: time.Second, Recorder: &col})
			if err != nil {
				t.Fatal(err)
			}
			throughRestart(r, srv, &col, 300*time.Millisecond)
			rs := col.snapshot()
			all, tail := count(rs), count(rs[len(rs)-1000:])
			if all.byClass[result.ClassConnRefused] == 0 {
				t.Errorf("classes while the server was down %v, want conn_refused", all.byClass)
			}
			for c := range all.byClass {
				if !slices.Contains([]result.Class{result.ClassConnRefused, result.ClassBackoff, result.ClassConnReset, result.ClassCanceled}, c) {
					t.Errorf("class %v while the server was down (%v)", c, all.byClass)
				}
			}
			if tail.byOutcome[result.OK]+tail.byOutcome[result.Miss] == 0 || tail.byOutcome[result.Error] != 0 {
				t.Errorf("the last 1,000 results: outcomes %v classes %v, want only answers", tail.byOutcome, tail.byClass)
			}
			if r.InFlight() != 0 {
				t.Errorf("%d in flight after Run", r.InFlight())
			}
		})
	}
}

// TestRawStall freezes the server under raw closed-loop workers for 1 s:
// no request fails (the read timeout is longer), and the freeze is one
// reply gap of about its length, reported as a stall. It does not run in
// parallel, as the stall tests.
func TestRawStall(t *testing.T) {
	srv := servertest.Start(t, servertest.Redis)
	tg := rawTarget(t, srv.Addr, 5*time.Second)
	var col collector
	var stalls stallCollector
	r, err := New(Config{Raw: tg.RawDialer(), Workload: kvWorkload(1), Workers: 8, Drain: 5 * time.Second, Recorder: &col, Stalls: &stalls})
	if err != nil {
		t.Fatal(err)
	}
	stop := background(r)
	time.Sleep(500 * time.Millisecond)
	srv.Freeze()
	time.Sleep(time.Second)
	srv.Thaw()
	time.Sleep(500 * time.Millisecond)
	<-stop()
	c := count(col.snapshot())
	if c.byOutcome[result.Error] != 0 {
		t.Errorf("errors %v, want none: the read timeout outlasts the freeze", c.byClass)
	}
	if gap := r.MaxReplyGap(); gap < 500*time.Millisecond || gap > 5*time.Second {
		t.Errorf("max reply gap %v, want about the 1 s freeze", gap)
	}
	if len(stalls.gaps) == 0 || slices.Max(stalls.gaps) < 500*time.Millisecond {
		t.Errorf("stalls %v, want one of about 1 s", stalls.gaps)
	}
	if c.maxLat < 500*time.Millisecond {
		t.Errorf("max latency %v, want the freeze in it", c.maxLat)
	}
}

// TestRawDrainCancels stops a raw closed-loop run while the server is
// frozen and the read timeout is a minute: once Drain is over the
// in-flight reads are cut short, their requests are class canceled, and
// Run returns with nothing in flight, long before the read timeout.
func TestRawDrainCancels(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	tg := rawTarget(t, srv.Addr, time.Minute)
	for _, pipeline := range []int{1, 3} {
		var col collector
		r, err := New(Config{Raw: tg.RawDialer(), Workload: kvWorkload(pipeline), Workers: 4, Drain: 200 * time.Millisecond, Recorder: &col})
		if err != nil {
			t.Fatal(err)
		}
		stop := background(r)
		time.Sleep(200 * time.Millisecond)
		srv.Freeze()
		time.Sleep(100 * time.Millisecond)
		select {
		case <-stop():
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return after Drain: the in-flight reads were not cut short")
		}
		srv.Thaw()
		c := count(col.snapshot())
		if got := c.byClass[result.ClassCanceled]; got != 4*pipeline || c.byOutcome[result.Error] != got {
			t.Errorf("pipeline %d: errors %v, want the %d commands in flight canceled", pipeline, c.byClass, 4*pipeline)
		}
		if r.InFlight() != 0 {
			t.Errorf("%d in flight after Run", r.InFlight())
		}
	}
}

// TestRawConnRefresh checks that a raw worker dials again once its
// connection is stickyConnRefresh old, and not before.
func TestRawConnRefresh(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	tg := rawTarget(t, srv.Addr, 0)
	w := &rawConn{dialer: tg.RawDialer(), ctx: context.Background(), counts: &connCounters{}}
	defer w.drop()
	t0 := time.Now()
	first, err := w.get(t0)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := w.get(t0.Add(stickyConnRefresh - time.Millisecond)); again != first {
		t.Fatal("the connection was replaced before stickyConnRefresh")
	}
	second, err := w.get(t0.Add(stickyConnRefresh))
	if err != nil || second == first {
		t.Fatalf("the connection was kept past stickyConnRefresh (%v)", err)
	}
	clients, err := srv.Client().ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	// The test's own client and the worker's one connection: the old one
	// was closed.
	if n := strings.Count(clients, "\n"); n != 2 {
		t.Errorf("%d connections on the server, want 2:\n%s", n, clients)
	}
}

// TestRawResultsAreBatched is TestPipelineResultsAreBatched on the raw
// path: a pipeline's equal results reach a BatchRecorder as one RecordN.
func TestRawResultsAreBatched(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	tg := rawTarget(t, srv.Addr, 0)
	w := kvWorkload(16)
	w.Ops = []workload.Weighted{{Op: workload.Set{}, Weight: 1}}
	var col batchCollector
	r, err := New(Config{Raw: tg.RawDialer(), Workload: w, Workers: 2, Requests: 50, Drain: time.Second, Recorder: &col})
	if err != nil {
		t.Fatal(err)
	}
	runFor(r, 10*time.Second)
	rs := col.snapshot()
	if c := count(rs); len(rs) != 50*16 || c.byOutcome[result.OK] != 50*16 {
		t.Fatalf("%d results %v, want %d ok", len(rs), c.byOutcome, 50*16)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.batches) != 50 || slices.Min(col.batches) != 16 {
		t.Errorf("RecordN calls %v, want 50 batches of 16", col.batches)
	}
	for _, res := range rs {
		if !res.Intended.Equal(res.Sent) || res.Done.Before(res.Sent) {
			t.Fatalf("closed-loop result %+v: want intended = sent <= done", res)
		}
	}
}

// background runs r until the stop it returns is called: stop cancels
// Run's context and returns a channel closed once Run has returned.
func background(r *Runner) (stop func() <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	return func() <-chan struct{} { cancel(); return done }
}

// runOnPath runs cfg on tg through the raw path or go-redis, checks that
// the runner took the path asked for, and returns its results.
func runOnPath(t *testing.T, tg *target.Target, cfg Config, raw bool) []result.Result {
	t.Helper()
	var col collector
	cfg.Client, cfg.Recorder = tg.Client(), &col
	if raw {
		cfg.Raw, cfg.RawPool = tg.RawDialer(), tg.RawPoolLimits()
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Raw() != raw {
		t.Fatalf("Raw() = %v, want %v", r.Raw(), raw)
	}
	runFor(r, 20*time.Second)
	return col.snapshot()
}
