package scenario

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Driver follows a timeline on the clock the runners share: it sleeps until
// each phase begins, reports it to Sink and starts the phase's actions.
type Driver struct {
	Timeline Timeline
	// Start is the timeline's time zero, the runners' Config.Start; zero
	// means when Run starts.
	Start time.Time
	Sink  Sink // nil: Discard
}

// Run follows the timeline until ctx is done or, if it does not repeat,
// until its last phase has begun and that phase's actions have returned;
// the last phase then stays in force. It returns nil then, and an error
// only for a timeline it cannot follow (ErrNoPhases, ErrZeroLength).
//
// If Start has passed, Run begins with the phase in force now: phases
// already over are not reported and their actions do not run. Each action
// runs in its own goroutine with ctx; an action whose previous run (a cycle
// earlier) has not returned is not started again but reported done with
// ErrBusy. Run waits for the actions it started before it returns, so they
// must return promptly once ctx is done.
func (d Driver) Run(ctx context.Context) error {
	t := d.Timeline
	n := len(t.Phases)
	if n == 0 {
		return ErrNoPhases
	}
	length := t.Length()
	if t.Repeat && length <= 0 {
		return ErrZeroLength
	}
	sink := d.Sink
	if sink == nil {
		sink = Discard
	}
	start := d.Start
	if start.IsZero() {
		start = time.Now()
	}
	offsets := t.offsets()
	busy := make([][]atomic.Bool, n) // by phase and action: running now
	for i := range busy {
		busy[i] = make([]atomic.Bool, len(t.Phases[i].Actions))
	}
	var actions sync.WaitGroup
	defer actions.Wait()

	var cycle int64
	i := 0
	if elapsed := time.Since(start); elapsed > 0 {
		cycle, i, _ = t.position(elapsed)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		at := start.Add(time.Duration(cycle)*length + offsets[i])
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return nil
			case <-timer.C:
			}
		}
		if ctx.Err() != nil { // also when both were ready: no phase begins after a cancel
			return nil
		}
		p := &t.Phases[i]
		sink.PhaseStarted(i, p.Name, at)
		for j, a := range p.Actions {
			if a == nil {
				continue
			}
			running := &busy[i][j]
			if !running.CompareAndSwap(false, true) {
				sink.ActionDone(a.Name(), p.Name, ActionResult{}, ErrBusy)
				continue
			}
			actions.Go(func() {
				defer running.Store(false)
				name := a.Name()
				res, err := a.Run(ctx, func(at time.Time) { sink.ActionRequested(name, p.Name, at) })
				sink.ActionDone(name, p.Name, res, err)
			})
		}
		if i++; i == n {
			if !t.Repeat {
				return nil
			}
			i, cycle = 0, cycle+1
		}
	}
}
