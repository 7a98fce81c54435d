package report

import (
	"bytes"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loghist"
	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
)

// allOps are the workloads and ops of `ecbench bench -t all`: 32 ops.
var allOps = []struct {
	workload string
	ops      []string
}{
	{"kv", []string{"get", "set"}},
	{"list", []string{"lpush", "rpush", "lpop", "rpop", "lrange", "llen", "lindex"}},
	{"hash", []string{"hset", "hget", "hmget", "hgetall", "hincrby", "hdel", "hlen"}},
	{"set", []string{"sadd", "srem", "sismember", "smembers", "scard", "srandmember", "sinter"}},
	{"zset", []string{"zadd", "zincrby", "zscore", "zrank", "zrange", "zrangebyscore", "zrevrange", "zrem", "zcard"}},
}

// allRun is a synthetic run shaped like `ecbench bench -t all --duration
// 20s`: redis 7.0.15 and valkey 8.0.1 at once, 32 ops in 5 workloads,
// 200 rows of 100 ms with histograms, from a fixed seed. The engines
// share each row's noise (the host) and differ by workload: valkey 15%
// slower on hash, 20% lower latency on zset, the same elsewhere; valkey
// fails 0.2% of set/sadd (under the 1% that makes an op fail). The
// servers' INFO snapshots give every workload a server side.
func allRun(t testing.TB) *results.Run {
	t.Helper()
	const rows, rowSeconds = 200, 0.1
	rng := rand.New(rand.NewPCG(18, 2026))
	start := time.Date(2026, 12, 2, 1, 50, 32, 0, time.UTC)
	run := &results.Run{
		Schema: results.SchemaVersion,
		Meta: results.Meta{Tool: "ecbench", Version: "v1.0.0", Start: start, End: start.Add(110 * time.Second),
			Warmup: 2 * time.Second, Duration: 20 * time.Second},
		Targets: []results.Target{
			{Name: "redis", Engine: engine.Redis, Version: "7.0.15", Mode: "standalone", Role: "master"},
			{Name: "valkey", Engine: engine.Valkey, Version: "8.0.1", Mode: "standalone", Role: "master"},
		},
	}
	for _, w := range allOps {
		speed, latency := 1.0, 1.0 // valkey's, relative to redis
		switch w.workload {
		case "hash":
			speed, latency = 0.85, 1.15
		case "zset":
			latency = 0.8
		}
		shared := make([]float64, rows) // the host's noise, both engines
		for i := range shared {
			shared[i] = math.Exp(rng.NormFloat64() * 0.1)
		}
		for _, op := range w.ops {
			for _, tg := range run.Targets {
				s := results.Series{Target: tg.Name, Engine: tg.Engine, Workload: w.workload, Op: op, Seconds: rows * rowSeconds, IntervalSeconds: rowSeconds}
				rate, base := 120.0, 300*time.Microsecond
				if tg.Engine == engine.Valkey {
					rate *= speed
					base = time.Duration(float64(base) * latency)
				}
				var all []time.Duration
				for i := range rows {
					n := uint64(max(1, math.Round(rate*shared[i]*math.Exp(rng.NormFloat64()*0.03))))
					var b loghist.Builder
					for range n {
						d := time.Duration(float64(base) * shared[i] * math.Exp(rng.NormFloat64()*0.6))
						b.Record(int64(d), 1)
						all = append(all, d)
					}
					h := b.Histogram()
					iv := results.Interval{T: int64(i), OK: n, LatencyHist: h,
						P50: h.Quantile(0.5), P95: h.Quantile(0.95), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.Quantile(1)}
					iv.Mean = iv.P50 * 1.2
					if tg.Engine == engine.Valkey && op == "sadd" && i%50 == 7 {
						iv.Errors = 12 // 0.2% of the op's requests
					}
					s.OK, s.Errors = s.OK+iv.OK, s.Errors+iv.Errors
					s.Intervals = append(s.Intervals, iv)
				}
				if s.Errors > 0 {
					s.ErrorClasses = map[string]uint64{"timeout": s.Errors}
				}
				s.Latency = histOf(t, all...)
				run.Series = append(run.Series, s)
			}
		}
		for i, tg := range run.Targets {
			snap := func(sec int, used, keys uint64) *results.ServerSnapshot {
				return &results.ServerSnapshot{At: start.Add(time.Duration(sec) * time.Second), Nodes: 1, Engine: tg.Engine, RunIDs: []string{tg.Name},
					UsedMemory: used, UsedMemoryRSS: used * 11 / 10, Keys: keys, KeyspaceHits: 1000, CPUUser: 0.2 / float64(i+1),
					Calls: map[string]uint64{w.ops[0]: 100_000}}
			}
			run.Servers = append(run.Servers, results.Server{Target: tg.Name, Workload: w.workload, Kind: w.workload, PreloadKeys: 10_000,
				BeforePreload: snap(0, 1<<20, 0), AfterPreload: snap(1, 1<<20+uint64(14_000_000/(i+1)), 10_000),
				BeforeMeasure: snap(2, 1<<24, 10_000), AfterMeasure: snap(22, 1<<24, 10_000)})
		}
	}
	return run
}

