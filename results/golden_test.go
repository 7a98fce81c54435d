package results_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/results"
)

// -update rewrites testdata/run-v2.json from goldenRunV2. Do it only to add
// a field to schema 2 (old files must still Read); renaming, removing or
// changing the meaning of a field needs SchemaVersion 3 and a new
// testdata/run-v3.json beside these. Older goldens are never rewritten:
// they are what earlier versions of ecbench wrote.
var update = flag.Bool("update", false, "rewrite testdata/run-v2.json")

const (
	goldenV1 = "testdata/run-v1.json" // latency histograms include errors
	goldenV2 = "testdata/run-v2.json" // latency of answered requests; error_latency beside it
)

// goldenRun is the content of testdata/run-v1.json, every field set.
func goldenRun() *results.Run {
	us := time.Microsecond
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return &results.Run{
		Schema: 1,
		Meta: results.Meta{
			Tool: "ecbench", Version: "v1.0.0", Host: "bench-1", GoVersion: "go1.26.0",
			Command: []string{"ecbench", "bench", "--config", "bench.yaml"},
			Start:   start, End: start.Add(65*time.Second + 250*time.Millisecond),
			Warmup: 5 * time.Second, Duration: time.Minute, Sequential: true,
			Config: map[string]any{
				"bench":   map[string]any{"duration": "1m0s", "warmup": "5s", "requests": float64(0)},
				"targets": []any{map[string]any{"name": "a", "password_env": "[redacted]", "tls": false}},
			},
			MergedStarts: []time.Time{start, start.Add(time.Hour)},
		},
		Targets: []results.Target{
			{Name: "a", Engine: "redis", Version: "7.2.4", Mode: "standalone", Role: "master"},
			{Name: "b", Engine: "valkey", Version: "8.0.1", Mode: "cluster", Role: "master"},
		},
		Series: []results.Series{
			{
				Target: "a", Engine: "redis", Workload: "cache", Op: "get",
				OK: 5, Miss: 1, Errors: 2, Dropped: 1,
				ErrorClasses:    map[string]uint64{"timeout": 1, "conn_reset": 1},
				Latency:         results.HistOf(150*us, 180*us, 200*us, 210*us, 250*us, 900*us, 2*time.Second, 2*time.Second),
				Service:         results.HistOf(100*us, 120*us, 150*us, 160*us, 200*us, 800*us, 2*time.Second, 2*time.Second),
				Seconds:         60,
				IntervalSeconds: 1,
				Intervals: []results.Interval{
					{T: 5, OK: 3, Miss: 1, Errors: 0, Dropped: 0, Mean: 0.00019, P50: 0.00018, P95: 0.00021, P99: 0.00021, P999: 0.00021, Max: 0.00021},
					{T: 6},
					{T: 7, OK: 2, Errors: 2, Dropped: 1, Mean: 1.000288, P50: 0.0009, P95: 2.001, P99: 2.001, P999: 2.001, Max: 2.001},
				},
			},
			{
				Target: "b", Engine: "valkey", Workload: "cache", Op: "get",
				OK:              1,
				Latency:         results.HistOf(300 * us),
				Service:         results.HistOf(250 * us),
				Seconds:         60,
				IntervalSeconds: 1,
			},
		},
		Generator: []results.Generator{
			{Target: "a", Workload: "cache", MaxScheduleLag: 1500 * us, Dropped: 1, MaxInFlight: 1000,
				ScheduleLagP50: 12 * us, ScheduleLagP99: 310 * us, ScheduleLagP999: 1100 * us},
			{Target: "b", Workload: "cache", MaxScheduleLag: 0, Dropped: 0, MaxInFlight: 1000},
		},
	}
}

// goldenRunV2 is the content of testdata/run-v2.json, every field set: the
// run of goldenRun as schema 2 records it, the two errors' latencies (2 s
// timeouts) in ErrorLatency rather than in Latency, Service and the
// interval quantiles.
func goldenRunV2() *results.Run {
	us := time.Microsecond
	run := goldenRun()
	run.Schema = 2
	a := &run.Series[0]
	a.Latency = results.HistOf(150*us, 180*us, 200*us, 210*us, 250*us, 900*us)
	a.Service = results.HistOf(100*us, 120*us, 150*us, 160*us, 200*us, 800*us)
	a.ErrorLatency = results.HistOf(2*time.Second, 2*time.Second)
	a.Intervals[2] = results.Interval{T: 7, OK: 2, Errors: 2, Dropped: 1,
		Mean: 0.000575, P50: 0.00025, P95: 0.0009, P99: 0.0009, P999: 0.0009, Max: 0.0009}
	run.Series[1].ErrorLatency = results.HistOf() // no errors: empty, as the recorder writes it
	return run
}

