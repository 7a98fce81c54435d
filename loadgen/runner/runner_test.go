package runner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.uber.org/goleak"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/workload"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{}) // dial failures are expected here; results carry them
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// collector keeps every result, for assertions.
type collector struct {
	mu      sync.Mutex
	results []result.Result
}

func (c *collector) Record(r result.Result) {
	c.mu.Lock()
	c.results = append(c.results, r)
	c.mu.Unlock()
}

func (c *collector) snapshot() []result.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.results)
}

type tally struct {
	byOutcome map[result.Outcome]int
	byClass   map[result.Class]int
	maxLat    time.Duration
	maxSvc    time.Duration
}

func count(rs []result.Result) tally {
	t := tally{byOutcome: map[result.Outcome]int{}, byClass: map[result.Class]int{}}
	for _, r := range rs {
		t.byOutcome[r.Outcome]++
		if r.Outcome == result.Error {
			t.byClass[r.Class]++
		}
		if r.Outcome != result.Dropped {
			t.maxLat = max(t.maxLat, r.Latency())
			t.maxSvc = max(t.maxSvc, r.Service())
		}
	}
	return t
}

func kvWorkload(pipeline int) *workload.Workload {
	return &workload.Workload{
		Name: "kv",
		Ops: []workload.Weighted{
			{Op: workload.Get{}, Weight: 50},
			{Op: workload.Set{}, Weight: 50},
		},
		Keys:     workload.Keys{Prefix: "t:", Count: 1000, Distribution: workload.Uniform},
		Values:   workload.Values{Min: 32, Max: 32},
		Pipeline: pipeline,
		Seed:     7,
	}
}

func client(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: -1, PoolSize: 64, DialerRetries: 1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		// As package target sets it: go-redis' "auto" mode rewrites the
		// options that a worker's Conn shares without a common lock.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// runFor runs r for d and returns when Run has returned.
func runFor(r *Runner, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	r.Run(ctx)
}

func TestOpenLoopAchievesOfferedRate(t *testing.T) {
	t.Parallel()
	const rate, runTime = 2000.0, 3 * time.Second
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			var col collector
			r, err := New(Config{
				Client: client(t, srv.Addr), Workload: kvWorkload(1),
				// A bound far above rate × latency: a stall of the test
				// machine (other packages' tests share its CPUs) delays
				// requests rather than dropping them.
				Schedule: schedule.Constant{PerSecond: rate}, MaxInFlight: 1000,
				Drain: time.Second, Recorder: &col,
			})
			if err != nil {
				t.Fatal(err)
			}
			runFor(r, runTime)
			got := count(col.snapshot())
			answered := got.byOutcome[result.OK] + got.byOutcome[result.Miss]
			want := rate * runTime.Seconds()
			if math.Abs(float64(answered)-want)/want > 0.02 {
				t.Errorf("answered %d requests in %v, want %v ± 2%% (outcomes %v, max schedule lag %v)", answered, runTime, want, got.byOutcome, r.TakeMaxLag())
			}
			if got.byOutcome[result.Error] != 0 || got.byOutcome[result.Dropped] != 0 {
				t.Errorf("errors %v, dropped %d; want none", got.byClass, got.byOutcome[result.Dropped])
			}
			if r.InFlight() != 0 {
				t.Errorf("in flight after Run = %d, want 0", r.InFlight())
			}
		})
	}
}