// maxChartsPerPage bounds the figures of a page: the forest plot, per
// workload its throughput and at most an errors and a dropped chart, per
// op two.
func maxChartsPerPage(workloads, ops int) int { return 1 + 3*workloads + 2*ops }

// TestReportPageAll builds the page of a -t all-like run and checks what
// a reader meets: the sections in the order that leads with the answer,
// at most maxChartsPerPage charts (this run: the forest plot, five
// throughput charts, one errors chart, two per op), at most three lines a
// chart, legends naming engine and version, one colour per engine, time
// axes with readable steps, all-zero series said in words, and cells
// that do not wrap.
func TestReportPageAll(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, allRun(t), Options{})
	var b bytes.Buffer
	if err := HTML(&b, &m); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	t.Logf("page: %d bytes, %d figures", len(page), len(m.figures()))

	// The order of the page.
	order := []string{`<section id="decision">`, `<li class="overall">`, `<figure id="forest" class="forest">`,
		`<section id="efficiency">`, `<section id="workloads">`, `<details id="workload-kv">`, `<details id="workload-zset">`,
		`<section id="table">`, `<section id="metadata">`}
	last := -1
	for _, s := range order {
		i := strings.Index(page, s)
		if i < 0 {
			t.Errorf("page lacks %s", s)
			continue
		}
		if i < last {
			t.Errorf("%s comes before the section above it in %v", s, order)
		}
		last = i
	}
	if strings.Contains(page, "<details open") {
		t.Error("a workload's details are open: they are collapsed until asked for")
	}
	checkNesting(t, svgElem.ReplaceAllString(page, "<svg></svg>"))

	// How many charts.
	ops := 0
	for _, w := range allOps {
		ops += len(w.ops)
	}
	figures := m.figures()
	if limit := maxChartsPerPage(len(allOps), ops); len(figures) > limit {
		t.Errorf("%d charts, want at most %d", len(figures), limit)
	}
	if want := 1 + len(allOps) + 1 + 2*ops; len(figures) != want {
		t.Errorf("%d charts, want %d: the forest plot, %d throughput charts, set's errors and two per op", len(figures), want, len(allOps))
	}
	if got := len(svgElem.FindAllString(page, -1)); got != len(figures) {
		t.Errorf("%d svgs in the page, want %d", got, len(figures))
	}
	if n := len(m.Forest.Rows); n != ops || len(m.Forest.Panels) != 6 {
		t.Errorf("forest plot of %d rows and %d panels, want %d ops and 6 quantities", n, len(m.Forest.Panels), ops)
	}

	// The decisions: this run's hash is redis's, the rest not valkey's.
	for _, want := range []string{"<b>hash</b>: redis faster", "thresholds: none crossed (error_rate&lt;=1% (default), dropped&lt;=0.1% (default))"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	// Every chart: at most three lines, legends "redis 7.0.15", one
	// colour per engine, time axes with at least four labels.
	doubled := regexp.MustCompile(`\b(\w+) \(\w+\)`)
	colors := map[string]int{"redis 7.0.15": 0, "valkey 8.0.1": 1}
	for _, c := range m.Charts() {
		if len(c.Lines) > maxLines {
			t.Errorf("chart %s has %d lines, want at most %d", c.ID, len(c.Lines), maxLines)
		}
		for _, l := range c.Lines {
			if doubled.MatchString(l.Label) {
				t.Errorf("chart %s: legend %q names the target and its engine twice", c.ID, l.Label)
			}
			if want, ok := colors[l.Label]; ok && l.Color != want {
				t.Errorf("chart %s: %s in colour %d, want %d on every chart", c.ID, l.Label, l.Color, want)
			}
			if !strings.HasPrefix(l.Label, "redis 7.0.15") && !strings.HasPrefix(l.Label, "valkey 8.0.1") && l.Color != Neutral {
				t.Errorf("chart %s: line %q is neither engine's", c.ID, l.Label)
			}
		}
		if c.Nines {
			continue
		}
		labels := 0
		lo, hi := dataRange(c)
		for _, tk := range (secondsTicks{labels: 6}).Ticks(lo, hi) {
			if tk.Label != "" {
				labels++
			}
		}
		if labels < 4 {
			t.Errorf("chart %s: %d labelled ticks over %v..%v s, want 4 or more", c.ID, labels, lo, hi)
		}
	}

	// Zeros in words; the one workload with errors has its chart.
	for _, w := range m.Workloads {
		switch {
		case w.Name == "set" && (len(w.Errors) != 1 || w.NoErrors != "No dropped requests on either engine."):
			t.Errorf("set: %d error charts, %q; want one and no dropped requests in words", len(w.Errors), w.NoErrors)
		case w.Name != "set" && (len(w.Errors) != 0 || w.NoErrors != "No errors and no dropped requests on either engine."):
			t.Errorf("%s: %d error charts, %q; want the zeros in words", w.Name, len(w.Errors), w.NoErrors)
		}
	}
	if !strings.Contains(page, "redis 7.0.15: no errors.") {
		t.Errorf("set's errors chart does not say redis had none")
	}

	// Table cells do not wrap.
	if !regexp.MustCompile(`th, td \{[^}]*white-space: nowrap`).MatchString(page) {
		t.Error("the table's cells may wrap")
	}
}

