package workload

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// TestReplayForgetsStreams checks that the trace file of a stream that is
// gone is closed: a bench builds new runners, and streams, for every phase.
func TestReplayForgetsStreams(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "trace")
	if err := os.WriteFile(path, []byte("0,GET,a\n1,GET,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := NewReplayWorkload("t", "p:", 1, 1, ReplayOptions{Trace: trace.Source{Path: path, Format: trace.Ecbench}, Loop: true, MaxValueSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	op := ReplayOf(w)
	cursors := func() int64 { return op.files.Load() }
	for range 10 {
		s, err := w.NewStream()
		if err != nil {
			t.Fatal(err)
		}
		var r Request
		s.Next(&r)
	}
	if n := cursors(); n != 10 {
		t.Fatalf("%d readers for 10 streams", n)
	}
	for deadline := time.Now().Add(10 * time.Second); cursors() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d readers left 10 s after their streams went", cursors())
		}
		runtime.GC()
	}
}

// TestReplayScan checks the op labels of a trace longer than the scan:
// the commands of its first lines, and other for the rest.
func TestReplayScan(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "trace")
	if err := os.WriteFile(path, []byte("0,GET,a\n0,bad\n0,SET,a,1\n0,DEL,a\n0,GET,a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := trace.Source{Path: path, Format: trace.Ecbench, MaxLine: trace.MinMaxLine}
	for _, tt := range []struct {
		lines int64
		names []string
		whole bool
	}{
		{1, []string{"get"}, false},
		{3, []string{"get", "set"}, false},
		{5, []string{"get", "set", "del"}, false}, // the end not yet read
		{6, []string{"get", "set", "del"}, true},
	} {
		names, whole, err := scanCommands(src, tt.lines)
		if err != nil || !slices.Equal(names, tt.names) || whole != tt.whole {
			t.Errorf("scan of %d lines: %v, whole %v, %v; want %v, whole %v", tt.lines, names, whole, err, tt.names, tt.whole)
		}
	}
}
