package metrics

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
)

func newTestProbes(t *testing.T) (*prometheus.Registry, *Probes) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	p, err := NewProbes(reg)
	if err != nil {
		t.Fatal(err)
	}
	return reg, p
}

// switchableEngine is an engine func whose answer the test changes.
type switchableEngine struct{ v atomic.Pointer[engine.Engine] }

func newSwitchableEngine(e engine.Engine) *switchableEngine {
	s := &switchableEngine{}
	s.set(e)
	return s
}

func (s *switchableEngine) set(e engine.Engine) { s.v.Store(&e) }
func (s *switchableEngine) get() engine.Engine  { return *s.v.Load() }

const checksHeader = `# HELP ecbench_integrity_checks_total Acknowledged writes of the integrity probe judged, by verdict: verified (at its first check), lost (key gone), stale (an older record) or corrupted (checksum mismatch), when a read first finds it so, at any time until its key is reused, or unchecked (never read: ecbench stopped, its final sweep could not read, and there is no state file). A write counts at most once as verified and once as anything else.
# TYPE ecbench_integrity_checks_total counter
`

func TestIntegrityChecks(t *testing.T) {
	t.Parallel()
	reg, p := newTestProbes(t)
	current := newSwitchableEngine("")
	r := p.Integrity("primary", current.get)
	first := probe.Sweep{Kind: probe.FirstCheck}
	r.Checked(probe.Check{Result: probe.Verified, N: 100, From: 0, To: 99, Sweep: first})
	r.Checked(probe.Check{Result: probe.Lost, N: 200, From: 0, To: 199, Sweep: probe.Sweep{Kind: probe.RecoverySweep, ID: 1}})
	r.Checked(probe.Check{Result: probe.Lost, N: 51, From: 300, To: 350, Sweep: probe.Sweep{Kind: probe.ContinuousSweep, ID: 2}})
	r.SweepDone(probe.SweepReport{Sweep: probe.Sweep{Kind: probe.RecoverySweep, ID: 1}, Read: 200})
	current.set("valkey") // an in-place migration
	r.Checked(probe.Check{Result: probe.Verified, N: 3, From: 351, To: 353, Sweep: first})
	r.Checked(probe.Check{Result: probe.Stale, N: 2, From: 354, To: 355, Sweep: first})
	r.Checked(probe.Check{Result: probe.Corrupted, N: 1, From: 356, To: 356, Sweep: probe.Sweep{Kind: probe.RequestedSweep, Reason: "role change", ID: 3}})
	r.Checked(probe.Check{Result: probe.Unchecked, N: 7, From: 357, To: 363, Sweep: probe.Sweep{Kind: probe.FinalSweep, ID: 4}})
	p.Integrity("replica", nil) // zero-initialised

	want := checksHeader + `ecbench_integrity_checks_total{engine="unknown",result="corrupted",target="primary"} 0
ecbench_integrity_checks_total{engine="unknown",result="corrupted",target="replica"} 0
ecbench_integrity_checks_total{engine="unknown",result="lost",target="primary"} 251
ecbench_integrity_checks_total{engine="unknown",result="lost",target="replica"} 0
ecbench_integrity_checks_total{engine="unknown",result="stale",target="primary"} 0
ecbench_integrity_checks_total{engine="unknown",result="stale",target="replica"} 0
ecbench_integrity_checks_total{engine="unknown",result="unchecked",target="primary"} 0
ecbench_integrity_checks_total{engine="unknown",result="unchecked",target="replica"} 0
ecbench_integrity_checks_total{engine="unknown",result="verified",target="primary"} 100
ecbench_integrity_checks_total{engine="unknown",result="verified",target="replica"} 0
ecbench_integrity_checks_total{engine="valkey",result="corrupted",target="primary"} 1
ecbench_integrity_checks_total{engine="valkey",result="lost",target="primary"} 0
ecbench_integrity_checks_total{engine="valkey",result="stale",target="primary"} 2
ecbench_integrity_checks_total{engine="valkey",result="unchecked",target="primary"} 7
ecbench_integrity_checks_total{engine="valkey",result="verified",target="primary"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_integrity_checks_total"); err != nil {
		t.Error(err)
	}
}

// probeErrorsExposition returns ecbench_probe_errors_total for one target and
// engine with every class at zero but those in nonzero.
func probeErrorsExposition(target, engine string, nonzero map[result.Class]int) string {
	var b strings.Builder
	b.WriteString("# HELP ecbench_probe_errors_total Failed availability probes by error class (timeout, conn_refused, readonly, ...).\n# TYPE ecbench_probe_errors_total counter\n")
	// The text format sorts series by label values; classes sort by name.
	names := make(map[string]int, len(result.Classes))
	for _, c := range result.Classes {
		names[c.String()] = nonzero[c]
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		fmt.Fprintf(&b, "ecbench_probe_errors_total{class=%q,engine=%q,target=%q} %d\n", n, engine, target, names[n])
	}
	return b.String()
}

func TestAvailabilityMetrics(t *testing.T) {
	t.Parallel()
	reg, p := newTestProbes(t)
	r := p.Availability("primary", fixedEngine(engine.Redis))

	gauges := func(available, last float64) string {
		return fmt.Sprintf(`# HELP ecbench_last_outage_seconds Duration of the last finished outage in seconds, i.e. the time the target took to recover; 0 before the first.
# TYPE ecbench_last_outage_seconds gauge
ecbench_last_outage_seconds{engine="redis",target="primary"} %g
# HELP ecbench_target_available Whether the last availability probe (a write and a read back) succeeded (1) or not (0); 0 before the first probe.
# TYPE ecbench_target_available gauge
ecbench_target_available{engine="redis",target="primary"} %g
`, last, available)
	}
	outages := func(n int) string {
		return fmt.Sprintf(`# HELP ecbench_outages_total Outages seen by the availability probe (runs of failed probes), counted when they start.
# TYPE ecbench_outages_total counter
ecbench_outages_total{engine="redis",target="primary"} %d
`, n)
	}
	compare := func(step, want string, names ...string) {
		t.Helper()
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}

	compare("before the first probe", gauges(0, 0)+outages(0)+probeErrorsExposition("primary", "redis", nil),
		"ecbench_target_available", "ecbench_last_outage_seconds", "ecbench_outages_total", "ecbench_probe_errors_total")

	r.Probe(true, result.ClassNone, 2*time.Millisecond)
	compare("up", gauges(1, 0), "ecbench_target_available", "ecbench_last_outage_seconds")

	start := time.Unix(1000, 0)
	r.Probe(false, result.ClassTimeout, 100*time.Millisecond)
	r.OutageStart(probe.Outage{Start: start, FirstClass: result.ClassTimeout, LastClass: result.ClassTimeout, Failed: 1})
	r.Probe(false, result.ClassReadonly, time.Millisecond)
	r.Probe(false, result.ClassNone, time.Millisecond) // a failure without a class is "other"
	compare("down", gauges(0, 0)+outages(1), "ecbench_target_available", "ecbench_last_outage_seconds", "ecbench_outages_total")

	r.Probe(true, result.ClassNone, 3*time.Millisecond)
	r.OutageEnd(probe.Outage{Start: start, End: start.Add(1500 * time.Millisecond), Duration: 1500 * time.Millisecond, Failed: 3})
	compare("recovered", gauges(1, 1.5)+outages(1)+probeErrorsExposition("primary", "redis",
		map[result.Class]int{result.ClassTimeout: 1, result.ClassReadonly: 1, result.ClassOther: 1}),
		"ecbench_target_available", "ecbench_last_outage_seconds", "ecbench_outages_total", "ecbench_probe_errors_total")

	h := metrictest.Histogram(t, reg, "ecbench_outage_seconds", map[string]string{"target": "primary", "engine": "redis"})
	if h.GetSampleCount() != 1 || h.GetSampleSum() != 1.5 {
		t.Errorf("outage histogram: count %d sum %g, want 1 and 1.5", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 1.5 {
			want = 1
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("outage bucket le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	lat := metrictest.Histogram(t, reg, "ecbench_probe_latency_seconds", map[string]string{"target": "primary", "engine": "redis"})
	if got, want := lat.GetSampleSum(), (2+100+1+1+3)*1e-3; lat.GetSampleCount() != 5 || math.Abs(got-want) > 1e-12 {
		t.Errorf("latency histogram: count %d sum %g, want 5 and %g", lat.GetSampleCount(), got, want)
	}
	if lat.GetSchema() != 3 || h.GetSchema() != 3 {
		t.Errorf("native schemas %d and %d, want 3 (factor 1.1)", lat.GetSchema(), h.GetSchema())
	}
}

func TestOutageBuckets(t *testing.T) {
	t.Parallel()
	b := outageBuckets
	if b[0] != 0.1 || b[len(b)-1] != 600 {
		t.Errorf("outage buckets span %g..%g, want 0.1s..10min", b[0], b[len(b)-1])
	}
	for i := 1; i < len(b); i++ {
		if b[i] <= b[i-1] {
			t.Errorf("outage buckets not increasing at %d: %v", i, b)
		}
	}
}

// The gauges carry the engine as it is at scrape time, and only that one: a
// gauge left under the old engine would claim a state that no longer holds.
func TestAvailabilityGaugesFollowEngine(t *testing.T) {
	t.Parallel()
	reg, p := newTestProbes(t)
	current := newSwitchableEngine("redis")
	r := p.Availability("primary", current.get)
	r.Probe(true, result.ClassNone, time.Millisecond)
	current.set("valkey")
	want := `# HELP ecbench_target_available Whether the last availability probe (a write and a read back) succeeded (1) or not (0); 0 before the first probe.
# TYPE ecbench_target_available gauge
ecbench_target_available{engine="valkey",target="primary"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_target_available"); err != nil {
		t.Error(err)
	}
	// A restarted probe for the same target replaces the old one's gauges.
	p.Availability("primary", current.get)
	want = strings.Replace(want, "} 1", "} 0", 1)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_target_available"); err != nil {
		t.Error(err)
	}
}

