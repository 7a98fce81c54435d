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
	// EventUp: the first successful check, and every recovery after an
	// EventDown. Info is what was detected.
	EventUp EventKind = iota + 1
	// EventDown: a check failed after the target was up (or before it ever
	// was), or it is still failing but for another reason (Class changed).
	EventDown
	// EventChanged: the target's engine, version or mode is not what the
	// previous poll said, e.g. an in-place engine migration behind the same
	// endpoint. (A change of role is EventRoleChanged.)
	EventChanged
	// EventEngineMismatch: the detected engine is not the declared one.
	// Emitted with every EventUp and EventChanged that mismatches.
	EventEngineMismatch
	// EventRoleChanged: a node is a primary where it was a replica, or the
	// other way round (a failover, a REPLICAOF). Node, Status and
	// PreviousStatus say which and how.
	EventRoleChanged
	// EventRestarted: a node's run_id changed, or its uptime went down,
	// since the previous poll: the server restarted, and whatever it held
	// only in memory is gone.
	EventRestarted
	// EventMasterLinkChanged: a replica's link to its primary went up or
	// down (Status.MasterLink), or a node became a replica with a link in
	// that state.
	EventMasterLinkChanged
)

var eventKindNames = [...]string{"", "up", "down", "changed", "engine_mismatch", "role_changed", "restarted", "master_link_changed"}

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
	// Info is the detected info for EventUp, EventChanged,
	// EventEngineMismatch and the node events, and the last known info
	// (zero if never detected) for EventDown.
	Info     Info
	Previous Info // EventChanged: the info before the change
	// Node is the node (host:port) that EventRoleChanged, EventRestarted
	// and EventMasterLinkChanged are about, for logs; Status is what it
	// said at this poll and PreviousStatus at the one before.
	Node                   string
	Status, PreviousStatus NodeStatus
	Class                  result.Class // EventDown: why, as a bounded label value
	// Err is the error behind EventDown, for logs only: it may name addresses,
	// so metrics use Class. It never contains the password: go-redis does not
	// put credentials into errors and servers do not echo them back.
	Err error
}

// minRecheckGap is the least time between the INFO polls that Recheck
// brings forward: every write to a demoted primary answers READONLY, and a
// runner at thousands of requests a second would otherwise keep the
// poller reading INFO back to back.
const minRecheckGap = 200 * time.Millisecond

// Recheck asks Monitor to read INFO now, rather than at its next scheduled
// poll (at most one poll per minRecheckGap; see it), or, while the target
// is down, to try again at once. It never blocks, and costs a non-blocking
// channel send: callers are the error paths of runners and probes that got
// READONLY, MOVED, LOADING or MASTERDOWN, which say the topology moved.
func (t *Target) Recheck() {
	select {
	case t.recheck <- struct{}{}:
	default: // one is already due
	}
}

