package schedule_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// problems records what Check reports, every key given.
type problems struct {
	list   []string
	absent []string // keys not given
}

func (p *problems) Add(key, msg string, values ...any) {
	p.list = append(p.list, key+": "+fmt.Sprintf(msg, values...))
}
func (p *problems) Given(key string) bool  { return !slices.Contains(p.absent, key) }
func (p *problems) Broken(key string) bool { return false }

func TestTypes(t *testing.T) {
	t.Parallel()
	var names []string
	for _, typ := range schedule.Types() {
		names = append(names, typ.Name)
		if got, ok := schedule.Lookup(typ.Name); !ok || got.Name != typ.Name {
			t.Errorf("Lookup(%q) = %v, %v", typ.Name, got, ok)
		}
		if a, b := typ.New(), typ.New(); a == b {
			t.Errorf("%s: New returns the same parameters twice", typ.Name)
		}
	}
	if want := []string{"constant", "ramp", "steps", "burst", "sine", "closed", "recorded"}; !reflect.DeepEqual(names, want) {
		t.Errorf("types %v, want %v", names, want)
	}
	if _, ok := schedule.Lookup("linear"); ok {
		t.Error(`Lookup("linear") found a type`)
	}
}

func TestSpecSchedule(t *testing.T) {
	t.Parallel()
	steps := []schedule.Step{{Rate: 1, For: time.Second}}
	tests := []struct {
		spec    schedule.Spec
		want    schedule.Schedule
		workers int
	}{
		{schedule.Spec{Type: "constant", Params: &schedule.ConstantParams{Rate: 5}}, schedule.Constant{PerSecond: 5}, 0},
		{schedule.Spec{Type: "ramp", Params: &schedule.RampParams{From: 1, To: 2, Duration: time.Minute, After: schedule.AfterRepeat}},
			schedule.Repeat{Of: schedule.Ramp{From: 1, To: 2, Over: time.Minute}}, 0},
		{schedule.Spec{Type: "ramp", Params: &schedule.RampParams{To: 2, Duration: time.Minute, After: schedule.AfterHold}},
			schedule.Hold{Of: schedule.Ramp{To: 2, Over: time.Minute}}, 0},
		{schedule.Spec{Type: "steps", Params: &schedule.StepsParams{Steps: steps, After: schedule.AfterRepeat}},
			schedule.Repeat{Of: schedule.NewSteps(steps)}, 0},
		{schedule.Spec{Type: "burst", Params: &schedule.BurstParams{Base: 1, Peak: 2, Period: time.Minute, Length: time.Second}},
			schedule.Burst{Base: 1, Peak: 2, Period: time.Minute, Length: time.Second}, 0},
		{schedule.Spec{Type: "sine", Params: &schedule.SineParams{Mean: 2, Amplitude: 1, Period: time.Minute}},
			schedule.Sine{Mean: 2, Amplitude: 1, Period: time.Minute}, 0},
		{schedule.Spec{Type: "closed", Params: &schedule.ClosedParams{Workers: 7}}, nil, 7},
	}
	for _, tt := range tests {
		got, err := tt.spec.Schedule()
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Schedule() = %#v, %v; want %#v", tt.spec.Type, got, err, tt.want)
		}
		if open := tt.spec.OpenLoop(); open != (tt.want != nil) || tt.spec.Workers() != tt.workers {
			t.Errorf("%s: OpenLoop() = %v, Workers() = %d", tt.spec.Type, open, tt.spec.Workers())
		}
	}
	for _, spec := range []schedule.Spec{{Type: "linear"}, {Type: "constant"}} {
		if s, err := spec.Schedule(); s != nil || !errors.Is(err, schedule.ErrUnknownType) {
			t.Errorf("%+v: Schedule() = %v, %v; want ErrUnknownType", spec, s, err)
		}
	}
}

// TestCheck checks each type's checks; the config package's golden files
// check them again as a user reads them.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		params schedule.Params
		absent []string
		want   []string
	}{
		{&schedule.ConstantParams{Rate: 1000}, nil, nil},
		{&schedule.ConstantParams{Rate: 0}, nil, []string{"rate: must be > 0, got 0"}},
		{&schedule.ConstantParams{Rate: 2e7}, nil, []string{"rate: must be <= 10000000 requests/s, got 2e+07"}},
		{&schedule.RampParams{After: "stop"}, []string{"duration"},
			[]string{"to: from and to are both 0; at least one must be > 0", "duration: required by type ramp", "after: must be one of repeat, hold; got stop"}},
		{&schedule.StepsParams{Steps: []schedule.Step{{Rate: 0, For: time.Second}, {Rate: 0}}, After: schedule.AfterHold}, []string{"steps[1].duration"},
			[]string{"steps[1].duration: required", "steps: all step rates are 0; at least one must be > 0"}},
		{&schedule.StepsParams{Steps: []schedule.Step{{Rate: -1, For: -time.Second}}, After: schedule.AfterHold}, nil,
			[]string{"steps[0].rate: must be >= 0, got -1", "steps[0].duration: must be > 0, got -1s"}},
		{&schedule.StepsParams{After: schedule.AfterRepeat}, nil, []string{"steps: at least one step is required"}},
		{&schedule.BurstParams{Base: 10, Peak: 10, Period: time.Second, Length: time.Second}, nil,
			[]string{"peak: must be > base (10), got 10", "length: must be < period (1s), got 1s"}},
		{&schedule.SineParams{Mean: 10, Amplitude: 20, Period: -time.Second}, nil,
			[]string{"amplitude: must be <= mean (10), got 20", "period: must be > 0, got -1s"}},
		{&schedule.ClosedParams{}, []string{"workers"}, []string{"workers: required by type closed"}},
		{&schedule.ClosedParams{Workers: 10_001}, nil, []string{"workers: must be between 1 and 10000, got 10001"}},
	}
	for _, tt := range tests {
		p := &problems{absent: tt.absent}
		tt.params.Check(p)
		if !reflect.DeepEqual(p.list, tt.want) {
			t.Errorf("%T%+v:\ngot  %s\nwant %s", tt.params, tt.params, strings.Join(p.list, "; "), strings.Join(tt.want, "; "))
		}
	}
}
