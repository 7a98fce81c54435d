package app

import (
	"runtime"
	"testing"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
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
