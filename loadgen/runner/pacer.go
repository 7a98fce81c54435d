package runner

import (
	"context"
	"time"
)

// Waits longer than coarseWait start on a Go timer, which a context can
// interrupt; the last stretch of at most about coarseMargin is left to the
// precise clock (see pacer_linux.go).
const (
	coarseWait   = 3 * time.Millisecond
	coarseMargin = 2 * time.Millisecond
)

// minSleep is the shortest precise sleep: a request due sooner waits that
// long, with the ones due meanwhile. At high rates the dispatcher then
// wakes once per few requests and sends them as a batch, instead of paying
// a timer and a wake-up per request; the lag this adds stays under
// minSleep plus the clock's own lateness (about 20µs).
const minSleep = 50 * time.Microsecond

// pacer sleeps the open-loop dispatcher until the next request is due.
//
// Go's timers are only as precise as the runtime's poller: on Linux an idle
// runtime waits in epoll with a timeout in whole milliseconds, so a timer of
// 100µs fires about 1ms late (measured: p50 0.98ms late). At 10k requests/s,
// 100µs apart, that is a schedule lag of up to 1ms on every request. Where
// the system has one, the pacer uses a precise clock for waits under
// coarseWait (Linux: a timerfd, which the poller watches like a socket:
// p50 20µs late).
type pacer struct {
	timer   *time.Timer
	precise preciseSleeper // nil: Go timers only
}

// preciseSleeper sleeps d with microsecond precision; it cannot be
// interrupted, so it is only given short waits.
type preciseSleeper interface {
	sleep(d time.Duration) error
	close() error
}

func newPacer() *pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	p := &pacer{timer: t}
	if s, err := newPreciseSleeper(); err == nil {
		p.precise = s
	}
	return p
}

// until sleeps until due; false if ctx was done first.
func (p *pacer) until(ctx context.Context, due time.Time) bool {
	for {
		wait := time.Until(due)
		if wait <= 0 {
			return ctx.Err() == nil
		}
		if p.precise != nil && wait <= coarseWait {
			if err := p.precise.sleep(max(wait, minSleep)); err == nil {
				continue // woken at or just after due: the loop checks
			}
			p.precise.close() // broken: Go timers from now on
			p.precise = nil
		}
		if p.precise != nil {
			wait -= coarseMargin
		}
		p.timer.Reset(wait)
		select {
		case <-ctx.Done():
			p.timer.Stop()
			return false
		case <-p.timer.C:
		}
	}
}

func (p *pacer) close() {
	p.timer.Stop()
	if p.precise != nil {
		_ = p.precise.close()
	}
}
