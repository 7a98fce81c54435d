package scenario_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ecbench/ecbench/loadgen/scenario"
)

// recorder is a Sink that keeps what it is told, as lines relative to a
// time zero: "phase 1 steady @10m0s (now 10m0s)".
type recorder struct {
	zero time.Time

	mu     sync.Mutex
	events []string
	errs   []error
}

func (r *recorder) rel(at time.Time) time.Duration { return at.Sub(r.zero) }

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) PhaseStarted(index int, phase string, at time.Time) {
	r.add("phase %d %s @%v (now %v)", index, phase, r.rel(at), r.rel(time.Now()))
}

func (r *recorder) ActionRequested(action, phase string, at time.Time) {
	r.add("requested %s in %s @%v", action, phase, r.rel(at))
}

func (r *recorder) ActionDone(action, phase string, res scenario.ActionResult, err error) {
	var req, done time.Duration = -1, -1
	if !res.Requested.IsZero() {
		req = r.rel(res.Requested)
	}
	if !res.Completed.IsZero() {
		done = r.rel(res.Completed)
	}
	r.add("done %s in %s requested %v completed %v: %s (now %v)", action, phase, req, done, scenario.ResultOf(err), r.rel(time.Now()))
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// sleeper is an action that asks for its effect at once and completes after
// d, or gives up when ctx is done.
type sleeper struct {
	name string
	d    time.Duration
	runs atomic.Int32
}

func (s *sleeper) Name() string { return s.name }

func (s *sleeper) Run(ctx context.Context, requested func(time.Time)) (scenario.ActionResult, error) {
	s.runs.Add(1)
	res := scenario.ActionResult{Requested: time.Now()}
	requested(res.Requested)
	select {
	case <-time.After(s.d):
		res.Completed = time.Now()
		return res, nil
	case <-ctx.Done():
		return res, ctx.Err()
	}
}

func check(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestDriverSoak follows the soak in virtual time: each phase is
// reported at its boundary on the shared clock, the failover action runs in
// its phase, and Run returns once the last phase has begun.
func TestDriverSoak(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{zero: time.Now()}
		fo := &sleeper{name: "failover", d: 30 * time.Second}
		err := scenario.Driver{Timeline: soak(fo), Sink: rec}.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		check(t, rec.lines(), []string{
			"phase 0 warm-up @0s (now 0s)",
			"phase 1 steady @10m0s (now 10m0s)",
			"phase 2 burst @1h10m0s (now 1h10m0s)",
			"phase 3 failover @1h15m0s (now 1h15m0s)",
			"requested failover in failover @1h15m0s",
			"done failover in failover requested 1h15m0s completed 1h15m30s: ok (now 1h15m30s)",
			"phase 4 recovery @1h16m0s (now 1h16m0s)",
		})
		if now := rec.rel(time.Now()); now != 76*time.Minute {
			t.Errorf("Run returned at %v, want 1h16m0s (when the last phase began)", now)
		}
	})
}

// TestDriverWaitsForActions: a timeline that does not repeat returns only
// once the actions it started have returned.
func TestDriverWaitsForActions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{zero: time.Now()}
		slow := &sleeper{name: "slow", d: 5 * time.Minute}
		tl := scenario.Timeline{Phases: []scenario.Phase{
			{Name: "a", Duration: time.Minute, Actions: []scenario.Action{slow}},
			{Name: "b", Duration: time.Minute},
		}}
		if err := (scenario.Driver{Timeline: tl, Sink: rec}).Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		if now := rec.rel(time.Now()); now != 5*time.Minute {
			t.Errorf("Run returned at %v, want 5m0s", now)
		}
	})
}

