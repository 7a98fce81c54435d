package results_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/results"
)

func TestReadErrors(t *testing.T) {
	t.Parallel()
	// A histogram with another geometry: 1 µs..1 h in µs, as the metrics
	// package keeps them.
	const otherGeometry = "HISTFAAAACZ42pJpmSzMwMDAzAABMJoRRFybvITB/gNE4DgjEyAAAP//YTQFVA=="
	for _, tc := range []struct {
		name    string
		content string // "" means no run.json
		want    string // the message, %s is the file's path
		is      error
	}{
		{"missing", "", "%s: no such file or directory", fs.ErrNotExist},
		{"empty", " ", "%s: corrupt: unexpected end of JSON input", results.ErrCorrupt},
		{"truncated", `{"schema": 1, "meta": {`, "%s: corrupt: unexpected end of JSON input", results.ErrCorrupt},
		{"not json", `schema: 1`, "%s: corrupt: invalid character 's' looking for beginning of value", results.ErrCorrupt},
		{"newer schema", `{"schema": 7, "runs": "a future shape"}`, "%s: schema 7 is newer than this ecbench supports (4)", results.ErrNewerSchema},
		{"no schema", `{"meta": {}}`, "%s: no schema version (not an ecbench run file?)", results.ErrNoSchema},
		{"bad duration", `{"schema": 1, "meta": {"warmup": "soon", "duration": "1m"}}`,
			`%s: corrupt: meta.warmup: time: invalid duration "soon"`, results.ErrCorrupt},
		{"bad histogram", `{"schema": 1, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"latency": "bm90IGEgaGlzdG9ncmFt"}]}`,
			"%s: corrupt: histogram: encoding not supported, only V2 is supported. got 1852797952 want 478450436", results.ErrCorrupt},
		{"histogram not a string", `{"schema": 1, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"latency": 12}]}`,
			"%s: corrupt: histogram: want a base64 string: json: cannot unmarshal number into Go value of type string", results.ErrCorrupt},
		{"corrupt row histogram", `{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"intervals": [{"t": 4, "ok": 9, "latency_hist": "!!"}]}]}`,
			"%s: corrupt: interval t=4: latency_hist: loghist: corrupt histogram: illegal base64 data at input byte 0", results.ErrCorrupt},
		{"row histogram index past the buckets", `{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"intervals": [{"t": 4, "ok": 9, "latency_hist": "/z8B"}]}]}`,
			"%s: corrupt: interval t=4: latency_hist: loghist: corrupt histogram: bucket index past 3898", results.ErrCorrupt},
		{"row histogram not a string", `{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"intervals": [{"t": 4, "latency_hist": 7}]}]}`,
			"%s: corrupt: json: cannot unmarshal number into Go struct field Series.series.intervals.latency_hist of type string", results.ErrCorrupt},
		{"row histogram larger than the row", `{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"intervals": [{"t": 4, "ok": 1, "latency_hist": "kgsBHQEUAQoB"}]}]}`,
			"%s: corrupt: interval t=4: latency_hist holds 4 values, more than ok+miss+lower_bounds (1)", results.ErrCorrupt},
		{"row lower bounds past its drops", `{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"intervals": [{"t": 4, "dropped": 1, "lower_bounds": 2}]}]}`,
			"%s: corrupt: interval t=4: lower_bounds 2 exceeds dropped 1", results.ErrCorrupt},
		{"series lower bounds past its drops", `{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"target": "a", "workload": "w", "op": "get", "dropped": 1, "lower_bounds": 2}]}`,
			"%s: corrupt: series a/w/get: lower_bounds 2 exceeds dropped 1", results.ErrCorrupt},
		{"negative row length", `{"schema": 3, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"target": "a", "workload": "w", "op": "get", "interval_seconds": -0.1}]}`,
			"%s: corrupt: series a/w/get: interval_seconds -0.1: must be > 0 (or absent: 1)", results.ErrCorrupt},
		{"other geometry", `{"schema": 1, "meta": {"warmup": "0s", "duration": "0s"}, "series": [{"latency": "` + otherGeometry + `"}]}`,
			"%s: corrupt: histogram: range 1..3600000000 ns at 3 digits, want 1..100000000000 at 3", results.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "results", "x")
			if tc.content != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run, err := results.Read(dir)
			if err == nil {
				t.Fatalf("Read succeeded: %+v", run)
			}
			want := strings.ReplaceAll(tc.want, "%s", filepath.Join(dir, "run.json"))
			if err.Error() != want {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// The message names the file as given, relative paths included.
func TestReadErrorNamesFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll("results/x", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("results/x/run.json", []byte(`{"schema": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := results.Read("results/x")
	if want := "results/x/run.json: schema 7 is newer than this ecbench supports (4)"; err == nil || err.Error() != want {
		t.Errorf("Read: %v, want %s", err, want)
	}
}
