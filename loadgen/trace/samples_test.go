package trace_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecbench/ecbench/loadgen/trace"
)

var update = flag.Bool("update", false, "rewrite the sample traces in testdata")

// Samples are the sample traces the project ships, in testdata, and the
// Synth that writes each: TestSamples fails when a file is not what its
// Synth writes (go test -update rewrites them).
var Samples = []struct {
	File   string
	Format trace.Format
	Synth  trace.Synth
}{
	{"sample.monitor", trace.Monitor, trace.Synth{Seed: 1, Requests: 500, Keys: 50, Rate: 250, Sizes: []int{1, 8, 32, 100, 300}, Skipped: 0.05}},
	{"sample.twitter.csv", trace.Twitter, trace.Synth{Seed: 2, Requests: 1000, Keys: 100, Rate: 250, Sizes: []int{16, 64, 256, 1024}, Skipped: 0.01}},
	{"sample.ecbench.csv", trace.Ecbench, trace.Synth{Seed: 3, Requests: 500, Keys: 50, Rate: 250, Sizes: []int{8, 100, 1000}, Skipped: 0.05}},
	// The ecbench CSV sample as JSONL: TestJSONLSample compares them.
	{"sample.jsonl", trace.JSONL, trace.Synth{Seed: 3, Requests: 500, Keys: 50, Rate: 250, Sizes: []int{8, 100, 1000}, Skipped: 0.05}},
}

func TestSamples(t *testing.T) {
	t.Parallel()
	for _, s := range Samples {
		t.Run(s.File, func(t *testing.T) {
			t.Parallel()
			var want bytes.Buffer
			if err := s.Synth.Write(&want, s.Format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", s.File)
			if *update {
				if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s is not what its Synth writes; go test -update rewrites it", path)
			}
			// A sample is clean: every line a record or a skipped command.
			_, _, c := read(t, s.Format, string(got))
			if c.MalformedLines != 0 {
				t.Errorf("%d malformed lines: %v", c.MalformedLines, c.FirstMalformed)
			}
		})
	}
}