// TestDriverRepeat starts over after the last phase until cancelled.
func TestDriverRepeat(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{zero: time.Now()}
		tl := scenario.Timeline{Repeat: true, Phases: []scenario.Phase{
			{Name: "a", Duration: time.Minute},
			{Name: "b", Duration: 2 * time.Minute},
		}}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(10*time.Minute+30*time.Second, cancel)
		if err := (scenario.Driver{Timeline: tl, Sink: rec}).Run(ctx); err != nil {
			t.Fatal(err)
		}
		if now := rec.rel(time.Now()); now != 10*time.Minute+30*time.Second {
			t.Errorf("Run returned at %v, want at the cancel, 10m30s", now)
		}
		check(t, rec.lines(), []string{
			"phase 0 a @0s (now 0s)", "phase 1 b @1m0s (now 1m0s)",
			"phase 0 a @3m0s (now 3m0s)", "phase 1 b @4m0s (now 4m0s)",
			"phase 0 a @6m0s (now 6m0s)", "phase 1 b @7m0s (now 7m0s)",
			"phase 0 a @9m0s (now 9m0s)", "phase 1 b @10m0s (now 10m0s)",
		})
	})
}

// TestDriverBusy: an action still running from the previous cycle is not
// started again, and is reported skipped.
func TestDriverBusy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{zero: time.Now()}
		fo := &sleeper{name: "failover", d: 150 * time.Second}
		tl := scenario.Timeline{Repeat: true, Phases: []scenario.Phase{
			{Name: "a", Duration: time.Minute, Actions: []scenario.Action{fo}},
			{Name: "b", Duration: time.Minute},
		}}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(5*time.Minute+30*time.Second, cancel)
		if err := (scenario.Driver{Timeline: tl, Sink: rec}).Run(ctx); err != nil {
			t.Fatal(err)
		}
		check(t, rec.lines(), []string{
			"phase 0 a @0s (now 0s)", "requested failover in a @0s",
			"phase 1 b @1m0s (now 1m0s)",
			"phase 0 a @2m0s (now 2m0s)", "done failover in a requested -1ns completed -1ns: skipped (now 2m0s)",
			"done failover in a requested 0s completed 2m30s: ok (now 2m30s)",
			"phase 1 b @3m0s (now 3m0s)",
			"phase 0 a @4m0s (now 4m0s)", "requested failover in a @4m0s",
			"phase 1 b @5m0s (now 5m0s)",
			// Cancelled: the action gives up, and Run waits for it.
			"done failover in a requested 4m0s completed -1ns: canceled (now 5m30s)",
		})
		if n := fo.runs.Load(); n != 2 {
			t.Errorf("the action ran %d times, want 2", n)
		}
		if !errors.Is(rec.errs[0], scenario.ErrBusy) {
			t.Errorf("skipped with %v, want ErrBusy", rec.errs[0])
		}
	})
}

// TestDriverConcurrentActions: a phase's actions start together.
func TestDriverConcurrentActions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{zero: time.Now()}
		one, two := &sleeper{name: "one", d: time.Minute}, &sleeper{name: "two", d: time.Minute}
		tl := scenario.Timeline{Phases: []scenario.Phase{{Name: "a", Duration: time.Second, Actions: []scenario.Action{one, two}}}}
		if err := (scenario.Driver{Timeline: tl, Sink: rec}).Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := rec.lines()
		slices.Sort(got[1:]) // the actions' reports interleave
		check(t, got, []string{
			"phase 0 a @0s (now 0s)",
			"done one in a requested 0s completed 1m0s: ok (now 1m0s)",
			"done two in a requested 0s completed 1m0s: ok (now 1m0s)",
			"requested one in a @0s",
			"requested two in a @0s",
		})
	})
}

// TestDriverLateStart: started after its time zero, the driver begins with
// the phase in force; phases already over are not reported and their
// actions do not run.
func TestDriverLateStart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		zero := time.Now().Add(-70 * time.Second)
		rec := &recorder{zero: zero}
		missed := &sleeper{name: "missed", d: time.Second}
		tl := scenario.Timeline{Phases: []scenario.Phase{
			{Name: "a", Duration: time.Minute, Actions: []scenario.Action{missed}},
			{Name: "b", Duration: time.Minute},
			{Name: "c", Duration: time.Minute},
		}}
		if err := (scenario.Driver{Timeline: tl, Start: zero, Sink: rec}).Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		check(t, rec.lines(), []string{"phase 1 b @1m0s (now 1m10s)", "phase 2 c @2m0s (now 2m0s)"})
		if n := missed.runs.Load(); n != 0 {
			t.Errorf("the action of a phase already over ran %d times", n)
		}
	})
}

