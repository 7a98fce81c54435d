package trace_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// BenchmarkReader reads a synthetic trace of 100,000 lines of each format
// from memory: the parsing alone, without the file. An op is one line.
func BenchmarkReader(b *testing.B) {
	for _, f := range trace.Formats() {
		b.Run(string(f), func(b *testing.B) {
			var buf bytes.Buffer
			s := trace.Synth{Seed: 1, Requests: 100_000, Keys: 100_000, Rate: 50_000, Sizes: []int{16, 100, 400, 1000}, Skipped: 0.01}
			if err := s.Write(&buf, f); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			in := bytes.NewReader(data)
			r, err := trace.NewReader(in, f, 0, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)) / int64(s.Requests))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Next(); errors.Is(err, io.EOF) {
					in.Reset(data)
					r, _ = trace.NewReader(in, f, 0, nil)
				}
			}
		})
	}
}
