package results_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/ecbench/ecbench/results"
)

// FuzzRead feeds Read arbitrary run.json files (they come from users'
// directories): it either fails with one of its errors or returns a run
// that every consumer can use, rebin and merge without a panic, and that
// reads back once encoded.
//
//	go test ./results -run '^$' -fuzz FuzzRead -fuzztime 1m
func FuzzRead(f *testing.F) {
	for _, g := range []string{goldenV1, goldenV2, goldenV3} {
		b, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"interval_seconds": 0.1, "intervals": [{"t": 9223372036854775807, "ok": 1, "max": 1, "latency_hist": "kgsB"}, {"t": -9223372036854775808}]}]}`))
	f.Add([]byte(`{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"interval_seconds": 1e-300, "intervals": [{"t": 1, "ok": 4294967296, "latency_hist": "kgsBHQEUAQoB"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := results.DecodeRun(results.RunFile, data)
		if err != nil {
			if !errors.Is(err, results.ErrCorrupt) && !errors.Is(err, results.ErrNewerSchema) && !errors.Is(err, results.ErrNoSchema) {
				t.Fatalf("error %v is none of Read's", err)
			}
			return
		}
		for i := range run.Series {
			s := &run.Series[i]
			_ = s.Stats()
			if hs := s.IntervalHistograms(); hs != nil && len(hs) != len(s.Intervals) {
				t.Fatalf("%d histograms for %d rows", len(hs), len(s.Intervals))
			}
			if _, err := s.Rebin(4 * s.IntervalLength()); err != nil {
				t.Fatalf("rebin to 4 rows: %v", err)
			}
		}
		_, _ = results.Merge(run, run)
		// What Write would write decodes again.
		run.Schema = results.SchemaVersion
		b, err := json.Marshal(run)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if _, err := results.DecodeRun(results.RunFile, b); err != nil {
			t.Fatalf("decode what was encoded: %v", err)
		}
	})
}
