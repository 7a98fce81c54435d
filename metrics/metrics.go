package metrics

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// latencyBuckets are the classic bucket bounds: 50µs to 10s, 10 per decade,
// on the R10 preferred-number series (ISO 3):
//
//	1  1.25  1.6  2  2.5  3.15  4  5  6.3  8  (× 10^k)
//
// Neighbours differ by 1.25–1.28×, like prometheus.ExponentialBucketsRange
// with 10 per decade, but every decade (100µs, 1ms, 10ms, 100ms, 1s) is an
// exact bound, so "share of requests under 1ms" needs no interpolation, and
// the le labels are short, exact numbers (ExponentialBucketsRange(50e-6, 10,
// 54) ends at le="9.999999999999991" and has no decade bound).
//
// Classic buckets are what dashboards and rules use; the native buckets beside
// them (factor 1.1, schema 3) are a bonus for Prometheus servers that scrape
// them, which then ingest no classic buckets.
var latencyBuckets = preferredBuckets(-5, 1) // 50µs .. 10s

// lagBuckets are ecbench_dispatch_lag_seconds' bounds: a generator that
// keeps up dispatches within microseconds, so they start lower.
var lagBuckets = preferredBuckets(-6, 1) // 5µs .. 10s

// r10 holds the R10 mantissas ×100.
var r10 = [...]int64{100, 125, 160, 200, 250, 315, 400, 500, 630, 800}

// preferredBuckets returns the R10 values from 5×10^lo to 10^hi inclusive.
// Each is an exact integer divided by an exact power of ten, so each is the
// float64 nearest its decimal value.
func preferredBuckets(lo, hi int) []float64 {
	var b []float64
	for e := lo; e < hi; e++ {
		for _, m := range r10 {
			if e == lo && m < 500 {
				continue
			}
			b = append(b, scale(m, e-2))
		}
	}
	return append(b, scale(1, hi))
}

// scale returns m × 10^e.
func scale(m int64, e int) float64 {
	if e < 0 {
		return float64(m) / math.Pow10(-e)
	}
	return float64(m) * math.Pow10(e)
}

const (
	nativeBucketFactor     = 1.1
	nativeMaxBucketNumber  = 160
	nativeMinResetDuration = time.Hour
)

// NewRegistry returns a fresh registry holding the Go runtime and process
// collectors. ecbench registers nothing in the global default registry.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Metrics holds ecbench's metric vectors and scrape-time collectors. Create it
// with New; its methods are safe for concurrent use.
type Metrics struct {
	latency    *histogramVec // answered requests
	service    *histogramVec // answered requests
	errLatency *histogramVec // failed requests
	lag        *histogramVec
	ops        *prometheus.CounterVec
	errors     *prometheus.CounterVec
	runners    *runnerCollector
	replays    *replayCollector
	targets    *targetCollector
	cpu        *generatorCPU
}

// New creates ecbench's metrics and registers them with reg, together with
// ecbench_build_info{version, goversion} = 1.
func New(reg prometheus.Registerer, version string) (*Metrics, error) {
	opLabels := []string{"target", "engine", "workload", "op"}
	m := &Metrics{
		latency: newHistogramVec(
			"ecbench_op_latency_seconds",
			"Latency of answered requests (ok and miss) in seconds, measured from the time the schedule intended the request to start, so queueing behind a slow server or a late generator is included. Failed requests are in ecbench_op_error_latency_seconds instead. A dropped request with a known lower bound on its latency (the first reply after it was dropped) is observed at that bound, so a stall shows even when requests are dropped; it stays counted as outcome=\"dropped\" in ecbench_ops_total.",
			latencyBuckets, opLabels),
		service: newHistogramVec(
			"ecbench_op_service_seconds",
			"Service time of answered requests (ok and miss) in seconds, measured from the moment the command was handed to the client. Failed and dropped requests are not observed.",
			latencyBuckets, opLabels),
		// No class label: the class is counted in ecbench_op_errors_total,
		// and a histogram per class would multiply the series by the number
		// of classes (~70 buckets each) for distributions that are mostly a
		// timeout at the client's deadline or an instant error reply.
		errLatency: newHistogramVec(
			"ecbench_op_error_latency_seconds",
			"Latency of failed requests in seconds, from the intended start to the error (an error reply, a timeout, a refused connection); their classes are in ecbench_op_errors_total. Answered requests are in ecbench_op_latency_seconds.",
			latencyBuckets, opLabels),
		lag: newHistogramVec(
			"ecbench_dispatch_lag_seconds",
			"How late each open-loop request was dispatched (sent or dropped) after its intended start, in seconds: the generator's own delay. Latency already includes it.",
			lagBuckets, []string{"target", "workload"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_ops_total",
			Help: "Scheduled requests by outcome: ok (answered), miss (a read found no key), error (failed, see ecbench_op_errors_total) or dropped (never sent because the in-flight bound was reached).",
		}, []string{"target", "engine", "workload", "op", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_op_errors_total",
			Help: "Failed requests by error class (timeout, conn_refused, moved, readonly, ...).",
		}, []string{"target", "engine", "workload", "op", "class"}),
		runners: newRunnerCollector(),
		replays: newReplayCollector(),
		cpu:     newGeneratorCPU(),
	}
	m.targets = newTargetCollector(m.runners)
	if version == "" {
		version = "unknown"
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ecbench_build_info",
		Help:        "Always 1; labelled with the ecbench version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	cs := append([]prometheus.Collector{build, m.latency, m.service, m.errLatency, m.lag, m.ops, m.errors, m.runners, m.targets, m.replays},
		m.cpu.collectors()...)
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] { // leave reg as it was
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

func histogramOpts(name, help string) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{
		Name:                            name,
		Help:                            help,
		Buckets:                         latencyBuckets,
		NativeHistogramBucketFactor:     nativeBucketFactor,
		NativeHistogramMaxBucketNumber:  nativeMaxBucketNumber,
		NativeHistogramMinResetDuration: nativeMinResetDuration,
	}
}
