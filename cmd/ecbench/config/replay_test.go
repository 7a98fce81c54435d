package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

const sampleMonitor = "../../../loadgen/trace/testdata/sample.monitor"

func TestReplayDefaults(t *testing.T) {
	t.Parallel()
	cfg, err, _ := loadYAML(t, twoLocal+"workloads: [{name: prod, type: replay, replay: {file: "+sampleMonitor+", format: monitor}}]\n")
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Workloads[0]
	src := trace.Source{Path: sampleMonitor, Format: trace.Monitor, MaxLine: trace.MaxLineFor(DefaultReplayMaxValueSize)}
	want := Replay{File: sampleMonitor, Format: "monitor", MaxValueSize: DefaultReplayMaxValueSize}
	if w.Replay != want || w.Keys.Prefix != "ecbench:prod:" || w.Preload || w.Ops != nil {
		t.Errorf("replay %+v, prefix %q, preload %v, ops %v", w.Replay, w.Keys.Prefix, w.Preload, w.Ops)
	}
	p, ok := w.Rate.Params.(*schedule.RecordedParams)
	if w.Rate.Type != "recorded" || !ok || p.Speed != 1 || p.Trace == nil || *p.Trace != src || p.Loop {
		t.Fatalf("rate %+v, want recorded at speed 1 of %+v", w.Rate, src)
	}
	// The sample's peak: the derived in-flight bound rides out a stall of
	// read_timeout (1 s) at it.
	if peak := PeakRate(w.Rate); peak < 250 || peak > 400 {
		t.Errorf("peak rate %v, want the sample's, about 250/s at its busiest", peak)
	}
	if got, want := w.RequestBytes(), int64(10_752+DefaultReplayMaxValueSize+workload.ItemOverhead); got != want {
		t.Errorf("RequestBytes %d, want %d", got, want)
	}
	b := cfg.Budget()
	if min := 2 * 2 * trace.ReaderMemory(src.MaxLine); b.Buffers < min {
		t.Errorf("buffers %d: want at least the 2 runners' 2 readers, %d", b.Buffers, min)
	}
}

func TestReplayOverridesAndRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, path, twoLocal+`workloads:
  - name: prod
    type: replay
    targets: [valkey]
    replay: {file: `+sampleMonitor+`, format: monitor, max_value_size: 64KiB}
    rate: {type: recorded, speed: 4}
  - {name: kv}
  - name: ordered
    type: replay
    keys: {prefix: "trace:"}
    replay: {file: `+sampleMonitor+`, format: monitor, loop: true}
    rate: {type: constant, rate: 500}
    pipeline: 4
`)
	cfg := mustLoad(t, path, "ECBENCH_WORKLOADS_0_RATE_SPEED=2", "ECBENCH_WORKLOADS_0_REPLAY_LOOP=true")
	p := cfg.Workloads[0].Rate.Params.(*schedule.RecordedParams)
	if p.Speed != 2 || !p.Loop || !cfg.Workloads[0].Replay.Loop || p.Trace.MaxLine != trace.MaxLineFor(64<<10) {
		t.Errorf("overrides not applied: %+v, %+v", p, cfg.Workloads[0].Replay)
	}
	if o := cfg.Workloads[2]; o.Rate.Type != "constant" || o.Keys.Prefix != "trace:" || o.Pipeline != 4 {
		t.Errorf("ordered replay: %+v", o)
	}
	// A rate without a type is the trace's timing, from the file or the
	// environment alone.
	typeless := filepath.Join(t.TempDir(), "typeless.yaml")
	writeFile(t, typeless, twoLocal+"workloads: [{name: a, type: replay, replay: {file: "+sampleMonitor+", format: monitor}, rate: {speed: 3}}, "+
		"{name: b, type: replay, replay: {file: "+sampleMonitor+", format: monitor}}]\n")
	tc := mustLoad(t, typeless, "ECBENCH_WORKLOADS_1_RATE_SPEED=5")
	for i, speed := range []float64{3, 5} {
		if p, ok := tc.Workloads[i].Rate.Params.(*schedule.RecordedParams); !ok || p.Speed != speed || p.Trace == nil {
			t.Errorf("workload %d: rate %+v, want recorded at speed %v", i, tc.Workloads[i].Rate, speed)
		}
	}
	red := cfg.Redacted()
	b, err := yaml.Marshal(red)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Count(s, "replay:") != 2 || strings.Count(s, "mget_batch") != 1 {
		t.Errorf("redacted: replay only on replay workloads, mget_batch only on kv:\n%s", s)
	}
	out := filepath.Join(t.TempDir(), "effective.yaml")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if again := mustLoad(t, out); !reflect.DeepEqual(cfg, again) {
		t.Errorf("round trip differs:\n%s\ngot  %+v\nwant %+v", b, again, cfg)
	}
}

func TestReplayUnderScenario(t *testing.T) {
	t.Parallel()
	_, err, _ := loadYAML(t, twoLocal+`workloads:
  - {name: prod, type: replay, replay: {file: `+sampleMonitor+`, format: monitor}}
  - {name: ordered, type: replay, replay: {file: `+sampleMonitor+`, format: monitor, loop: true}, rate: {type: constant}}
scenario:
  phases: [{name: a, duration: 1m, workloads: {ordered: {rate: {type: recorded}}}}]
`)
	want := `scenario.phases[0].workloads.ordered.rate.type: "recorded" replays a trace's own timing: only a workload of type replay has a trace; give this one another type
workloads[0].rate.type: recorded timing is the trace's own, which scenario phases cannot shape; under a scenario give the workload another rate type (constant, ramp, ...)`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
