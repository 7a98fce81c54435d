package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/loadgen/cpuuse"
)

// TestGeneratorCPUMetrics observes a quiet second, a saturated one and an
// interval the meter did not close, and checks the exposition: gauges of
// the last closed second, saturated seconds summed.
func TestGeneratorCPUMetrics(t *testing.T) {
	t.Parallel()
	reg, m := newTestMetrics(t)
	m.ObserveGeneratorCPU(cpuuse.Interval{Wall: time.Second, CPUs: 2, Busy: 0.4, Steal: 0.01, StealKnown: true}, true)
	m.ObserveGeneratorCPU(cpuuse.Interval{Wall: 1500 * time.Millisecond, CPUs: 2, Busy: 0.95, Steal: 0.25, StealKnown: true}, true)
	m.ObserveGeneratorCPU(cpuuse.Interval{Wall: time.Millisecond, CPUs: 2, Busy: 1}, false) // not closed: ignored
	want := `
# HELP ecbench_generator_cpu_busy_ratio Share of the CPU time ecbench's usable CPUs had for it (GOMAXPROCS, at most the CPUs it may run on, less the hypervisor's steal) that it used over the last measured second. At 0.9 and above the generator, not the server, sets the pace: it reads replies late.
# TYPE ecbench_generator_cpu_busy_ratio gauge
ecbench_generator_cpu_busy_ratio 0.95
# HELP ecbench_generator_cpu_saturated_seconds_total Seconds in which ecbench's busy share (ecbench_generator_cpu_busy_ratio) reached 0.9: its latency and drops then hold its own queueing.
# TYPE ecbench_generator_cpu_saturated_seconds_total counter
ecbench_generator_cpu_saturated_seconds_total 1.5
# HELP ecbench_generator_cpus CPUs ecbench can use at once: GOMAXPROCS, at most the CPUs it may run on.
# TYPE ecbench_generator_cpus gauge
ecbench_generator_cpus 2
# HELP ecbench_host_cpu_steal_ratio Share of the time of the CPUs ecbench may run on that the hypervisor gave to other guests over the last measured second (/proc/stat steal).
# TYPE ecbench_host_cpu_steal_ratio gauge
ecbench_host_cpu_steal_ratio 0.25
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_generator_cpu_busy_ratio",
		"ecbench_generator_cpu_saturated_seconds_total", "ecbench_generator_cpus", "ecbench_host_cpu_steal_ratio"); err != nil {
		t.Error(err)
	}
}