// TestPausedServerDropsAndDelays pauses one engine while both run the same
// schedule: the paused one fills its in-flight bound, drops the rest and
// reports the pause in its latency from intended start; the other engine is
// unaffected.
func TestPausedServerDropsAndDelays(t *testing.T) {
	t.Parallel()
	const pause = 1500 * time.Millisecond
	paused := servertest.Start(t, servertest.Redis)
	steady := servertest.Start(t, servertest.Valkey)
	var pausedCol, steadyCol collector
	start := time.Now().Add(100 * time.Millisecond)
	newRunner := func(addr string, col *collector, maxInFlight int) *Runner {
		r, err := New(Config{
			Client: client(t, addr), Workload: kvWorkload(1),
			Schedule: schedule.Constant{PerSecond: 1000}, MaxInFlight: maxInFlight,
			Drain: 5 * time.Second, Recorder: col, Start: start,
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// The steady engine's bound holds a second of load, so that a host busy
	// with the other tests (a 2-CPU CI machine running packages in
	// parallel) does not make it drop; the paused one's holds 50 ms.
	rp, rs := newRunner(paused.Addr, &pausedCol, 50), newRunner(steady.Addr, &steadyCol, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range []*Runner{rp, rs} {
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
	}
	time.Sleep(time.Second)
	paused.Pause(context.Background(), pause)
	wg.Wait()

	p, s := count(pausedCol.snapshot()), count(steadyCol.snapshot())
	// During the pause ~1500 requests are due; 50 fit in flight. A busy
	// host (CI runs packages in parallel on 2 CPUs) delays the restart of
	// the flow after the pause (2,115 drops were seen at load average 10),
	// so the upper bound leaves a second of room.
	if d := p.byOutcome[result.Dropped]; d < 1000 || d > 2500 {
		t.Errorf("paused engine dropped %d, want about %d", d, 1450)
	}
	if p.maxLat < pause-200*time.Millisecond {
		t.Errorf("paused engine max latency from intended start %v, want >= %v", p.maxLat, pause-200*time.Millisecond)
	}
	if p.byOutcome[result.Error] != 0 {
		t.Errorf("paused engine errors %v, want none (read timeout exceeds the pause)", p.byClass)
	}
	if s.byOutcome[result.Dropped] != 0 || s.byOutcome[result.Error] != 0 {
		t.Errorf("steady engine dropped %d, errors %v; want none", s.byOutcome[result.Dropped], s.byClass)
	}
	// A leak of the 1.5 s pause would show as more than a second; a busy
	// host alone has been seen to delay a request by ~0.4 s.
	if s.maxLat > 800*time.Millisecond {
		t.Errorf("steady engine max latency %v; the pause of the other engine leaked into it", s.maxLat)
	}
	total := func(t tally) int {
		n := 0
		for _, c := range t.byOutcome {
			n += c
		}
		return n
	}
	// Both engines were offered the same schedule: every due request is
	// accounted for on each, as answered or dropped.
	if a, b := total(p), total(s); math.Abs(float64(a-b)) > 20 {
		t.Errorf("paused engine accounted for %d requests, steady %d; want equal (± scheduling jitter)", a, b)
	}
}

func TestTargetDownThenBack(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	srv.Kill()
	var col collector
	r, err := New(Config{
		Client: client(t, srv.Addr), Workload: kvWorkload(1),
		Schedule: schedule.Constant{PerSecond: 200}, MaxInFlight: 20, Drain: time.Second, Recorder: &col,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	time.Sleep(800 * time.Millisecond)
	srv.Restart()
	<-done
	rs := col.snapshot()
	down, up := count(rs[:len(rs)/4]), count(rs[len(rs)*3/4:])
	if down.byClass[result.ClassConnRefused] == 0 {
		t.Errorf("while down: classes %v, want conn_refused", down.byClass)
	}
	if up.byOutcome[result.OK]+up.byOutcome[result.Miss] == 0 || up.byOutcome[result.Error] != 0 {
		t.Errorf("after restart: outcomes %v classes %v, want only answers", up.byOutcome, up.byClass)
	}
}

func TestPipelineRecordsEveryCommand(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	var col collector
	r, err := New(Config{
		Client: client(t, srv.Addr), Workload: kvWorkload(4),
		Schedule: schedule.Constant{PerSecond: 100}, MaxInFlight: 10, Drain: time.Second, Recorder: &col,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.MaxInFlight(); got != 10 {
		t.Errorf("MaxInFlight = %d", got)
	}
	runFor(r, 500*time.Millisecond)
	rs := col.snapshot()
	if len(rs) == 0 || len(rs)%4 != 0 {
		t.Fatalf("%d results, want a positive multiple of 4", len(rs))
	}
	for i := 0; i < len(rs); i += 4 {
		for _, r := range rs[i+1 : i+4] {
			if !r.Intended.Equal(rs[i].Intended) || !r.Done.Equal(rs[i].Done) {
				t.Fatalf("commands of one pipeline have different timings: %+v vs %+v", r, rs[i])
			}
		}
	}
	if c := count(rs); c.byOutcome[result.Error] != 0 {
		t.Errorf("errors %v", c.byClass)
	}
}

func TestClosedLoop(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	var col collector
	r, err := New(Config{
		Client: client(t, srv.Addr), Workload: kvWorkload(1),
		Workers: 4, Drain: time.Second, Recorder: &col,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxInFlight() != 4 || r.OfferedRate() != 0 {
		t.Errorf("closed loop: MaxInFlight %d OfferedRate %v", r.MaxInFlight(), r.OfferedRate())
	}
	runFor(r, 300*time.Millisecond)
	rs := col.snapshot()
	if len(rs) < 100 {
		t.Fatalf("closed loop answered only %d requests in 300ms", len(rs))
	}
	for _, res := range rs {
		if res.Outcome == result.Dropped || res.Outcome == result.Error {
			t.Fatalf("closed loop result %+v", res)
		}
		if !res.Intended.Equal(res.Sent) {
			t.Fatalf("closed loop: intended %v != sent %v", res.Intended, res.Sent)
		}
	}
}

// TestClosedLoopWorkerConnections checks that each closed-loop worker keeps
// a connection of its own (one pool turn per worker, not one per request),
// and that a worker whose connection broke takes a new one: requests fail
// while the server is down and are answered again after it restarts.
func TestClosedLoopWorkerConnections(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []int{1, 4} {
		t.Run(fmt.Sprintf("pipeline %d", pipeline), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, servertest.Valkey)
			c := client(t, srv.Addr)
			var col collector
			r, err := New(Config{Client: c, Workload: kvWorkload(pipeline), Workers: 4, Drain: time.Second, Recorder: &col})
			if err != nil {
				t.Fatal(err)
			}
			runFor(r, 300*time.Millisecond)
			steady := len(col.snapshot())
			st := c.PoolStats()
			if turns := st.Hits + st.Misses; steady < 200 || turns > 8 {
				t.Errorf("%d requests took %d pool turns (hits %d, misses %d); want at most 2 per worker", steady, turns, st.Hits, st.Misses)
			}

			throughRestart(r, srv, &col, 500*time.Millisecond)
			rs := col.snapshot()[steady:]
			tail := count(rs[len(rs)-1000:])
			if all := count(rs); all.byOutcome[result.Error] == 0 {
				t.Errorf("no errors while the server was down: %v", all.byOutcome)
			}
			if tail.byOutcome[result.OK]+tail.byOutcome[result.Miss] == 0 || tail.byOutcome[result.Error] != 0 {
				t.Errorf("the last 1,000 results after the restart: outcomes %v classes %v, want only answers", tail.byOutcome, tail.byClass)
			}
		})
	}
}

// TestSameSequenceOnBothEngines checks that two runners of one workload send
// the same ops in the same order, whatever each engine answers.
func TestSameSequenceOnBothEngines(t *testing.T) {
	t.Parallel()
	var seqs [2][]int
	for i, e := range servertest.Engines {
		srv := servertest.Start(t, e)
		var col collector
		r, err := New(Config{
			Client: client(t, srv.Addr), Workload: kvWorkload(1),
			Schedule: schedule.Constant{PerSecond: 500}, MaxInFlight: 1, Drain: time.Second, Recorder: &col,
		})
		if err != nil {
			t.Fatal(err)
		}
		runFor(r, 300*time.Millisecond)
		rs := col.snapshot()
		slices.SortFunc(rs, func(a, b result.Result) int { return a.Intended.Compare(b.Intended) })
		for _, res := range rs {
			seqs[i] = append(seqs[i], res.Op)
		}
	}
	n := min(len(seqs[0]), len(seqs[1]))
	if n < 50 || !slices.Equal(seqs[0][:n], seqs[1][:n]) {
		t.Errorf("op sequences differ or are short (%d): %v vs %v", n, seqs[0][:min(n, 20)], seqs[1][:min(n, 20)])
	}
}

func TestScheduleLagWhenStalled(t *testing.T) {
	t.Parallel()
	r, err := New(Config{Workload: kvWorkload(1), Schedule: schedule.Constant{PerSecond: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ScheduleLag() != 0 || r.OfferedRate() != 0 {
		t.Errorf("before Run: lag %v offered %v", r.ScheduleLag(), r.OfferedRate())
	}
	// A runner whose next request was due 2s ago reports that lag even though
	// it dispatches nothing.
	r.nextDue.Store(time.Now().Add(-2 * time.Second).UnixNano())
	if lag := r.ScheduleLag(); lag < 2*time.Second || lag > 3*time.Second {
		t.Errorf("lag = %v, want about 2s", lag)
	}
}

// TestRequestsEndsTheRun checks that a finite run sends exactly Requests
// requests (times the pipeline depth in results) and returns by itself once
// they are answered, in closed and open loop.
func TestRequestsEndsTheRun(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	for _, tc := range []struct {
		name     string
		schedule schedule.Schedule
		pipeline int
	}{
		{"closed", nil, 1},
		{"closed pipelined", nil, 4},
		{"open", schedule.Constant{PerSecond: 2000}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := kvWorkload(1)
			w.Pipeline = tc.pipeline
			var col collector
			r, err := New(Config{
				Client: client(t, srv.Addr), Workload: w, Schedule: tc.schedule,
				Workers: 3, MaxInFlight: 64, Drain: time.Second, Recorder: &col, Requests: 500,
			})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { r.Run(context.Background()); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("a finite run did not end by itself")
			}
			if got, want := len(col.snapshot()), 500*tc.pipeline; got != want {
				t.Errorf("%d results, want %d", got, want)
			}
			if n := r.InFlight(); n != 0 {
				t.Errorf("%d requests still in flight", n)
			}
		})
	}
}

// TestIdleWorkersRetire stalls the server so that many requests are in
// flight at once, then checks that the workers started for them exit once
// idle, instead of staying for the rest of the run.
func TestIdleWorkersRetire(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	var col collector
	r, err := New(Config{
		Client: client(t, srv.Addr), Workload: kvWorkload(1),
		Schedule: schedule.Constant{PerSecond: 500}, MaxInFlight: 200,
		Drain: time.Second, Recorder: &col,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.workerIdle = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	srv.Pause(context.Background(), 200*time.Millisecond) // ~100 requests pile up
	deadline := time.Now().Add(2 * time.Second)
	peak := 0
	for time.Now().Before(deadline) && peak < 50 {
		peak = max(peak, r.Workers())
		time.Sleep(5 * time.Millisecond)
	}
	if peak < 50 {
		t.Fatalf("at most %d workers during the pause; want about 100", peak)
	}
	// At 500/s with sub-millisecond answers, a handful of workers suffice.
	deadline = time.Now().Add(5 * time.Second)
	for r.Workers() > 10 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers 5s after the pause (peak %d); idle ones should have exited", r.Workers(), peak)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(col.snapshot()).byOutcome[result.Dropped]; n != 0 {
		t.Errorf("%d requests dropped", n)
	}
}

// batchCollector records RecordN calls as such.
type batchCollector struct {
	collector
	mu      sync.Mutex
	batches []int // n of every RecordN call
}

func (b *batchCollector) RecordN(r result.Result, n int) {
	b.mu.Lock()
	b.batches = append(b.batches, n)
	b.mu.Unlock()
	for range n {
		b.collector.Record(r)
	}
}

// TestPipelineResultsAreBatched checks that a pipeline's equal results (one
// op, one outcome) reach a BatchRecorder as one RecordN call each, and that
// every command is still counted once.
func TestPipelineResultsAreBatched(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	w := kvWorkload(16)
	w.Ops = []workload.Weighted{{Op: workload.Set{}, Weight: 1}}
	var col batchCollector
	r, err := New(Config{Client: client(t, srv.Addr), Workload: w, Workers: 2, Requests: 50, Drain: time.Second, Recorder: &col})
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
}

type lagCount struct{ n atomic.Int64 }

func (l *lagCount) RecordLag(time.Duration) { l.n.Add(1) }

// TestLagRecordedPerRequest checks that every open-loop request, sent or
// dropped, has its schedule lag recorded.
func TestLagRecordedPerRequest(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	var col collector
	var lags lagCount
	r, err := New(Config{
		Client: client(t, srv.Addr), Workload: kvWorkload(1), Schedule: schedule.Constant{PerSecond: 2000},
		MaxInFlight: 1, Drain: time.Second, Recorder: &col, Lag: &lags, Requests: 400,
	})
	if err != nil {
		t.Fatal(err)
	}
	runFor(r, 5*time.Second)
	if n := len(col.snapshot()); n != 400 || lags.n.Load() != 400 {
		t.Errorf("%d results, %d lags; want 400 of each", n, lags.n.Load())
	}
}

// TestWorkerConnRefresh checks that a closed-loop worker hands its
// connection back to the pool after stickyConnRefresh and takes one again:
// the pool's lifetime checks still apply, and nothing leaks.
func TestWorkerConnRefresh(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	c := client(t, srv.Addr)
	ctx := context.Background()
	w := newWorkerConn(c)
	t0 := time.Now()
	first := w.get(t0)
	if err := first.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if again := w.get(t0.Add(stickyConnRefresh - time.Millisecond)); again != first {
		t.Fatal("the connection was replaced before stickyConnRefresh")
	}
	second := w.get(t0.Add(stickyConnRefresh))
	if second == first {
		t.Fatal("the connection was kept past stickyConnRefresh")
	}
	if err := second.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	w.release()
	w.release() // idempotent
	if st := c.PoolStats(); st.TotalConns != 1 || st.IdleConns != 1 {
		t.Errorf("pool after refresh and release: %d connections, %d idle; want the one connection back, idle", st.TotalConns, st.IdleConns)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr}})
	defer cc.Close()
	if got := newWorkerConn(cc).get(t0); got != redis.Cmdable(cc) {
		t.Errorf("a cluster client's worker sends on %T, want the cluster client", got)
	}
}

// throughRestart runs r while srv is killed after pause and restarted after
// as long again, and stops it once 2,000 answers came after the restart (a
// slow restart on a loaded host leaves more errors before them, never
// after), or after 20 s.
func throughRestart(r *Runner, srv *servertest.Server, col *collector, pause time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	time.Sleep(pause)
	srv.Kill()
	time.Sleep(pause)
	srv.Restart()
	restarted := len(col.snapshot())
	answers := func() int {
		c := count(col.snapshot()[restarted:])
		return c.byOutcome[result.OK] + c.byOutcome[result.Miss]
	}
	for answers() < 2000 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestIntendedStartsAreMonotonic checks that an open-loop request's
// intended start carries the monotonic clock reading of the run's start,
// as its sent and done times do, so that its latency is a difference of
// monotonic readings, not of wall clocks (which a step of the clock
// during a run would skew). time.Time prints the reading as "m=".
func TestIntendedStartsAreMonotonic(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	var col collector
	r, err := New(Config{Client: client(t, srv.Addr), Workload: kvWorkload(1), Schedule: schedule.Constant{PerSecond: 1000},
		MaxInFlight: 100, Requests: 20, Drain: time.Second, Recorder: &col})
	if err != nil {
		t.Fatal(err)
	}
	runFor(r, 10*time.Second)
	rs := col.snapshot()
	if len(rs) != 20 {
		t.Fatalf("%d results, want 20", len(rs))
	}
	for _, res := range rs {
		for name, at := range map[string]time.Time{"intended": res.Intended, "sent": res.Sent, "done": res.Done} {
			if !strings.Contains(at.String(), " m=") {
				t.Fatalf("%s %v: no monotonic clock reading", name, at)
			}
		}
	}
}
