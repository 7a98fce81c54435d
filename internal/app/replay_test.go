package app

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
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
	if s := workload.ReplayOf(b.plan.workloads[0]).Stats(); s.Commands != int64(commands) || s.Passes != 1 || s.SkippedTotal() == 0 {
		t.Errorf("stats %v: want %d commands, the trace read to its end, and its skipped commands", s, commands)
	}
	for _, s := range []*servertest.Server{rs, vs} {
		if n := s.Client().DBSize(t.Context()).Val(); n != 0 {
			t.Errorf("%s holds %d keys after the bench, want none", s.Engine, n)
		}
	}
}
