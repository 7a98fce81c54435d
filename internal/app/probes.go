package app

import (
	"context"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/metrics"
)

// probeRun is one probe's loop; the daemon runs it until it stops.
type probeRun func(ctx context.Context)

// probes builds the availability and integrity probes of every target
// that the config enables, exported to the registry and logged as events.
func (p *Plan) probes() ([]probeRun, error) {
	pc := p.cfg.Probes
	if !pc.Availability.Enabled && !pc.Integrity.Enabled {
		return nil, nil
	}
	pm, err := metrics.NewProbes(p.reg)
	if err != nil {
		return nil, err
	}
	var runs []probeRun
	for _, t := range p.targets {
		var sinks probe.AvailabilitySinks
		if pc.Integrity.Enabled {
			i, run, err := p.integrityProbe(pm, t)
			if err != nil {
				return nil, err
			}
			runs = append(runs, run)
			// An outage may have taken acknowledged writes with it: sweep
			// the whole ring when it ends.
			sinks = append(sinks, sweepAfterOutage{i})
		}
		if pc.Availability.Enabled {
			events := &outageEvents{log: p.log, t: t, recovered: make(chan struct{}, 1)}
			a, err := probe.NewAvailability(t.Client(), probe.AvailabilityOptions{
				Interval: pc.Availability.Interval, Timeout: pc.Availability.Timeout,
				Key: probe.DefaultAvailabilityKey + ":" + t.Name(),
			}, append(probe.AvailabilitySinks{pm.Availability(t.Name(), t.Engine), events}, sinks...))
			if err != nil {
				return nil, err
			}
			runs = append(runs, a.Run, events.redetect)
		}
	}
	return runs, nil
}

// integrityProbe builds t's integrity probe, exported to the registry and
// logged, and the loop that runs it. The daemon asks it for a full sweep
// (Integrity.Sweep) whenever something may have taken writes with it.
func (p *Plan) integrityProbe(pm *metrics.Probes, t *target.Target) (*probe.Integrity, probeRun, error) {
	ic := p.cfg.Probes.Integrity
	o := probe.IntegrityOptions{
		Prefix: "ecbench:integrity:" + t.Name() + ":", Keys: ic.Keys, Interval: ic.Interval, Timeout: ic.Timeout,
		ValueSize: ic.ValueSize, VerifyDelay: ic.VerifyDelay, SweepRate: ic.SweepRate, Sample: ic.Sample,
	}
	if ic.StateDir != "" {
		o.StateFile = filepath.Join(ic.StateDir, "integrity-"+t.Name()+".json")
	}
	ranges := probe.NewRanges(integrityLogger(p.log, t.Name()))
	i, err := probe.NewIntegrity(t.Client(), o, probe.IntegritySinks{pm.Integrity(t.Name(), t.Engine), ranges, sweepLogger{p.log, t.Name()}})
	if err != nil {
		return nil, nil, err
	}
	return i, func(ctx context.Context) {
		if err := i.Run(ctx); err != nil {
			p.log.Error("integrity probe stopped", zap.String("target", t.Name()), zap.Error(err))
		}
		ranges.Flush()
	}, nil
}

// sweepAfterOutage asks the integrity probe for a full sweep when the
// availability probe's outage ends. It never blocks the availability probe.
type sweepAfterOutage struct{ i *probe.Integrity }

func (sweepAfterOutage) Probe(bool, result.Class, time.Duration) {}
func (sweepAfterOutage) OutageStart(probe.Outage)                {}
func (s sweepAfterOutage) OutageEnd(probe.Outage)                { s.i.Sweep("outage end") }

// integrityLogger logs each run of verdicts with its sequence range and the
// read that found it: losses, stale and corrupted records as warnings,
// unchecked writes as information, verified runs at debug.
func integrityLogger(log *zap.Logger, target string) func(probe.Check) {
	return func(c probe.Check) {
		fields := []zap.Field{zap.String("target", target), zap.Uint64("from_seq", c.From), zap.Uint64("to_seq", c.To),
			zap.Int("count", c.N), zap.String("found_by", c.Sweep.Kind.String())}
		if c.Sweep.Reason != "" {
			fields = append(fields, zap.String("reason", c.Sweep.Reason))
		}
		switch c.Result {
		case probe.Verified:
			log.Debug("integrity: writes verified", fields...)
		case probe.Unchecked:
			log.Info("integrity: writes not checked", fields...)
		default:
			log.Warn("integrity: acknowledged writes "+c.Result.String(), fields...)
		}
	}
}

// sweepLogger logs the end of each full sweep of the integrity ring (at
// info) and of each pass of the continuous sweep (at debug), with what it
// read and found.
type sweepLogger struct {
	log    *zap.Logger
	target string
}

func (sweepLogger) Checked(probe.Check) {}

func (l sweepLogger) SweepDone(r probe.SweepReport) {
	fields := []zap.Field{zap.String("target", l.target), zap.String("sweep", r.Sweep.Kind.String())}
	if r.Sweep.Reason != "" {
		fields = append(fields, zap.String("reason", r.Sweep.Reason))
	}
	fields = append(fields, zap.Int("read", r.Read))
	for _, res := range probe.CheckResults {
		fields = append(fields, zap.Int(res.String(), r.Found[res]))
	}
	fields = append(fields, zap.Bool("complete", r.Complete), zap.Duration("took", r.Took))
	if r.Sweep.Kind.Full() {
		l.log.Info("integrity: sweep done", fields...)
	} else {
		l.log.Debug("integrity: sweep done", fields...)
	}
}

// outageEvents logs the availability probe's outages and, after each one,
// asks the target what it runs now: an in-place engine migration or a
// failover shows as a change of engine, version or role.
type outageEvents struct {
	log       *zap.Logger
	t         *target.Target
	recovered chan struct{} // a detection is due; never blocks the probe
}

func (e *outageEvents) Probe(bool, result.Class, time.Duration) {}

func (e *outageEvents) OutageStart(o probe.Outage) {
	e.log.Warn("outage started", zap.String("target", e.t.Name()), zap.Time("start", o.Start),
		zap.String("class", o.FirstClass.String()), zap.NamedError("error", o.FirstErr))
}

func (e *outageEvents) OutageEnd(o probe.Outage) {
	e.log.Warn("outage ended", zap.String("target", e.t.Name()), zap.Time("start", o.Start), zap.Time("end", o.End),
		zap.Duration("duration", o.Duration), zap.String("first_class", o.FirstClass.String()),
		zap.String("last_class", o.LastClass.String()), zap.Int("failed_probes", o.Failed))
	select {
	case e.recovered <- struct{}{}:
	default:
	}
}

// redetect re-reads INFO after every outage until ctx is done.
func (e *outageEvents) redetect(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.recovered:
		}
		before, _ := e.t.Info()
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		after, err := e.t.Detect(dctx)
		cancel()
		switch {
		case err != nil:
			e.log.Warn("cannot re-read INFO after an outage", zap.String("target", e.t.Name()), zap.Error(err))
		case after != before:
			e.log.Warn("target changed during the outage", zap.String("target", e.t.Name()),
				zap.String("engine", string(after.Engine)), zap.String("version", after.Version), zap.String("role", after.Role),
				zap.String("previous_engine", string(before.Engine)), zap.String("previous_version", before.Version),
				zap.String("previous_role", before.Role))
		}
	}
}