func TestNewProbesRegistersOnce(t *testing.T) {
	t.Parallel()
	reg, _ := newTestProbes(t)
	before, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewProbes(reg); err == nil {
		t.Fatal("second NewProbes on one registry succeeded")
	}
	after, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("a failed NewProbes changed the registry: %d families, then %d", len(before), len(after))
	}
	// Beside the main metrics on the daemon's registry.
	full := NewRegistry()
	if _, err := New(full, "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewProbes(full); err != nil {
		t.Errorf("NewProbes beside New: %v", err)
	}
}

// populatedProbes returns a registry as the daemon builds it, with every
// probe series present.
func populatedProbes(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := NewRegistry()
	if _, err := New(reg, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	p, err := NewProbes(reg)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Availability("primary", fixedEngine(engine.Redis))
	a.Probe(false, result.ClassTimeout, 100*time.Millisecond)
	a.OutageStart(probe.Outage{})
	a.Probe(true, result.ClassNone, time.Millisecond)
	a.OutageEnd(probe.Outage{Duration: 1200 * time.Millisecond})
	p.Availability("replica", nil)
	in := p.Integrity("primary", fixedEngine(engine.Redis))
	for _, r := range probe.CheckResults {
		in.Checked(probe.Check{Result: r, N: 1})
	}
	return reg
}

func TestProbesLint(t *testing.T) {
	t.Parallel()
	lint(t, populatedProbes(t))
}

// TestProbesPromtoolCheckMetrics runs the real promtool over the text
// exposition of the probe metrics.
func TestProbesPromtoolCheckMetrics(t *testing.T) {
	t.Parallel()
	promtoolCheck(t, populatedProbes(t),
		"ecbench_integrity_checks_total", "ecbench_outages_total", "ecbench_outage_seconds_bucket",
		"ecbench_last_outage_seconds", "ecbench_target_available", "ecbench_probe_latency_seconds_bucket",
		"ecbench_probe_errors_total")
}

func BenchmarkAvailabilityProbe(b *testing.B) {
	p, err := NewProbes(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	r := p.Availability("t", fixedEngine(engine.Redis))
	b.ReportAllocs()
	for b.Loop() {
		r.Probe(true, result.ClassNone, time.Millisecond)
	}
}
