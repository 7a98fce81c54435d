package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// TestReplayMetrics reads a trace with commands, skipped commands, a
// malformed line and a value over the limit to its end, and checks the
// counters the scrape shows: the trace's own counts.
func TestReplayMetrics(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "trace.csv")
	lines := "0,GET,a\n0,EVALSHA,x,0\n0,MULTI\n0,EVALSHA,y,0\nnot a record\n0,SET,a,500\n0,GET,b\n"
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := workload.NewReplayWorkload("prod", "p:", 1, 1, workload.ReplayOptions{
		Trace: trace.Source{Path: path, Format: trace.Ecbench}, MaxValueSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	reg, m := newTestMetrics(t)
	m.AddReplay("prod", workload.ReplayOf(w))
	s, err := w.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	for r := (workload.Request{}); !s.Ended(); {
		s.Next(&r)
	}
	want := `# HELP ecbench_replay_clamped_total Commands whose recorded values were cut to the workload's replay.max_value_size.
# TYPE ecbench_replay_clamped_total counter
ecbench_replay_clamped_total{workload="prod"} 1
# HELP ecbench_replay_commands_total Commands a replay read from its trace to be sent; each line of the trace counts once, however many targets replay it.
# TYPE ecbench_replay_commands_total counter
ecbench_replay_commands_total{workload="prod"} 3
# HELP ecbench_replay_malformed_lines_total Lines of the trace that are not records of its format, passed over; the log names the first ones.
# TYPE ecbench_replay_malformed_lines_total counter
ecbench_replay_malformed_lines_total{workload="prod"} 1
# HELP ecbench_replay_passes_total Whole passes over the trace completed: 1 once a trace that does not loop has ended.
# TYPE ecbench_replay_passes_total counter
ecbench_replay_passes_total{workload="prod"} 1
# HELP ecbench_replay_skipped_total Commands of the trace a replay does not send (scripts, transactions, blocking and admin commands), by lowercase command name ("other" for names outside its table); a series appears at a command's first skip.
# TYPE ecbench_replay_skipped_total counter
ecbench_replay_skipped_total{command="evalsha",workload="prod"} 2
ecbench_replay_skipped_total{command="multi",workload="prod"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ecbench_replay_commands_total", "ecbench_replay_skipped_total",
		"ecbench_replay_malformed_lines_total", "ecbench_replay_clamped_total", "ecbench_replay_passes_total"); err != nil {
		t.Error(err)
	}
}
