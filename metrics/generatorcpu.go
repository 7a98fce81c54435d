package metrics

import (
	"github.com/ecbench/ecbench/loadgen/cpuuse"
	"github.com/prometheus/client_golang/prometheus"
)

// generatorCPU exports ecbench's own CPU use second by second
// (loadgen/cpuuse): a saturated generator reads replies late, and the
// latency it records is then partly its own. process_cpu_seconds_total
// has the raw CPU time; these put it against what the CPUs had to give.
type generatorCPU struct {
	busy, steal, cpus prometheus.Gauge
	saturated         prometheus.Counter
}

func newGeneratorCPU() *generatorCPU {
	return &generatorCPU{
		busy: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ecbench_generator_cpu_busy_ratio",
			Help: "Share of the CPU time ecbench's usable CPUs had for it (GOMAXPROCS, at most the CPUs it may run on, less the hypervisor's steal) that it used over the last measured second. At 0.9 and above the generator, not the server, sets the pace: it reads replies late.",
		}),
		steal: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ecbench_host_cpu_steal_ratio",
			Help: "Share of the time of the CPUs ecbench may run on that the hypervisor gave to other guests over the last measured second (/proc/stat steal).",
		}),
		cpus: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ecbench_generator_cpus",
			Help: "CPUs ecbench can use at once: GOMAXPROCS, at most the CPUs it may run on.",
		}),
		saturated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ecbench_generator_cpu_saturated_seconds_total",
			Help: "Seconds in which ecbench's busy share (ecbench_generator_cpu_busy_ratio) reached 0.9: its latency and drops then hold its own queueing.",
		}),
	}
}

func (g *generatorCPU) collectors() []prometheus.Collector {
	return []prometheus.Collector{g.busy, g.steal, g.cpus, g.saturated}
}

// ObserveGeneratorCPU records one interval of the generator's CPU use
// (cpuuse.Meter.Tick's); an interval it did not close (ok false) is not
// one.
func (m *Metrics) ObserveGeneratorCPU(iv cpuuse.Interval, ok bool) {
	if !ok {
		return
	}
	g := m.cpu
	g.busy.Set(iv.Busy)
	g.steal.Set(iv.Steal)
	g.cpus.Set(float64(iv.CPUs))
	if iv.Saturated() {
		g.saturated.Add(iv.Wall.Seconds())
	}
}
