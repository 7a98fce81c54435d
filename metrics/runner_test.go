package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/internal/metrictest"
)

// stallingRunner is a runner that also reports its replies (StallStats).
type stallingRunner struct {
	fakeRunner
	gap   time.Duration
	drops uint64
}

func (s stallingRunner) ReplyGap() time.Duration { return s.gap }
func (s stallingRunner) StallDrops() uint64      { return s.drops }

var _ StallStats = stallingRunner{}

// TestRunnerStallMetrics checks the reply-gap gauge and the stall-drop
// counter of a runner that reports them (and their absence for one that
// does not), and the stall histogram.
func TestRunnerStallMetrics(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	m.AddRunner("primary", "cache", stallingRunner{fakeRunner: fakeRunner{max: 256}, gap: 750 * time.Millisecond, drops: 980})
	m.AddRunner("replica", "cache", fakeRunner{max: 256})
	stalls := m.StallRecorder("primary", "cache")
	stalls.RecordStall(time.Second)
	stalls.RecordStall(150 * time.Millisecond)

	want := `# HELP ecbench_reply_gap_seconds How long requests have been in flight without any reply from the server, in seconds: near 0 while replies flow, a ramp while the server stalls. A timeout is no reply.
# TYPE ecbench_reply_gap_seconds gauge
ecbench_reply_gap_seconds{target="primary",workload="cache"} 0.75
# HELP ecbench_stall_drops_total Dropped requests (of ecbench_ops_total{outcome="dropped"}) that were due while the server had answered nothing for at least 0.1 s: the server's stall. The others were dropped while replies were flowing: max_inflight is below rate × latency.
# TYPE ecbench_stall_drops_total counter
ecbench_stall_drops_total{target="primary",workload="cache"} 980
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_reply_gap_seconds", "ecbench_stall_drops_total"); err != nil {
		t.Error(err)
	}
	h := metrictest.Histogram(t, reg, "ecbench_stall_seconds", map[string]string{"target": "primary", "workload": "cache"})
	if h.GetSampleCount() != 2 || h.GetSampleSum() != 1.15 {
		t.Errorf("stalls: count %d sum %v, want 2 and 1.15", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 0.16 {
			want = 1
		}
		if b.GetUpperBound() >= 1 {
			want = 2
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("stalls ≤ %vs: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

// TestRunnerStallMetricsLint lints the stall metrics with client_golang's
// linter and the real promtool.
func TestRunnerStallMetricsLint(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	m.AddRunner("primary", "cache", stallingRunner{fakeRunner: fakeRunner{max: 256}, gap: time.Second, drops: 3})
	m.StallRecorder("primary", "cache").RecordStall(time.Second)
	lint(t, reg)
	promtoolCheck(t, reg, "ecbench_reply_gap_seconds", "ecbench_stall_drops_total", "ecbench_stall_seconds_bucket")
}
