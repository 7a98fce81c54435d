package metrics

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
)

var (
	_ probe.AvailabilitySink = (*AvailabilityRecorder)(nil)
	_ probe.IntegritySink    = (*IntegrityRecorder)(nil)
)

// outageBuckets are the bounds of ecbench_outage_seconds: from a blip of one
// or two probes (0.1s) to a failover that takes minutes, at points people
// say out loud.
var outageBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// Probes exports what the availability and integrity probes observe:
//
//	ecbench_integrity_checks_total{target,engine,result}  verified | lost | stale | corrupted | unchecked
//	ecbench_outages_total{target,engine}                  counted when an outage starts
//	ecbench_outage_seconds{target,engine}                 histogram, observed when an outage ends
//	ecbench_last_outage_seconds{target,engine}            the last finished outage: the time to recover
//	ecbench_target_available{target,engine}               1 while the probe succeeds, 0 during an outage
//	ecbench_probe_latency_seconds{target,engine}          histogram of probe round trips (write and read)
//	ecbench_probe_errors_total{target,engine,class}       failed probes by error class
//
// Create it with NewProbes, next to New, on the same registry.
type Probes struct {
	checks        *prometheus.CounterVec
	outages       *prometheus.CounterVec
	outageSeconds *prometheus.HistogramVec
	latency       *prometheus.HistogramVec
	errors        *prometheus.CounterVec
	state         *availabilityCollector
}

// NewProbes creates the probes' metrics and registers them with reg.
func NewProbes(reg prometheus.Registerer) (*Probes, error) {
	labels := []string{"target", "engine"}
	outageOpts := histogramOpts("ecbench_outage_seconds",
		"Duration of finished outages in seconds, from the send of the first failed availability probe to the answer of the first successful one after it.")
	outageOpts.Buckets = outageBuckets
	p := &Probes{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_integrity_checks_total",
			Help: "Acknowledged writes of the integrity probe judged, by verdict: verified (at its first check), lost (key gone), stale (an older record) or corrupted (checksum mismatch), when a read first finds it so, at any time until its key is reused, or unchecked (never read: ecbench stopped, its final sweep could not read, and there is no state file). A write counts at most once as verified and once as anything else.",
		}, []string{"target", "engine", "result"}),
		outages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_outages_total",
			Help: "Outages seen by the availability probe (runs of failed probes), counted when they start.",
		}, labels),
		outageSeconds: prometheus.NewHistogramVec(outageOpts, labels),
		latency: prometheus.NewHistogramVec(histogramOpts("ecbench_probe_latency_seconds",
			"Availability probe round trip (a write and a read of the probe's key) in seconds, failed probes included."), labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_probe_errors_total",
			Help: "Failed availability probes by error class (timeout, conn_refused, readonly, ...).",
		}, []string{"target", "engine", "class"}),
		state: newAvailabilityCollector(),
	}
	cs := []prometheus.Collector{p.checks, p.outages, p.outageSeconds, p.latency, p.errors, p.state}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] { // leave reg as it was
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("metrics: register probes: %w", err)
		}
	}
	return p, nil
}

// engineCache resolves per-engine series once per engine: the engine label
// is detected at run time and may change (an in-place migration), and a
// flip back reuses the series built before.
type engineCache[B any] struct {
	engine func() engine.Engine
	build  func(label string) *B

	bound atomic.Pointer[bound[B]]
	mu    sync.Mutex
	cache map[string]*B
}

type bound[B any] struct {
	engine string
	b      *B
}

func newEngineCache[B any](engineOf func() engine.Engine, build func(string) *B) *engineCache[B] {
	if engineOf == nil {
		engineOf = func() engine.Engine { return engine.Unknown }
	}
	c := &engineCache[B]{engine: engineOf, build: build, cache: make(map[string]*B)}
	c.current()
	return c
}

