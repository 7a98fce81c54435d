package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
)

type fakeRunner struct {
	offered       float64
	inflight, max int64
	lag           time.Duration
}

func (f fakeRunner) OfferedRate() float64       { return f.offered }
func (f fakeRunner) InFlight() int64            { return f.inflight }
func (f fakeRunner) MaxInFlight() int64         { return f.max }
func (f fakeRunner) ScheduleLag() time.Duration { return f.lag }

var _ RunnerStats = fakeRunner{}

func TestRunnerGauges(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	m.AddRunner("primary", "cache", fakeRunner{offered: 1000, inflight: 12, max: 256, lag: 1500 * time.Microsecond})
	m.AddRunner("replica", "cache", fakeRunner{offered: 999.5, inflight: 3, max: 256})
	m.AddRunner("primary", "cache", fakeRunner{offered: 2000, inflight: 13, max: 512, lag: 250 * time.Millisecond}) // replaces the first

	want := `# HELP ecbench_inflight_ops Requests sent and not yet answered.
# TYPE ecbench_inflight_ops gauge
ecbench_inflight_ops{target="primary",workload="cache"} 13
ecbench_inflight_ops{target="replica",workload="cache"} 3
# HELP ecbench_max_inflight_ops Bound on requests in flight; load that would exceed it is dropped.
# TYPE ecbench_max_inflight_ops gauge
ecbench_max_inflight_ops{target="primary",workload="cache"} 512
ecbench_max_inflight_ops{target="replica",workload="cache"} 256
# HELP ecbench_offered_rate_ops_per_second Request rate the runner's schedule offers now, in operations per second.
# TYPE ecbench_offered_rate_ops_per_second gauge
ecbench_offered_rate_ops_per_second{target="primary",workload="cache"} 2000
ecbench_offered_rate_ops_per_second{target="replica",workload="cache"} 999.5
# HELP ecbench_schedule_lag_seconds How far behind its schedule the runner is dispatching requests, in seconds.
# TYPE ecbench_schedule_lag_seconds gauge
ecbench_schedule_lag_seconds{target="primary",workload="cache"} 0.25
ecbench_schedule_lag_seconds{target="replica",workload="cache"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"ecbench_inflight_ops", "ecbench_max_inflight_ops", "ecbench_offered_rate_ops_per_second", "ecbench_schedule_lag_seconds"); err != nil {
		t.Error(err)
	}
}

// withPipeline returns s with p as its pipeline pool's statistics.
// PipelineStats has go-redis's internal type pool.Stats, which a test cannot
// name, hence newOf and the field-by-field copy.
func withPipeline(s, p redis.PoolStats) *redis.PoolStats {
	pipe := newOf(s.PipelineStats)
	pipe.Hits, pipe.Misses, pipe.Timeouts, pipe.WaitCount, pipe.WaitDurationNs = p.Hits, p.Misses, p.Timeouts, p.WaitCount, p.WaitDurationNs
	pipe.TotalConns, pipe.IdleConns, pipe.StaleConns, pipe.PendingRequests = p.TotalConns, p.IdleConns, p.StaleConns, p.PendingRequests
	s.PipelineStats = pipe
	return &s
}

func newOf[T any](*T) *T { return new(T) }

const targetHeaders = `# HELP ecbench_target_info Always 1 once the target has answered; labelled with the engine, server version, mode and role of its last INFO poll.
# TYPE ecbench_target_info gauge
# HELP ecbench_target_up Whether the target answered its last probe (1) or not (0).
# TYPE ecbench_target_up gauge
`

var targetNames = []string{
	"ecbench_target_info", "ecbench_target_up",
	"ecbench_pool_hits_total", "ecbench_pool_misses_total", "ecbench_pool_timeouts_total",
	"ecbench_pool_waits_total", "ecbench_pool_wait_seconds_total", "ecbench_pool_connections",
	"ecbench_pool_idle_connections", "ecbench_pool_stale_connections_total", "ecbench_pool_pending_requests",
}

func TestTargetCollector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		state TargetState
		want  string
	}{
		{
			name:  "not yet known",
			state: TargetState{Name: "primary"},
			want: targetHeaders + `ecbench_target_up{engine="unknown",target="primary"} 0
`,
		},
		{
			name:  "known but down",
			state: TargetState{Name: "primary", Engine: "redis", Version: "7.0.15", Mode: "standalone", Role: "master", Known: true},
			want: targetHeaders + `ecbench_target_info{engine="redis",mode="standalone",role="master",target="primary",version="7.0.15"} 1
ecbench_target_up{engine="redis",target="primary"} 0
`,
		},
		{
			name: "up with pool statistics",
			state: TargetState{Name: "new", Engine: "valkey", Version: "8.0.2", Mode: "cluster", Role: "master", Known: true, Up: true,
				Pool: withPipeline(redis.PoolStats{
					Hits: 100, Misses: 7, Timeouts: 2, WaitCount: 5, WaitDurationNs: int64(1500 * time.Millisecond),
					TotalConns: 10, IdleConns: 4, StaleConns: 3, PendingRequests: 1,
				}, redis.PoolStats{ // the dedicated pipeline pool is folded in
					Hits: 20, Misses: 1, TotalConns: 2, IdleConns: 2, WaitDurationNs: int64(500 * time.Millisecond),
				})},
			want: targetHeaders + `ecbench_target_info{engine="valkey",mode="cluster",role="master",target="new",version="8.0.2"} 1
ecbench_target_up{engine="valkey",target="new"} 1
# HELP ecbench_pool_hits_total Times a request found a free connection. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_hits_total counter
ecbench_pool_hits_total{engine="valkey",target="new"} 120
# HELP ecbench_pool_misses_total Times a request found no free connection and one was dialled. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_misses_total counter
ecbench_pool_misses_total{engine="valkey",target="new"} 8
# HELP ecbench_pool_timeouts_total Times waiting for a connection timed out. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_timeouts_total counter
ecbench_pool_timeouts_total{engine="valkey",target="new"} 2
# HELP ecbench_pool_waits_total Times a request had to wait for a connection. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_waits_total counter
ecbench_pool_waits_total{engine="valkey",target="new"} 5
# HELP ecbench_pool_wait_seconds_total Total time requests spent waiting for a connection, in seconds. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_wait_seconds_total counter
ecbench_pool_wait_seconds_total{engine="valkey",target="new"} 2
# HELP ecbench_pool_connections Connections, idle or in use. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_connections gauge
ecbench_pool_connections{engine="valkey",target="new"} 12
# HELP ecbench_pool_idle_connections Idle connections. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_idle_connections gauge
ecbench_pool_idle_connections{engine="valkey",target="new"} 6
# HELP ecbench_pool_stale_connections_total Connections removed (stale, broken or closed), dials that failed included. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_stale_connections_total counter
ecbench_pool_stale_connections_total{engine="valkey",target="new"} 3
# HELP ecbench_pool_pending_requests Requests waiting for a connection now. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_pending_requests gauge
ecbench_pool_pending_requests{engine="valkey",target="new"} 1
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, m := newTestMetrics(t)
			m.AddTarget(func() TargetState { return tt.state })
			if err := testutil.GatherAndCompare(reg, strings.NewReader(tt.want), targetNames...); err != nil {
				t.Error(err)
			}
		})
	}
}

