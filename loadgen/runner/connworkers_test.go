package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// The open loop's raw path (connworkers.go), against go-redis' on the same
// servers.

// TestRawOpenLoopMatchesGoRedis runs the same open-loop requests by
// go-redis and by the raw path's connection workers on both engines, from
// an empty server each time, for a workload of every op of each kind: the
// same count of every op, answered without an error on both, what the
// server counted (INFO commandstats), and times from the intended start.
// Hits and misses are TestRawMatchesGoRedis' (one closed-loop worker): in
// an open loop two requests may be in flight at once, so their order, and
// what each finds, may differ between runs.
func TestRawOpenLoopMatchesGoRedis(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			tg := rawTarget(t, srv.Addr, 0)
			admin := srv.Client()
			ctx := context.Background()
			for _, k := range workload.Kinds() {
				for _, pipeline := range []int{1, 4} {
					t.Run(fmt.Sprintf("%s pipeline %d", k, pipeline), func(t *testing.T) {
						w := kindWorkload(t, k, pipeline)
						names := w.OpNames()
						var ops [2]map[string]int
						for i, raw := range []bool{false, true} {
							if err := admin.FlushAll(ctx).Err(); err != nil {
								t.Fatal(err)
							}
							if err := admin.ConfigResetStat(ctx).Err(); err != nil {
								t.Fatal(err)
							}
							cfg := Config{Workload: w, Schedule: schedule.Constant{PerSecond: 1000}, MaxInFlight: 1000, Requests: 150, Drain: time.Second}
							rs := runOnPath(t, tg, cfg, raw)
							if len(rs) != 150*pipeline {
								t.Fatalf("raw %v: %d results, want %d", raw, len(rs), 150*pipeline)
							}
							ops[i] = map[string]int{}
							for _, res := range rs {
								if res.Sent.Before(res.Intended) || res.Done.Before(res.Sent) {
									t.Fatalf("raw %v: result %+v: want intended <= sent <= done", raw, res)
								}
								if res.Outcome != result.OK && res.Outcome != result.Miss {
									t.Errorf("raw %v: %s: outcome %v class %v, want an answer", raw, names[res.Op], res.Outcome, res.Class)
								}
								ops[i][names[res.Op]]++
							}
							if raw {
								checkCommandStats(t, admin, w, byOpResult(w, rs))
							}
						}
						if !maps.Equal(ops[0], ops[1]) {
							t.Errorf("ops\nraw      %v\ngo-redis %v", ops[1], ops[0])
						}
					})
				}
			}
		})
	}
}