func (c *engineCache[B]) current() *B {
	e := c.engine().Label()
	if b := c.bound.Load(); b != nil && b.engine == e {
		return b.b
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.cache[e]
	if !ok {
		b = c.build(e)
		c.cache[e] = b
	}
	c.bound.Store(&bound[B]{engine: e, b: b})
	return b
}

// IntegrityRecorder counts one target's integrity verdicts. It implements
// probe.IntegritySink.
type IntegrityRecorder struct {
	series *engineCache[[]prometheus.Counter] // indexed by probe.CheckResult
}

// Integrity returns the sink for the integrity probe of target. engine is
// called on every report and must be cheap (target.Target.Engine); nil or ""
// means "unknown". Every verdict's series is created at zero when an engine
// is first seen.
func (p *Probes) Integrity(target string, engineOf func() engine.Engine) *IntegrityRecorder {
	return &IntegrityRecorder{series: newEngineCache(engineOf, func(e string) *[]prometheus.Counter {
		cs := make([]prometheus.Counter, len(probe.CheckResults))
		for _, r := range probe.CheckResults {
			cs[r] = p.checks.WithLabelValues(target, e, r.String())
		}
		return &cs
	})}
}

// Checked implements probe.IntegritySink. It panics on a verdict that is not
// one of probe.CheckResults, a programming error. Which read found the
// verdicts is for the log (the daemon's "found_by"), not a label: the
// counter answers "were acknowledged writes lost", and splitting it by
// sweep would multiply its series by seven for a detail a dashboard does
// not alert on.
func (r *IntegrityRecorder) Checked(c probe.Check) {
	(*r.series.current())[c.Result].Add(float64(c.N))
}

// SweepDone implements probe.IntegritySink; a sweep's end is not a metric.
func (r *IntegrityRecorder) SweepDone(probe.SweepReport) {}

// AvailabilityRecorder exports one target's availability probe. It
// implements probe.AvailabilitySink.
type AvailabilityRecorder struct {
	series *engineCache[availabilitySeries]

	target     string
	engine     func() engine.Engine
	available  atomic.Bool
	lastOutage atomic.Uint64 // float64 bits of the last outage's seconds
}

type availabilitySeries struct {
	latency       prometheus.Observer
	outageSeconds prometheus.Observer
	outages       prometheus.Counter
	errors        []prometheus.Counter // indexed by result.Class; [ClassNone] is nil
}

// Availability returns the sink for the availability probe of target, and
// exports its gauges. engine is as for Integrity. Adding a recorder for a
// target that already has one replaces its gauges (a restarted probe).
func (p *Probes) Availability(target string, engineOf func() engine.Engine) *AvailabilityRecorder {
	if engineOf == nil {
		engineOf = func() engine.Engine { return engine.Unknown }
	}
	r := &AvailabilityRecorder{target: target, engine: engineOf}
	r.series = newEngineCache(engineOf, func(e string) *availabilitySeries {
		s := &availabilitySeries{
			latency:       p.latency.WithLabelValues(target, e),
			outageSeconds: p.outageSeconds.WithLabelValues(target, e),
			outages:       p.outages.WithLabelValues(target, e),
			errors:        make([]prometheus.Counter, numClasses),
		}
		for _, c := range result.Classes {
			s.errors[c] = p.errors.WithLabelValues(target, e, c.String())
		}
		return s
	})
	p.state.add(r)
	return r
}

// Probe implements probe.AvailabilitySink. A failure without a class counts
// as "other".
func (r *AvailabilityRecorder) Probe(ok bool, class result.Class, latency time.Duration) {
	s := r.series.current()
	s.latency.Observe(max(latency, 0).Seconds())
	if !ok {
		if class == result.ClassNone || int(class) >= len(s.errors) {
			class = result.ClassOther
		}
		s.errors[class].Inc()
	}
	r.available.Store(ok)
}

// OutageStart implements probe.AvailabilitySink.
func (r *AvailabilityRecorder) OutageStart(probe.Outage) {
	r.series.current().outages.Inc()
	r.available.Store(false)
}

// OutageEnd implements probe.AvailabilitySink.
func (r *AvailabilityRecorder) OutageEnd(o probe.Outage) {
	sec := max(o.Duration, 0).Seconds()
	r.series.current().outageSeconds.Observe(sec)
	r.lastOutage.Store(math.Float64bits(sec))
	r.available.Store(true)
}

var _ prometheus.Collector = (*availabilityCollector)(nil)

// availabilityCollector exports the availability gauges at scrape time, with
// the engine label as it is then: a gauge left behind under the previous
// engine would claim a state that no longer holds.
type availabilityCollector struct {
	available, lastOutage *prometheus.Desc

	mu        sync.Mutex
	recorders []*AvailabilityRecorder
}

func newAvailabilityCollector() *availabilityCollector {
	labels := []string{"target", "engine"}
	return &availabilityCollector{
		available: prometheus.NewDesc("ecbench_target_available",
			"Whether the last availability probe (a write and a read back) succeeded (1) or not (0); 0 before the first probe.", labels, nil),
		lastOutage: prometheus.NewDesc("ecbench_last_outage_seconds",
			"Duration of the last finished outage in seconds, i.e. the time the target took to recover; 0 before the first.", labels, nil),
	}
}

func (c *availabilityCollector) add(r *AvailabilityRecorder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, old := range c.recorders {
		if old.target == r.target {
			c.recorders[i] = r
			return
		}
	}
	c.recorders = append(c.recorders, r)
}

// Describe implements prometheus.Collector.
func (c *availabilityCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.available
	ch <- c.lastOutage
}

// Collect implements prometheus.Collector.
func (c *availabilityCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	rs := append([]*AvailabilityRecorder(nil), c.recorders...)
	c.mu.Unlock()
	for _, r := range rs {
		label := r.engine().Label()
		available := 0.0
		if r.available.Load() {
			available = 1
		}
		ch <- prometheus.MustNewConstMetric(c.available, prometheus.GaugeValue, available, r.target, label)
		ch <- prometheus.MustNewConstMetric(c.lastOutage, prometheus.GaugeValue, math.Float64frombits(r.lastOutage.Load()), r.target, label)
	}
}
