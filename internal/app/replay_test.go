package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// TestBenchReplay benches a replay of the MONITOR sample against Redis and
// Valkey at once, through the plan, the bench's phases and the runners as
// they are: every command of the trace is sent to each engine once and
// answered, under its command's op label; the bench ends when the trace
// does, well before its duration; and it deletes the keys.
func TestBenchReplay(t *testing.T) {
	t.Parallel()
	sample, err := filepath.Abs(filepath.Join("..", "..", "loadgen", "trace", "testdata", "sample.monitor"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := trace.Source{Path: sample, Format: trace.Monitor}.Open(nil)
	if err != nil {
		t.Fatal(err)
	}
	commands := uint64(0)
	byName := map[string]uint64{}
	for rec, err := f.Next(); !errors.Is(err, io.EOF); rec, err = f.Next() {
		commands++
		byName[rec.Command.Name()]++
	}
	_ = f.Close()

	rs, vs := servertest.Start(t, servertest.Redis), servertest.Start(t, servertest.Valkey)
	cfg, err := config.Load(e2etest.WriteConfig(t, fmt.Sprintf(`
targets: [{name: redis, addrs: [%q]}, {name: valkey, addrs: [%q]}]
workloads:
  - name: prod
    type: replay
    replay: {file: %q, format: monitor}
    rate: {type: recorded, speed: 4}
bench: {warmup: 0s, duration: 10m}
`, rs.Addr, vs.Addr, sample)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	b, run := runBench(t, cfg, testLogger(io.Discard), nil)
	if took := time.Since(began); took > 5*time.Minute {
		t.Errorf("the bench took %v: it did not end with the trace", took)
	}
	got := map[string]uint64{}
	byOp := map[string]map[string]uint64{}
	for _, s := range run.Series {
		if s.Errors != 0 || s.Dropped != 0 {
			t.Errorf("series %+v: want no errors or drops", s)
		}
		got[s.Target] += s.OK + s.Miss
		if byOp[s.Target] == nil {
			byOp[s.Target] = map[string]uint64{}
		}
		byOp[s.Target][s.Op] += s.OK + s.Miss
	}
	if got["redis"] != commands || got["valkey"] != commands {
		t.Errorf("answered %v, want the trace's %d commands on each target", got, commands)
	}
	for _, target := range []string{"redis", "valkey"} {
		if !maps.Equal(byOp[target], byName) {
			t.Errorf("%s: answered by op %v, want the trace's commands by name %v", target, byOp[target], byName)
		}
	}
	if len(run.Replays) != 1 || run.Replays[0].Workload != "prod" || run.Replays[0].Commands != int64(commands) || run.Replays[0].SkippedTotal() == 0 || !run.Replays[0].Ended {
		t.Errorf("run.json replays %+v: want prod's %d commands, its skipped ones, and the trace's end ending the run", run.Replays, commands)
	}
	warned := false
	for _, w := range comparison.Of(run).Warnings {
		warned = warned || strings.HasPrefix(w, "prod: replay: ") && strings.Contains(w, "skipped (")
	}
	if !warned {
		t.Errorf("warnings %q: want one on prod's skipped commands", comparison.Of(run).Warnings)
	}
	if s := workload.ReplayOf(b.plan.workloads[0]).Stats(); s.Commands != int64(commands) || s.Passes != 1 || s.SkippedTotal() == 0 {
		t.Errorf("stats %v: want %d commands, the trace read to its end, and its skipped commands", s, commands)
	}
	for _, s := range []*servertest.Server{rs, vs} {
		if n := s.Client().DBSize(t.Context()).Val(); n != 0 {
			t.Errorf("%s holds %d keys after the bench, want none", s.Engine, n)
		}
	}
}

// TestDaemonReplay runs the daemon with a replay that does not loop: at the
// trace's end it logs so, sends nothing more (no errors for want of a
// command) and keeps running; the final line says what the trace held.
func TestDaemonReplay(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	path := filepath.Join(t.TempDir(), "trace.csv")
	if err := os.WriteFile(path, []byte("0,SET,a,10\n0.1,GET,a\n0.2,EVALSHA,x,0\n0.3,GET,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, log, stop := startDaemon(t, fmt.Sprintf(`
summary_interval: 300ms
targets: [{name: valkey, addrs: [%q]}]
workloads:
  - {name: prod, type: replay, replay: {file: %q, format: ecbench}, rate: {type: recorded}}
`, vs.Addr, path))
	e2etest.Eventually(t, 10*time.Second, "the end of the trace logged", func() bool {
		return strings.Contains(log.String(), "replay: the trace was read to its end; the workload sends nothing more")
	})
	time.Sleep(500 * time.Millisecond) // summaries after the end
	stop()
	var final struct {
		Msg              string
		Commands         int64
		Skipped          int64
		Passes           int64
		OK, Miss, Errors uint64
	}
	var answered uint64
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var x = final
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		switch x.Msg {
		case "replay: final":
			final = x
		case "final summary":
			answered += x.OK + x.Miss
			if x.Errors != 0 {
				t.Errorf("final summary %s: errors after the trace ended", l)
			}
		}
	}
	if final.Commands != 3 || final.Skipped != 1 || final.Passes != 1 || answered != 3 {
		t.Errorf("replay: final %+v, %d answered; want 3 commands, 1 skipped, 1 pass, 3 answered:\n%s", final, answered, log.String())
	}
}