// dataRange is the x range of c's points.
func dataRange(c *Chart) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, l := range c.Lines {
		for _, p := range l.Points {
			lo, hi = min(lo, p.X), max(hi, p.X)
		}
	}
	return lo, hi
}

// TestReportTicks: time axes step at round seconds with at least four
// labels over a 20 s run; ratio axes label round ratios around 1.
func TestReportTicks(t *testing.T) {
	t.Parallel()
	labels := func(ticks []string) string { return strings.Join(ticks, " ") }
	for _, tt := range []struct {
		lo, hi float64
		max    int
		want   string
	}{
		{0, 19.9, 6, "0 5s 10s 15s"},
		{0, 19.9, 10, "0 2s 4s 6s 8s 10s 12s 14s 16s 18s"},
		{0, 20, 10, "0 5s 10s 15s 20s"},
		{2, 62, 6, "10s 20s 30s 40s 50s 1m"},
		{0, 3600, 10, "0 10m 20m 30m 40m 50m 1h"},
		{0, 5400, 6, "0 30m 1h 1h30m"},
		{0, 0.9, 10, "0 0.1s 0.2s 0.3s 0.4s 0.5s 0.6s 0.7s 0.8s 0.9s"},
	} {
		var got []string
		for _, tk := range (secondsTicks{labels: tt.max}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if labels(got) != tt.want {
			t.Errorf("%v..%v s, %d labels: %q, want %q", tt.lo, tt.hi, tt.max, labels(got), tt.want)
		}
	}
	for _, tt := range []struct {
		lo, hi float64
		max    int
		want   string
	}{
		{0.9, 1.1, 7, "0.9 0.95 1 1.05 1.1"},
		{0.8, 1.25, 7, "0.8 0.9 1 1.1 1.25"},
		{0.5, 2, 7, "0.5 0.67 0.8 1 1.25 1.5 2"},
		{0.25, 4, 7, "0.25 0.5 1 2 4"},
		{0.55, 1.8, 5, "0.67 1 1.5"}, // 0.67 0.8 1 1.25 1.5 would be too close for five labels' room
		{1 / 1.03, 1.03, 5, "0.98 0.99 1 1.01 1.02"},
	} {
		var got []string
		for _, tk := range (ratioTicks{max: tt.max}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if labels(got) != tt.want {
			t.Errorf("ratio axis %v..%v: %q, want %q", tt.lo, tt.hi, labels(got), tt.want)
		}
	}
}

// TestReportEngineLabels: legends and columns name a target by its engine
// and version, and by its own name only when it differs.
func TestReportEngineLabels(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, engine, version, want string }{
		{"redis", "redis", "7.0.15", "redis 7.0.15"},
		{"valkey", "valkey", "", "valkey"},
		{"cache-a", "valkey", "8.0.1", "cache-a (valkey 8.0.1)"},
		{"old", "unknown", "", "old"},
		{"x", "", "", "x"},
	} {
		if got := targetLabel(tt.name, tt.engine, tt.version); got != tt.want {
			t.Errorf("targetLabel(%q, %q, %q) = %q, want %q", tt.name, tt.engine, tt.version, got, tt.want)
		}
	}
}

// TestReportThresholds: thresholds given to Build are checked with the
// defaults and shown with the decision; one that names what the run lacks
// is an error naming it.
func TestReportThresholds(t *testing.T) {
	t.Parallel()
	run := testRun(t)
	for _, tt := range []struct {
		threshold string
		want      string // in the page
		err       string
	}{
		{"p99<0.1ms", `<li class="crossed">threshold crossed: p99&lt;0.1ms (--threshold): kv/get redis `, ""},
		{"p99<1s", "thresholds: none crossed (p99&lt;1s (--threshold), error_rate&lt;=1% (default), dropped&lt;=0.1% (default))", ""},
		{"nope.get.p99<1s", "", `workload "nope"`},
	} {
		th := mustThreshold(t, tt.threshold)
		m, err := Build(run, Options{Thresholds: th})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one naming %s", tt.threshold, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := HTML(&b, &m); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s: page lacks %q", tt.threshold, tt.want)
		}
	}
}