// The state func is read on every scrape: a target that becomes known shows
// up with its detected engine.
func TestTargetCollectorReadsAtScrapeTime(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	state := TargetState{Name: "primary"}
	m.AddTarget(func() TargetState { return state })
	if got := testutil.ToFloat64(m.targets); got != 0 {
		t.Fatalf("up before detection = %v, want 0", got)
	}
	state = TargetState{Name: "primary", Engine: "redis", Version: "7.2.4", Mode: "standalone", Role: "master", Known: true, Up: true}
	want := targetHeaders + `ecbench_target_info{engine="redis",mode="standalone",role="master",target="primary",version="7.2.4"} 1
ecbench_target_up{engine="redis",target="primary"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), targetNames...); err != nil {
		t.Error(err)
	}
}

// connRunner is a runner with connections of its own (ConnStatser).
type connRunner struct {
	fakeRunner
	conns ConnStats
}

func (c connRunner) ConnStats() ConnStats { return c.conns }

// ecbench_pool_* count the connections the target's runners hold of their
// own (the raw path) with the pool's: every connection to the target.
func TestTargetCollectorAddsRunnersConnections(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	m.AddTarget(func() TargetState {
		return TargetState{Name: "new", Engine: "valkey", Known: true, Up: true,
			Pool: &redis.PoolStats{Hits: 100, Misses: 7, Timeouts: 2, WaitCount: 5, WaitDurationNs: int64(time.Second), TotalConns: 10, IdleConns: 4, StaleConns: 3, PendingRequests: 1}}
	})
	m.AddRunner("new", "kv", connRunner{conns: ConnStats{Conns: 50, Idle: 20, Pending: 3, Hits: 1000, Misses: 60, Waits: 30, Timeouts: 4, StaleConns: 10, WaitNs: int64(500 * time.Millisecond)}})
	m.AddRunner("new", "closed", connRunner{conns: ConnStats{Conns: 8, Hits: 500, Misses: 8}})
	m.AddRunner("new", "go-redis", fakeRunner{})                                            // no connections of its own
	m.AddRunner("old", "kv", connRunner{conns: ConnStats{Conns: 1000, Hits: 1, Misses: 1}}) // another target's
	want := `# HELP ecbench_pool_connections Connections, idle or in use. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_connections gauge
ecbench_pool_connections{engine="valkey",target="new"} 68
# HELP ecbench_pool_hits_total Times a request found a free connection. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_hits_total counter
ecbench_pool_hits_total{engine="valkey",target="new"} 1600
# HELP ecbench_pool_idle_connections Idle connections. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_idle_connections gauge
ecbench_pool_idle_connections{engine="valkey",target="new"} 24
# HELP ecbench_pool_misses_total Times a request found no free connection and one was dialled. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_misses_total counter
ecbench_pool_misses_total{engine="valkey",target="new"} 75
# HELP ecbench_pool_pending_requests Requests waiting for a connection now. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_pending_requests gauge
ecbench_pool_pending_requests{engine="valkey",target="new"} 4
# HELP ecbench_pool_stale_connections_total Connections removed (stale, broken or closed), dials that failed included. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_stale_connections_total counter
ecbench_pool_stale_connections_total{engine="valkey",target="new"} 13
# HELP ecbench_pool_timeouts_total Times waiting for a connection timed out. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_timeouts_total counter
ecbench_pool_timeouts_total{engine="valkey",target="new"} 6
# HELP ecbench_pool_wait_seconds_total Total time requests spent waiting for a connection, in seconds. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_wait_seconds_total counter
ecbench_pool_wait_seconds_total{engine="valkey",target="new"} 1.5
# HELP ecbench_pool_waits_total Times a request had to wait for a connection. Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers).
# TYPE ecbench_pool_waits_total counter
ecbench_pool_waits_total{engine="valkey",target="new"} 35
`
	names := []string{"ecbench_pool_connections", "ecbench_pool_hits_total", "ecbench_pool_idle_connections", "ecbench_pool_misses_total",
		"ecbench_pool_pending_requests", "ecbench_pool_stale_connections_total", "ecbench_pool_timeouts_total", "ecbench_pool_wait_seconds_total", "ecbench_pool_waits_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}