// readGolden reads a golden run.json through Read.
func readGolden(t *testing.T, golden []byte) *results.Run {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, results.RunFile), golden, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A schema-1 file, written before errors had their own histogram, still
// reads: its latency histograms include the errors, which Schema 1 says, and
// its ErrorLatency is empty.
func TestGoldenV1(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile(goldenV1)
	if err != nil {
		t.Fatal(err)
	}
	got := readGolden(t, golden)
	if want := goldenRun(); !reflect.DeepEqual(got, want) {
		t.Errorf("Read(%s) =\n%+v\nwant\n%+v", goldenV1, got, want)
	}
	if got.Schema != 1 {
		t.Errorf("schema %d, want 1: callers tell the meaning of Latency by it", got.Schema)
	}
	s := got.Series[0]
	if st := s.Stats(); st.P50 != 0.000210047 || st.Max != 2.000683007 {
		t.Errorf("stats from the golden histogram: p50 %v, max %v", st.P50, st.Max)
	}
	if n := s.Latency.Count(); n != 8 {
		t.Errorf("schema-1 latency count %d, want 8 (ok, miss and errors)", n)
	}
	if n := s.ErrorLatency.Count(); n != 0 {
		t.Errorf("schema-1 error latency count %d, want 0", n)
	}
	// The only field schema 2 added.
	want := append(jsonPaths(t, golden), ".series[].error_latency")
	slices.Sort(want)
	b, err := json.Marshal(goldenRunV2())
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonPaths(t, b); !slices.Equal(got, want) {
		t.Errorf("schema 2 fields beside schema 1's\n got %q\nwant %q", got, want)
	}
}

func TestGoldenV2(t *testing.T) {
	if *update {
		dir := t.TempDir()
		if err := results.Write(dir, goldenRunV2()); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, results.RunFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenV2, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(goldenV2)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("reads", func(t *testing.T) {
		got := readGolden(t, golden)
		if want := goldenRunV2(); !reflect.DeepEqual(got, want) {
			t.Errorf("Read(%s) =\n%+v\nwant\n%+v", goldenV2, got, want)
		}
		s := got.Series[0]
		if st := s.Stats(); st.P50 != 0.000200063 || st.Max != 0.000900095 {
			t.Errorf("stats of answered requests from the golden histogram: p50 %v, max %v", st.P50, st.Max)
		}
		if n, p50 := s.ErrorLatency.Count(), s.ErrorLatency.Quantile(0.5); n != 2 || p50 != 2.000683007 {
			t.Errorf("error latency: count %d, p50 %v; want 2, 2.000683007", n, p50)
		}
	})

	// The field names are a public contract: what Write produces now has
	// exactly the fields of the golden file.
	t.Run("shape", func(t *testing.T) {
		b, err := json.Marshal(goldenRunV2())
		if err != nil {
			t.Fatal(err)
		}
		got, want := jsonPaths(t, b), jsonPaths(t, golden)
		if !slices.Equal(got, want) {
			t.Errorf("run.json fields changed\n got %q\nwant %q", got, want)
		}
	})
}

// jsonPaths lists the field paths of a JSON document, with array elements as
// [] and the keys of the free-form objects (config, error_classes) left out.
func jsonPaths(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				p := prefix + "." + k
				paths = append(paths, p)
				if k != "config" && k != "error_classes" {
					walk(p, c)
				}
			}
		case []any:
			for _, c := range v {
				walk(prefix+"[]", c)
			}
		}
	}
	walk("", v)
	slices.Sort(paths)
	return slices.Compact(paths)
}

// TestGeneratorWithoutLagQuantiles reads a generator entry written before
// the lag quantiles were kept: they are zero, not an error.
func TestGeneratorWithoutLagQuantiles(t *testing.T) {
	var g results.Generator
	err := json.Unmarshal([]byte(`{"target":"a","workload":"w","max_schedule_lag":"2ms","dropped":3,"max_inflight":10}`), &g)
	want := results.Generator{Target: "a", Workload: "w", MaxScheduleLag: 2 * time.Millisecond, Dropped: 3, MaxInFlight: 10}
	if err != nil || g != want {
		t.Errorf("got %+v, %v; want %+v", g, err, want)
	}
	err = json.Unmarshal([]byte(`{"target":"a","workload":"w","max_schedule_lag":"2ms","schedule_lag_p99":"soon"}`), &g)
	if err == nil || !strings.Contains(err.Error(), "generator.schedule_lag_p99") {
		t.Errorf("bad p99: error %v, want one naming generator.schedule_lag_p99", err)
	}
}
