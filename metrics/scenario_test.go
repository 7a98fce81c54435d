package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/loadgen/scenario"
)

// namedAction is a scenario action that is only a name.
type namedAction string

func (a namedAction) Name() string { return string(a) }
func (namedAction) Run(context.Context, func(time.Time)) (scenario.ActionResult, error) {
	return scenario.ActionResult{}, nil
}

// soakTimeline has a phase name used twice and a failover action.
func soakTimeline() scenario.Timeline {
	return scenario.Timeline{Phases: []scenario.Phase{
		{Name: "warm-up", Duration: time.Minute},
		{Name: "steady", Duration: time.Hour},
		{Name: "burst", Duration: time.Minute},
		{Name: "steady", Duration: time.Hour},
		{Name: "failover", Duration: time.Minute, Actions: []scenario.Action{namedAction("failover")}},
		{Name: "recovery", Duration: time.Minute},
	}}
}

var scenarioNames = []string{
	"ecbench_phase_info", "ecbench_phase_start_timestamp_seconds",
	"ecbench_action_requested_timestamp_seconds", "ecbench_action_completed_timestamp_seconds", "ecbench_actions_total",
}

const scenarioHelp = `# HELP ecbench_action_completed_timestamp_seconds When a scenario action last saw its effect complete (a failover: the new primary in place), in seconds since the epoch; 0 before the first time. Older than the request while the action runs or after it failed.
# TYPE ecbench_action_completed_timestamp_seconds gauge
ecbench_action_completed_timestamp_seconds{action="failover",phase="failover"} %s
# HELP ecbench_action_requested_timestamp_seconds When a scenario action (such as a failover) last asked for its effect, in seconds since the epoch; 0 before the first time.
# TYPE ecbench_action_requested_timestamp_seconds gauge
ecbench_action_requested_timestamp_seconds{action="failover",phase="failover"} %s
# HELP ecbench_actions_total Scenario actions that returned, by result: ok, error, timeout (not complete in time), canceled (ecbench stopped) or skipped (not enabled, or still running from the previous cycle).
# TYPE ecbench_actions_total counter
ecbench_actions_total{action="failover",result="canceled"} %d
ecbench_actions_total{action="failover",result="error"} %d
ecbench_actions_total{action="failover",result="ok"} %d
ecbench_actions_total{action="failover",result="skipped"} %d
ecbench_actions_total{action="failover",result="timeout"} %d
# HELP ecbench_phase_info 1 for the scenario phase in force, 0 for the scenario's other phases.
# TYPE ecbench_phase_info gauge
ecbench_phase_info{phase="burst"} %d
ecbench_phase_info{phase="failover"} %d
ecbench_phase_info{phase="recovery"} %d
ecbench_phase_info{phase="steady"} %d
ecbench_phase_info{phase="warm-up"} %d
`

const startHelp = `# HELP ecbench_phase_start_timestamp_seconds When the scenario phase in force began, in seconds since the epoch; absent before the first phase.
# TYPE ecbench_phase_start_timestamp_seconds gauge
ecbench_phase_start_timestamp_seconds %s
`

func newTestScenario(t *testing.T) (*prometheus.Registry, *Scenario) {
	t.Helper()
	reg := prometheus.NewRegistry()
	s, err := NewScenario(reg, soakTimeline())
	if err != nil {
		t.Fatal(err)
	}
	return reg, s
}

