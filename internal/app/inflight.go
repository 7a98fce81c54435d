package app

import (
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/schedule"
)

// maxInFlight returns the in-flight bound of workload i's runner on target:
// max_inflight as configured, or, when the config leaves it 0, the bound
// that rides out a stall of the target's read timeout at the schedule's
// peak rate (runner.MaxInFlightFor). withScenario says whether the
// daemon's scenario phases shape the rate (the bench ignores them). When
// the memory budget caps the bound, it warns once per (workload, target)
// what stall will drop requests.
func (p *Plan) maxInFlight(i int, target string, withScenario bool) int {
	wc := p.cfg.Workloads[i]
	if wc.MaxInflight > 0 || !wc.Rate.OpenLoop() {
		return wc.MaxInflight
	}
	readTimeout := time.Duration(0)
	for _, t := range p.cfg.Targets {
		if t.Name == target {
			readTimeout = t.ReadTimeout
		}
	}
	rate := peakRate(wc.Rate)
	if withScenario {
		rate = scenarioPeak(p.cfg.Scenario, wc.Name, rate)
	}
	bound, ridesOut, capped := runner.MaxInFlightFor(rate, readTimeout, wc.Pipeline)
	p.boundMu.Lock()
	defer p.boundMu.Unlock()
	key := [2]string{wc.Name, target}
	if p.boundLogged == nil {
		p.boundLogged = map[[2]string]bool{}
	}
	if !p.boundLogged[key] {
		p.boundLogged[key] = true
		fields := []zap.Field{zap.String("workload", wc.Name), zap.String("target", target), zap.Int("max_inflight", bound),
			zap.Float64("peak_rate", rate), zap.Duration("read_timeout", readTimeout)}
		if capped {
			p.log.Warn("max_inflight derived from the peak rate and read_timeout is capped by the memory budget: a stall longer than rides_out will drop requests",
				append(fields, zap.Duration("rides_out", ridesOut.Round(time.Millisecond)),
					zap.Int64("budget_bytes", runner.InFlightBudget), zap.Int64("bytes_per_request", runner.InFlightBytes(wc.Pipeline)),
					zap.String("hint", "set max_inflight to go past the budget, or lower the rate or read_timeout"))...)
		} else {
			p.log.Debug("max_inflight derived from the peak rate and read_timeout", fields...)
		}
	}
	return bound
}

// peakRate is the highest rate of an open-loop schedule, in requests per
// second, from its parameters. A type this does not know (a schedule added
// later) is sampled: every second of its first hour.
func peakRate(spec config.Rate) float64 {
	switch p := spec.Params.(type) {
	case *schedule.ConstantParams:
		return p.Rate
	case *schedule.RampParams:
		return max(p.From, p.To)
	case *schedule.StepsParams:
		peak := 0.0
		for _, s := range p.Steps {
			peak = max(peak, s.Rate)
		}
		return peak
	case *schedule.BurstParams:
		return max(p.Base, p.Peak)
	case *schedule.SineParams:
		return p.Mean + p.Amplitude
	}
	s, err := spec.Schedule()
	if err != nil || s == nil {
		return 0
	}
	peak := 0.0
	for t := time.Duration(0); t <= time.Hour; t += time.Second {
		peak = max(peak, s.Rate(t))
	}
	return peak
}

// scenarioPeak is the peak rate of the named workload under the scenario's
// phases, base being its own schedule's: each phase scales it (the phase's
// multiplier or the workload's own in the phase) or replaces the schedule.
// Without phases the workload runs as configured.
func scenarioPeak(sc config.Scenario, workload string, base float64) float64 {
	if len(sc.Phases) == 0 {
		return base
	}
	peak := 0.0
	for _, ph := range sc.Phases {
		rate := base * ph.RateMultiplier
		if pw, ok := ph.Workloads[workload]; ok {
			switch {
			case pw.Rate != nil:
				rate = peakRate(*pw.Rate)
			case pw.RateMultiplier != nil:
				rate = base * *pw.RateMultiplier
			}
		}
		peak = max(peak, rate)
	}
	return peak
}
