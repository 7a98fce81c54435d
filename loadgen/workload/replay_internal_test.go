package workload

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// TestReplayForgetsStreams checks that the reader of a stream that is gone
// goes too: a bench builds new runners, and streams, for every phase.
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
	cursors := func() int {
		op.mu.Lock()
		defer op.mu.Unlock()
		return len(op.cursors)
	}
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
