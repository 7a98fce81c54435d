package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Action is something a phase does to the world when it begins, such as an
// ElastiCache failover.
type Action interface {
	// Name is the action's kind, a label value from a fixed set such as
	// "failover".
	Name() string
	// Run performs the action and returns once it has completed or failed,
	// or ctx is done. It calls requested (if not nil) once, when it has asked
	// for its effect (the API call was accepted), so that the moment is known
	// while it still waits for completion, which can take minutes.
	Run(ctx context.Context, requested func(at time.Time)) (ActionResult, error)
}

// ActionResult is when an action asked for its effect and when it saw the
// effect complete.
type ActionResult struct {
	Requested time.Time // zero: never asked
	Completed time.Time // zero: not seen complete
}

// Errors of the driver and for actions. An action that decides not to act
// (a failover that is not enabled) returns an error wrapping ErrSkipped.
var (
	ErrSkipped    = errors.New("scenario: action skipped")
	ErrBusy       = fmt.Errorf("scenario: the action's previous run has not finished: %w", ErrSkipped)
	ErrNoPhases   = errors.New("scenario: the timeline has no phases")
	ErrZeroLength = errors.New("scenario: a repeating timeline must last longer than 0s")
)

// Action results, the label values of ecbench_actions_total{result}.
const (
	ResultOK       = "ok"
	ResultError    = "error"
	ResultTimeout  = "timeout"  // the action's own deadline passed (context.DeadlineExceeded)
	ResultCanceled = "canceled" // ecbench stopped while the action ran (context.Canceled)
	ResultSkipped  = "skipped"  // ErrSkipped: not run
)

// Results lists every result ResultOf returns.
var Results = []string{ResultOK, ResultError, ResultTimeout, ResultCanceled, ResultSkipped}

// ResultOf classifies what an action's Run returned.
func ResultOf(err error) string {
	switch {
	case err == nil:
		return ResultOK
	case errors.Is(err, ErrSkipped):
		return ResultSkipped
	case errors.Is(err, context.Canceled):
		return ResultCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return ResultTimeout
	}
	return ResultError
}

// Sink receives what the Driver does. PhaseStarted is called from the
// driver's goroutine, the others from the actions' goroutines, so a Sink must
// be safe for concurrent use; it must not block for long.
type Sink interface {
	// PhaseStarted reports that phase index of the timeline, named phase,
	// began at at: the boundary on the shared clock, not when the driver
	// woke up.
	PhaseStarted(index int, phase string, at time.Time)
	// ActionRequested reports that an action of phase asked for its effect.
	ActionRequested(action, phase string, at time.Time)
	// ActionDone reports that an action of phase returned.
	ActionDone(action, phase string, res ActionResult, err error)
}

// Discard is a Sink that ignores everything.
var Discard Sink = discard{}

type discard struct{}

func (discard) PhaseStarted(int, string, time.Time)            {}
func (discard) ActionRequested(string, string, time.Time)      {}
func (discard) ActionDone(string, string, ActionResult, error) {}

// Tee returns a Sink that reports to each of sinks in turn (the metrics and
// the log). Nil sinks are left out.
func Tee(sinks ...Sink) Sink {
	var t tee
	for _, s := range sinks {
		if s != nil {
			t = append(t, s)
		}
	}
	return t
}

type tee []Sink

func (t tee) PhaseStarted(index int, phase string, at time.Time) {
	for _, s := range t {
		s.PhaseStarted(index, phase, at)
	}
}

func (t tee) ActionRequested(action, phase string, at time.Time) {
	for _, s := range t {
		s.ActionRequested(action, phase, at)
	}
}

func (t tee) ActionDone(action, phase string, res ActionResult, err error) {
	for _, s := range t {
		s.ActionDone(action, phase, res, err)
	}
}
