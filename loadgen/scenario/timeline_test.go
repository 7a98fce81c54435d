package scenario_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/scenario"
	"github.com/ecbench/ecbench/loadgen/schedule"
)

// soak is the example: warm-up 10m → steady 1h → burst 5m →
// failover → recovery 20m.
func soak(actions ...scenario.Action) scenario.Timeline {
	return scenario.Timeline{Phases: []scenario.Phase{
		{Name: "warm-up", Duration: 10 * time.Minute, Multiplier: 0.5},
		{Name: "steady", Duration: time.Hour, Multiplier: 1},
		{Name: "burst", Duration: 5 * time.Minute, Multiplier: 3, Multipliers: map[string]float64{"writes": 1}},
		{Name: "failover", Duration: time.Minute, Multiplier: 1, Actions: actions},
		{Name: "recovery", Duration: 20 * time.Minute, Multiplier: 1,
			Overrides: map[string]schedule.Schedule{"reads": schedule.Ramp{From: 0, To: 200, Over: 10 * time.Minute}}},
	}}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	base := schedule.Constant{PerSecond: 100}
	const m = 60.0 // seconds per minute
	type countAt struct {
		at   time.Duration
		want float64
	}
	// reads: 50/s for 10m, 100/s for 1h, 300/s for 5m, 100/s for 1m, then
	// a ramp from 0 to 200/s over 10m on the phase's clock, held.
	c1 := 50 * 10 * m
	c2 := c1 + 100*60*m
	c3 := c2 + 300*5*m
	c4 := c3 + 100*m
	for _, tc := range []struct {
		name     string
		tl       scenario.Timeline
		workload string
		counts   []countAt
		due      map[int64]time.Duration
	}{
		{
			name: "reads", tl: soak(), workload: "reads",
			counts: []countAt{
				{5 * time.Minute, 50 * 5 * m}, {10 * time.Minute, c1}, {70 * time.Minute, c2}, {75 * time.Minute, c3},
				{76 * time.Minute, c4}, {86 * time.Minute, c4 + 100*10*m}, {96 * time.Minute, c4 + 100*10*m + 200*10*m},
				{106 * time.Minute, c4 + 100*10*m + 200*20*m}, // after the end the recovery phase runs on
			},
			due: map[int64]time.Duration{0: 0, int64(c1): 10 * time.Minute, int64(c3): 75 * time.Minute, int64(c4): 76 * time.Minute},
		},
		{
			// writes: the burst's multiplier is 1 for it, and it has no
			// override in recovery.
			name: "writes", tl: soak(), workload: "writes",
			counts: []countAt{{75 * time.Minute, c1 + 100*65*m}, {96 * time.Minute, c1 + 100*86*m}},
		},
		{
			name: "repeat", workload: "reads",
			tl: scenario.Timeline{Repeat: true, Phases: []scenario.Phase{
				{Name: "on", Duration: time.Minute, Multiplier: 1}, {Name: "off", Duration: time.Minute},
			}},
			counts: []countAt{{time.Minute, 6000}, {2 * time.Minute, 6000}, {3 * time.Minute, 12000}, {time.Hour, 30 * 6000}},
			due:    map[int64]time.Duration{5999: 59990 * time.Millisecond, 6000: 2 * time.Minute, 12000: 4 * time.Minute},
		},
		{
			name: "no phases", tl: scenario.Timeline{}, workload: "reads",
			counts: []countAt{{time.Hour, 360_000}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.tl.Schedule(tc.workload, base)
			for _, c := range tc.counts {
				if got := s.Count(c.at); math.Abs(got-c.want) > 1e-9*c.want {
					t.Errorf("Count(%v) = %v, want %v", c.at, got, c.want)
				}
			}
			for n, want := range tc.due {
				if got, ok := s.Due(n); !ok || got != want {
					t.Errorf("Due(%d) = %v, %v; want %v", n, got, ok, want)
				}
			}
			// Every runner of the workload gets a copy of the same schedule.
			again := tc.tl.Schedule(tc.workload, base)
			for n := int64(0); n < 400_000; n += 997 {
				a, aok := s.Due(n)
				b, bok := again.Due(n)
				if a != b || aok != bok {
					t.Fatalf("two runners disagree on Due(%d): %v, %v", n, a, b)
				}
			}
		})
	}
}

func TestScheduleTypes(t *testing.T) {
	t.Parallel()
	base := schedule.Constant{PerSecond: 100}
	if s := soak().Schedule("closed", nil); s != nil {
		t.Errorf("closed loop: %#v, want nil (closed loop stays closed loop)", s)
	}
	if s := (scenario.Timeline{}).Schedule("reads", base); s != base {
		t.Errorf("no phases: %#v, want the base", s)
	}
	if _, ok := soak().Schedule("reads", base).(schedule.Piecewise); !ok {
		t.Errorf("once: not a Piecewise")
	}
	rep := soak()
	rep.Repeat = true
	r, ok := rep.Schedule("reads", base).(schedule.Repeat)
	if !ok {
		t.Fatalf("repeat: not a Repeat")
	}
	if l := r.Of.Length(); l != 96*time.Minute {
		t.Errorf("repeat: cycle %v, want 1h36m", l)
	}
}

