package threshold

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Names are what thresholds may name: the targets, and the workloads with
// their ops, of a configuration or of a run's results.
type Names struct {
	Targets   map[string]engine.Engine // target name → its engine ("" when not known)
	Workloads map[string][]string      // workload name → its ops
}

// Check returns an error when t names a workload, an op of it or a target
// that n does not hold. An engine name (redis, valkey) is a target when no
// target has that name.
func (t Threshold) Check(n Names) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrSyntax, strconv.Quote(t.Text), fmt.Sprintf(format, args...))
	}
	if t.Workload != "" && t.Workload != All {
		ops, ok := n.Workloads[t.Workload]
		if !ok {
			return fail("no workload %s; workloads: %s", strconv.Quote(t.Workload), list(slices.Sorted(maps.Keys(n.Workloads))))
		}
		if t.Op != All && !slices.Contains(ops, t.Op) {
			return fail("workload %s has no op %s; its ops: %s", t.Workload, strconv.Quote(t.Op), list(ops))
		}
	} else if t.Op != "" && t.Op != All {
		found := false
		for _, ops := range n.Workloads {
			found = found || slices.Contains(ops, t.Op)
		}
		if !found {
			return fail("no workload has op %s", strconv.Quote(t.Op))
		}
	}
	if t.Target == "" || t.Target == All || t.Target == Ratio {
		return nil
	}
	if _, ok := n.Targets[t.Target]; ok {
		return nil
	}
	for _, e := range engine.Declarable {
		if t.Target == string(e) {
			return nil
		}
	}
	return fail("no target %s; targets: %s, or an engine: %s", strconv.Quote(t.Target),
		list(slices.Sorted(maps.Keys(n.Targets))), list([]string{string(engine.Redis), string(engine.Valkey)}))
}

// SelectsTarget reports whether t applies to the values of target name
// (per-engine thresholds only: a ratio threshold selects no target). A
// TARGET part that is no target's name selects the targets of that engine.
func (t Threshold) SelectsTarget(n Names, name string) bool {
	switch t.Target {
	case "", All:
		return true
	case Ratio:
		return false
	}
	if _, isName := n.Targets[t.Target]; isName {
		return name == t.Target
	}
	return string(n.Targets[name]) == t.Target
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
