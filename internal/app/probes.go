package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/metrics"
)

// probeRun is one probe's loop; the daemon runs it until it stops.
type probeRun func(ctx context.Context)

// probeSet is the probes of every target: the loops to run, and each
// target's integrity probe, which the daemon asks for a full sweep when a
// target restarted or changed its role.
type probeSet struct {
	runs      []probeRun
	integrity map[string]*probe.Integrity // by target name; empty when the probe is off
}

// sweep asks target's integrity probe, if it has one, for a full sweep.
func (ps probeSet) sweep(target, reason string) {
	if i := ps.integrity[target]; i != nil {
		i.Sweep(reason)
	}
}

// probeInstance names this generator in its probes' keys: the host name,
// cut to the characters and length a key part should have. Generators
// that drive the same targets (CloudFormation's GeneratorCount, several
// compose stacks) must not read each other's probe keys: the availability
// probe would see another generator's value and call it an outage, and the
// integrity probe would judge another's records stale. A restarted
// generator keeps its name, so its integrity state still matches its keys.
func probeInstance() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "local"
	}
	h = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, h)
	if len(h) > 63 {
		h = h[:63]
	}
	return h
}

// probes builds the availability and integrity probes of every target
// that the config enables, exported to the registry and logged as events.
func (p *Plan) probes() (probeSet, error) {
	pc := p.cfg.Probes
	ps := probeSet{integrity: map[string]*probe.Integrity{}}
	if !pc.Availability.Enabled && !pc.Integrity.Enabled {
		return ps, nil
	}
	pm, err := metrics.NewProbes(p.reg)
	if err != nil {
		return ps, err
	}
	for _, t := range p.targets {
		var sinks probe.AvailabilitySinks
		if pc.Integrity.Enabled {
			i, run, err := p.integrityProbe(pm, t)
			if err != nil {
				return ps, err
			}
			ps.runs = append(ps.runs, run)
			ps.integrity[t.Name()] = i
			// An outage may have taken acknowledged writes with it: sweep
			// the whole ring when it ends.
			sinks = append(sinks, sweepAfterOutage{i})
		}
		if pc.Availability.Enabled {
			a, err := probe.NewAvailability(t.Client(), probe.AvailabilityOptions{
				Interval: pc.Availability.Interval, Timeout: pc.Availability.Timeout,
				Key: probe.DefaultAvailabilityKey + ":" + t.Name() + ":" + probeInstance(),
			}, append(probe.AvailabilitySinks{pm.Availability(t.Name(), t.Engine), outageEvents{log: p.log, t: t}}, sinks...))
			if err != nil {
				return ps, err
			}
			ps.runs = append(ps.runs, a.Run)
		}
	}
	return ps, nil
}

// integrityProbe builds t's integrity probe, exported to the registry and
// logged, and the loop that runs it. The daemon asks it for a full sweep
// (Integrity.Sweep) whenever something may have taken writes with it.
func (p *Plan) integrityProbe(pm *metrics.Probes, t *target.Target) (*probe.Integrity, probeRun, error) {
	ic := p.cfg.Probes.Integrity
	o := probe.IntegrityOptions{
		Prefix: "ecbench:integrity:" + t.Name() + ":" + probeInstance() + ":", Keys: ic.Keys, Interval: ic.Interval, Timeout: ic.Timeout,
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

// outageEvents logs the availability probe's outages, and asks the target's
// INFO poller (target.Recheck, which never blocks the probe) to look at
// once when an outage starts or ends, or a probe's error says the topology
// moved: so the role, a restart (run_id) or an in-place engine migration
// shows in ecbench_target_info and the log at once, not at the next
// scheduled poll.
type outageEvents struct {
	log *zap.Logger
	t   *target.Target
}

func (e outageEvents) Probe(ok bool, class result.Class, _ time.Duration) {
	if !ok && topologyMoved(class) {
		e.t.Recheck()
	}
}

func (e outageEvents) OutageStart(o probe.Outage) {
	e.log.Warn("outage started", zap.String("target", e.t.Name()), zap.Time("start", o.Start),
		zap.String("class", o.FirstClass.String()), zap.NamedError("error", o.FirstErr))
	e.t.Recheck()
}

func (e outageEvents) OutageEnd(o probe.Outage) {
	e.log.Warn("outage ended", zap.String("target", e.t.Name()), zap.Time("start", o.Start), zap.Time("end", o.End),
		zap.Duration("duration", o.Duration), zap.String("first_class", o.FirstClass.String()),
		zap.String("last_class", o.LastClass.String()), zap.Int("failed_probes", o.Failed))
	e.t.Recheck()
}
