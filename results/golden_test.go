package results_test

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loghist"
	"github.com/ecbench/ecbench/results"
)

// -update rewrites testdata/run-v4.json from goldenRunV4. Do it only to add
// a field to schema 4 (old files must still Read); renaming, removing or
// changing the meaning of a field needs SchemaVersion 5 and a new
// testdata/run-v5.json beside these. Older goldens are never rewritten:
// they are what earlier versions of ecbench wrote.
var update = flag.Bool("update", false, "rewrite testdata/run-v4.json")

const (
	goldenV1 = "testdata/run-v1.json" // latency histograms include errors
	goldenV2 = "testdata/run-v2.json" // latency of answered requests; error_latency beside it
	goldenV3 = "testdata/run-v3.json" // adaptive rows with histograms; dropped requests' lower bounds
	goldenV4 = "testdata/run-v4.json" // servers' INFO snapshots; targets' prices
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

// goldenRunV3 is the content of testdata/run-v3.json, every field set: the
// run of goldenRunV2 as schema 3 records it, in 200 ms rows with their
// histograms, the dropped request's 1.5 s lower bound in Latency and in
// its row.
func goldenRunV3() *results.Run {
	us := time.Microsecond
	run := goldenRunV2()
	run.Schema = 3
	a := &run.Series[0]
	a.LowerBounds = 1
	a.Latency = results.HistOf(150*us, 180*us, 200*us, 210*us, 250*us, 900*us, 1500*time.Millisecond)
	a.IntervalSeconds = 0.2
	a.Intervals = []results.Interval{
		goldenRow(25, results.Interval{OK: 3, Miss: 1}, 150*us, 180*us, 200*us, 210*us),
		{T: 26},
		goldenRow(27, results.Interval{OK: 2, Errors: 2, Dropped: 1, LowerBounds: 1}, 250*us, 900*us, 1500*time.Millisecond),
	}
	run.Series[1].IntervalSeconds = 0.2
	return run
}

// goldenRunV4 is the content of testdata/run-v4.json, every field set: the
// run of goldenRunV3 with prices and its servers' INFO around the preload
// and the measured phase (target b's after_measure unread).
func goldenRunV4() *results.Run {
	run := goldenRunV3()
	run.Schema = 4
	run.Targets[0].PricePerHour, run.Targets[0].Currency = 0.2195, "USD"
	at := run.Meta.Start
	snap := func(d time.Duration, used, keys, cmds, hits uint64, cpu float64, calls map[string]uint64) *results.ServerSnapshot {
		return &results.ServerSnapshot{At: at.Add(d), Nodes: 1, Engine: "redis", Version: "7.2.4", RunIDs: []string{"4f0c"},
			UsedMemory: used, UsedMemoryRSS: 2 * used, UsedMemoryDataset: used / 2, ClientsMemory: 20480,
			Keys: keys, Expires: keys / 10, CommandsProcessed: cmds, KeyspaceHits: hits, KeyspaceMisses: hits / 100,
			CPUSys: cpu / 3, CPUUser: 2 * cpu / 3, NetInputBytes: 40 * cmds, NetOutputBytes: 30 * cmds, Calls: calls}
	}
	run.Servers = []results.Server{
		{Target: "a", Workload: "cache", Kind: "kv", PreloadKeys: 1000, PreloadElements: 1000,
			BeforePreload: snap(0, 1_000_000, 0, 10, 0, 0.5, map[string]uint64{"info": 8}),
			AfterPreload:  snap(time.Second, 1_120_000, 1000, 1020, 0, 0.75, map[string]uint64{"info": 16, "set": 1000}),
			BeforeMeasure: snap(5*time.Second, 1_120_000, 1000, 1030, 0, 0.875, map[string]uint64{"info": 24, "set": 1000}),
			AfterMeasure:  snap(65*time.Second, 1_121_000, 1000, 1046, 5, 1, map[string]uint64{"info": 32, "set": 1000, "get": 8, "client|setinfo": 2}),
		},
		{Target: "b", Workload: "cache", Kind: "kv",
			BeforeMeasure: &results.ServerSnapshot{At: at.Add(5 * time.Second), Nodes: 3, Engine: "valkey", Version: "8.0.1",
				RunIDs: []string{"0a", "0b", "0c"}, UsedMemory: 3_000_000, UsedMemoryRSS: 9_000_000, CommandsProcessed: 30},
		},
	}
	return run
}

// goldenRow is row t with counts c and the latency fields and histogram of
// lats, as the recorder computes them.
func goldenRow(t int64, c results.Interval, lats ...time.Duration) results.Interval {
	var b loghist.Builder
	var sum, top time.Duration
	for _, d := range lats {
		b.Record(int64(d), 1)
		sum += d
		top = max(top, d)
	}
	c.T, c.LatencyHist = t, b.Histogram()
	c.Mean, c.Max = sum.Seconds()/float64(len(lats)), top.Seconds()
	q := func(p float64) float64 { return math.Min(c.LatencyHist.Quantile(p), c.Max) }
	c.P50, c.P95, c.P99, c.P999 = q(0.5), q(0.95), q(0.99), q(0.999)
	return c
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

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A schema-1 file, written before errors had their own histogram, still
// reads: its latency histograms include the errors, which Schema 1 says, and
// its ErrorLatency is empty.
func TestGoldenV1(t *testing.T) {
	t.Parallel()
	golden := readFile(t, goldenV1)
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
	if h := s.IntervalHistograms(); h != nil {
		t.Errorf("schema-1 rows have histograms: %v", h)
	}
	// The only field schema 2 added.
	want := append(jsonPaths(t, golden), ".series[].error_latency")
	slices.Sort(want)
	if got := jsonPaths(t, readFile(t, goldenV2)); !slices.Equal(got, want) {
		t.Errorf("schema 2 fields beside schema 1's\n got %q\nwant %q", got, want)
	}
}

// A schema-2 file, of 1-second rows without histograms, still reads: its
// rows' T are seconds and consumers fall back on their quantile fields.
func TestGoldenV2(t *testing.T) {
	t.Parallel()
	golden := readFile(t, goldenV2)
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
	if h := s.IntervalHistograms(); h != nil {
		t.Errorf("schema-2 rows have histograms: %v", h)
	}
	if got := s.IntervalStart(s.Intervals[2].T); got != 7 {
		t.Errorf("row t=7 starts at %v s, want 7", got)
	}
	// Rebinning rows without histograms: the quantiles are upper bounds.
	r, err := s.Rebin(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Intervals) != 1 || r.Intervals[0].T != 3 || r.Intervals[0].P50 != 0.00025 || r.Intervals[0].OK != 2 {
		t.Errorf("rows 6 and 7 in 2 s: %+v, want t=3, ok 2, p50 0.00025 (row 7's)", r.Intervals)
	}
}

// A schema-3 file, written before the servers' INFO was kept, still reads,
// with no server data and no prices.
func TestGoldenV3(t *testing.T) {
	t.Parallel()
	golden := readFile(t, goldenV3)

	t.Run("reads", func(t *testing.T) {
		got := readGolden(t, golden)
		if want := goldenRunV3(); !reflect.DeepEqual(got, want) {
			t.Errorf("Read(%s) =\n%+v\nwant\n%+v", goldenV3, got, want)
		}
		s := got.Series[0]
		if n := s.Latency.Count(); n != 7 || uint64(n) != s.OK+s.Miss+s.LowerBounds {
			t.Errorf("latency count %d, want 7: ok, miss and the lower bound", n)
		}
		hs := s.IntervalHistograms()
		if len(hs) != 3 || hs[0].Count() != 4 || hs[1].Count() != 0 || hs[2].Count() != 3 {
			t.Errorf("row histograms %v, want 4, 0 and 3 values", hs)
		}
		if got := s.IntervalStart(s.Intervals[2].T); got != 5.4 {
			t.Errorf("row t=27 starts at %v s, want 5.4", got)
		}
		if iv := s.Intervals[2]; iv.Max != 1.5 || iv.P99 > iv.Max || iv.P99 < 1.5*(1-1.0/256) {
			t.Errorf("row t=27: p99 %v, max %v; want the lower bound 1.5 exactly as max, within 0.39%% as p99", iv.P99, iv.Max)
		}
		if got.Servers != nil || got.Efficiencies() == nil || len(got.Efficiencies()) != 0 || got.Targets[0].PricePerHour != 0 {
			t.Errorf("schema 3: servers %v, efficiencies %v, price %v; want none", got.Servers, got.Efficiencies(), got.Targets[0].PricePerHour)
		}
	})

	// The field names are a public contract: what Write produces now has
	// exactly the fields of the golden file.
	t.Run("shape", func(t *testing.T) {
		b, err := json.Marshal(goldenRunV3())
		if err != nil {
			t.Fatal(err)
		}
		got, want := jsonPaths(t, b), jsonPaths(t, golden)
		if !slices.Equal(got, want) {
			t.Errorf("run.json fields changed\n got %q\nwant %q", got, want)
		}
		// The series' fields: schema 2's and three more.
		series := func(paths []string) []string {
			return slices.DeleteFunc(paths, func(p string) bool { return !strings.HasPrefix(p, ".series") })
		}
		added := append(series(jsonPaths(t, readFile(t, goldenV2))),
			".series[].lower_bounds", ".series[].intervals[].lower_bounds", ".series[].intervals[].latency_hist")
		slices.Sort(added)
		if got := series(want); !slices.Equal(got, added) {
			t.Errorf("schema 3 series fields beside schema 2's\n got %q\nwant %q", got, added)
		}
	})
}

func TestGoldenV4(t *testing.T) {
	if *update {
		dir := t.TempDir()
		if err := results.Write(dir, goldenRunV4()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenV4, readFile(t, filepath.Join(dir, results.RunFile)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden := readFile(t, goldenV4)

	t.Run("reads", func(t *testing.T) {
		got := readGolden(t, golden)
		if want := goldenRunV4(); !reflect.DeepEqual(got, want) {
			t.Errorf("Read(%s) =\n%+v\nwant\n%+v", goldenV4, got, want)
		}
		es := got.Efficiencies()
		if len(es) != 2 {
			t.Fatalf("efficiencies %+v, want a and b", es)
		}
		// 120,000 bytes less 0 of client buffers (20,480 both times) for
		// 1,000 keys; 8 gets over 60 s (info and client|setinfo are
		// ecbench's own) in 0.125 s of CPU.
		a := es[0]
		if a.MemoryPerKey != 120 || a.Commands != 8 || !a.CommandsFromStats || math.Abs(a.CPUPerCommand-0.125/8) > 1e-12 || a.Seconds != 60 || a.HitRatio != 1 {
			t.Errorf("a: %+v", a)
		}
		if b := es[1]; b.HasPreload() || b.HasMeasure() || len(b.Notes) != 2 || b.Nodes != 3 {
			t.Errorf("b (no preload, after_measure unread): %+v", b)
		}
	})

	// What Write produces now has exactly the fields of the golden file,
	// and they are schema 3's and the server data.
	t.Run("shape", func(t *testing.T) {
		b, err := json.Marshal(goldenRunV4())
		if err != nil {
			t.Fatal(err)
		}
		got, want := jsonPaths(t, b), jsonPaths(t, golden)
		if !slices.Equal(got, want) {
			t.Errorf("run.json fields changed\n got %q\nwant %q", got, want)
		}
		added := slices.DeleteFunc(slices.Clone(want), func(p string) bool {
			return !strings.HasPrefix(p, ".servers") && p != ".targets[].price_per_hour" && p != ".targets[].currency"
		})
		v3 := jsonPaths(t, readFile(t, goldenV3))
		if rest := slices.DeleteFunc(slices.Clone(want), func(p string) bool { return slices.Contains(added, p) }); !slices.Equal(rest, v3) {
			t.Errorf("schema 4 changed schema 3's fields\n got %q\nwant %q", rest, v3)
		}
		for _, p := range []string{".servers[].before_preload.used_memory", ".servers[].after_measure.calls", ".targets[].price_per_hour"} {
			if !slices.Contains(added, p) {
				t.Errorf("schema 4 lacks %s", p)
			}
		}
	})
}

// jsonPaths lists the field paths of a JSON document, with array elements as
// [] and the keys of the free-form objects (config, error_classes, calls)
// left out.
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
				if k != "config" && k != "error_classes" && k != "calls" {
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
