package app

import (
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/runner"
)

// maxInFlight returns the in-flight bound of workload i's runner on target:
// max_inflight as configured, or, when the config leaves it 0, the bound
// that rides out a stall of the target's read timeout at the schedule's
// peak rate (config.MaxInFlight, the figure check budgets with).
// withScenario says whether the daemon's scenario phases shape the rate
// (the bench ignores them). When the memory budget caps the bound, it
// warns once per (workload, target) what stall will drop requests.
func (p *Plan) maxInFlight(i int, target string, withScenario bool) int {
	wc := p.cfg.Workloads[i]
	bound, ridesOut, capped := p.cfg.MaxInFlight(i, target, withScenario)
	if wc.MaxInflight > 0 || !wc.Rate.OpenLoop() {
		return bound
	}
	readTimeout := time.Duration(0)
	for _, t := range p.cfg.Targets {
		if t.Name == target {
			readTimeout = t.ReadTimeout
		}
	}
	rate := config.PeakRate(wc.Rate)
	if withScenario {
		rate = p.cfg.Scenario.PeakRate(wc.Name, rate)
	}
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
					zap.Int64("budget_bytes", runner.InFlightBudget), zap.Int64("bytes_per_request", wc.RequestBytes()),
					zap.String("hint", "set max_inflight to go past the budget, or lower the rate, read_timeout or the values' size"))...)
		} else {
			p.log.Debug("max_inflight derived from the peak rate and read_timeout", fields...)
		}
	}
	return bound
}

// newInflightBudget is the one cap in bytes that every runner of the plan
// shares for its requests in flight: limits.max_inflight_bytes, or what
// limits.max_memory leaves (config.Budget). It logs, at start, how the
// runners' own bounds compare with it: when they could hold more
// together, a stall of every target at once drops past the cap.
func newInflightBudget(cfg *config.Config, log *zap.Logger) *runner.Budget {
	b := cfg.Budget()
	fields := []zap.Field{zap.Int64("cap_bytes", b.InflightCap), zap.Int64("open_loop_bytes", b.OpenLoop),
		zap.Int64("closed_loop_bytes", b.ClosedLoop), zap.Int64("fixed_bytes", b.Fixed), zap.Int64("max_memory_bytes", b.MaxMemory)}
	if b.OpenLoop+b.ClosedLoop > b.InflightCap {
		log.Info("the runners' in-flight bounds together exceed the shared in-flight cap: requests past it are dropped", fields...)
	} else {
		log.Debug("shared in-flight cap", fields...)
	}
	return runner.NewBudget(b.InflightCap)
}