func TestScenarioMetrics(t *testing.T) {
	t.Parallel()
	reg, s := newTestScenario(t)
	expect := func(step, start, requested, completed string, canceled, errs, ok, skipped, timeout int, phases ...int) {
		t.Helper()
		want := fmt.Sprintf(scenarioHelp, completed, requested, canceled, errs, ok, skipped, timeout,
			phases[0], phases[1], phases[2], phases[3], phases[4])
		if start != "" {
			want += fmt.Sprintf(startHelp, start)
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), scenarioNames...); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}
	// Before the first phase every series is there, at 0.
	expect("before", "", "0", "0", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

	at := func(sec float64) time.Time {
		whole, frac := math.Modf(sec)
		return time.Unix(int64(whole), int64(frac*1e9))
	}
	s.PhaseStarted(0, "warm-up", at(1_700_000_000))
	expect("warm-up", "1.7e+09", "0", "0", 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
	s.PhaseStarted(3, "steady", at(1_700_003_660.5))
	expect("steady", "1.7000036605e+09", "0", "0", 0, 0, 0, 0, 0, 0, 0, 0, 1, 0)

	s.PhaseStarted(4, "failover", at(1_700_007_260))
	s.ActionRequested("failover", "failover", at(1_700_007_260.25))
	expect("requested", "1.70000726e+09", "1.70000726025e+09", "0", 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)
	s.ActionDone("failover", "failover", scenario.ActionResult{Requested: at(1_700_007_260.25), Completed: at(1_700_007_301.5)}, nil)
	expect("completed", "1.70000726e+09", "1.70000726025e+09", "1.7000073015e+09", 0, 0, 1, 0, 0, 0, 1, 0, 0, 0)

	// A second run (a repeating timeline) that times out: requested moves
	// on, completed stays the last completion, older than the request.
	s.ActionRequested("failover", "failover", at(1_700_014_000))
	s.ActionDone("failover", "failover", scenario.ActionResult{Requested: at(1_700_014_000)}, fmt.Errorf("x: %w", context.DeadlineExceeded))
	s.ActionDone("failover", "failover", scenario.ActionResult{}, scenario.ErrBusy)
	s.ActionDone("failover", "failover", scenario.ActionResult{}, context.Canceled)
	s.ActionDone("failover", "failover", scenario.ActionResult{}, errors.New("boom"))
	s.PhaseStarted(5, "recovery", at(1_700_014_060))
	expect("timeout", "1.70001406e+09", "1.700014e+09", "1.7000073015e+09", 1, 1, 1, 1, 1, 0, 0, 1, 0, 0)
}

// TestScenarioUnknownPhase: a phase the timeline did not list (a sink used
// with another timeline) is added, not lost.
func TestScenarioUnknownPhase(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	s, err := NewScenario(reg, scenario.Timeline{Phases: []scenario.Phase{{Name: "a", Duration: time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	s.PhaseStarted(1, "b", time.Unix(10, 0))
	want := `# HELP ecbench_phase_info 1 for the scenario phase in force, 0 for the scenario's other phases.
# TYPE ecbench_phase_info gauge
ecbench_phase_info{phase="a"} 0
ecbench_phase_info{phase="b"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_phase_info"); err != nil {
		t.Error(err)
	}
}

// TestScenarioOnePhaseAtATime scrapes while phases change: every scrape sees
// exactly one phase at 1.
func TestScenarioOnePhaseAtATime(t *testing.T) {
	t.Parallel()
	reg, s := newTestScenario(t)
	s.PhaseStarted(0, "warm-up", time.Unix(1, 0))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		names := []string{"warm-up", "steady", "burst", "failover", "recovery"}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.PhaseStarted(i%5, names[i%5], time.Unix(int64(i), 0))
			s.ActionRequested("failover", "failover", time.Unix(int64(i), 0))
		}
	})
	for range 200 {
		if mf := metrictest.Family(t, reg, "ecbench_phase_info"); mf != nil {
			ones := 0
			for _, m := range mf.GetMetric() {
				ones += int(m.GetGauge().GetValue())
			}
			if ones != 1 {
				t.Fatalf("a scrape saw %d phases at 1", ones)
			}
		}
	}
	close(stop)
	wg.Wait()
}

func TestNewScenarioRegistersOnce(t *testing.T) {
	t.Parallel()
	reg, _ := newTestScenario(t)
	before, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewScenario(reg, soakTimeline()); err == nil {
		t.Fatal("second NewScenario on one registry succeeded")
	}
	after, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("a failed NewScenario changed the registry: %d families, then %d", len(before), len(after))
	}
	// Beside the main and probe metrics on the daemon's registry.
	full := NewRegistry()
	if _, err := New(full, "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewProbes(full); err != nil {
		t.Fatal(err)
	}
	if _, err := NewScenario(full, soakTimeline()); err != nil {
		t.Errorf("NewScenario beside New and NewProbes: %v", err)
	}
}

// populatedScenario returns a registry with every scenario series present.
func populatedScenario(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg, s := newTestScenario(t)
	now := time.Unix(1_700_000_000, 0)
	s.PhaseStarted(4, "failover", now)
	s.ActionRequested("failover", "failover", now)
	s.ActionDone("failover", "failover", scenario.ActionResult{Requested: now, Completed: now.Add(time.Minute)}, nil)
	return reg
}

func TestScenarioLint(t *testing.T) {
	t.Parallel()
	lint(t, populatedScenario(t))
}

// TestScenarioPromtoolCheckMetrics runs the real promtool over the text
// exposition of the scenario metrics.
func TestScenarioPromtoolCheckMetrics(t *testing.T) {
	t.Parallel()
	promtoolCheck(t, populatedScenario(t), scenarioNames...)
}
