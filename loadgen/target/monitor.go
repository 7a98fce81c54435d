package target

import (
	"context"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
)

// EventKind is what Monitor noticed.
type EventKind uint8

// The event kinds.
const (
	// EventUp: the first successful detection, and every recovery after an
	// EventDown. Info is what was detected.
	EventUp EventKind = iota + 1
	// EventDown: a check failed after the target was up (or before it ever
	// was), or it is still failing but for another reason (Class changed).
	EventDown
	// EventChanged: a detection after a recovery differs from the previous
	// one (engine, version, mode or role), e.g. an in-place engine migration
	// or a failover that left a replica behind the endpoint.
	EventChanged
	// EventEngineMismatch: the detected engine is not the declared one.
	// Emitted once per detection that mismatches.
	EventEngineMismatch
)

var eventKindNames = [...]string{"", "up", "down", "changed", "engine_mismatch"}

// String returns the kind's name, usable as a label value.
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k != 0 {
		return eventKindNames[k]
	}
	return "unknown"
}

// Event is one change in a target's state.
type Event struct {
	Kind   EventKind
	Target string // the target's name
	// Info is the detected info for EventUp, EventChanged and
	// EventEngineMismatch, and the last known info (zero if never detected)
	// for EventDown.
	Info     Info
	Previous Info         // EventChanged: the info before the change
	Class    result.Class // EventDown: why, as a bounded label value
	// Err is the error behind EventDown, for logs only: it may name addresses,
	// so metrics use Class. It never contains the password: go-redis does not
	// put credentials into errors and servers do not echo them back.
	Err error
}

// Monitor watches the target until ctx is done.
//
// It runs Detect and a health check at once and then every interval until
// both succeed (a target that is down at start is retried, never given up
// on), then only the health check every interval: PING, sent to every
// primary in cluster mode. After every failure it goes back to Detect, so the first
// successful check after an outage re-reads INFO and an in-place engine
// migration or failover is noticed.
//
// events is called from Monitor's goroutine, in order; it must not block for
// long. Monitor returns once ctx is done and any check in flight has finished;
// checks are bounded by the client's dial and read timeouts.
func (t *Target) Monitor(ctx context.Context, interval time.Duration, events func(Event)) {
	if interval <= 0 {
		interval = time.Second
	}
	if events == nil {
		events = func(Event) {}
	}
	m := &monitor{t: t, emit: events}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		m.check(ctx)
		t.refreshPoolStats()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// monitor is Monitor's state between checks.
type monitor struct {
	t    *Target
	emit func(Event)

	detected bool         // Detect succeeded and no check has failed since
	down     bool         // an EventDown was emitted and no EventUp since
	class    result.Class // the class of the last EventDown
	last     *Info        // the last detected info; nil before the first
}

func (m *monitor) check(ctx context.Context) {
	if m.detected {
		if err := m.t.ping(ctx); err != nil && ctx.Err() == nil {
			m.detected = false
			m.failed(err)
		}
		return
	}

	// Recovery needs both an INFO answer and a passing health check: in
	// cluster mode one primary can answer INFO while another is dead, and
	// declaring the target up on INFO alone would flap up and down.
	in, err := m.t.detect(ctx)
	if err == nil {
		err = m.t.ping(ctx)
	} else {
		m.t.up.Store(false)
	}
	if ctx.Err() != nil {
		return // shutting down: not the target's fault
	}
	if err != nil {
		m.failed(err)
		return
	}
	m.detected, m.down = true, false
	name := m.t.Name()
	m.emit(Event{Kind: EventUp, Target: name, Info: in})
	if m.last != nil && *m.last != in {
		m.emit(Event{Kind: EventChanged, Target: name, Info: in, Previous: *m.last})
	}
	if d := m.t.DeclaredEngine(); d != "" && d != in.Engine {
		m.emit(Event{Kind: EventEngineMismatch, Target: name, Info: in})
	}
	m.last = &in
}

func (m *monitor) failed(err error) {
	c := result.Classify(err)
	if m.down && c == m.class {
		return
	}
	m.down, m.class = true, c
	ev := Event{Kind: EventDown, Target: m.t.Name(), Class: c, Err: err}
	if m.last != nil {
		ev.Info = *m.last
	}
	m.emit(ev)
}