// TestReportForestDrawing: the forest plot of the test table draws every
// row, cuts the interval that goes past its axis with arrows, and writes
// the failing op's note instead of its points.
func TestReportForestDrawing(t *testing.T) {
	t.Parallel()
	m := build(testRun(t), testTable(), Options{})
	svg, err := renderSVG(&m.Forest)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	for _, want := range []string{">get</text>", ">set</text>", ">kv</text>", ">redis: 100% of set failed (oom)</text>", ">valkey better</text>",
		">throughput</text>", ">p99.9</text>", ">no interval or generator-bound</text>"} {
		if !strings.Contains(s, want) {
			t.Errorf("forest svg lacks %s", want)
		}
	}
	lo, hi := m.Forest.axis(5) // p99.9: 0.1..9 is past ×4 both ways
	if math.Abs(lo-0.25) > 1e-9 || math.Abs(hi-4) > 1e-9 {
		t.Errorf("p99.9 axis %v..%v, want 0.25..4", lo, hi)
	}
	if lo, hi := m.Forest.axis(0); !(lo < 1/1.15 && lo > 1/1.25 && hi > 1.15 && hi < 1.25) {
		t.Errorf("throughput axis %v..%v, want about [1/1.15, 1.15] and a little room", lo, hi)
	}
	if w, h := m.Forest.size(); w != forestWidth || h < 50 {
		t.Errorf("forest size %v×%v", w, h)
	}
}

func mustThreshold(t *testing.T, s string) []threshold.Threshold {
	t.Helper()
	th, err := threshold.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	th.Source = "--threshold"
	return []threshold.Threshold{th}
}

// TestReportUnpaired: engines that ran one after the other, or a run of
// one engine, have no ratio over time (their intervals are not the same
// time): each engine's own lines instead, and no forest plot without a
// second engine.
func TestReportUnpaired(t *testing.T) {
	t.Parallel()
	sequential := testRun(t)
	sequential.Meta.Sequential = true
	one := testRun(t)
	one.Targets = one.Targets[:1]
	one.Series = slices.DeleteFunc(one.Series, func(s results.Series) bool { return s.Target != "redis" })
	for _, tt := range []struct {
		name   string
		run    *results.Run
		forest int // rows
		lines  int // of a latency chart
	}{
		{"sequential", sequential, 2, 2},
		{"one engine", one, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustBuild(t, tt.run, Options{})
			if len(m.Forest.Rows) != tt.forest || m.Forest.hasRows() != (tt.forest > 0) {
				t.Errorf("forest plot of %d rows, want %d", len(m.Forest.Rows), tt.forest)
			}
			for _, c := range m.Charts() {
				if c.Ratio || c.Band != nil {
					t.Errorf("chart %s is a ratio over time", c.ID)
				}
			}
			if l := m.Workloads[0].Ops[0].Latency; len(l.Lines) != tt.lines || l.YLabel != "p99 (ms)" {
				t.Errorf("latency chart %q with %d lines, want each engine's p99 (%d)", l.YLabel, len(l.Lines), tt.lines)
			}
			var b bytes.Buffer
			if err := HTML(&b, &m); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), `<figure id="forest"`) != (tt.forest > 0) {
				t.Errorf("forest figure shown: %v, want %v", !(tt.forest > 0), tt.forest > 0)
			}
		})
	}
}
