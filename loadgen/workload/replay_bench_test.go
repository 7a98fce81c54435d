package workload_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// BenchmarkReplayNext draws replayed requests from the MONITOR sample,
// looping, as a runner's dispatcher does: reading and parsing the line,
// then the command's words with keys under the prefix and values cut from
// the value buffer.
func BenchmarkReplayNext(b *testing.B) {
	path, err := filepath.Abs(filepath.Join("..", "trace", "testdata", "sample.monitor"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		b.Fatal(err)
	}
	w := replayWorkload(b, path, trace.Monitor, true, 1<<20)
	s, err := w.NewStream()
	if err != nil {
		b.Fatal(err)
	}
	var req workload.Request
	b.ReportAllocs()
	for b.Loop() {
		s.Next(&req)
	}
}
