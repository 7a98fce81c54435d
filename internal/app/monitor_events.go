package app

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
)

// What the monitor does with what its probes and INFO tell it: the summary's
// counts, the events file, the log, and the reactions (after an outage, INFO
// at once and a full integrity sweep).

// watchInfo reads INFO every InfoInterval, and at once after an outage, and
// records engine, version, mode and role the first time and whenever they
// change.
func (m *Monitor) watchInfo(ctx context.Context) {
	tick := time.NewTicker(m.o.InfoInterval)
	defer tick.Stop()
	for {
		m.detect(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-m.redetect:
		}
	}
}

func (m *Monitor) detect(ctx context.Context) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	in, err := m.target.Detect(dctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			m.log.Debug("cannot read INFO", zap.Error(err))
		}
		return
	}
	now := time.Now()
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
		m.events.write(infoEvent(now, "detected", in, nil))
		m.log.Info("endpoint runs", fields...)
	case in != prev:
		m.events.write(infoEvent(now, "changed", in, &prev))
		m.log.Warn("endpoint changed", append(fields, zap.String("previous_engine", string(prev.Engine)),
			zap.String("previous_version", prev.Version), zap.String("previous_role", prev.Role))...)
	}
}

// outageSink records the availability probe's outages for the summary and
// the events, logs them, and after each one asks for INFO and a full
// integrity sweep. It never blocks the probe.
type outageSink struct{ m *Monitor }

func (outageSink) Probe(bool, result.Class, time.Duration) {}

func (s outageSink) OutageStart(o probe.Outage) {
	m := s.m
	m.mu.Lock()
	m.open = &o
	m.mu.Unlock()
	m.events.write(monitorEvent{Time: formatTime(o.Start), Event: "outage_start", Start: formatTime(o.Start),
		Class: o.FirstClass.String(), Error: errString(o.FirstErr)})
	m.log.Warn("outage started", zap.Time("start", o.Start), zap.String("class", o.FirstClass.String()), zap.NamedError("error", o.FirstErr))
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
	if m.integ != nil {
		m.integ.Sweep("outage end")
	}
	select {
	case m.redetect <- struct{}{}:
	default:
	}
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
