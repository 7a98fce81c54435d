package config

import (
	"time"

	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// What one runner holds in flight, derived here once for both the check
// of the budget (validate_budget.go) and the plan that builds the runners,
// so that what check accepts is what runs.

// sizes are the sizes that bound w's commands (workload.CommandBytes).
func (w *Workload) sizes() workload.Sizes {
	if w.Type == workload.KindReplay { // one command carries at most max_value_size of values
		return workload.Sizes{MaxValue: int(w.Replay.MaxValueSize)}
	}
	s := workload.Sizes{MaxValue: w.Values.Size, MGetBatch: w.MGetBatch}
	switch {
	case len(w.Values.Sizes) > 0:
		s.MaxValue = w.Values.Sizes.Largest()
	case w.Values.Ranged():
		s.MaxValue = w.Values.MaxSize
	}
	if w.Type != workload.KindKV {
		s.Structure = workload.Structure{Kind: w.Type, Elements: w.Elements.Count, ElementSize: w.Elements.Size, RangeLen: w.Range}
		// The table's largest element, and a set's names of several
		// sizes, as the plan's workload holds them. An invalid table
		// (reported by validation) leaves ElementSize.
		if table, err := w.Elements.Sizes.Table(); err == nil && table != nil {
			s.Structure.ElementSizes = table
		}
	}
	return s
}

// largestOp returns the op of w's mix whose command carries the most
// bytes (the first in canonical order among equals) and how many.
func (w *Workload) largestOp() (name string, bytes int64) {
	s := w.sizes()
	if w.Type == workload.KindReplay {
		return workload.ReplayOpName, workload.CommandBytes(workload.ReplayOpName, s)
	}
	for _, ow := range w.Ops.Weights(w.Type) {
		if b := workload.CommandBytes(ow.Op, s); name == "" || b > bytes {
			name, bytes = ow.Op, b
		}
	}
	return name, bytes
}

// RequestBytes is the most memory one in-flight request of w holds:
// runner.RequestBytes of its pipeline and its largest command. The runner
// charges each request as much in the shared in-flight cap.
func (w *Workload) RequestBytes() int64 {
	_, b := w.largestOp()
	return runner.RequestBytes(w.Pipeline, b)
}

// MaxInFlight returns the in-flight bound of workload i's runner on the
// named target: max_inflight as configured, or, when it is 0, the bound
// that rides out a stall of the target's read_timeout at the schedule's
// peak rate within the per-runner memory budget (runner.MaxInFlightFor).
// withScenario says whether the daemon's scenario phases shape the rate
// (the bench ignores them). ridesOut and capped are MaxInFlightFor's for a
// derived bound, zero otherwise. A closed-loop workload has no bound: 0.
func (c *Config) MaxInFlight(i int, target string, withScenario bool) (bound int, ridesOut time.Duration, capped bool) {
	w := &c.Workloads[i]
	if w.MaxInflight > 0 || !w.Rate.OpenLoop() {
		return w.MaxInflight, 0, false
	}
	readTimeout := time.Duration(0)
	for _, t := range c.Targets {
		if t.Name == target {
			readTimeout = t.ReadTimeout
		}
	}
	rate := PeakRate(w.Rate)
	if withScenario {
		rate = c.Scenario.PeakRate(w.Name, rate)
	}
	return runner.MaxInFlightFor(rate, readTimeout, w.RequestBytes())
}

// PeakRate is the highest rate of an open-loop schedule, in requests per
// second, from its parameters. A type this does not know (a schedule added
// later) is sampled: every second of its first hour.
func PeakRate(spec Rate) float64 {
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
	case *schedule.RecordedParams:
		return p.PeakRate() // from the trace's start
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

// PeakRate is the peak rate of the named workload under the scenario's
// phases, base being its own schedule's: each phase scales it (the phase's
// multiplier or the workload's own in the phase) or replaces the schedule.
// Without phases the workload runs as configured.
func (sc Scenario) PeakRate(workload string, base float64) float64 {
	if len(sc.Phases) == 0 {
		return base
	}
	peak := 0.0
	for _, ph := range sc.Phases {
		rate := base * ph.RateMultiplier
		if pw, ok := ph.Workloads[workload]; ok {
			switch {
			case pw.Rate != nil:
				rate = PeakRate(*pw.Rate)
			case pw.RateMultiplier != nil:
				rate = base * *pw.RateMultiplier
			}
		}
		peak = max(peak, rate)
	}
	return peak
}
