package app

import (
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

// What the monitor does with what its probes and INFO tell it: the summary's
// counts, the events file, the log, and the reactions (after an outage, INFO
// at once and a full integrity sweep).

// onTargetEvent records what the target's one INFO poller (target.Monitor,
// every InfoInterval and at once after Recheck) noticed: the engine,
// version, mode and role the first time and whenever they change, a role
// change, a restart (run_id) and a replica's master link, into the summary,
// the events file and the log. A role change or a restart may have taken
// acknowledged writes with it, so it asks the integrity probe for a full
// sweep. Down and up are the availability probe's to report (outage_start,
// outage_end): the poller's health check is coarser.
func (m *Monitor) onTargetEvent(e target.Event) {
	now := time.Now()
	node := func(kind string) monitorEvent {
		return monitorEvent{Time: formatTime(now), Event: kind, Node: e.Node,
			Engine: string(e.Info.Engine), Version: e.Info.Version, Mode: e.Info.Mode, Role: e.Status.Role,
			PreviousRole: e.PreviousStatus.Role, Primary: e.Status.Master, PreviousPrimary: e.PreviousStatus.Master}
	}
	nodeFields := []zap.Field{zap.String("node", e.Node)}
	switch e.Kind {
	case target.EventUp, target.EventChanged:
		m.noteInfo(now, e.Info)
	case target.EventRoleChanged:
		m.events.write(node("role_changed"))
		m.log.Warn("endpoint role changed", append(nodeFields, zap.String("role", e.Status.Role),
			zap.String("previous_role", e.PreviousStatus.Role), zap.String("primary", e.Status.Master),
			zap.String("previous_primary", e.PreviousStatus.Master))...)
		m.noteInfo(now, e.Info)
		m.sweep("role change")
	case target.EventRestarted:
		ev := node("restarted")
		ev.RunID, ev.PreviousRunID = e.Status.RunID, e.PreviousStatus.RunID
		m.events.write(ev)
		m.log.Warn("endpoint restarted", append(nodeFields, zap.String("run_id", e.Status.RunID),
			zap.String("previous_run_id", e.PreviousStatus.RunID), zap.Float64("uptime_seconds", e.Status.Uptime.Seconds()),
			zap.Float64("previous_uptime_seconds", e.PreviousStatus.Uptime.Seconds()))...)
		m.sweep("restart")
	case target.EventMasterLinkChanged:
		ev := node("master_link_changed")
		ev.MasterLink, ev.PreviousMasterLink = e.Status.MasterLink, e.PreviousStatus.MasterLink
		m.events.write(ev)
		fields := append(nodeFields, zap.String("primary", e.Status.Master), zap.String("master_link", e.Status.MasterLink),
			zap.String("previous_master_link", e.PreviousStatus.MasterLink))
		if e.Status.MasterLink == target.LinkUp {
			m.log.Info("master link up", fields...)
		} else {
			m.log.Warn("master link down", fields...)
		}
	case target.EventDown:
		m.log.Debug("endpoint health check failed", zap.String("class", e.Class.String()), zap.Error(e.Err))
	}
}

// noteInfo records the endpoint's engine, version, mode and role: as the
// summary's first and last, and as an event the first time and whenever it
// changed.
func (m *Monitor) noteInfo(at time.Time, in target.Info) {
	m.mu.Lock()
	prev := m.sum.After
	first := !m.sum.Detected
	m.sum.After, m.sum.Detected = in, true
	if first {
		m.sum.Before = in
	} else if in != prev {
		m.sum.Changes++
	}
	m.mu.Unlock()
	fields := []zap.Field{zap.String("engine", string(in.Engine)), zap.String("version", in.Version),
		zap.String("mode", in.Mode), zap.String("role", in.Role)}
	switch {
	case first:
		m.events.write(infoEvent(at, "detected", in, nil))
		m.log.Info("endpoint runs", fields...)
	case in != prev:
		m.events.write(infoEvent(at, "changed", in, &prev))
		m.log.Warn("endpoint changed", append(fields, zap.String("previous_engine", string(prev.Engine)),
			zap.String("previous_version", prev.Version), zap.String("previous_role", prev.Role))...)
	}
}

func (m *Monitor) sweep(reason string) {
	if m.integ != nil {
		m.integ.Sweep(reason)
	}
}

// outageSink records the availability probe's outages for the summary and
// the events, logs them, and after each one asks for INFO and a full
// integrity sweep. It never blocks the probe.
type outageSink struct{ m *Monitor }

// Probe asks the INFO poller to look at once when a probe's error says the
// topology moved (READONLY, MOVED, LOADING, MASTERDOWN).
func (s outageSink) Probe(ok bool, class result.Class, _ time.Duration) {
	if !ok && topologyMoved(class) {
		s.m.target.Recheck()
	}
}

func (s outageSink) OutageStart(o probe.Outage) {
	m := s.m
	m.mu.Lock()
	m.open = &o
	m.mu.Unlock()
	m.events.write(monitorEvent{Time: formatTime(o.Start), Event: "outage_start", Start: formatTime(o.Start),
		Class: o.FirstClass.String(), Error: errString(o.FirstErr)})
	m.log.Warn("outage started", zap.Time("start", o.Start), zap.String("class", o.FirstClass.String()), zap.NamedError("error", o.FirstErr))
	m.target.Recheck()
}

func (s outageSink) OutageEnd(o probe.Outage) {
	m := s.m
	m.mu.Lock()
	m.open = nil
	m.sum.Outages = append(m.sum.Outages, o)
	m.mu.Unlock()
	d := o.Duration.Seconds()
	m.events.write(monitorEvent{Time: formatTime(o.End), Event: "outage_end", Start: formatTime(o.Start), Duration: &d,
		Class: o.FirstClass.String(), Error: errString(o.FirstErr)})
	m.log.Warn("outage ended", zap.Time("start", o.Start), zap.Time("end", o.End), zap.Duration("duration", o.Duration),
		zap.String("first_class", o.FirstClass.String()), zap.String("last_class", o.LastClass.String()), zap.Int("failed_probes", o.Failed))
	m.sweep("outage end")
	m.target.Recheck() // a restart or an engine migration shows at once, not at the next poll
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// integritySink counts verdicts for the summary and sends them on to the
// file: lost, stale, corrupted and unchecked runs within a second, verified
// runs merged over a minute.
type integritySink struct{ m *Monitor }

func (s integritySink) Checked(c probe.Check) {
	m := s.m
	m.mu.Lock()
	switch c.Result {
	case probe.Verified:
		m.sum.Verified += c.N
	case probe.Lost:
		m.sum.Lost += c.N
	case probe.Stale:
		m.sum.Stale += c.N
	case probe.Corrupted:
		m.sum.Corrupted += c.N
	case probe.Unchecked:
		m.sum.Unchecked += c.N
	}
	m.mu.Unlock()
	if c.Result == probe.Verified {
		m.verified.Checked(c)
	} else {
		m.problems.Checked(c)
	}
}

func (s integritySink) SweepDone(r probe.SweepReport) {
	s.m.problems.SweepDone(r)
	s.m.verified.SweepDone(r)
	if r.Sweep.Kind.Full() {
		fields := []zap.Field{zap.String("sweep", r.Sweep.Kind.String()), zap.String("reason", r.Sweep.Reason),
			zap.Int("read", r.Read), zap.Bool("complete", r.Complete), zap.Duration("took", r.Took)}
		for _, res := range probe.CheckResults {
			fields = append(fields, zap.Int(res.String(), r.Found[res]))
		}
		s.m.log.Info("integrity: sweep done", fields...)
	}
}

// onProblem writes and logs a run of lost, stale, corrupted or unchecked
// writes.
func (m *Monitor) onProblem(c probe.Check) {
	writeCheck(m.integrity, c)
	fields := []zap.Field{zap.Uint64("from_seq", c.From), zap.Uint64("to_seq", c.To), zap.Int("count", c.N),
		zap.String("found_by", c.Sweep.Kind.String())}
	if c.Sweep.Reason != "" {
		fields = append(fields, zap.String("reason", c.Sweep.Reason))
	}
	if c.Result == probe.Unchecked {
		m.log.Info("integrity: writes not checked", fields...)
		return
	}
	m.log.Warn("integrity: acknowledged writes "+c.Result.String(), fields...)
}