// TestRawOpenLoopPoolTimeout freezes the server under an open loop with
// two connections, a 500 ms read timeout (a pool timeout of 1.5 s, as
// go-redis derives it) and room for every request in flight, on each
// path: requests on the connections time out, the ones waiting for a
// connection longer than the pool timeout fail with pool_timeout, and
// both paths give the same classes, in about the same numbers. The raw
// path never holds more than its two connections.
func TestRawOpenLoopPoolTimeout(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	admin := srv.Client()
	var classes [2]map[result.Class]int
	for i, raw := range []bool{false, true} {
		// A target each: the go-redis run's idle connections are closed
		// before the raw run's are counted.
		tg, err := target.New(target.Options{Name: "small", Addrs: []string{srv.Addr}, ReadTimeout: 500 * time.Millisecond, PoolSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if lim := tg.RawPoolLimits(); lim.Size != 2 || lim.Timeout != 1500*time.Millisecond {
			t.Fatalf("pool limits %+v, want 2 connections and go-redis' 1.5 s pool timeout", lim)
		}
		var col collector
		cfg := Config{Client: tg.Client(), Workload: kvWorkload(1), Schedule: schedule.Constant{PerSecond: 200},
			MaxInFlight: 2000, Drain: 5 * time.Second, Recorder: &col}
		if raw {
			cfg.Raw, cfg.RawPool = tg.RawDialer(), tg.RawPoolLimits()
		}
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		stop := background(r)
		time.Sleep(300 * time.Millisecond)
		srv.Freeze()
		time.Sleep(2500 * time.Millisecond)
		srv.Thaw()
		if raw {
			clients, err := admin.ClientList(context.Background()).Result()
			if err != nil {
				t.Fatal(err)
			}
			// The admin client's and the runner's two (a timed-out one is
			// replaced, never added to).
			if n := strings.Count(clients, "\n"); n > 3 {
				t.Errorf("%d connections on the server, want at most the pool's 2 and the admin's:\n%s", n, clients)
			}
		}
		time.Sleep(300 * time.Millisecond)
		<-stop()
		_ = tg.Close()
		c := count(col.snapshot())
		classes[i] = c.byClass
		if c.byClass[result.ClassTimeout] == 0 || c.byClass[result.ClassPoolTimeout] == 0 {
			t.Errorf("raw %v: classes %v, want timeouts and pool timeouts", raw, c.byClass)
		}
		if c.byOutcome[result.Dropped] != 0 {
			t.Errorf("raw %v: %d dropped, want none (room for all in flight)", raw, c.byOutcome[result.Dropped])
		}
		if r.InFlight() != 0 || r.Workers() != 0 {
			t.Errorf("raw %v: %d in flight, %d workers after Run", raw, r.InFlight(), r.Workers())
		}
		if cs := r.ConnStats(); raw {
			// What ecbench_pool_* adds for the raw path: every pool timeout,
			// a wait for each request that found both connections busy, no
			// connection left open.
			if cs.Timeouts != uint64(c.byClass[result.ClassPoolTimeout]) || cs.Waits < cs.Timeouts || cs.WaitNs <= 0 ||
				cs.Conns != 0 || cs.Idle != 0 || cs.Pending != 0 || cs.Misses < 2 || cs.Hits == 0 || cs.Stale == 0 {
				t.Errorf("raw connection stats %+v after Run (pool timeouts %d)", cs, c.byClass[result.ClassPoolTimeout])
			}
		} else if cs != (ConnStats{}) {
			t.Errorf("go-redis path: raw connection stats %+v, want none", cs)
		}
	}
	if !slices.Equal(slices.Sorted(maps.Keys(classes[0])), slices.Sorted(maps.Keys(classes[1]))) {
		t.Errorf("classes: go-redis %v, raw %v; want the same", classes[0], classes[1])
	}
	// A frozen server for 2.5 s at 200/s: measured, 191 pool timeouts (the
	// requests due in the first second of the freeze wait longer than
	// 1.5 s) and 8 timeouts (two connections, one each 500 ms) on either
	// path; a busy host shifts both alike.
	t.Logf("classes: go-redis %v, raw %v", classes[0], classes[1])
	for _, c := range []result.Class{result.ClassPoolTimeout, result.ClassTimeout} {
		if g, r := classes[0][c], classes[1][c]; r < g/2-3 || r > g*2+3 {
			t.Errorf("%v: go-redis %d, raw %d; want about the same", c, g, r)
		}
	}
}

// TestRawOpenLoopKilledAndBack kills the server under the raw open loop
// and restarts it: requests fail while it is down with the classes the
// go-redis path gives (refused, backed off, reset), and every request
// after the restart is answered.
func TestRawOpenLoopKilledAndBack(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []int{1, 4} {
		t.Run(fmt.Sprintf("pipeline %d", pipeline), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, servertest.Redis)
			tg := rawTarget(t, srv.Addr, 0)
			var col collector
			r, err := New(Config{Raw: tg.RawDialer(), RawPool: tg.RawPoolLimits(), Workload: kvWorkload(pipeline),
				Schedule: schedule.Constant{PerSecond: 2000}, MaxInFlight: 1000, Drain: time.Second, Recorder: &col})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Raw() {
				t.Fatal("the open loop did not take the raw path")
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
			if r.InFlight() != 0 || r.Workers() != 0 {
				t.Errorf("%d in flight, %d workers after Run", r.InFlight(), r.Workers())
			}
		})
	}
}

// TestRawOpenLoopDrainCancels stops a raw open loop while the server is
// frozen, with a minute's read timeout and more requests due than
// connections: once Drain is over every request in flight, on a
// connection or waiting for one, is class canceled, and Run returns.
func TestRawOpenLoopDrainCancels(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	tg, err := target.New(target.Options{Name: "small", Addrs: []string{srv.Addr}, ReadTimeout: time.Minute, PoolSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	var col collector
	r, err := New(Config{Raw: tg.RawDialer(), RawPool: tg.RawPoolLimits(), Workload: kvWorkload(1),
		Schedule: schedule.Constant{PerSecond: 500}, MaxInFlight: 1000, Drain: 200 * time.Millisecond, Recorder: &col})
	if err != nil {
		t.Fatal(err)
	}
	stop := background(r)
	time.Sleep(200 * time.Millisecond)
	srv.Freeze()
	time.Sleep(200 * time.Millisecond)
	select {
	case <-stop():
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after Drain")
	}
	srv.Thaw()
	c := count(col.snapshot())
	// About 100 requests were due during the freeze: 4 on the
	// connections, the rest waiting for one.
	if got := c.byClass[result.ClassCanceled]; got < 50 || c.byOutcome[result.Error] != got {
		t.Errorf("errors %v, want the ~100 requests in flight canceled and nothing else", c.byClass)
	}
	if r.InFlight() != 0 || r.Workers() != 0 {
		t.Errorf("%d in flight, %d workers after Run", r.InFlight(), r.Workers())
	}
}

// TestRawOpenLoopWorkersFollowLoad runs a burst that needs many
// connections, then a trickle that needs one: the connection workers idle
// for MaxIdle are retired, and the server's connections with them.
func TestRawOpenLoopWorkersFollowLoad(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	tg := rawTarget(t, srv.Addr, 0)
	lim := tg.RawPoolLimits()
	lim.MaxIdle = 300 * time.Millisecond
	var col collector
	r, err := New(Config{Raw: tg.RawDialer(), RawPool: lim, Workload: kvWorkload(1),
		Schedule: schedule.Constant{PerSecond: 100}, MaxInFlight: 1000, Drain: time.Second, Recorder: &col})
	if err != nil {
		t.Fatal(err)
	}
	stop := background(r)
	defer func() { <-stop() }()
	// A pause of the server makes the requests due meanwhile need a
	// connection each: a burst of concurrency.
	time.Sleep(200 * time.Millisecond)
	srv.FreezeFor(200 * time.Millisecond)
	peak := r.Workers()
	if peak < 10 {
		t.Fatalf("%d workers after a 200 ms freeze at 100/s, want about 20", peak)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Workers() > 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := r.Workers(); n > 3 {
		t.Fatalf("%d workers 10 s after the burst (peak %d), want the trickle's one or two", n, peak)
	}
	clients, err := srv.Client().ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(clients, "\n"); n > 4 {
		t.Errorf("%d connections on the server after the burst, want the trickle's and the admin's", n)
	}
}

// TestPooledConnStale checks when an open-loop worker's connection is
// replaced: past its lifetime, idle for MaxIdle, and, once the server
// closed it, when it was idle for peekAfter or another connection failed
// meanwhile; never otherwise.
func TestPooledConnStale(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	tg := rawTarget(t, srv.Addr, 0)
	ctx := context.Background()
	c, err := tg.RawDialer().Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	owner := &connWorkers{lim: resp.PoolLimits{MaxLifetime: time.Minute, MaxIdle: 10 * time.Second}}
	pc := &pooledConn{owner: owner}
	t0 := time.Now()
	pc.dialled(t0)
	pc.used(t0)
	for _, tc := range []struct {
		name  string
		at    time.Time
		stale bool
	}{
		{"just used", t0.Add(time.Millisecond), false},
		{"idle past peekAfter, open", t0.Add(peekAfter + time.Millisecond), false},
		{"idle for MaxIdle", t0.Add(10 * time.Second), true},
	} {
		if got := pc.stale(c, tc.at); got != tc.stale {
			t.Errorf("%s: stale %v, want %v", tc.name, got, tc.stale)
		}
	}
	pc.used(t0.Add(59 * time.Second))
	if !pc.stale(c, t0.Add(61*time.Second)) {
		t.Error("past its lifetime: not stale")
	}

	// The server closes it: a check is made, and finds it closed, only
	// when one is due.
	pc.dialled(t0)
	if _, err := srv.Client().ClientKillByFilter(ctx, "TYPE", "normal", "SKIPME", "yes").Result(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the close reaches the socket
	if pc.stale(c, t0.Add(time.Millisecond)) {
		t.Error("checked though just used and nothing failed: a peek per request")
	}
	if !pc.stale(c, t0.Add(peekAfter)) {
		t.Error("closed by the server, idle for peekAfter: not stale")
	}
	other := &pooledConn{owner: owner}
	other.failed()
	if !pc.stale(c, t0.Add(time.Millisecond)) {
		t.Error("closed by the server, another connection failed since: not stale")
	}
}

// TestRawOpenLoopBudget shares a Budget between a raw and a go-redis open
// loop: both give back what they take, whatever path they are on.
func TestRawOpenLoopBudget(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	tg := rawTarget(t, srv.Addr, 0)
	w := kvWorkload(1)
	b := NewBudget(1 << 20)
	var wg sync.WaitGroup
	for _, raw := range []bool{false, true} {
		cfg := Config{Client: tg.Client(), Workload: w, Schedule: schedule.Constant{PerSecond: 1000}, MaxInFlight: 100,
			Requests: 500, Drain: time.Second, Budget: b}
		if raw {
			cfg.Raw, cfg.RawPool = tg.RawDialer(), tg.RawPoolLimits()
		}
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); runFor(r, 10*time.Second) }()
	}
	wg.Wait()
	if held := b.InUse(); held != 0 {
		t.Errorf("%d bytes held after both runs, want 0", held)
	}
}
