package workload_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// writeTrace writes lines as a trace file and returns its path.
func writeTrace(t testing.TB, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func replayWorkload(t testing.TB, path string, f trace.Format, loop bool, maxValue int) *workload.Workload {
	t.Helper()
	w, err := workload.NewReplayWorkload("trace", "pfx:", 1, 1, workload.ReplayOptions{
		Trace: trace.Source{Path: path, Format: f}, Loop: loop, MaxValueSize: maxValue})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// words describes a prepared command: its words, a long value as <N>.
func words(a workload.Args) string {
	out := make([]string, len(a.Keys))
	for i, w := range a.Keys {
		out[i] = w
		if len(w) > 18 {
			out[i] = "<" + strconv.Itoa(len(w)) + ">"
		}
	}
	return strings.Join(out, " ")
}

// next draws n requests of s and describes their commands.
func next(s *workload.Stream, n int) []string {
	var out []string
	var req workload.Request
	for range n {
		s.Next(&req)
		if len(req.Cmds) == 0 { // the trace has ended
			out = append(out, "")
			continue
		}
		out = append(out, words(req.Cmds[0].Args))
	}
	return out
}

func TestReplayArgs(t *testing.T) {
	t.Parallel()
	path := writeTrace(t,
		"0,SET,user:1,100,EX,30",
		"0.1,GET,user:1",
		"0.2,SET,ctr:1,2",
		"0.2,INCR,ctr:1",
		"0.3,MSET,a,150,b,150",
		"0.4,HSET,h,f,0",
		"0.5,RENAME,a,b",
	)
	w := replayWorkload(t, path, trace.Ecbench, false, 200)
	s, err := w.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"set pfx:user:1 <100> EX 30",
		"get pfx:user:1",
		"set pfx:ctr:1 10", // a short value is a number: INCR works on it
		"incr pfx:ctr:1",
		"mset pfx:a <150> pfx:b <50>", // cut: at most 200 value bytes a command
		"hset pfx:h f ",
		"rename pfx:a pfx:b",
		"", // the end: nothing to send
		"",
	}
	if got := next(s, len(want)); !slices.Equal(got, want) {
		t.Errorf("commands\n%q\nwant\n%q", got, want)
	}
	var req workload.Request
	s2, _ := w.NewStream()
	s2.Next(&req)
	long := req.Cmds[0].Args.Keys[2]
	var probe workload.Request
	s2.Next(&probe) // keep s2 (and its value buffer) alive past the read
	if len(long) != 100 || strings.Trim(long, "0123456789") == "" {
		t.Errorf("value %q: want 100 bytes cut from the value buffer", long)
	}
	stats := workload.ReplayOf(w).Stats()
	if stats.Commands != 7 || stats.Clamped != 1 || stats.Passes != 1 {
		t.Errorf("stats %+v: want 7 commands, 1 clamped, 1 pass", stats)
	}
}

func TestReplayIssueAfterTheEnd(t *testing.T) {
	t.Parallel()
	w := replayWorkload(t, writeTrace(t, "0,GET,a"), trace.Ecbench, false, 10)
	cmd := w.Ops[0].Op.Issue(context.Background(), nil, &workload.Args{})
	if !errors.Is(cmd.Err(), workload.ErrTraceEnded) {
		t.Errorf("Issue with nothing prepared: %v, want ErrTraceEnded", cmd.Err())
	}
}

// TestReplaySameSequence draws the trace from two streams at different
// paces, as two targets' runners do: the same commands in the same order,
// and the skipped and malformed lines counted once for both.
func TestReplaySameSequence(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := (trace.Synth{Seed: 7, Requests: 3000, Keys: 100, Rate: 1000, Sizes: []int{5, 50, 500}, Skipped: 0.1, Malformed: 0.01}).Write(&b, trace.Monitor); err != nil {
		t.Fatal(err)
	}
	path := writeTrace(t, b.String())
	var counts trace.Counts
	f, err := trace.Source{Path: path, Format: trace.Monitor}.Open(&counts)
	if err != nil {
		t.Fatal(err)
	}
	commands := int64(0)
	for _, err := f.Next(); err == nil; _, err = f.Next() {
		commands++
	}
	_ = f.Close()

	w := replayWorkload(t, path, trace.Monitor, true, 1<<20)
	a, _ := w.NewStream()
	c, _ := w.NewStream()
	var first, second []string
	total := 2 * int(commands) // two passes exactly
	for len(first) < total {   // c keeps behind a, then catches up
		first = append(first, next(a, min(100, total-len(first)))...)
		if len(second)+30 < len(first) {
			second = append(second, next(c, 30)...)
		}
	}
	second = append(second, next(c, total-len(second))...)
	if !slices.Equal(first, second) {
		t.Fatal("two streams of the workload drew different commands")
	}
	if !slices.Equal(first[:commands], first[commands:2*commands]) {
		t.Error("the second pass differs from the first")
	}
	s := workload.ReplayOf(w).Stats()
	names := trace.SkippedNames()
	var want []workload.SkippedCommands
	for i, n := range counts.SkippedByName {
		if n > 0 {
			want = append(want, workload.SkippedCommands{Name: names[i], Count: 2 * n})
		}
	}
	if s.Commands != 2*commands || !slices.Equal(s.Skipped, want) || s.Malformed != 2*counts.MalformedLines || s.Passes < 1 {
		t.Errorf("stats %+v; want, over two passes, %d commands, skipped %v, %d malformed", s, 2*commands, want, 2*counts.MalformedLines)
	}
	if len(s.FirstMalformed) != trace.MaxReported || !slices.Equal(s.FirstMalformed, counts.FirstMalformed) {
		t.Errorf("first malformed %v, want %v", s.FirstMalformed, counts.FirstMalformed)
	}
}

func TestReplayStatsString(t *testing.T) {
	t.Parallel()
	path := writeTrace(t, "0,GET,a", "bad", "0,EVAL,x,0", "0,MULTI", "0,EXEC", "0,EVAL,y,0", "also bad", "0,SET,k,100")
	w := replayWorkload(t, path, trace.Ecbench, false, 10)
	s, _ := w.NewStream()
	next(s, 3)
	want := `2 commands, 1 pass; skipped 4 (multi 1, exec 1, eval 2); 2 malformed lines (line 2: want time,command[,argument...]; line 7: want time,command[,argument...]); 1 command's values cut to the most value bytes per command`
	if got := workload.ReplayOf(w).Stats().String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	gone := writeTrace(t, "0,GET,a")
	missing := replayWorkload(t, gone, trace.Ecbench, false, 10)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	ms, _ := missing.NewStream()
	next(ms, 1)
	if got := workload.ReplayOf(missing).Stats(); got.Err == nil || !strings.Contains(got.String(), "; stopped: open ") {
		t.Errorf("file removed after the start: %s", got)
	}
}

func TestNewReplayWorkload(t *testing.T) {
	t.Parallel()
	if _, err := workload.NewReplayWorkload("t", "", 1, 1, workload.ReplayOptions{}); err == nil {
		t.Error("an empty prefix was accepted")
	}
	if _, err := workload.NewReplayWorkload("t", "p:", 1, 1, workload.ReplayOptions{
		Trace: trace.Source{Path: filepath.Join(t.TempDir(), "none"), Format: trace.Monitor}}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing trace: %v, want the open error", err)
	}
	path := writeTrace(t, "0,HSET,h,f,10", "0,GET,a", "0,EVAL,x,0", "0,SET,a,5", "0,GET,b")
	w := replayWorkload(t, path, trace.Ecbench, false, 4096)
	if got, want := w.OpNames(), []string{"get", "set", "hset"}; !slices.Equal(got, want) {
		t.Errorf("ops %v, want the trace's commands in CommandNames' order %v", got, want)
	}
	s, _ := w.NewStream()
	var ops []string
	for r := (workload.Request{}); ; {
		s.Next(&r)
		if len(r.Cmds) == 0 {
			break
		}
		ops = append(ops, w.Ops[r.Cmds[0].Op].Op.Name()+" "+r.Cmds[0].Args.Keys[0])
	}
	if want := []string{"hset hset", "get get", "set set", "get get"}; !slices.Equal(ops, want) || !s.Ended() {
		t.Errorf("commands by op %q (ended %v), want %q and the stream ended", ops, s.Ended(), want)
	}
	if got, want := w.MaxCommandBytes(), int64(4096+workload.ItemOverhead); got != want {
		t.Errorf("MaxCommandBytes %d, want %d", got, want)
	}
	if workload.ReplayOf(&workload.Workload{Ops: []workload.Weighted{{Op: workload.Get{}, Weight: 1}}}) != nil {
		t.Error("ReplayOf a kv workload is not nil")
	}
}
