package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RunnerStats is what a runner reports about itself. The methods are called
// at scrape time and must be cheap and free of I/O (atomic loads).
type RunnerStats interface {
	OfferedRate() float64       // ops per second the schedule offers now
	InFlight() int64            // requests sent and not yet answered
	MaxInFlight() int64         // the in-flight bound; load beyond it is dropped
	ScheduleLag() time.Duration // how late the runner is dispatching
}

// StallStats is what an open-loop runner also reports about the server's
// replies, if it implements it (loadgen/runner's Runner does). The methods
// are called at scrape time and must be cheap and free of I/O.
type StallStats interface {
	ReplyGap() time.Duration // how long requests have been in flight without a reply, now
	StallDrops() uint64      // dropped commands that fell in a stall of the server
}

// AddRunner exports the gauges of the runner for (target, workload), and its
// reply gap and stall drops if s is also a StallStats. Adding a runner for
// a pair that already has one replaces it (a restarted runner).
func (m *Metrics) AddRunner(target, workload string, s RunnerStats) {
	m.runners.add(runnerEntry{target: target, workload: workload, stats: s})
}

// LagRecorder returns the recorder of the schedule lag of every open-loop
// request of (target, workload), exported as the histogram
// ecbench_dispatch_lag_seconds. Unlike the ecbench_schedule_lag_seconds
// gauge, which shows the lag when it is scraped, the histogram holds every
// request's lag, so a spike between two scrapes is not lost.
func (m *Metrics) LagRecorder(target, workload string) *LagRecorder {
	return &LagRecorder{h: m.lag.with(target, workload)}
}

// LagRecorder records schedule lags into ecbench_dispatch_lag_seconds.
type LagRecorder struct{ h *durationHistogram }

// RecordLag records one request's schedule lag.
func (l *LagRecorder) RecordLag(d time.Duration) { l.h.observe(d, 1) }

// StallRecorder returns the recorder of the stalls of (target, workload)'s
// server, exported as the histogram ecbench_stall_seconds: the length of
// every stretch of at least runner.StallGap with requests in flight and no
// reply, observed when it ends. Its count is how many stalls there were,
// and its highest bucket bounds the longest, which the
// ecbench_reply_gap_seconds gauge shows only if a scrape falls in it.
func (m *Metrics) StallRecorder(target, workload string) *StallRecorder {
	return &StallRecorder{h: m.runners.stalls.with(target, workload)}
}

// StallRecorder records stalls into ecbench_stall_seconds.
type StallRecorder struct{ h *durationHistogram }

// RecordStall records one stall's length.
func (s *StallRecorder) RecordStall(d time.Duration) { s.h.observe(d, 1) }

// stallBuckets are ecbench_stall_seconds' bounds: a stall lasts at least
// 100 ms (runner.StallGap), and may last until the read timeout and past it.
var stallBuckets = preferredBuckets(-2, 2) // 50ms .. 100s

type runnerEntry struct {
	target, workload string
	stats            RunnerStats
}

var _ prometheus.Collector = (*runnerCollector)(nil)

// runnerCollector reads every runner's gauges at scrape time, and holds
// the stall histograms that the runners observe.
type runnerCollector struct {
	offered, inflight, maxInflight, lag *prometheus.Desc
	replyGap, stallDrops                *prometheus.Desc
	stalls                              *histogramVec

	mu      sync.Mutex
	runners []runnerEntry
}

func newRunnerCollector() *runnerCollector {
	labels := []string{"target", "workload"}
	return &runnerCollector{
		offered: prometheus.NewDesc("ecbench_offered_rate_ops_per_second",
			"Request rate the runner's schedule offers now, in operations per second.", labels, nil),
		inflight: prometheus.NewDesc("ecbench_inflight_ops",
			"Requests sent and not yet answered.", labels, nil),
		maxInflight: prometheus.NewDesc("ecbench_max_inflight_ops",
			"Bound on requests in flight; load that would exceed it is dropped.", labels, nil),
		lag: prometheus.NewDesc("ecbench_schedule_lag_seconds",
			"How far behind its schedule the runner is dispatching requests, in seconds.", labels, nil),
		replyGap: prometheus.NewDesc("ecbench_reply_gap_seconds",
			"How long requests have been in flight without any reply from the server, in seconds: near 0 while replies flow, a ramp while the server stalls. A timeout is no reply.", labels, nil),
		stallDrops: prometheus.NewDesc("ecbench_stall_drops_total",
			`Dropped requests (of ecbench_ops_total{outcome="dropped"}) that were due while the server had answered nothing for at least 0.1 s: the server's stall. The others were dropped while replies were flowing: max_inflight is below rate × latency.`, labels, nil),
		stalls: newHistogramVec("ecbench_stall_seconds",
			"Length of each stall of the server in seconds: a stretch of at least 0.1 s with requests in flight and no reply, observed when it ends.",
			stallBuckets, labels),
	}
}

func (c *runnerCollector) add(e runnerEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.runners {
		if c.runners[i].target == e.target && c.runners[i].workload == e.workload {
			c.runners[i] = e
			return
		}
	}
	c.runners = append(c.runners, e)
}

// connStats sums the own connections of target's runners (ConnStatser).
func (c *runnerCollector) connStats(target string) ConnStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum ConnStats
	for _, r := range c.runners {
		cs, ok := r.stats.(ConnStatser)
		if r.target != target || !ok {
			continue
		}
		s := cs.ConnStats()
		sum.Conns += s.Conns
		sum.Idle += s.Idle
		sum.Pending += s.Pending
		sum.Hits += s.Hits
		sum.Misses += s.Misses
		sum.Waits += s.Waits
		sum.Timeouts += s.Timeouts
		sum.StaleConns += s.StaleConns
		sum.WaitNs += s.WaitNs
	}
	return sum
}

// Describe implements prometheus.Collector.
func (c *runnerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.offered
	ch <- c.inflight
	ch <- c.maxInflight
	ch <- c.lag
	ch <- c.replyGap
	ch <- c.stallDrops
	c.stalls.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *runnerCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	runners := append([]runnerEntry(nil), c.runners...)
	c.mu.Unlock()
	for _, r := range runners {
		s := r.stats
		ch <- prometheus.MustNewConstMetric(c.offered, prometheus.GaugeValue, s.OfferedRate(), r.target, r.workload)
		ch <- prometheus.MustNewConstMetric(c.inflight, prometheus.GaugeValue, float64(s.InFlight()), r.target, r.workload)
		ch <- prometheus.MustNewConstMetric(c.maxInflight, prometheus.GaugeValue, float64(s.MaxInFlight()), r.target, r.workload)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, s.ScheduleLag().Seconds(), r.target, r.workload)
		if st, ok := s.(StallStats); ok {
			ch <- prometheus.MustNewConstMetric(c.replyGap, prometheus.GaugeValue, st.ReplyGap().Seconds(), r.target, r.workload)
			ch <- prometheus.MustNewConstMetric(c.stallDrops, prometheus.CounterValue, float64(st.StallDrops()), r.target, r.workload)
		}
	}
	c.stalls.Collect(ch)
}
