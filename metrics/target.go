package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// TargetState is a target's identity and health as last observed. It is read
// at scrape time, so it must come from memory (atomics or a mutex-guarded
// copy), never from a round trip to the server.
type TargetState struct {
	Name    string           // the configured target name
	Engine  engine.Engine    // empty means engine.Unknown
	Version string           // server version, e.g. "7.2.4"
	Mode    string           // e.g. "standalone" or "cluster"
	Role    string           // "primary" or "replica" (target.RolePrimary, RoleReplica), "" if unknown; updated by every INFO poll
	Known   bool             // the target has answered at least once
	Up      bool             // the last probe succeeded
	Pool    *redis.PoolStats // the client's pool statistics; nil if there is no client yet
}

// AddTarget exports the state of one target: ecbench_target_info (only once
// Known), ecbench_target_up and, when Pool is set, the ecbench_pool_* series.
// state is called on every scrape. Target names must be unique.
func (m *Metrics) AddTarget(state func() TargetState) {
	m.targets.mu.Lock()
	defer m.targets.mu.Unlock()
	m.targets.states = append(m.targets.states, state)
}

// ConnStats are the connections a runner holds of its own, outside the
// target client's pool (loadgen/runner's raw path), in the pool's terms:
// ecbench_pool_* adds them to the pool's statistics, so that the series
// count every connection the generator holds to the target, whichever
// path its requests take.
type ConnStats struct {
	Conns, Idle, Pending                      int64
	Hits, Misses, Waits, Timeouts, StaleConns uint64
	WaitNs                                    int64
}

// ConnStatser is a RunnerStats that holds connections of its own.
type ConnStatser interface {
	ConnStats() ConnStats
}

// poolMetric is one go-redis pool statistic, and its ConnStats
// counterpart.
type poolMetric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(s *redis.PoolStats) float64
	raw   func(s *ConnStats) float64
}

var _ prometheus.Collector = (*targetCollector)(nil)

// targetCollector reads every target's state at scrape time.
type targetCollector struct {
	info, up *prometheus.Desc
	pool     []poolMetric
	runners  *runnerCollector // for the runners' own connections (ConnStatser)

	mu     sync.Mutex
	states []func() TargetState
}

func newTargetCollector(runners *runnerCollector) *targetCollector {
	labels := []string{"target", "engine"}
	// Every pool series counts the raw path's own connections too
	// (ConnStats): its HELP says so, where a reader of the exposition
	// looks, not only the README.
	const both = " Of all of ecbench's connections to the target: the go-redis pool's and the raw path's own (closed-loop workers, open-loop connection workers)."
	pool := func(name, help string, typ prometheus.ValueType, value func(s *redis.PoolStats) float64, raw func(s *ConnStats) float64) poolMetric {
		return poolMetric{desc: prometheus.NewDesc(name, help+both, labels, nil), typ: typ, value: value, raw: raw}
	}
	// go-redis v9.23 PoolStats. The counters are uint32 in go-redis and wrap
	// after 2^32; Prometheus treats a wrap like a counter reset. Unusable is
	// not exported: v9.23 never increments it. PubSubStats are not exported:
	// ecbench does not subscribe.
	return &targetCollector{
		info: prometheus.NewDesc("ecbench_target_info",
			"Always 1 once the target has answered; labelled with the engine, server version, mode and role of its last INFO poll.",
			[]string{"target", "engine", "version", "mode", "role"}, nil),
		runners: runners,
		up: prometheus.NewDesc("ecbench_target_up",
			"Whether the target answered its last probe (1) or not (0).", labels, nil),
		pool: []poolMetric{
			pool("ecbench_pool_hits_total", "Times a request found a free connection.",
				prometheus.CounterValue, func(s *redis.PoolStats) float64 { return float64(s.Hits) }, func(s *ConnStats) float64 { return float64(s.Hits) }),
			pool("ecbench_pool_misses_total", "Times a request found no free connection and one was dialled.",
				prometheus.CounterValue, func(s *redis.PoolStats) float64 { return float64(s.Misses) }, func(s *ConnStats) float64 { return float64(s.Misses) }),
			pool("ecbench_pool_timeouts_total", "Times waiting for a connection timed out.",
				prometheus.CounterValue, func(s *redis.PoolStats) float64 { return float64(s.Timeouts) }, func(s *ConnStats) float64 { return float64(s.Timeouts) }),
			pool("ecbench_pool_waits_total", "Times a request had to wait for a connection.",
				prometheus.CounterValue, func(s *redis.PoolStats) float64 { return float64(s.WaitCount) }, func(s *ConnStats) float64 { return float64(s.Waits) }),
			pool("ecbench_pool_wait_seconds_total", "Total time requests spent waiting for a connection, in seconds.",
				prometheus.CounterValue, func(s *redis.PoolStats) float64 { return time.Duration(s.WaitDurationNs).Seconds() }, func(s *ConnStats) float64 { return time.Duration(s.WaitNs).Seconds() }),
			pool("ecbench_pool_connections", "Connections, idle or in use.",
				prometheus.GaugeValue, func(s *redis.PoolStats) float64 { return float64(s.TotalConns) }, func(s *ConnStats) float64 { return float64(s.Conns) }),
			pool("ecbench_pool_idle_connections", "Idle connections.",
				prometheus.GaugeValue, func(s *redis.PoolStats) float64 { return float64(s.IdleConns) }, func(s *ConnStats) float64 { return float64(s.Idle) }),
			pool("ecbench_pool_stale_connections_total", "Connections removed (stale, broken or closed), dials that failed included.",
				prometheus.CounterValue, func(s *redis.PoolStats) float64 { return float64(s.StaleConns) }, func(s *ConnStats) float64 { return float64(s.StaleConns) }),
			pool("ecbench_pool_pending_requests", "Requests waiting for a connection now.",
				prometheus.GaugeValue, func(s *redis.PoolStats) float64 { return float64(s.PendingRequests) }, func(s *ConnStats) float64 { return float64(s.Pending) }),
		},
	}
}

// Describe implements prometheus.Collector.
func (c *targetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.info
	ch <- c.up
	for _, p := range c.pool {
		ch <- p.desc
	}
}

// Collect implements prometheus.Collector.
func (c *targetCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	states := append([]func() TargetState(nil), c.states...)
	c.mu.Unlock()
	for _, state := range states {
		t := state()
		label := t.Engine.Label()
		if t.Known {
			ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, t.Name, label, t.Version, t.Mode, t.Role)
		}
		up := 0.0
		if t.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, t.Name, label)
		if t.Pool == nil {
			continue
		}
		// go-redis v9.23 serves pipelines from a separate pool by default and
		// reports it in PipelineStats; ecbench reports one pool per target,
		// with the connections its runners hold of their own.
		own := c.runners.connStats(t.Name)
		for _, p := range c.pool {
			v := p.value(t.Pool) + p.raw(&own)
			if pp := t.Pool.PipelineStats; pp != nil {
				v += p.value((*redis.PoolStats)(pp))
			}
			ch <- prometheus.MustNewConstMetric(p.desc, p.typ, v, t.Name, label)
		}
	}
}
