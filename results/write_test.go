package results_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/results"
)

// recordedRun is a run as the bench command builds it: two targets, series
// from real recorders.
func recordedRun(t *testing.T) *results.Run {
	t.Helper()
	var series []results.Series
	for _, target := range []struct {
		name   string
		engine engine.Engine
	}{{"a", "redis"}, {"b", "valkey"}} {
		r := results.NewRecorder(target.name, "cache", []string{"get", "set"}, at(0), at(1))
		for i := range 300 {
			due := 1 + float64(i)/100
			switch i % 10 {
			case 0:
				r.Record(dropped(1, due))
			case 4:
				r.Record(droppedAt(0, due, due+0.02))
			case 1:
				r.Record(done(0, due, ms(0.1), ms(2), result.Error, result.ClassTimeout))
			case 2:
				r.Record(done(0, due, 0, ms(0.3), result.Miss, result.ClassNone))
			default:
				r.Record(done(i%2, due, ms(0.05), ms(0.2+float64(i%13)/10), result.OK, result.ClassNone))
			}
		}
		r.SetEngine(target.engine)
		r.SetEnd(at(4))
		series = append(series, r.Series()...)
	}
	return &results.Run{
		Schema: results.SchemaVersion,
		Meta: results.Meta{
			Tool: "ecbench", Version: "v0.3.0", Host: "bench-1", GoVersion: "go1.26.0",
			Command: []string{"ecbench", "bench", "--config", "bench.yaml"},
			Start:   at(0), End: at(4.3),
			Warmup: time.Second, Duration: 3 * time.Second,
			// Generic JSON, as Read returns it.
			Config: map[string]any{
				"bench":   map[string]any{"duration": "3s", "warmup": "1s", "requests": float64(0)},
				"targets": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}},
			},
		},
		Targets: []results.Target{
			{Name: "a", Engine: "redis", Version: "7.2.4", Mode: "standalone", Role: "master"},
			{Name: "b", Engine: "valkey", Version: "8.0.1", Mode: "standalone", Role: "master"},
		},
		Series: series,
		Generator: []results.Generator{
			{Target: "a", Workload: "cache", MaxScheduleLag: 1234567 * time.Nanosecond, Dropped: 30, MaxInFlight: 50},
			{Target: "b", Workload: "cache", MaxScheduleLag: 2 * time.Millisecond, Dropped: 30, MaxInFlight: 50},
		},
		Replays: []results.Replay{{Workload: "prod", Commands: 1200, Skipped: map[string]int64{"evalsha": 30, "multi": 2},
			MalformedLines: 1, FirstMalformed: []results.MalformedLine{{Line: 17, Reason: "unterminated quoted word"}}, Clamped: 3, Passes: 1}},
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	t.Parallel()
	run := recordedRun(t)
	if len(run.Series) != 4 || len(run.Series[0].Intervals) != 30 || run.Series[0].IntervalHistograms() == nil {
		t.Fatalf("recorded %d series, %d intervals: want 4, 30 with histograms", len(run.Series), len(run.Series[0].Intervals))
	}
	dir := filepath.Join(t.TempDir(), "results", "x")
	if err := results.Write(dir, run); err != nil {
		t.Fatal(err)
	}
	got, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, run) {
		t.Errorf("Read(Write(run)) differs:\n got %+v\nwant %+v", got, run)
	}
	for i := range run.Series {
		if g, w := got.Series[i].Stats(), run.Series[i].Stats(); g != w {
			t.Errorf("series %d stats %+v, want %+v", i, g, w)
		}
	}

	// Writing again replaces the files and leaves no temporary file behind.
	run.Meta.Host = "bench-2"
	if err := results.Write(dir, run); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if info, _ := e.Info(); info.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", e.Name(), info.Mode())
		}
	}
	if want := []string{"intervals.csv", "run.json", "summary.csv"}; !reflect.DeepEqual(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	if got, err := results.Read(dir); err != nil || got.Meta.Host != "bench-2" {
		t.Errorf("after rewrite: host %q, err %v", got.Meta.Host, err)
	}
}

func TestWriteSetsSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := results.Write(dir, &results.Run{}); err != nil {
		t.Fatal(err)
	}
	got, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != results.SchemaVersion {
		t.Errorf("schema %d, want %d", got.Schema, results.SchemaVersion)
	}
}

// handRun has values whose CSV text is known exactly: latencies below 2048 ns
// are exact in the histogram.
func handRun() *results.Run {
	us := time.Microsecond
	return &results.Run{
		Schema: results.SchemaVersion,
		Meta:   results.Meta{Tool: "ecbench", Start: at(0), End: at(3)},
		Series: []results.Series{{
			Target: "a", Engine: "redis", Workload: "cache, hot", Op: "get",
			OK: 3, Miss: 1, Errors: 1, Dropped: 2, LowerBounds: 1,
			ErrorClasses:    map[string]uint64{"timeout": 1},
			Latency:         results.HistOf(us, us, 2*us, 2*us, 250*time.Millisecond), // ok, miss, the lower bound
			Service:         results.HistOf(us, us, 2*us, 2*us),
			ErrorLatency:    results.HistOf(2 * us),
			Seconds:         0.3,
			IntervalSeconds: 0.1,
			Intervals: []results.Interval{
				{T: 1, OK: 2, Miss: 1, Errors: 1, Mean: 0.0000015, P50: 0.000001, P95: 0.000002, P99: 0.000002, P999: 0.000002, Max: 0.000002},
				{T: 3, OK: 1, Dropped: 2, LowerBounds: 1, Mean: 0.125, P50: 0.000002, P95: 0.25, P99: 0.25, P999: 0.25, Max: 0.25},
			},
		}},
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := results.Write(dir, handRun()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want [][]string
	}{
		{results.IntervalsFile, [][]string{
			{"target", "engine", "workload", "op", "t", "start_s", "interval_s", "ok", "miss", "errors", "dropped", "lower_bounds",
				"mean_s", "p50_s", "p95_s", "p99_s", "p999_s", "max_s"},
			{"a", "redis", "cache, hot", "get", "1", "0.1", "0.1", "2", "1", "1", "0", "0",
				"0.0000015", "0.000001", "0.000002", "0.000002", "0.000002", "0.000002"},
			// 3 × 0.1 s, not 0.30000000000000004.
			{"a", "redis", "cache, hot", "get", "3", "0.3", "0.1", "1", "0", "0", "2", "1",
				"0.125", "0.000002", "0.25", "0.25", "0.25", "0.25"},
		}},
		{results.SummaryFile, [][]string{
			{"target", "engine", "workload", "op", "ok", "miss", "errors", "dropped", "lower_bounds", "ops", "throughput_per_s", "error_rate",
				"mean_s", "p50_s", "p95_s", "p99_s", "p999_s", "max_s", "service_p50_s", "service_p99_s"},
			// 4 answers in 0.3 s; 1 error in 5 completions; the lower bound
			// in the latency.
			{"a", "redis", "cache, hot", "get", "3", "1", "1", "2", "1", "4", "13.333333333333334", "0.2",
				"0.050005168", "0.000002", "0.250085375", "0.250085375", "0.250085375", "0.250085375", "0.000001", "0.000002"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if got := readCSV(t, filepath.Join(dir, tc.file)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestWriteIndentedJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := results.Write(dir, handRun()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, results.RunFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "{\n  \"schema\": 4,\n  \"meta\": {\n") || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("run.json is not indented JSON ending in a newline:\n%.200s", b)
	}
	for _, h := range []string{"latency", "service", "error_latency"} {
		if !strings.Contains(string(b), `"`+h+`": "HISTF`) {
			t.Errorf("%s is not an HdrHistogram V2 base64 string", h)
		}
	}
}

func TestWriteFails(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := results.Write(filepath.Join(file, "x"), handRun()); err == nil {
		t.Error("Write under a regular file succeeded")
	}
}
