package failover_test

import (
	"context"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/failover"
	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/scenario"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/workload"
	"github.com/ecbench/ecbench/metrics"
)

// collector keeps every result of a runner.
type collector struct {
	mu      sync.Mutex
	results []result.Result
}

func (c *collector) Record(r result.Result) {
	c.mu.Lock()
	c.results = append(c.results, r)
	c.mu.Unlock()
}

// sinkLog is a scenario.Sink that keeps what it is told.
type sinkLog struct {
	mu     sync.Mutex
	phases []string // "name@offset"
	start  time.Time
	done   []scenario.ActionResult
	errs   []error
	req    []time.Time
}

func (s *sinkLog) PhaseStarted(_ int, phase string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phases = append(s.phases, phase+"@"+at.Sub(s.start).String())
}

func (s *sinkLog) ActionRequested(_, _ string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.req = append(s.req, at)
}

func (s *sinkLog) ActionDone(_, _ string, res scenario.ActionResult, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done, s.errs = append(s.done, res), append(s.errs, err)
}

// TestScenarioEndToEnd runs a scenario with a failover phase: steady 1s →
// failover 1.5s → recovery (twice the rate) against a real primary and
// replica of each engine, the runner's client following the primary's
// address as a client follows the DNS name of an ElastiCache primary
// endpoint. The failover action calls TestFailover on the fake ElastiCache
// endpoint, whose hook kills the primary and, 300ms later, promotes the
// replica and shows it as primary in DescribeReplicationGroups.
func TestScenarioEndToEnd(t *testing.T) {
	t.Parallel()
	for _, engine := range servertest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			endToEnd(t, engine)
		})
	}
}

