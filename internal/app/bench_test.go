package app

import (
	"context"
	"fmt"
	"testing"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
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
	b, err := NewBench(cfg, zl, BenchOptions{Version: "test", Command: []string{"ecbench", "bench"}, Progress: func(p Progress) {
		if p.Final {
			phases = append(phases, p)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	run, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var measured uint64
	for _, s := range run.Series {
		measured += s.OK + s.Miss + s.Errors + s.Dropped
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
	if len(phases) != 2 || phases[0].Phase != PhaseWarmup || phases[1].Phase != PhaseMeasure || phases[1].Targets[0].Done != measured {
		t.Errorf("final progress reports %+v: want warm-up, then measure with %d requests", phases, measured)
	}

	// Every request's schedule lag: the measured ones in the results, all
	// of them in the Prometheus histogram.
	if len(run.Generator) != 1 {
		t.Fatalf("generators %+v", run.Generator)
	}
	g := run.Generator[0]
	if g.ScheduleLagP50 <= 0 || g.ScheduleLagP50 > g.ScheduleLagP99 || g.ScheduleLagP99 > g.ScheduleLagP999 ||
		g.ScheduleLagP999 > g.MaxScheduleLag+g.MaxScheduleLag/500 {
		t.Errorf("lag quantiles p50 %v p99 %v p99.9 %v max %v: want 0 < p50 <= p99 <= p99.9 <= max", g.ScheduleLagP50, g.ScheduleLagP99, g.ScheduleLagP999, g.MaxScheduleLag)
	}
	var lagCount uint64
	for _, m := range byName["ecbench_dispatch_lag_seconds"].GetMetric() {
		lagCount += m.GetHistogram().GetSampleCount()
	}
	if lagCount != exported {
		t.Errorf("ecbench_dispatch_lag_seconds counted %d dispatches, ecbench_ops_total %d requests", lagCount, exported)
	}
}
