package metrics

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
)

// t0 is an arbitrary fixed instant; results are built relative to it.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// res builds a result whose request was sent lag after its intended start and
// answered svc after that.
func res(op int, o result.Outcome, c result.Class, lag, svc time.Duration) result.Result {
	r := result.Result{Op: op, Intended: t0, Outcome: o, Class: c}
	if o != result.Dropped {
		r.Sent = t0.Add(lag)
		r.Done = r.Sent.Add(svc)
	}
	return r
}

func newTestMetrics(t testing.TB) (*prometheus.Registry, *Metrics) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	return reg, m
}

func fixedEngine(e engine.Engine) func() engine.Engine { return func() engine.Engine { return e } }

const opsHeader = `# HELP ecbench_ops_total Scheduled requests by outcome: ok (answered), miss (a read found no key), error (failed, see ecbench_op_errors_total) or dropped (never sent because the in-flight bound was reached).
# TYPE ecbench_ops_total counter
`

const errorsHeader = `# HELP ecbench_op_errors_total Failed requests by error class (timeout, conn_refused, moved, readonly, ...).
# TYPE ecbench_op_errors_total counter
`

// errorsExposition lists ecbench_op_errors_total for every class of every op
// in ops, with the counts in nonzero (keyed "op/class") and 0 elsewhere.
func errorsExposition(target, engine, workload string, ops []string, nonzero map[string]int) string {
	var b strings.Builder
	b.WriteString(errorsHeader)
	for _, op := range ops {
		for _, c := range result.Classes {
			fmt.Fprintf(&b, "ecbench_op_errors_total{class=%q,engine=%q,op=%q,target=%q,workload=%q} %d\n",
				c.String(), engine, op, target, workload, nonzero[op+"/"+c.String()])
		}
	}
	return b.String()
}

