package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/results"
)

var update = flag.Bool("update", false, "rewrite testdata/run and the golden files")

// histOf returns a results.Histogram holding ds, through its JSON form (the
// only way in from outside package results).
func histOf(t testing.TB, ds ...time.Duration) results.Histogram {
	t.Helper()
	h := hdrhistogram.New(1, int64(100*time.Second), 3)
	for _, d := range ds {
		if err := h.RecordValue(int64(d)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(string(b))
	var out results.Histogram
	if err := json.Unmarshal(js, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// testRun is a small hand-made run: redis and valkey, workload kv with ops
// get and set over 6 seconds; valkey is a little faster, redis stalls in
// second 3 (no answers: throughput 0, no latency) and valkey drops and
// fails a few requests.
func testRun(t testing.TB) *results.Run {
	t.Helper()
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	series := func(target, eng, op string, base time.Duration, rate uint64) results.Series {
		s := results.Series{Target: target, Engine: engine.Engine(eng), Workload: "kv", Op: op, Seconds: 6, IntervalSeconds: 1}
		var lat []time.Duration
		for i := range 1000 { // a long-tailed spectrum: base .. base*~20
			lat = append(lat, base+time.Duration(i*i)*base/50000)
		}
		s.Latency, s.Service = histOf(t, lat...), histOf(t, lat[:500]...)
		for sec := int64(2); sec < 8; sec++ {
			iv := results.Interval{T: sec, OK: rate + uint64(sec), Miss: 1}
			if target == "redis" && sec == 4 {
				iv = results.Interval{T: sec}
			}
			if target == "valkey" && sec == 5 {
				iv.Errors, iv.Dropped = 2, 3
			}
			if iv.OK > 0 {
				b := base.Seconds()
				iv.Mean, iv.P50, iv.P95, iv.P99, iv.P999, iv.Max = b*1.1, b, b*2, b*3+float64(sec)*1e-5, b*5, b*8
			}
			s.OK, s.Miss, s.Errors, s.Dropped = s.OK+iv.OK, s.Miss+iv.Miss, s.Errors+iv.Errors, s.Dropped+iv.Dropped
			s.Intervals = append(s.Intervals, iv)
		}
		return s
	}
	return &results.Run{
		Schema: results.SchemaVersion,
		Meta: results.Meta{
			Tool: "ecbench", Version: "v0.9.0", Host: "loadgen-1", GoVersion: "go1.26.0",
			Command: []string{"ecbench", "bench", "--config", "bench.yaml"},
			Start:   start, End: start.Add(8 * time.Second), Warmup: 2 * time.Second, Duration: 6 * time.Second,
			Config: map[string]any{
				"targets": []any{map[string]any{"name": "redis", "password": "hunter2", "docs": "https://example.com/<x>"}},
			},
		},
		Targets: []results.Target{
			{Name: "redis", Engine: "redis", Version: "7.2.4", Mode: "standalone", Role: "master"},
			{Name: "valkey", Engine: "valkey", Version: "8.0.1", Mode: "standalone", Role: "master"},
		},
		Series: []results.Series{
			series("redis", "redis", "get", 200*time.Microsecond, 1000),
			series("redis", "redis", "set", 300*time.Microsecond, 500),
			series("valkey", "valkey", "get", 180*time.Microsecond, 1100),
			series("valkey", "valkey", "set", 250*time.Microsecond, 550),
		},
		Generator: []results.Generator{{Target: "valkey", Workload: "kv", MaxScheduleLag: 3 * time.Millisecond, Dropped: 3, MaxInFlight: 100}},
	}
}

// testTable stands in for the comparison TableOf computes.
func testTable() Table {
	return Table{
		Baseline: "redis 7.2.4", Candidate: "valkey 8.0.1", Ratio: "valkey/redis",
		BaselineTarget: "redis", CandidateTarget: "valkey",
		Decisions: []Decision{
			{Workload: "kv", Kind: "faster", Faster: "valkey", Text: "valkey faster: get throughput +10.0% [+5.0, +15.0]"},
			{Kind: "faster", Faster: "valkey", Text: "valkey faster in 1 of 1 workload"},
		},
		Thresholds: []string{"error_rate<=1% (default)", "dropped<=0.1% (default)"},
		Ops: []OpResult{
			{Workload: "kv", Op: "get", Trusted: true, Quantities: []Estimate{
				{Quantity: "throughput", Ratio: 1.1, Low: 1.05, High: 1.15, HasRatio: true, HasCI: true, Better: "valkey"},
				{Quantity: "p99", Ratio: 0.9, Low: 0.85, High: 1.02, HasRatio: true, HasCI: true},
				{Quantity: "p99.9", Ratio: 0.5, Low: 0.1, High: 9, HasRatio: true, HasCI: true}, // past the axis both ways
				{Quantity: "p50", Ratio: 0.95, HasRatio: true},                                  // no interval
			}},
			{Workload: "kv", Op: "set", Failure: "redis: 100% of set failed (oom)"},
		},
		Rows: []Row{
			{Workload: "kv", Op: "get", Quantity: "throughput (ops/s)", Baseline: "1005", Candidate: "1106", Ratio: "1.100", CI: "[1.05, 1.15]", Verdict: "valkey faster", Trusted: true},
			{Workload: "kv", Op: "get", Quantity: "p99", Baseline: "0.600ms", Candidate: "0.540ms", Ratio: "0.900", Verdict: "<script>alert(1)</script>", Trusted: false},
		},
		Warnings: []string{"kv on valkey: generator-bound"},
		Note:     "Latency is from each request's intended start.",
	}
}

// mustBuild is Build, failing the test on an error.
func mustBuild(t testing.TB, run *results.Run, opts Options) Model {
	t.Helper()
	m, err := Build(run, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readTestRun reads testdata/run, rewriting it first with -update.
func readTestRun(t *testing.T) *results.Run {
	t.Helper()
	dir := filepath.Join("testdata", "run")
	if *update {
		if err := results.Write(dir, testRun(t)); err != nil {
			t.Fatal(err)
		}
	}
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// dump is the golden form of a model's charts: one line per chart line,
// its points as x,y.
func dump(m *Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title %q\nsubtitle %q\n", m.Title, m.Subtitle)
	f := m.Forest
	fmt.Fprintf(&b, "forest %s %q engines %+v panels %v\n", f.ID, f.Title, f.Engines, f.Panels)
	for _, r := range f.Rows {
		fmt.Fprintf(&b, "  row %s/%s note=%q untrusted=%v:", r.Workload, r.Op, r.Note, r.Untrusted)
		for _, c := range r.Cells {
			fmt.Fprintf(&b, " %v [%v, %v] ratio=%v ci=%v better=%d note=%q;", c.Ratio, c.Low, c.High, c.HasRatio, c.HasCI, c.Better, c.Note)
		}
		b.WriteByte('\n')
	}
	for _, w := range m.Workloads {
		fmt.Fprintf(&b, "workload %s %s decision=%q noerrors=%q\n", w.ID, w.Name, w.Decision, w.NoErrors)
	}
	for _, c := range m.Charts() {
		fmt.Fprintf(&b, "chart %s %q x=%q y=%q logy=%v ratio=%v nines=%v small=%v\n", c.ID, c.Title, c.XLabel, c.YLabel, c.LogY, c.Ratio, c.Nines, c.Small)
		if c.Band != nil {
			fmt.Fprintf(&b, "  band %+v\n", *c.Band)
		}
		if c.Note != "" {
			fmt.Fprintf(&b, "  note %q\n", c.Note)
		}
		if c.XMax > c.XMin || !c.Clock.IsZero() {
			fmt.Fprintf(&b, "  x from %v to %v, clock %s\n", c.XMin, c.XMax, c.Clock.Format(time.RFC3339))
		}
		for _, sp := range c.Spans {
			fmt.Fprintf(&b, "  span %q shade=%d: %v..%v\n", sp.Label, sp.Shade, sp.From, sp.To)
		}
		for _, l := range c.Lines {
			fmt.Fprintf(&b, "  line %q color=%d dash=%d:", l.Label, l.Color, l.Dash)
			for _, p := range l.Points {
				fmt.Fprintf(&b, " %s,%s", strconv.FormatFloat(p.X, 'g', -1, 64), strconv.FormatFloat(p.Y, 'g', -1, 64))
			}
			b.WriteByte('\n')
		}
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, w := range m.Workloads {
		if len(w.OmittedOps) > 0 {
			fmt.Fprintf(&b, "workload %s: charts of %v left out\n", w.Name, w.OmittedOps)
		}
	}
	for _, ph := range m.Phases {
		fmt.Fprintf(&b, "phase %s shade=%d: %s..%s\n", ph.Name, ph.Shade, ph.From.Format(time.RFC3339), ph.To.Format(time.RFC3339))
	}
	b.WriteString("meta\n")
	for _, f := range m.Meta.Fields {
		fmt.Fprintf(&b, "  %s: %s\n", f[0], f[1])
	}
	for _, t := range m.Meta.Targets {
		fmt.Fprintf(&b, "  target: %+v\n", t)
	}
	for _, g := range m.Meta.Generator {
		fmt.Fprintf(&b, "  generator: %s\n", g)
	}
	b.WriteString(m.Meta.Config + "\n")
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./report -run Report -update to accept):\n%s", path, got)
	}
}

func TestReportModelGolden(t *testing.T) {
	run := readTestRun(t)
	m := build(run, testTable(), Options{})
	golden(t, "model.golden", dump(&m))
	if again := build(run, testTable(), Options{}); dump(&again) != dump(&m) {
		t.Error("Build is not deterministic")
	}
}

func TestReportModelMerged(t *testing.T) {
	t.Parallel()
	a, b := testRun(t), testRun(t)
	b.Meta.Start = b.Meta.Start.Add(time.Hour)
	run, err := results.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	m := build(run, Table{}, Options{})
	tp := m.Workloads[0].Throughput
	var points, breaks int
	for _, p := range tp.Lines[0].Points {
		if p.IsBreak() {
			breaks++
		} else {
			points++
		}
	}
	if points != 12 || breaks != 1 {
		t.Errorf("merged throughput has %d points and %d breaks, want 12 (two runs of 6 s) and 1 (the second run's warm-up)", points, breaks)
	}
	if tp.XLabel != "time, merged runs one after another" {
		t.Errorf("x label %q", tp.XLabel)
	}
	// Twice the samples: the spectrum reaches one step further.
	single := build(a, Table{}, Options{})
	if n, n1 := len(m.Workloads[0].Ops[0].Spectrum.Lines[0].Points), len(single.Workloads[0].Ops[0].Spectrum.Lines[0].Points); n <= n1 {
		t.Errorf("merged spectrum has %d points, single %d", n, n1)
	}
}

func TestReportNines(t *testing.T) {
	t.Parallel()
	for p, want := range map[float64]float64{0: 0, 90: 1, 99: 2, 99.9: 3, 99.999: 5} {
		if got := Nines(p); got < want-1e-9 || got > want+1e-9 {
			t.Errorf("Nines(%v) = %v, want %v", p, got, want)
		}
	}
	ticks := ninesTicks{}.Ticks(0, 5)
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "0 90 99 99.9 99.99 99.999" {
		t.Errorf("tick labels %q", got)
	}
}

var (
	svgElem  = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)
	preElem  = regexp.MustCompile(`(?s)<pre>.*?</pre>`)
	metaRows = regexp.MustCompile(`(?s)<section id="metadata">.*`)
)

func TestReportHTML(t *testing.T) {
	t.Parallel()
	run := testRun(t)
	m := build(run, testTable(), Options{})
	var b bytes.Buffer
	if err := HTML(&b, &m); err != nil {
		t.Fatal(err)
	}
	page := b.String()

	for _, want := range []string{"<!DOCTYPE html>", "<html", "</html>", "<style>", "valkey/redis",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "warning: kv on valkey: generator-bound", "loadgen-1",
		"ecbench bench --config bench.yaml", "[redacted]", "Latency by percentile: kv / get", "8.0.1"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"hunter2", "<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "<?xml", "<!-- Generated"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// No reference to anything outside the page: the only URL is escaped
	// text of the configuration, in the metadata.
	outside := metaRows.ReplaceAllString(page, "")
	if strings.Contains(outside, "http://") || strings.Contains(outside, "https://") {
		t.Errorf("page refers to an external resource outside the metadata")
	}
	meta := preElem.FindString(page)
	if !strings.Contains(meta, "https://example.com/&lt;x&gt;") {
		t.Errorf("configuration not shown escaped: %s", meta)
	}
	for _, h := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(h[1], "#") {
			t.Errorf("link %q leaves the page", h[1])
		}
	}

	svgs := svgElem.FindAllString(page, -1)
	if want := len(m.figures()); len(svgs) != want || want != len(m.Charts())+1 {
		t.Errorf("%d <svg> elements, want one per chart and the forest plot (%d)", len(svgs), want)
	}
	for i, s := range svgs {
		if !strings.Contains(s, "<path") {
			t.Errorf("svg %d has no <path>", i)
		}
		if strings.Contains(s, "Serif") || !strings.Contains(s, svgFonts) {
			t.Errorf("svg %d is not in the sans-serif fonts %s", i, svgFonts)
		}
	}
	// Each figure holds its chart's svg.
	for _, f := range m.figures() {
		open := regexp.MustCompile(`<figure id="` + regexp.QuoteMeta(f.figureID()) + `"[^>]*>`)
		loc := open.FindStringIndex(page)
		if loc == nil || !strings.HasPrefix(strings.TrimSpace(page[loc[1]:]), "<svg") {
			t.Errorf("chart %s: no figure with an svg", f.figureID())
		}
	}
	// Valid-ish: every element opened is closed, in order (void elements aside).
	checkNesting(t, svgElem.ReplaceAllString(page, "<svg></svg>"))
}

// checkNesting checks that the HTML tags of page balance.
func checkNesting(t *testing.T, page string) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "link": true, "input": true}
	var stack []string
	for _, m := range regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`).FindAllStringSubmatch(page, -1) {
		closing, name := m[1] == "/", strings.ToLower(m[2])
		switch {
		case void[name]:
		case !closing:
			stack = append(stack, name)
		case len(stack) == 0 || stack[len(stack)-1] != name:
			t.Fatalf("</%s> closes %v", name, stack)
		default:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		t.Errorf("unclosed elements %v", stack)
	}
}

func TestReportEmptyRun(t *testing.T) {
	t.Parallel()
	m := build(&results.Run{}, Table{}, Options{})
	var b bytes.Buffer
	if err := HTML(&b, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "no results") {
		t.Errorf("empty run: %s", b.String())
	}
}

func TestReportWriteCharts(t *testing.T) {
	t.Parallel()
	m := build(testRun(t), testTable(), Options{})
	for _, tt := range []struct {
		format string
		magic  string
	}{{"svg", "<?xml"}, {"png", "\x89PNG"}} {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files, err := WriteCharts(dir, tt.format, &m)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(m.Charts())+1 || filepath.Base(files[0]) != "forest."+tt.format {
				t.Errorf("%d files (%v), want the forest plot and every chart (%d)", len(files), files, len(m.Charts())+1)
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(string(b), tt.magic) || filepath.Ext(f) != "."+tt.format {
					t.Errorf("%s: not a %s file", f, tt.format)
				}
			}
		})
	}
	if _, err := WriteCharts(t.TempDir(), "gif", &m); err == nil || !strings.Contains(err.Error(), `"gif" (want png or svg)`) {
		t.Errorf("gif: %v", err)
	}
}

// TestReportGaps: seconds missing from a results directory break the
// lines rather than join their neighbours, and so does a second without a
// completed request in the latency lines.
func TestReportGaps(t *testing.T) {
	t.Parallel()
	run := testRun(t)
	for i := range run.Series {
		s := &run.Series[i]
		if s.Target == "valkey" { // seconds 4 and 5 lost
			s.Intervals = slices.DeleteFunc(s.Intervals, func(iv results.Interval) bool { return iv.T == 4 || iv.T == 5 })
		}
	}
	want := map[string]string{
		// Without a comparison: each engine's p99.
		"Table{}: throughput-kv valkey 8.0.1":  "2,1656 3,1658 4,NaN 6,1664 7,1666",
		"Table{}: latency-kv-get valkey 8.0.1": "2,0.56 3,0.57 4,NaN 6,0.6 7,0.61",
		"Table{}: latency-kv-get redis 7.2.4":  "2,0.62 3,0.63 4,NaN 5,0.65 6,0.66 7,0.67",
		// With one: their ratio, broken where either has no p99 (redis
		// stalled in second 4, valkey lost 4 and 5).
		"testTable(): latency-kv-get valkey/redis per 1 s": "2,0.903225806 3,0.904761905 4,NaN 6,0.909090909 7,0.910447761",
	}
	var m Model
	for _, table := range []struct {
		name string
		t    Table
	}{{"testTable()", testTable()}, {"Table{}", Table{}}} {
		m = build(run, table.t, Options{})
		for _, c := range m.Charts() {
			for _, l := range c.Lines {
				key := table.name + ": " + c.ID + " " + l.Label
				w, ok := want[key]
				if !ok {
					continue
				}
				delete(want, key)
				var got []string
				for _, p := range l.Points {
					got = append(got, strconv.FormatFloat(p.X, 'g', -1, 64)+","+strconv.FormatFloat(p.Y, 'g', -1, 64))
				}
				if strings.Join(got, " ") != w {
					t.Errorf("%s: %s, want %s", key, strings.Join(got, " "), w)
				}
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("lines not found: %v", want)
	}
	// A break draws as two lines: no path joins second 3 to second 6.
	svg, err := SVG(&m.Workloads[0].Throughput)
	if err != nil {
		t.Fatal(err)
	}
	if segs := len(segments(m.Workloads[0].Throughput.Lines[1].Points, false)); segs != 2 {
		t.Errorf("valkey's throughput has %d segments, want 2", segs)
	}
	if !bytes.Contains(svg, []byte("<path")) {
		t.Errorf("no paths in the svg")
	}
}

// TestReportMaxOps: only the busiest ops get charts; the others are named.
func TestReportMaxOps(t *testing.T) {
	t.Parallel()
	run := testRun(t) // get: ~1000 requests/s, set: ~500
	for _, tt := range []struct {
		max     int
		kept    []string
		omitted []string
	}{
		{0, []string{"get", "set"}, nil},
		{2, []string{"get", "set"}, nil},
		{1, []string{"get"}, []string{"set"}},
	} {
		m := build(run, Table{}, Options{MaxOps: tt.max})
		var kept []string
		for _, o := range m.Workloads[0].Ops {
			kept = append(kept, o.Name)
		}
		if !slices.Equal(kept, tt.kept) || !slices.Equal(m.Workloads[0].OmittedOps, tt.omitted) {
			t.Errorf("max %d: kept %v, omitted %v; want %v, %v", tt.max, kept, m.Workloads[0].OmittedOps, tt.kept, tt.omitted)
		}
		var b bytes.Buffer
		if err := HTML(&b, &m); err != nil {
			t.Fatal(err)
		}
		if note := "No charts for set: fewer requests than the ops above (--max-ops); the full table has every op."; strings.Contains(b.String(), note) != (tt.omitted != nil) {
			t.Errorf("max %d: note %q shown: %v", tt.max, note, !(tt.omitted != nil))
		}
	}
}
