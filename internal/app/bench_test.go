package app

import (
	"context"
	"fmt"
	"testing"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/results"
)

// TestBenchWarmupExcluded runs an open-loop workload with a warm-up: the
// warm-up's requests are in Prometheus but not in the results.
func TestBenchWarmupExcluded(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	cfg, err := config.Load(e2etest.WriteConfig(t, fmt.Sprintf(`
targets: [{name: valkey, addrs: [%q]}]
workloads:
  - {name: kv, ops: {get: 1}, rate: {type: constant, rate: 500}}
bench: {warmup: 1s, duration: 2s}
`, vs.Addr)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	zl := testLogger(log)
	var phases []Progress
	b, run := runBench(t, cfg, zl, func(p Progress) {
		if p.Final {
			phases = append(phases, p)
		}
	})
	var measured, sent uint64
	for _, s := range run.Series {
		measured += s.OK + s.Miss + s.Errors + s.Dropped
		sent += s.OK + s.Miss + s.Errors
	}
	byName := metrictest.Gathered(t, b.Registry())
	exported := uint64(metrictest.Sum(byName, "ecbench_ops_total", e2etest.Labels("target", "valkey", "workload", "kv")))
	// 500/s: about 500 warm-up requests and 1000 measured ones.
	if measured < 900 || measured > 1100 {
		t.Errorf("%d requests in the results, want about 1000 (2s at 500/s)", measured)
	}
	if warm := exported - measured; warm < 400 || warm > 600 {
		t.Errorf("Prometheus counted %d, the results %d: the warm-up difference %d is not about 500", exported, measured, warm)
	}
	if len(phases) != 2 || phases[0].Phase != PhaseWarmup || phases[1].Phase != PhaseMeasure || phases[1].Targets[0].Done != sent {
		t.Errorf("final progress reports %+v: want warm-up, then measure with %d requests", phases, sent)
	}

	// Every request's schedule lag: the measured ones in the results, all
	// of them in the Prometheus histogram.
	if len(run.Generator) != 1 {
		t.Fatalf("generators %+v", run.Generator)
	}
	g := run.Generator[0]
	if !g.OpenLoop {
		t.Error("a constant-rate workload is not marked open loop in the results")
	}
	if g.ScheduleLagP50 <= 0 || g.ScheduleLagP50 > g.ScheduleLagP99 || g.ScheduleLagP99 > g.ScheduleLagP999 ||
		g.ScheduleLagP999 > g.MaxScheduleLag+g.MaxScheduleLag/500 {
		t.Errorf("lag quantiles p50 %v p99 %v p99.9 %v max %v: want 0 < p50 <= p99 <= p99.9 <= max", g.ScheduleLagP50, g.ScheduleLagP99, g.ScheduleLagP999, g.MaxScheduleLag)
	}
	// The generator's own CPU over the measured phase, and live.
	if g.CPUs < 1 || g.CPUBusy <= 0 || g.CPUBusy > 1 || g.CPUSaturated < 0 || g.CPUSaturated > 1 || !g.HostStealKnown {
		t.Errorf("generator CPU: cpus %d busy %v saturated %v steal %v (known %v): want cpus ≥ 1, busy in (0, 1], saturated in [0, 1], steal read",
			g.CPUs, g.CPUBusy, g.CPUSaturated, g.HostSteal, g.HostStealKnown)
	}
	if m := byName["ecbench_generator_cpus"].GetMetric(); len(m) != 1 || m[0].GetGauge().GetValue() != float64(g.CPUs) {
		t.Errorf("ecbench_generator_cpus = %v, want %d", m, g.CPUs)
	}
	var lagCount uint64
	for _, m := range byName["ecbench_dispatch_lag_seconds"].GetMetric() {
		lagCount += m.GetHistogram().GetSampleCount()
	}
	if lagCount != exported {
		t.Errorf("ecbench_dispatch_lag_seconds counted %d dispatches, ecbench_ops_total %d requests", lagCount, exported)
	}
}

// TestBenchFinalProgress overloads a target (one request in flight at a
// time, far more offered): the final progress report covers the whole
// phase, with dropped requests beside the ones sent, never among them.
func TestBenchFinalProgress(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	cfg, err := config.Load(e2etest.WriteConfig(t, fmt.Sprintf(`
targets: [{name: valkey, addrs: [%q]}]
workloads:
  - {name: kv, ops: {get: 1}, max_inflight: 1, rate: {type: constant, rate: 50000}}
bench: {duration: 2s}
`, vs.Addr)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var final *Progress
	var live []TargetProgress
	_, run := runBench(t, cfg, testLogger(&syncBuffer{}), func(p Progress) {
		switch {
		case p.Phase != PhaseMeasure:
		case p.Final:
			final = &p
		default:
			live = append(live, p.Targets[0])
		}
	})
	if final == nil || len(final.Targets) != 1 || len(run.Series) != 1 || len(run.Generator) != 1 {
		t.Fatalf("final progress %+v, results %+v", final, run)
	}
	got, s := final.Targets[0], run.Series[0]
	if s.Dropped == 0 || s.OK+s.Miss == 0 {
		t.Fatalf("want both answers and drops, got %+v", s)
	}
	if got.Done != s.OK+s.Miss+s.Errors || got.Dropped != s.Dropped || got.Errors != s.Errors || run.Generator[0].Dropped != s.Dropped {
		t.Errorf("final progress done %d, errors %d, dropped %d; the results sent %d (%d errors) and dropped %d (generator: %d)",
			got.Done, got.Errors, got.Dropped, s.OK+s.Miss+s.Errors, s.Errors, s.Dropped, run.Generator[0].Dropped)
	}
	if got.P99 <= 0 {
		t.Errorf("final p99 %v after %d answers, want > 0", got.P99, s.OK+s.Miss)
	}
	// The phase's rate: answered over the phase's 2s, not the last second's.
	window := s.Seconds
	if want := float64(s.OK+s.Miss) / window; got.Rate < want*0.9 || got.Rate > want*1.1 {
		t.Errorf("final rate %.0f/s, want about %.0f/s (%d answered in %.2fs)", got.Rate, want, s.OK+s.Miss, window)
	}
	var liveDropped uint64
	for _, l := range live {
		liveDropped += l.Dropped
	}
	if liveDropped > got.Dropped {
		t.Errorf("the live reports dropped %d, more than the phase's %d", liveDropped, got.Dropped)
	}
}

// runBench runs the bench of cfg to its end, reporting progress to progress,
// and closes it when the test ends.
func runBench(t *testing.T, cfg *config.Config, log *zap.Logger, progress func(Progress)) (*Bench, *results.Run) {
	t.Helper()
	b, err := NewBench(cfg, log, BenchOptions{Version: "test", Command: []string{"ecbench", "bench"}, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	run, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b, run
}