func TestRecordCounters(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	r := m.Recorder("primary", "cache", []string{"get", "set"}, fixedEngine("redis"))

	ms := time.Millisecond
	var results []result.Result
	for range 3 {
		results = append(results, res(0, result.OK, result.ClassNone, 0, ms))
	}
	results = append(results,
		res(0, result.Miss, result.ClassNone, 0, ms),
		res(0, result.Miss, result.ClassNone, 0, ms),
		res(1, result.OK, result.ClassNone, 0, ms),
		res(0, result.Error, result.ClassTimeout, 0, ms),
		res(0, result.Error, result.ClassTimeout, 0, ms),
		res(0, result.Error, result.ClassNone, 0, ms), // an error without a class is "other"
		res(1, result.Dropped, result.ClassNone, 0, 0),
		res(1, result.Dropped, result.ClassNone, 0, 0),
		res(1, result.Dropped, result.ClassNone, 0, 0),
	)
	for _, c := range result.Classes { // every class once on set
		results = append(results, res(1, result.Error, c, 0, ms))
	}
	for _, x := range results {
		r.Record(x)
	}

	wantOps := opsHeader + `ecbench_ops_total{engine="redis",op="get",outcome="dropped",target="primary",workload="cache"} 0
ecbench_ops_total{engine="redis",op="get",outcome="error",target="primary",workload="cache"} 3
ecbench_ops_total{engine="redis",op="get",outcome="miss",target="primary",workload="cache"} 2
ecbench_ops_total{engine="redis",op="get",outcome="ok",target="primary",workload="cache"} 3
ecbench_ops_total{engine="redis",op="set",outcome="dropped",target="primary",workload="cache"} 3
ecbench_ops_total{engine="redis",op="set",outcome="error",target="primary",workload="cache"} ` + strconv.Itoa(len(result.Classes)) + `
ecbench_ops_total{engine="redis",op="set",outcome="miss",target="primary",workload="cache"} 0
ecbench_ops_total{engine="redis",op="set",outcome="ok",target="primary",workload="cache"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantOps), "ecbench_ops_total"); err != nil {
		t.Error(err)
	}

	nonzero := map[string]int{"get/timeout": 2, "get/other": 1}
	for _, c := range result.Classes {
		nonzero["set/"+c.String()] = 1
	}
	wantErrs := errorsExposition("primary", "redis", "cache", []string{"get", "set"}, nonzero)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantErrs), "ecbench_op_errors_total"); err != nil {
		t.Error(err)
	}

	if got := testutil.ToFloat64(m.ops.WithLabelValues("primary", "redis", "cache", "set", "dropped")); got != 3 {
		t.Errorf("dropped set = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.errors.WithLabelValues("primary", "redis", "cache", "get", "timeout")); got != 2 {
		t.Errorf("get timeouts = %v, want 2", got)
	}
}

// A fresh recorder exposes every outcome at zero before the first result, so
// rate() works from the first scrape.
func TestRecorderZeroInitialises(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	m.Recorder("t", "w", []string{"get"}, nil)

	want := opsHeader + `ecbench_ops_total{engine="unknown",op="get",outcome="dropped",target="t",workload="w"} 0
ecbench_ops_total{engine="unknown",op="get",outcome="error",target="t",workload="w"} 0
ecbench_ops_total{engine="unknown",op="get",outcome="miss",target="t",workload="w"} 0
ecbench_ops_total{engine="unknown",op="get",outcome="ok",target="t",workload="w"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_ops_total"); err != nil {
		t.Error(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(errorsExposition("t", "unknown", "w", []string{"get"}, nil)), "ecbench_op_errors_total"); err != nil {
		t.Error(err)
	}
}

func TestRecordHistograms(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	r := m.Recorder("primary", "cache", []string{"get"}, fixedEngine("valkey"))

	// lag is the time between the intended start and the send (schedule lag
	// plus client queueing); latency = lag + service.
	type obs struct{ lag, svc time.Duration }
	recorded := []struct {
		o result.Outcome
		c result.Class
		obs
	}{
		{result.OK, result.ClassNone, obs{0, 100 * time.Microsecond}},
		{result.OK, result.ClassNone, obs{2 * time.Millisecond, 300 * time.Microsecond}},
		{result.Miss, result.ClassNone, obs{0, 40 * time.Microsecond}},
		{result.Error, result.ClassTimeout, obs{time.Millisecond, 3 * time.Second}}, // a timeout's latency is real
		{result.Dropped, result.ClassNone, obs{}},                                   // never ran: not observed
		{result.Dropped, result.ClassNone, obs{}},
	}
	// Answered requests are in the latency and service histograms, errors
	// only in the error-latency one, dropped requests nowhere.
	var lats, svcs, errLats []float64
	for _, x := range recorded {
		r.Record(res(0, x.o, x.c, x.lag, x.svc))
		switch x.o {
		case result.OK, result.Miss:
			lats = append(lats, (x.lag + x.svc).Seconds())
			svcs = append(svcs, x.svc.Seconds())
		case result.Error:
			errLats = append(errLats, (x.lag + x.svc).Seconds())
		}
	}

	tests := []struct {
		name string
		want []float64
	}{
		{"ecbench_op_latency_seconds", lats},
		{"ecbench_op_service_seconds", svcs},
		{"ecbench_op_error_latency_seconds", errLats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := metrictest.Histogram(t, reg, tt.name, map[string]string{
				"target": "primary", "engine": "valkey", "workload": "cache", "op": "get",
			})
			if got, want := h.GetSampleCount(), uint64(len(tt.want)); got != want {
				t.Errorf("count = %d, want %d", got, want)
			}
			var sum float64
			for _, v := range tt.want {
				sum += v
			}
			if got := h.GetSampleSum(); math.Abs(got-sum) > 1e-12 {
				t.Errorf("sum = %v, want %v", got, sum)
			}
			if got, want := len(h.GetBucket()), len(latencyBuckets); got != want {
				t.Fatalf("%d classic buckets, want %d", got, want)
			}
			for _, b := range h.GetBucket() {
				var want uint64
				for _, v := range tt.want {
					if v <= b.GetUpperBound() {
						want++
					}
				}
				if b.GetCumulativeCount() != want {
					t.Errorf("bucket le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
				}
			}
			// Native buckets beside the classic ones: factor 1.1 is schema 3.
			if got := h.GetSchema(); got != 3 {
				t.Errorf("native schema = %d, want 3", got)
			}
			if got := sumDeltas(h.GetPositiveDelta()) + int64(h.GetZeroCount()); got != int64(len(tt.want)) {
				t.Errorf("native buckets hold %d observations, want %d", got, len(tt.want))
			}
		})
	}
}

// sumDeltas returns the total count of delta-encoded native buckets.
func sumDeltas(deltas []int64) int64 {
	var total, cur int64
	for _, d := range deltas {
		cur += d
		total += cur
	}
	return total
}

func TestLatencyBuckets(t *testing.T) {
	t.Parallel()
	b := latencyBuckets
	if b[0] != 50e-6 || b[len(b)-1] != 10 {
		t.Errorf("buckets span %g..%g, want 50µs..10s", b[0], b[len(b)-1])
	}
	if !slices.IsSorted(b) || len(slices.Compact(slices.Clone(b))) != len(b) {
		t.Errorf("buckets not strictly increasing: %v", b)
	}
	for i := 1; i < len(b); i++ {
		if r := b[i] / b[i-1]; r < 1.24 || r > 1.29 {
			t.Errorf("le=%g follows le=%g: ratio %.3f, want ≈1.26 (10 per decade)", b[i], b[i-1], r)
		}
	}
	for _, decade := range []float64{1e-4, 1e-3, 1e-2, 1e-1, 1, 10} {
		if !slices.Contains(b, decade) {
			t.Errorf("no bucket at exactly %g", decade)
		}
	}
	// The le labels are the short decimal forms.
	want := []string{"5e-05", "6.3e-05", "8e-05", "0.0001", "0.000125", "0.00016", "0.0002", "0.00025", "0.000315", "0.0004", "0.0005"}
	for i, w := range want {
		if got := strconv.FormatFloat(b[i], 'g', -1, 64); got != w {
			t.Errorf("bucket %d = %s, want %s", i, got, w)
		}
	}
	if len(b) != 54 {
		t.Errorf("%d buckets, want 54", len(b))
	}
}

// The engine label is detected at run time; a change rebinds the recorder to
// new series, and the old engine's series keep their counts.
func TestRecordEngineChange(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	var current atomic.Pointer[engine.Engine]
	set := func(e engine.Engine) { current.Store(&e) }
	set("")
	r := m.Recorder("primary", "cache", []string{"get"}, func() engine.Engine { return *current.Load() })

	ok := res(0, result.OK, result.ClassNone, 0, time.Millisecond)
	steps := []struct {
		engine engine.Engine
		n      int
	}{
		{"", 1}, // before detection: "unknown"
		{"redis", 2},
		{"valkey", 1}, // in-place migration
		{"redis", 1},  // and back: the cached redis series are reused
	}
	var redis *binding
	for _, s := range steps {
		set(s.engine)
		for range s.n {
			r.Record(ok)
		}
		if s.engine == "redis" {
			if redis != nil && r.bound.Load() != redis {
				t.Error("flip back to redis built a new binding instead of reusing the cached one")
			}
			redis = r.bound.Load()
		}
	}

	want := opsHeader + `ecbench_ops_total{engine="redis",op="get",outcome="dropped",target="primary",workload="cache"} 0
ecbench_ops_total{engine="redis",op="get",outcome="error",target="primary",workload="cache"} 0
ecbench_ops_total{engine="redis",op="get",outcome="miss",target="primary",workload="cache"} 0
ecbench_ops_total{engine="redis",op="get",outcome="ok",target="primary",workload="cache"} 3
ecbench_ops_total{engine="unknown",op="get",outcome="dropped",target="primary",workload="cache"} 0
ecbench_ops_total{engine="unknown",op="get",outcome="error",target="primary",workload="cache"} 0
ecbench_ops_total{engine="unknown",op="get",outcome="miss",target="primary",workload="cache"} 0
ecbench_ops_total{engine="unknown",op="get",outcome="ok",target="primary",workload="cache"} 1
ecbench_ops_total{engine="valkey",op="get",outcome="dropped",target="primary",workload="cache"} 0
ecbench_ops_total{engine="valkey",op="get",outcome="error",target="primary",workload="cache"} 0
ecbench_ops_total{engine="valkey",op="get",outcome="miss",target="primary",workload="cache"} 0
ecbench_ops_total{engine="valkey",op="get",outcome="ok",target="primary",workload="cache"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_ops_total"); err != nil {
		t.Error(err)
	}
	for _, e := range []string{"unknown", "redis", "valkey"} {
		h := metrictest.Histogram(t, reg, "ecbench_op_latency_seconds", map[string]string{
			"target": "primary", "engine": e, "workload": "cache", "op": "get",
		})
		want := map[string]uint64{"unknown": 1, "redis": 3, "valkey": 1}[e]
		if h.GetSampleCount() != want {
			t.Errorf("latency count for %s = %d, want %d", e, h.GetSampleCount(), want)
		}
	}
}

// Engine flips racing with Record from many goroutines lose no result.
func TestRecordConcurrentEngineFlips(t *testing.T) {
	t.Parallel()
	_, m := newTestMetrics(t)
	engines := []engine.Engine{engine.Unknown, engine.Redis, engine.Valkey}
	var tick atomic.Uint64
	r := m.Recorder("t", "w", []string{"get"}, func() engine.Engine { return engines[tick.Load()%3] })

	const workers, each = 4, 500
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range each {
				if i%50 == 0 {
					tick.Add(1)
				}
				r.Record(res(0, result.OK, result.ClassNone, 0, time.Microsecond))
			}
		})
	}
	wg.Wait()
	var total float64
	for _, e := range engines {
		total += testutil.ToFloat64(m.ops.WithLabelValues("t", e.Label(), "w", "get", "ok"))
	}
	if total != workers*each {
		t.Errorf("recorded %v, want %d", total, workers*each)
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	_, m := newTestMetrics(t)
	r := m.Recorder("t", "w", []string{"get", "set"}, fixedEngine("redis"))
	results := []result.Result{
		res(0, result.OK, result.ClassNone, 0, time.Millisecond),
		res(1, result.Miss, result.ClassNone, time.Millisecond, time.Millisecond),
		res(0, result.Error, result.ClassTimeout, 0, time.Second),
		res(1, result.Dropped, result.ClassNone, 0, 0),
	}
	// Warm up: native histograms allocate a bucket the first time a value
	// lands in it.
	for _, x := range results {
		r.Record(x)
	}
	for _, x := range results {
		if n := testing.AllocsPerRun(100, func() { r.Record(x) }); n != 0 {
			t.Errorf("Record(%v) allocates %v times", x.Outcome, n)
		}
	}
}

func TestRecordPanicsOnBadOp(t *testing.T) {
	t.Parallel()
	_, m := newTestMetrics(t)
	r := m.Recorder("t", "w", []string{"get"}, nil)
	defer func() {
		if recover() == nil {
			t.Error("Record with an out-of-range op did not panic")
		}
	}()
	r.Record(res(1, result.OK, result.ClassNone, 0, 0))
}

func TestNewRegistersOnce(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	if _, err := New(reg, "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg, "v1"); err == nil {
		t.Error("second New on the same registry: no error")
	}
	// A failed New leaves the registry as it was: the first set still gathers.
	if _, err := reg.Gather(); err != nil {
		t.Error(err)
	}

	// A clash part-way through unregisters what New had registered.
	reg2 := prometheus.NewRegistry()
	reg2.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "ecbench_ops_total", Help: "clash"}))
	if _, err := New(reg2, "v1"); err == nil {
		t.Fatal("New over a clashing ecbench_ops_total: no error")
	}
	mfs, err := reg2.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 1 {
		t.Errorf("after a failed New the registry holds %d families, want only the clashing one", len(mfs))
	}
}

func TestBuildInfo(t *testing.T) {
	t.Parallel()
	reg, _ := newTestMetrics(t)
	mf := metrictest.Family(t, reg, "ecbench_build_info")
	if mf == nil {
		t.Fatal("no ecbench_build_info")
	}
	m := mf.GetMetric()[0]
	labels := metrictest.Labels(m)
	if labels["version"] != "v1.2.3" || !strings.HasPrefix(labels["goversion"], "go") || m.GetGauge().GetValue() != 1 {
		t.Errorf("build info %v = %v", labels, m.GetGauge().GetValue())
	}
}

// TestRecordNEqualsRepeatedRecord checks that RecordN(x, n) exports exactly
// what n calls of Record(x) export.
func TestRecordNEqualsRepeatedRecord(t *testing.T) {
	xs := []result.Result{
		res(0, result.OK, result.ClassNone, 0, 180*time.Microsecond),
		res(1, result.Miss, result.ClassNone, time.Millisecond, 2*time.Millisecond),
		res(0, result.Error, result.ClassTimeout, 0, time.Second),
		res(1, result.Dropped, result.ClassNone, 0, 0),
	}
	regOne, mOne := newTestMetrics(t)
	regN, mN := newTestMetrics(t)
	one := mOne.Recorder("t", "w", []string{"get", "set"}, fixedEngine("redis"))
	batched := mN.Recorder("t", "w", []string{"get", "set"}, fixedEngine("redis"))
	for i, x := range xs {
		for range i + 2 {
			one.Record(x)
		}
		batched.RecordN(x, i+2)
	}
	batched.RecordN(xs[0], 0) // nothing
	var want, got strings.Builder
	for _, g := range []struct {
		reg prometheus.Gatherer
		out *strings.Builder
	}{{regOne, &want}, {regN, &got}} {
		mfs, err := g.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if strings.HasPrefix(mf.GetName(), "ecbench_op") {
				if _, err := expfmt.MetricFamilyToText(g.out, mf); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if got.String() != want.String() {
		t.Errorf("RecordN exposition differs from repeated Record:\n got  %s\n want %s", got.String(), want.String())
	}
	sOne, sN := one.TakeSummary(time.Now()), batched.TakeSummary(time.Now())
	sOne.Interval, sN.Interval, sOne.Rate, sN.Rate = 0, 0, 0, 0
	if !reflect.DeepEqual(sOne, sN) {
		t.Errorf("summaries differ:\n got  %+v\n want %+v", sN, sOne)
	}
}

func TestLagRecorder(t *testing.T) {
	reg, m := newTestMetrics(t)
	l := m.LagRecorder("valkey", "kv")
	for _, d := range []time.Duration{0, 3 * time.Microsecond, 20 * time.Microsecond, 20 * time.Microsecond, 70 * time.Millisecond} {
		l.RecordLag(d)
	}
	if m.LagRecorder("valkey", "kv").h != l.h {
		t.Error("a second LagRecorder for the same pair has its own series")
	}
	h := metrictest.Histogram(t, reg, "ecbench_dispatch_lag_seconds", map[string]string{"target": "valkey", "workload": "kv"})
	if h.GetSampleCount() != 5 || math.Abs(h.GetSampleSum()-0.070043) > 1e-12 {
		t.Errorf("count %d sum %v, want 5 and 0.070043", h.GetSampleCount(), h.GetSampleSum())
	}
	below := func(le float64) uint64 {
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == le {
				return b.GetCumulativeCount()
			}
		}
		t.Fatalf("no bucket le=%v", le)
		return 0
	}
	if below(5e-6) != 2 || below(2e-5) != 4 || below(0.063) != 4 || below(0.08) != 5 {
		t.Errorf("buckets: ≤5µs %d, ≤20µs %d, ≤63ms %d, ≤80ms %d; want 2 4 4 5", below(5e-6), below(2e-5), below(0.063), below(0.08))
	}
}

// droppedUntil is a dropped request whose lower bound on latency is d.
func droppedUntil(d time.Duration) result.Result {
	return result.Result{Op: 0, Intended: t0, Done: t0.Add(d), Outcome: result.Dropped}
}

// TestRecordDroppedLowerBound checks that a dropped request with a lower
// bound stays counted as dropped, never as answered or failed, while its
// bound is in the latency histogram.
func TestRecordDroppedLowerBound(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	r := m.Recorder("primary", "cache", []string{"get"}, fixedEngine("valkey"))
	r.Record(droppedUntil(time.Second))
	r.Record(res(0, result.Dropped, result.ClassNone, 0, 0)) // no bound: counted only
	r.Record(res(0, result.OK, result.ClassNone, 0, time.Millisecond))
	want := `
# HELP ecbench_ops_total Scheduled requests by outcome: ok (answered), miss (a read found no key), error (failed, see ecbench_op_errors_total) or dropped (never sent because the in-flight bound was reached).
# TYPE ecbench_ops_total counter
ecbench_ops_total{engine="valkey",op="get",outcome="dropped",target="primary",workload="cache"} 2
ecbench_ops_total{engine="valkey",op="get",outcome="error",target="primary",workload="cache"} 0
ecbench_ops_total{engine="valkey",op="get",outcome="miss",target="primary",workload="cache"} 0
ecbench_ops_total{engine="valkey",op="get",outcome="ok",target="primary",workload="cache"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_ops_total"); err != nil {
		t.Error(err)
	}
	labels := map[string]string{"target": "primary", "engine": "valkey", "workload": "cache", "op": "get"}
	if h := metrictest.Histogram(t, reg, "ecbench_op_latency_seconds", labels); h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-1.001) > 1e-12 {
		t.Errorf("latency: count %d sum %v, want the answer and the bound: 2 and 1.001", h.GetSampleCount(), h.GetSampleSum())
	}
	if h := metrictest.Histogram(t, reg, "ecbench_op_service_seconds", labels); h.GetSampleCount() != 1 {
		t.Errorf("service: count %d, want the answer only", h.GetSampleCount())
	}
	if s := r.TotalSummary(t0); s.Dropped != 2 || s.OK != 1 || s.Errors != 0 {
		t.Errorf("summary: dropped %d ok %d errors %d, want 2 1 0", s.Dropped, s.OK, s.Errors)
	}
}

