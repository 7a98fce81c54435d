package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// TestReplayEnds runs a replay that does not loop to the end of its trace,
// open and closed loop, pipelined or not: every command of the trace is
// sent once and answered, none fails for want of a command, and the run
// returns at the end (StopAtEnd) or idles until it is stopped.
func TestReplayEnds(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	const commands = 100
	var lines []string
	for i := range commands {
		lines = append(lines, fmt.Sprintf("%d.%03d,SET,k%d,10", i/1000, i%1000, i%7))
	}
	path := filepath.Join(t.TempDir(), "trace.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		schedule  schedule.Schedule
		pipeline  int
		stopAtEnd bool
	}{
		{"open loop, stops", schedule.Constant{PerSecond: 2000}, 1, true},
		{"open loop, idles", schedule.Constant{PerSecond: 2000}, 1, false},
		{"open loop, pipelined", schedule.Constant{PerSecond: 2000}, 3, true},
		{"closed loop, stops", nil, 1, true},
		{"closed loop, pipelined, idles", nil, 3, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := workload.NewReplayWorkload("r", "t:", 1, tt.pipeline, workload.ReplayOptions{
				Trace: trace.Source{Path: path, Format: trace.Ecbench}, MaxValueSize: 64})
			if err != nil {
				t.Fatal(err)
			}
			var col collector
			r, err := New(Config{
				Client: defaultClient(t, srv.Addr, 5*time.Second), Workload: w, Schedule: tt.schedule, Workers: 4,
				MaxInFlight: 1000, Drain: 5 * time.Second, Recorder: &col, StopAtEnd: tt.stopAtEnd,
			})
			if err != nil {
				t.Fatal(err)
			}
			limit := 1500 * time.Millisecond
			if tt.stopAtEnd {
				limit = time.Minute
			}
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			r.Run(ctx)
			if tt.stopAtEnd && ctx.Err() != nil {
				t.Errorf("Run returned at the context's end, not at the trace's")
			}
			if !tt.stopAtEnd && ctx.Err() == nil {
				t.Errorf("Run returned before it was stopped")
			}
			c := count(col.snapshot())
			if c.byOutcome[result.OK] != commands || len(col.snapshot()) != commands {
				t.Errorf("results %v (%v), want %d ok, nothing else", c.byOutcome, c.byClass, commands)
			}
		})
	}
}
