package config

import (
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// TestRateTypes checks that every schedule type is a rate: written with its
// type alone it takes the type's defaults, and Redacted writes out its keys
// and no other type's.
func TestRateTypes(t *testing.T) {
	t.Parallel()
	for _, typ := range schedule.Types() {
		t.Run(typ.Name, func(t *testing.T) {
			t.Parallel()
			got, err := rateHook(nil, rateType, map[string]any{"type": typ.Name})
			if want := (Rate{Type: typ.Name, Params: typ.New()}); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %+v, %v; want %+v", got, err, want)
			}
			m := plain(reflect.ValueOf(got)).(map[string]any)
			keys := []string{"type"}
			for key := range fields(reflect.TypeOf(typ.New()).Elem()) {
				keys = append(keys, key)
			}
			if got := slices.Sorted(maps.Keys(m)); !reflect.DeepEqual(got, slices.Sorted(slices.Values(keys))) {
				t.Errorf("redacted keys %v, want %v", got, keys)
			}
		})
	}
}

// TestPhaseRates checks that a phase's rate is decoded like a workload's,
// defaults included, as examples/annotated.yaml shows it.
func TestPhaseRates(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, file, base+`scenario:
  phases:
    - {name: ramp, duration: 5m, workloads: {kv: {rate: {type: ramp, from: 1000, to: 20000, duration: 5m}}}}
    - {name: default, duration: 5m, workloads: {kv: {rate: {}}}}
`)
	cfg := mustLoad(t, file)
	want := []Rate{
		{Type: "ramp", Params: &schedule.RampParams{From: 1000, To: 20000, Duration: 5 * time.Minute, After: schedule.AfterRepeat}},
		{Type: "constant", Params: &schedule.ConstantParams{Rate: 1000}},
	}
	for i, ph := range cfg.Scenario.Phases {
		if got := ph.Workloads["kv"].Rate; !reflect.DeepEqual(*got, want[i]) {
			t.Errorf("phase %d: rate %+v, want %+v", i, *got, want[i])
		}
	}
}