// TestDriverFutureStart waits for a time zero still to come.
func TestDriverFutureStart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		zero := time.Now().Add(time.Minute)
		rec := &recorder{zero: zero}
		tl := scenario.Timeline{Phases: []scenario.Phase{{Name: "a", Duration: time.Minute}}}
		if err := (scenario.Driver{Timeline: tl, Start: zero, Sink: rec}).Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		check(t, rec.lines(), []string{"phase 0 a @0s (now 0s)"})
	})
}

// TestDriverRealTime runs phases of tens of milliseconds on the real clock:
// reported in order, at their boundaries on the shared clock, never early.
func TestDriverRealTime(t *testing.T) {
	t.Parallel()
	start := time.Now().Add(20 * time.Millisecond)
	var mu sync.Mutex
	type seen struct {
		index   int
		at, now time.Time
	}
	var got []seen
	sink := scenario.Tee(nil, scenario.Discard, sinkFunc(func(index int, _ string, at time.Time) {
		mu.Lock()
		got = append(got, seen{index, at, time.Now()})
		mu.Unlock()
	}))
	tl := scenario.Timeline{Phases: []scenario.Phase{
		{Name: "a", Duration: 30 * time.Millisecond},
		{Name: "b", Duration: 30 * time.Millisecond, Actions: []scenario.Action{&sleeper{name: "s", d: 10 * time.Millisecond}}},
		{Name: "c", Duration: 30 * time.Millisecond},
	}}
	if err := (scenario.Driver{Timeline: tl, Start: start, Sink: sink}).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d phases reported, want 3", len(got))
	}
	for i, s := range got {
		if want := start.Add(time.Duration(i) * 30 * time.Millisecond); s.index != i || !s.at.Equal(want) {
			t.Errorf("report %d: phase %d at %v, want phase %d at %v", i, s.index, s.at.Sub(start), i, want.Sub(start))
		}
		if late := s.now.Sub(s.at); late < 0 || late > time.Second {
			t.Errorf("phase %d reported %v after its start", i, late)
		}
	}
}

// TestDriverCancel returns promptly when cancelled, with actions given up.
func TestDriverCancel(t *testing.T) {
	t.Parallel()
	rec := &recorder{zero: time.Now()}
	tl := scenario.Timeline{Repeat: true, Phases: []scenario.Phase{
		{Name: "long", Duration: time.Hour, Actions: []scenario.Action{&sleeper{name: "wait", d: time.Hour}}},
	}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- scenario.Driver{Timeline: tl, Sink: rec}.Run(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of the cancel")
	}
	lines := rec.lines()
	if len(lines) != 3 || !strings.HasSuffix(strings.Split(lines[2], " (now")[0], ": canceled") {
		t.Errorf("events %q, want the action reported canceled", lines)
	}
}

func TestDriverErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tl   scenario.Timeline
		want error
	}{
		{scenario.Timeline{}, scenario.ErrNoPhases},
		{scenario.Timeline{Repeat: true, Phases: []scenario.Phase{{Name: "a"}}}, scenario.ErrZeroLength},
	} {
		if err := (scenario.Driver{Timeline: tc.tl}).Run(t.Context()); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.tl, err, tc.want)
		}
	}
}

type sinkFunc func(index int, phase string, at time.Time)

func (f sinkFunc) PhaseStarted(index int, phase string, at time.Time)    { f(index, phase, at) }
func (sinkFunc) ActionRequested(string, string, time.Time)               {}
func (sinkFunc) ActionDone(string, string, scenario.ActionResult, error) {}
