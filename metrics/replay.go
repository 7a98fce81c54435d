package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// AddReplay exports what replay workload name reads of its trace, from r's
// Stats at scrape time: the commands read to be sent, those skipped by
// command name, malformed lines, commands whose values were cut, and
// passes completed. Each line of the trace counts once, however many
// targets replay it.
func (m *Metrics) AddReplay(name string, r *workload.Replay) {
	m.replays.add(name, r)
}

var _ prometheus.Collector = (*replayCollector)(nil)

// replayCollector reads every replay's counts at scrape time. The skipped
// series exist for the command names with a count only: a trace can skip
// any of about a hundred names, and listing them all at 0 for every
// replay would be a hundred series that stay 0.
type replayCollector struct {
	commands, skipped, malformed, clamped, passes *prometheus.Desc

	mu      sync.Mutex
	names   []string
	replays []*workload.Replay
}

func newReplayCollector() *replayCollector {
	w := []string{"workload"}
	return &replayCollector{
		commands: prometheus.NewDesc("ecbench_replay_commands_total",
			"Commands a replay read from its trace to be sent; each line of the trace counts once, however many targets replay it.", w, nil),
		skipped: prometheus.NewDesc("ecbench_replay_skipped_total",
			`Commands of the trace a replay does not send (scripts, transactions, blocking and admin commands), by lowercase command name ("other" for names outside its table); a series appears at a command's first skip.`,
			[]string{"workload", "command"}, nil),
		malformed: prometheus.NewDesc("ecbench_replay_malformed_lines_total",
			"Lines of the trace that are not records of its format, passed over; the log names the first ones.", w, nil),
		clamped: prometheus.NewDesc("ecbench_replay_clamped_total",
			"Commands whose recorded values were cut to the workload's replay.max_value_size.", w, nil),
		passes: prometheus.NewDesc("ecbench_replay_passes_total",
			"Whole passes over the trace completed: 1 once a trace that does not loop has ended.", w, nil),
	}
}

func (c *replayCollector) add(name string, r *workload.Replay) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.names {
		if n == name {
			c.replays[i] = r
			return
		}
	}
	c.names = append(c.names, name)
	c.replays = append(c.replays, r)
}

// Describe implements prometheus.Collector.
func (c *replayCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.commands
	ch <- c.skipped
	ch <- c.malformed
	ch <- c.clamped
	ch <- c.passes
}

// Collect implements prometheus.Collector.
func (c *replayCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	names, replays := append([]string(nil), c.names...), append([]*workload.Replay(nil), c.replays...)
	c.mu.Unlock()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for i, r := range replays {
		st := r.Stats()
		counter(c.commands, st.Commands, names[i])
		for _, s := range st.Skipped {
			counter(c.skipped, s.Count, names[i], s.Name)
		}
		counter(c.malformed, st.Malformed, names[i])
		counter(c.clamped, st.Clamped, names[i])
		counter(c.passes, st.Passes, names[i])
	}
}
