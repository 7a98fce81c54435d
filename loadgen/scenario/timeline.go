package scenario

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// Phase is one stretch of a scenario.
type Phase struct {
	// Name is the phase's label value in ecbench_phase_info{phase}. Phases
	// may share a name ("steady" before and after a burst); they then share
	// the series.
	Name     string
	Duration time.Duration
	// Multiplier scales every open-loop workload's base rate during the
	// phase: 1 runs it unchanged, 3 triples it, 0 sends nothing. The zero
	// value is 0, not 1; the configuration's default is 1.
	Multiplier float64
	// Multipliers, by workload name, take Multiplier's place for those
	// workloads.
	Multipliers map[string]float64
	// Overrides, by workload name, replace the workload's schedule during the
	// phase with one on the phase's own clock, which reads 0 when the phase
	// begins. Multipliers do not apply to an override.
	Overrides map[string]schedule.Schedule
	// Actions start when the phase begins, each in its own goroutine; they
	// may outlast the phase.
	Actions []Action
}

// multiplier returns the multiplier of workload in p.
func (p *Phase) multiplier(workload string) float64 {
	if m, ok := p.Multipliers[workload]; ok {
		return m
	}
	return p.Multiplier
}

// Timeline is a scenario: its phases, one after the other, once or over and
// over (Repeat).
type Timeline struct {
	Phases []Phase
	Repeat bool
}

// Length returns the total of the phases' durations.
func (t Timeline) Length() time.Duration {
	var l time.Duration
	for _, p := range t.Phases {
		l = schedule.AddSat(l, p.Duration)
	}
	return l
}

// Schedule returns the schedule of workload under t, given its base
// schedule: a schedule.Piecewise of a segment per phase, scaled by the
// phase's multiplier or replaced by its override, wrapped in schedule.Repeat
// if t repeats. Without phases it is base. A nil base (a closed-loop
// workload) stays nil: closed loop runs unchanged through every phase.
//
// Call it once per runner: every runner of a workload then holds its own copy
// of the same schedule.
func (t Timeline) Schedule(workload string, base schedule.Schedule) schedule.Schedule {
	if base == nil || len(t.Phases) == 0 {
		return base
	}
	segs := make([]schedule.Segment, len(t.Phases))
	for i := range t.Phases {
		p := &t.Phases[i]
		segs[i] = schedule.Segment{For: p.Duration, Scale: p.multiplier(workload), Override: p.Overrides[workload]}
	}
	pw := schedule.NewPiecewise(base, segs)
	if t.Repeat && pw.Length() > 0 {
		return schedule.Repeat{Of: pw}
	}
	return pw
}

// PhaseAt returns the phase in force elapsed after the start: its index in
// Phases, its name and when it began (in the current cycle, if t repeats).
// After the end of a timeline that does not repeat, the last phase is in
// force. A phase with no duration is never in force, except a last one.
// Without phases index is -1.
func (t Timeline) PhaseAt(elapsed time.Duration) (index int, name string, start time.Duration) {
	if len(t.Phases) == 0 {
		return -1, "", 0
	}
	_, index, start = t.position(elapsed)
	return index, t.Phases[index].Name, start
}

// position returns the cycle and the phase in force at elapsed, and when
// that phase began.
func (t Timeline) position(elapsed time.Duration) (cycle int64, index int, start time.Duration) {
	elapsed = max(elapsed, 0)
	var base time.Duration
	if l := t.Length(); t.Repeat && l > 0 {
		cycle = int64(elapsed / l)
		base = time.Duration(cycle) * l
		elapsed -= base
	}
	var at time.Duration
	last := len(t.Phases) - 1
	for i := range last {
		end := schedule.AddSat(at, t.Phases[i].Duration)
		if end > elapsed {
			return cycle, i, base + at
		}
		at = end
	}
	return cycle, last, base + at
}

// offsets returns when each phase begins within a cycle.
func (t Timeline) offsets() []time.Duration {
	out := make([]time.Duration, len(t.Phases))
	var at time.Duration
	for i, p := range t.Phases {
		out[i] = at
		at = schedule.AddSat(at, p.Duration)
	}
	return out
}

// Validate returns every problem with t at once, one per line, each with its
// path: `phases[1].duration: must be > 0, got "0s"`. openLoop maps each
// workload's name to whether it has an open-loop rate schedule; with a nil
// map the workload names in multipliers and overrides are not checked.
func (t Timeline) Validate(openLoop map[string]bool) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{path}, args...)...))
	}
	if len(t.Phases) == 0 {
		bad("phases", "must not be empty")
	}
	workload := func(path, w string) bool {
		if openLoop == nil {
			return true
		}
		open, ok := openLoop[w]
		switch {
		case !ok:
			bad(path, "unknown workload %q (workloads: %s)", w, strings.Join(sortedKeys(openLoop), ", "))
			return false
		case !open:
			bad(path, "workload %q is closed loop: a phase can only shape an open-loop rate", w)
			return false
		}
		return true
	}
	for i, p := range t.Phases {
		path := fmt.Sprintf("phases[%d]", i)
		if p.Name == "" {
			bad(path+".name", "must not be empty")
		}
		if p.Duration <= 0 {
			bad(path+".duration", "must be > 0, got %q", p.Duration.String())
		}
		if !multiplierOK(p.Multiplier) {
			bad(path+".multiplier", "must be a finite number >= 0, got %v", p.Multiplier)
		}
		for _, w := range sortedKeys(p.Multipliers) {
			wp := path + ".multipliers." + w
			if workload(wp, w) && !multiplierOK(p.Multipliers[w]) {
				bad(wp, "must be a finite number >= 0, got %v", p.Multipliers[w])
			}
		}
		for _, w := range sortedKeys(p.Overrides) {
			wp := path + ".overrides." + w
			if workload(wp, w) && p.Overrides[w] == nil {
				bad(wp, "must not be nil")
			}
		}
		for j, a := range p.Actions {
			if a == nil {
				bad(fmt.Sprintf("%s.actions[%d]", path, j), "must not be nil")
			}
		}
	}
	return errors.Join(errs...)
}

func multiplierOK(m float64) bool { return m >= 0 && !math.IsInf(m, 0) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
