package app

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/loadgen/schedule"
)

// TestTargetPoolSize checks that closed-loop workers get connections on top
// of pool_size: each holds one, and probes and open-loop requests must
// still find a free one.
func TestTargetPoolSize(t *testing.T) {
	closed := func(workers int, targets ...string) config.Workload {
		return config.Workload{Targets: targets, Rate: schedule.Spec{Type: "closed", Params: &schedule.ClosedParams{Workers: workers}}}
	}
	open := config.Workload{Rate: schedule.Spec{Type: "constant", Params: &schedule.ConstantParams{Rate: 100}}}
	tests := []struct {
		name      string
		poolSize  int
		workloads []config.Workload
		want      int
	}{
		{"no workloads", 50, nil, 50},
		{"open loop only", 50, []config.Workload{open}, 50},
		{"default pool stays default", 0, []config.Workload{open}, 0},
		{"closed loop adds its workers", 50, []config.Workload{closed(50), open}, 100},
		{"on top of the go-redis default", 0, []config.Workload{closed(8)}, 10*runtime.GOMAXPROCS(0) + 8},
		{"only workloads that run on the target", 10, []config.Workload{closed(5, "valkey"), closed(7, "redis"), closed(3)}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := targetOptions(config.Target{Name: "redis", PoolSize: tt.poolSize}, tt.workloads).PoolSize
			if got != tt.want {
				t.Errorf("PoolSize = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestRawPoolLimits checks the open loop's raw connections per runner: the
// pool_size that a target's open-loop workloads share on go-redis' pool,
// split between them, without the closed-loop workers' connections, which
// are their own on the raw path.
func TestRawPoolLimits(t *testing.T) {
	closed := func(workers int) string {
		return fmt.Sprintf("{name: c%d, ops: {get: 1}, rate: {type: closed, workers: %d}}", workers, workers)
	}
	open := func(name string) string {
		return fmt.Sprintf("{name: %s, ops: {get: 1}, rate: {type: constant, rate: 10}}", name)
	}
	tests := []struct {
		name      string
		poolSize  int
		workloads []string
		want      int
	}{
		{"one open loop", 50, []string{open("a")}, 50},
		{"two share it", 50, []string{open("a"), open("b")}, 25},
		{"at least one each", 2, []string{open("a"), open("b"), open("c")}, 1},
		{"closed-loop workers not counted", 50, []string{open("a"), closed(8)}, 50},
		{"the go-redis default", 0, []string{open("a")}, 10 * runtime.GOMAXPROCS(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(e2etest.WriteConfig(t, fmt.Sprintf("targets: [{name: valkey, addrs: [\"127.0.0.1:1\"], pool_size: %d}]\nworkloads: [%s]\n",
				tt.poolSize, strings.Join(tt.workloads, ", "))), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPlan(cfg, testLogger(&syncBuffer{}), "test")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			lim := p.rawPoolLimits(p.targets[0])
			if lim.Size != tt.want {
				t.Errorf("raw pool size %d, want %d", lim.Size, tt.want)
			}
			if lim.Timeout <= 0 || lim.MaxLifetime <= 0 || lim.MaxIdle <= 0 {
				t.Errorf("limits %+v: want go-redis' pool timeout, lifetime and idle time", lim)
			}
		})
	}
}