// Monitor watches the target until ctx is done.
//
// It reads INFO (the poller: PollInfo, with every section WatchInfo added)
// and runs a health check at once, and then every interval until both
// succeed: a target that is down at start is retried, never given up on.
// From then on the health check (PING, sent to every primary in cluster
// mode) runs every interval and the INFO poll every Options.InfoInterval,
// and at once after Recheck; any failure sends it back to the first
// state. Each successful poll updates Info (and so ecbench_target_info),
// goes to the WatchInfo sinks, and is compared with the one before: a
// node's role, run_id (a restart) or master link that changed is an
// event, as is a change of engine, version or mode.
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
	m := &monitor{t: t, emit: events, nodes: map[string]NodeStatus{}}
	every := t.opts.infoInterval()
	health := time.NewTicker(interval)
	defer health.Stop()
	poll := time.NewTimer(every)
	defer poll.Stop()
	var lastPoll, pollDue time.Time

	step := func(withInfo bool) {
		if m.check(ctx, withInfo) {
			lastPoll = time.Now()
			pollDue = lastPoll.Add(every)
			poll.Reset(every)
		}
		t.refreshPoolStats()
	}
	step(true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-health.C:
			step(false)
		case <-poll.C:
			step(true)
		case <-t.recheck:
			if due := later(time.Now(), lastPoll.Add(minRecheckGap)); due.Before(pollDue) {
				pollDue = due
				poll.Reset(time.Until(due))
			}
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// monitor is Monitor's state between checks.
type monitor struct {
	t    *Target
	emit func(Event)

	detected bool         // a poll and a health check succeeded and no check has failed since
	down     bool         // an EventDown was emitted and no EventUp since
	class    result.Class // the class of the last EventDown
	last     *Info        // the last detected info; nil before the first
	// nodes is each node's status at its last successful poll, for the
	// nodes of the last poll (a node that did not answer keeps its last).
	nodes map[string]NodeStatus
}

// check runs one check and reports whether it read INFO: a health check,
// or with withInfo (or while the target is not known to be up) an INFO
// poll. A failure of either marks the target down.
func (m *monitor) check(ctx context.Context, withInfo bool) (polled bool) {
	if !m.detected {
		m.recover(ctx)
		return true
	}
	var err error
	if withInfo {
		err = m.poll(ctx)
	} else {
		err = m.t.ping(ctx)
	}
	if err != nil && ctx.Err() == nil {
		m.detected = false
		m.t.up.Store(false)
		m.failed(err)
	}
	return withInfo
}

// recover checks a target that is not known to be up. Recovery needs both
// an INFO answer and a passing health check: in cluster mode one primary
// can answer INFO while another is dead, and declaring the target up on
// INFO alone would flap up and down.
func (m *monitor) recover(ctx context.Context) {
	polls, err := m.t.PollInfo(ctx)
	if err == nil {
		err = m.t.ping(ctx)
	} else {
		m.t.up.Store(false)
	}
	if ctx.Err() != nil {
		return // shutting down: not the target's fault
	}
	m.deliver(polls, err)
	if err != nil {
		m.failed(err)
		return
	}
	in, _ := identity(polls)
	m.t.storeInfo(in)
	m.detected, m.down = true, false
	m.emit(Event{Kind: EventUp, Target: m.t.Name(), Info: in})
	m.compare(in, polls, true)
}

// poll reads INFO while the target is up, and emits what changed.
func (m *monitor) poll(ctx context.Context) error {
	polls, err := m.t.PollInfo(ctx)
	if ctx.Err() != nil {
		return nil
	}
	m.deliver(polls, err)
	if err != nil {
		return err
	}
	in, _ := identity(polls)
	m.t.storeInfo(in)
	m.compare(in, polls, false)
	return nil
}

// deliver hands every node's poll to the WatchInfo sinks. A poll that
// reached no node (a cluster whose topology did not load) is delivered as
// one failed InfoPoll without a Node, so that the sinks count the failure.
func (m *monitor) deliver(polls []InfoPoll, err error) {
	_, sinks := m.t.watch.watched()
	if len(polls) == 0 && err != nil {
		polls = []InfoPoll{{Target: m.t.Name(), At: time.Now(), Err: err}}
	}
	for _, p := range polls {
		for _, s := range sinks {
			s(p)
		}
	}
}

// compare emits the events between the previous poll and this one.
// recovered is set for the poll that ended an outage (EventUp was just
// emitted), which checks the declared engine again.
func (m *monitor) compare(in Info, polls []InfoPoll, recovered bool) {
	name := m.t.Name()
	changed := m.last != nil && (in.Engine != m.last.Engine || in.Version != m.last.Version || in.Mode != m.last.Mode)
	nodes := make(map[string]NodeStatus, len(polls))
	for _, p := range polls {
		prev, known := m.nodes[p.Node]
		if p.Err != nil {
			if known {
				nodes[p.Node] = prev
			}
			continue
		}
		cur := mergedFields(p).NodeStatus()
		nodes[p.Node] = cur
		if !known {
			continue
		}
		ev := Event{Target: name, Info: in, Node: p.Node, Status: cur, PreviousStatus: prev}
		if cur.Restarted(prev) {
			ev.Kind = EventRestarted
			m.emit(ev)
		}
		if cur.Role != prev.Role {
			ev.Kind = EventRoleChanged
			m.emit(ev)
		}
		if cur.MasterLink != prev.MasterLink && cur.MasterLink != "" {
			ev.Kind = EventMasterLinkChanged
			m.emit(ev)
		}
	}
	m.nodes = nodes
	if changed {
		m.emit(Event{Kind: EventChanged, Target: name, Info: in, Previous: *m.last})
	}
	if d := m.t.DeclaredEngine(); (recovered || changed) && d != "" && d != in.Engine {
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