func TestPhaseAt(t *testing.T) {
	t.Parallel()
	once := soak()
	rep := soak()
	rep.Repeat = true
	withZero := scenario.Timeline{Phases: []scenario.Phase{
		{Name: "a", Duration: time.Second}, {Name: "zero"}, {Name: "b", Duration: time.Second}, {Name: "last"},
	}}
	const cycle = 96 * time.Minute
	for _, tc := range []struct {
		tl      scenario.Timeline
		elapsed time.Duration
		index   int
		name    string
		start   time.Duration
	}{
		{once, -time.Second, 0, "warm-up", 0},
		{once, 0, 0, "warm-up", 0},
		{once, 10*time.Minute - 1, 0, "warm-up", 0},
		{once, 10 * time.Minute, 1, "steady", 10 * time.Minute},
		{once, 75 * time.Minute, 3, "failover", 75 * time.Minute},
		{once, 76 * time.Minute, 4, "recovery", 76 * time.Minute},
		{once, cycle, 4, "recovery", 76 * time.Minute}, // the last phase stays in force
		{once, 100 * time.Hour, 4, "recovery", 76 * time.Minute},
		{rep, cycle - 1, 4, "recovery", 76 * time.Minute},
		{rep, cycle, 0, "warm-up", cycle},
		{rep, 3*cycle + 75*time.Minute + 30*time.Second, 3, "failover", 3*cycle + 75*time.Minute},
		{withZero, time.Second, 2, "b", time.Second}, // a phase of no length is never in force
		{withZero, 2 * time.Second, 3, "last", 2 * time.Second},
		{scenario.Timeline{}, time.Second, -1, "", 0},
	} {
		index, name, start := tc.tl.PhaseAt(tc.elapsed)
		if index != tc.index || name != tc.name || start != tc.start {
			t.Errorf("repeat=%v PhaseAt(%v) = %d %q %v; want %d %q %v", tc.tl.Repeat, tc.elapsed, index, name, start, tc.index, tc.name, tc.start)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	workloads := map[string]bool{"reads": true, "writes": true, "closed": false}
	if err := soak(noop{}).Validate(workloads); err != nil {
		t.Errorf("the soak: %v", err)
	}
	for _, tc := range []struct {
		name string
		tl   scenario.Timeline
		want string
	}{
		{"empty", scenario.Timeline{}, "phases: must not be empty"},
		{
			"everything",
			scenario.Timeline{Phases: []scenario.Phase{
				{Duration: -time.Second, Multiplier: -1},
				{Name: "b", Multiplier: math.Inf(1), Multipliers: map[string]float64{"nope": 1, "reads": math.NaN(), "closed": 2},
					Overrides: map[string]schedule.Schedule{"closed": schedule.Constant{}, "writes": nil, "gone": schedule.Constant{}},
					Actions:   []scenario.Action{noop{}, nil}},
			}},
			`phases[0].name: must not be empty
phases[0].duration: must be > 0, got "-1s"
phases[0].multiplier: must be a finite number >= 0, got -1
phases[1].duration: must be > 0, got "0s"
phases[1].multiplier: must be a finite number >= 0, got +Inf
phases[1].multipliers.closed: workload "closed" is closed loop: a phase can only shape an open-loop rate
phases[1].multipliers.nope: unknown workload "nope" (workloads: closed, reads, writes)
phases[1].multipliers.reads: must be a finite number >= 0, got NaN
phases[1].overrides.closed: workload "closed" is closed loop: a phase can only shape an open-loop rate
phases[1].overrides.gone: unknown workload "gone" (workloads: closed, reads, writes)
phases[1].overrides.writes: must not be nil
phases[1].actions[1]: must not be nil`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.tl.Validate(workloads)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
	// Without workloads, names are not checked.
	tl := scenario.Timeline{Phases: []scenario.Phase{{Name: "a", Duration: time.Second, Overrides: map[string]schedule.Schedule{"any": schedule.Constant{}}}}}
	if err := tl.Validate(nil); err != nil {
		t.Errorf("nil workloads: %v", err)
	}
}

func TestResultOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{errors.New("boom"), "error"},
		{fmt.Errorf("failover: %w", context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("failover: %w", context.Canceled), "canceled"},
		{scenario.ErrBusy, "skipped"},
		{fmt.Errorf("disabled: %w", scenario.ErrSkipped), "skipped"},
	} {
		if got := scenario.ResultOf(tc.err); got != tc.want {
			t.Errorf("ResultOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// noop is an action that does nothing.
type noop struct{}

func (noop) Name() string { return "noop" }
func (noop) Run(context.Context, func(time.Time)) (scenario.ActionResult, error) {
	return scenario.ActionResult{}, nil
}