func endToEnd(t *testing.T, engine servertest.Engine) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	// A primary and its replica.
	primary := servertest.Start(t, engine, "repl-diskless-sync-delay", "0")
	replica := servertest.Start(t, engine)
	rc := replica.Client()
	if err := rc.Do(ctx, "REPLICAOF", "127.0.0.1", primary.Port).Err(); err != nil {
		t.Fatal(err)
	}
	for {
		info, err := rc.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("replication link not up: %v %s", err, info)
		case <-time.After(20 * time.Millisecond):
		}
	}

	// The runner's client dials whatever the endpoint points at now.
	var endpoint atomic.Pointer[string]
	endpoint.Store(&primary.Addr)
	client := redis.NewClient(&redis.Options{
		Addr: "primary.endpoint:6379",
		Dialer: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, *endpoint.Load())
		},
		MaxRetries: -1, DialerRetries: 1, PoolSize: 256,
		DialTimeout: 250 * time.Millisecond, ReadTimeout: 250 * time.Millisecond, WriteTimeout: 250 * time.Millisecond,
		ContextTimeoutEnabled: true,
	})
	defer client.Close()

	// The fake ElastiCache: TestFailover kills the primary and promotes the
	// replica 300ms later; Describe shows the group modifying until then.
	const rg = "ecbench-cache"
	fake := awsfake.New(t)
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: rg, Engine: string(engine), NodeGroups: []awsfake.NodeGroup{
		{ID: "0001", Members: []awsfake.Member{{CacheCluster: rg + "-001", Node: "0001"}, {CacheCluster: rg + "-002", Node: "0001"}}},
	}})
	before := []member{{rg + "-001", "primary"}, {rg + "-002", "replica"}}
	after := []member{{rg + "-001", "replica"}, {rg + "-002", "primary"}}
	fake.SetReplicationGroupXML(rg, describeXML(rg, "available", "available", before...))
	var killed, promoted atomic.Int64
	var hook sync.WaitGroup
	defer hook.Wait()
	fake.OnTestFailover(func(string, string) {
		fake.SetReplicationGroupXML(rg, describeXML(rg, "modifying", "modifying", before...))
		hook.Go(func() {
			killed.Store(time.Now().UnixNano())
			primary.Kill()
			time.Sleep(300 * time.Millisecond)
			if err := rc.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
				t.Errorf("promote the replica: %v", err)
			}
			endpoint.Store(&replica.Addr)
			promoted.Store(time.Now().UnixNano())
			fake.SetReplicationGroupXML(rg, describeXML(rg, "available", "available", after...))
		})
	})
	_, ec := fake.Clients(t)
	fo, err := failover.New(ec, failover.Options{Enabled: true, ReplicationGroup: rg, NodeGroup: "0001", PollInterval: 25 * time.Millisecond, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	tl := scenario.Timeline{Phases: []scenario.Phase{
		{Name: "steady", Duration: time.Second, Multiplier: 1},
		{Name: "failover", Duration: 1500 * time.Millisecond, Multiplier: 1, Actions: []scenario.Action{fo}},
		{Name: "recovery", Duration: 1500 * time.Millisecond, Multiplier: 2},
	}}
	if err := tl.Validate(map[string]bool{"kv": true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(200 * time.Millisecond)
	reg := prometheus.NewRegistry()
	msink, err := metrics.NewScenario(reg, tl)
	if err != nil {
		t.Fatal(err)
	}
	log := &sinkLog{start: start}

	const rate = 200.0
	sched := tl.Schedule("kv", schedule.Constant{PerSecond: rate})
	rec := &collector{}
	r, err := runner.New(runner.Config{
		Client: client,
		Workload: &workload.Workload{
			Name:   "kv",
			Ops:    []workload.Weighted{{Op: workload.Get{}, Weight: 50}, {Op: workload.Set{}, Weight: 50}},
			Keys:   workload.Keys{Prefix: "e2e:", Count: 1000, Distribution: workload.Uniform},
			Values: workload.Values{Min: 32, Max: 32},
			Seed:   7,
		},
		Schedule: sched, MaxInFlight: 64, Drain: time.Second, Recorder: rec, Start: start,
	})
	if err != nil {
		t.Fatal(err)
	}
	const end = 3500 * time.Millisecond // 1s into recovery
	runCtx, stopRunner := context.WithDeadline(ctx, start.Add(end))
	defer stopRunner()
	var running sync.WaitGroup
	running.Go(func() { r.Run(runCtx) })
	if err := (scenario.Driver{Timeline: tl, Start: start, Sink: scenario.Tee(msink, log)}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	running.Wait()
	hook.Wait()

	// The phases, at their boundaries on the shared clock.
	if want := []string{"steady@0s", "failover@1s", "recovery@2.5s"}; !slices.Equal(log.phases, want) {
		t.Errorf("phases %v, want %v", log.phases, want)
	}
	// The action: requested as its phase began, completed once the new
	// primary was in place, seen within a poll or so.
	if len(log.done) != 1 || log.errs[0] != nil {
		t.Fatalf("action done %v, errors %v", log.done, log.errs)
	}
	res := log.done[0]
	k, p := time.Unix(0, killed.Load()), time.Unix(0, promoted.Load())
	if d := res.Requested.Sub(start.Add(time.Second)); d < 0 || d > 500*time.Millisecond {
		t.Errorf("requested %v after the failover phase began", d)
	}
	if len(log.req) != 1 || !log.req[0].Equal(res.Requested) {
		t.Errorf("requested reported %v, want once at %v", log.req, res.Requested)
	}
	if !res.Requested.Before(k) || res.Completed.Before(p) || res.Completed.Sub(p) > 500*time.Millisecond {
		t.Errorf("requested %v, killed %v, promoted %v, completed %v (relative to the start)",
			res.Requested.Sub(start), k.Sub(start), p.Sub(start), res.Completed.Sub(start))
	}
	if calls := fake.ElastiCacheCalls("TestFailover"); len(calls) != 1 || calls[0].Get("ReplicationGroupId") != rg || calls[0].Get("NodeGroupId") != "0001" {
		t.Errorf("TestFailover calls %v", calls)
	}

	// The runner: clean before the failover, errors during it, clean again
	// once the replica is promoted, at the recovery phase's doubled rate.
	rec.mu.Lock()
	results := slices.Clone(rec.results)
	rec.mu.Unlock()
	type window struct {
		n, errs, dropped int
		classes          map[string]int
	}
	tally := func(from, to time.Time) window {
		w := window{classes: map[string]int{}}
		for _, res := range results {
			if res.Intended.Before(from) || !res.Intended.Before(to) {
				continue
			}
			w.n++
			switch res.Outcome {
			case result.Error:
				w.errs++
				w.classes[res.Class.String()]++
			case result.Dropped:
				w.dropped++
			}
		}
		return w
	}
	at := func(d time.Duration) time.Time { return start.Add(d) }
	steady := tally(at(0), at(time.Second))
	outage := tally(k, p)
	recovered := tally(p.Add(250*time.Millisecond), at(end))
	late := tally(at(2500*time.Millisecond), at(end))
	t.Logf("%s: steady %+v; outage (%v) %+v; after the promotion %+v", engine, steady, p.Sub(k), outage, recovered)
	if steady.errs != 0 || steady.dropped != 0 || math.Abs(float64(steady.n)-rate) > 1 {
		t.Errorf("steady phase: %+v, want %v requests and no errors", steady, rate)
	}
	if outage.errs == 0 || outage.errs < outage.n/2 {
		t.Errorf("during the failover: %+v, want the requests to fail", outage)
	}
	if recovered.errs != 0 || recovered.dropped != 0 || recovered.n == 0 {
		t.Errorf("after the promotion: %+v, want no errors", recovered)
	}
	if math.Abs(float64(late.n)-2*rate) > 1 {
		t.Errorf("recovery phase: %d requests in its first second, want %v (the ×2 multiplier)", late.n, 2*rate)
	}
	// Every request the schedule held was scheduled: the Piecewise drives
	// the runner.
	if want := sched.Count(end); math.Abs(float64(len(results))-want) > 2 {
		t.Errorf("%d results, want the schedule's %v", len(results), want)
	}

	// The metrics: the last phase in force, the action's moments.
	for phase, want := range map[string]float64{"steady": 0, "failover": 0, "recovery": 1} {
		if got := metrictest.Value(t, reg, "ecbench_phase_info", map[string]string{"phase": phase}); got != want {
			t.Errorf("ecbench_phase_info{phase=%q} = %v, want %v", phase, got, want)
		}
	}
	seconds := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
	action := map[string]string{"action": "failover", "phase": "failover"}
	if got := metrictest.Value(t, reg, "ecbench_phase_start_timestamp_seconds", nil); math.Abs(got-seconds(at(2500*time.Millisecond))) > 1e-6 {
		t.Errorf("ecbench_phase_start_timestamp_seconds = %v", got)
	}
	if got := metrictest.Value(t, reg, "ecbench_action_requested_timestamp_seconds", action); math.Abs(got-seconds(res.Requested)) > 1e-6 {
		t.Errorf("requested timestamp %v, want %v", got, seconds(res.Requested))
	}
	if got := metrictest.Value(t, reg, "ecbench_action_completed_timestamp_seconds", action); math.Abs(got-seconds(res.Completed)) > 1e-6 {
		t.Errorf("completed timestamp %v, want %v", got, seconds(res.Completed))
	}
	if got := metrictest.Value(t, reg, "ecbench_actions_total", map[string]string{"action": "failover", "result": "ok"}); got != 1 {
		t.Errorf("ecbench_actions_total{result=ok} = %v", got)
	}
}
