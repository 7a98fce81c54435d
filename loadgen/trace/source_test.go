package trace_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// records returns the records of f to its end, as Record.String writes them.
func records(t *testing.T, f *trace.File) []string {
	t.Helper()
	var out []string
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.String())
	}
}

// TestSourceRewind reads a file, plain and gzip-compressed, twice over
// with a rewind between: the same records, numbered from line 1 again.
func TestSourceRewind(t *testing.T) {
	t.Parallel()
	var plain bytes.Buffer
	s := trace.Synth{Seed: 9, Requests: 300, Keys: 10, Rate: 100, Skipped: 0.1, Malformed: 0.05}
	if err := s.Write(&plain, trace.Monitor); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	if _, err := zw.Write(plain.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var want []string
	for _, file := range []struct {
		name string
		data []byte
	}{{"plain.monitor", plain.Bytes()}, {"compressed.monitor", zipped.Bytes()}} {
		path := filepath.Join(dir, file.name)
		if err := os.WriteFile(path, file.data, 0o644); err != nil {
			t.Fatal(err)
		}
		var c trace.Counts
		f, err := trace.Source{Path: path, Format: trace.Monitor}.Open(&c)
		if err != nil {
			t.Fatal(err)
		}
		first := records(t, f)
		if err := f.Rewind(); err != nil {
			t.Fatal(err)
		}
		second := records(t, f)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = first
		}
		if len(first) < 200 || !slices.Equal(first, want) || !slices.Equal(second, want) {
			t.Errorf("%s: %d records, then %d; want the same %d both times", file.name, len(first), len(second), len(want))
		}
		if c.MalformedLines == 0 || c.MalformedLines%2 != 0 || c.SkippedTotal()%2 != 0 {
			t.Errorf("%s: %d malformed and %d skipped lines over two passes: want an even number of each", file.name, c.MalformedLines, c.SkippedTotal())
		}
	}
}

func TestSourceOpenErrors(t *testing.T) {
	t.Parallel()
	if _, err := (trace.Source{Path: filepath.Join(t.TempDir(), "none"), Format: trace.Monitor}).Open(nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.gz")
	if err := os.WriteFile(bad, []byte{0x1f, 0x8b, 0, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (trace.Source{Path: bad, Format: trace.Monitor}).Open(nil); err == nil {
		t.Error("a broken gzip header opened")
	}
	if _, err := (trace.Source{Path: bad, Format: "csv"}).Open(nil); err == nil {
		t.Error("an unknown format opened")
	}
}