// TestRecordSeparatesErrorLatency checks, for single results and pipeline
// batches, which histogram each outcome lands in, with exact counts and sums:
// an engine that fails every request fast must not show fast latency.
func TestRecordSeparatesErrorLatency(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	type counts struct {
		n   uint64
		sum float64
	}
	tests := []struct {
		name             string
		x                result.Result
		n                int
		lat, svc, errLat counts
	}{
		{"ok", res(0, result.OK, result.ClassNone, ms, 2*ms), 1, counts{1, 0.003}, counts{1, 0.002}, counts{}},
		{"miss", res(0, result.Miss, result.ClassNone, 0, ms), 1, counts{1, 0.001}, counts{1, 0.001}, counts{}},
		{"oom error", res(0, result.Error, result.ClassOOM, 0, 50*time.Microsecond), 1, counts{}, counts{}, counts{1, 50e-6}},
		{"timeout", res(0, result.Error, result.ClassTimeout, 2*ms, 3*time.Second), 1, counts{}, counts{}, counts{1, 3.002}},
		{"error without class", res(0, result.Error, result.ClassNone, 0, ms), 1, counts{}, counts{}, counts{1, 0.001}},
		{"dropped", res(0, result.Dropped, result.ClassNone, 0, 0), 1, counts{}, counts{}, counts{}},
		{"batch ok", res(0, result.OK, result.ClassNone, 0, 4*ms), 16, counts{16, 0.064}, counts{16, 0.064}, counts{}},
		{"batch error", res(0, result.Error, result.ClassOOM, ms, ms), 16, counts{}, counts{}, counts{16, 0.032}},
		{"batch dropped", res(0, result.Dropped, result.ClassNone, 0, 0), 16, counts{}, counts{}, counts{}},
		// A drop's Done is the earliest it could have been sent: its
		// latency's lower bound, in the latency histogram; never a service time.
		{"dropped with a lower bound", droppedUntil(500 * ms), 1, counts{1, 0.5}, counts{}, counts{}},
		{"batch dropped with a lower bound", droppedUntil(250 * ms), 16, counts{16, 4}, counts{}, counts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, m := newTestMetrics(t)
			r := m.Recorder("primary", "cache", []string{"set"}, fixedEngine("redis"))
			r.RecordN(tt.x, tt.n)
			labels := map[string]string{"target": "primary", "engine": "redis", "workload": "cache", "op": "set"}
			for _, h := range []struct {
				name string
				want counts
			}{
				{"ecbench_op_latency_seconds", tt.lat},
				{"ecbench_op_service_seconds", tt.svc},
				{"ecbench_op_error_latency_seconds", tt.errLat},
			} {
				got := metrictest.Histogram(t, reg, h.name, labels)
				if got.GetSampleCount() != h.want.n || math.Abs(got.GetSampleSum()-h.want.sum) > 1e-12 {
					t.Errorf("%s: count %d sum %v, want %d and %v",
						h.name, got.GetSampleCount(), got.GetSampleSum(), h.want.n, h.want.sum)
				}
			}
		})
	}
}
