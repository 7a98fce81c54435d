package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/ecbench/ecbench/internal/promtest"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/results"
)

// promAPI returns a client of the Prometheus at url whose idle
// connections close when the test ends.
func promAPI(t *testing.T, url string) v1.API {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := api.NewClient(api.Config{Address: url, RoundTripper: tr})
	if err != nil {
		t.Fatal(err)
	}
	return v1.NewAPI(c)
}

// testPromQuery is the window of promTestData.
func testPromQuery(url string) PromQuery {
	return PromQuery{From: promStart, To: promStart.Add(promLength * time.Second), Source: url}
}

// TestReportPrometheus loads promTestData into a real Prometheus (promtool
// makes the blocks), builds the report from it, and pins the model down
// with a golden file; then checks the page in Chromium.
func TestReportPrometheus(t *testing.T) {
	t.Parallel()
	srv := promtest.Start(t, promtest.Options{DataDir: promtest.CreateBlocks(t, promTestData())})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := QueryPrometheus(ctx, promAPI(t, srv.URL), testPromQuery("http://prometheus.test:9090"))
	if err != nil {
		t.Fatal(err)
	}
	m := p.build(Table{}, Options{MaxOps: 2})

	t.Run("golden", func(t *testing.T) {
		golden(t, "prometheus.golden", dump(&m)+dumpRun(p.Run))
		if again := p.build(Table{}, Options{MaxOps: 2}); dump(&again) != dump(&m) {
			t.Error("Build is not deterministic")
		}
	})
	t.Run("what the data says", func(t *testing.T) {
		if p.ScrapeInterval != 10*time.Second || p.Query.Step != 10*time.Second || p.RateWindow != 40*time.Second {
			t.Errorf("scrape %v, step %v, rate window %v; want 10s, 10s, 40s", p.ScrapeInterval, p.Query.Step, p.RateWindow)
		}
		// gen1 was down from 360 s to 419 s: every kv line breaks there.
		for _, l := range m.Workloads[slices.IndexFunc(m.Workloads, func(w Workload) bool { return w.Name == "kv" })].Throughput.Lines {
			i := slices.IndexFunc(l.Points, Point.IsBreak)
			if i < 0 || l.Points[i-1].X < 360 || l.Points[i+1].X > 440 {
				t.Errorf("%s: no break in 360..440: %v", l.Label, l.Points)
			}
		}
		var names []string
		for _, ph := range m.Phases {
			names = append(names, fmt.Sprintf("%s %v-%v", ph.Name, ph.From.Sub(promStart).Seconds(), ph.To.Sub(promStart).Seconds()))
		}
		if got, want := strings.Join(names, ", "), "steady 0-235, burst 235-295, steady 295-395, steady 415-600"; got != want {
			t.Errorf("phases %s, want %s", got, want)
		}
		if len(m.Servers) != 2 || m.Servers[0].ID != "cloudwatch-enginecpuutilization" || len(m.Servers[0].Lines) != 2 {
			t.Errorf("servers: %d charts", len(m.Servers))
		}
		for _, c := range m.Charts() {
			if !c.Nines && len(c.Spans) != len(m.Phases) {
				t.Errorf("chart %s has %d spans, want the %d phases", c.ID, len(c.Spans), len(m.Phases))
			}
		}
		kv := m.Workloads[slices.IndexFunc(m.Workloads, func(w Workload) bool { return w.Name == "kv" })]
		if len(kv.Ops) != 2 || !slices.Equal(kv.OmittedOps, []string{"del"}) {
			t.Errorf("kv ops %d, omitted %v; want get and set kept, del omitted", len(kv.Ops), kv.OmittedOps)
		}
	})
	t.Run("page", func(t *testing.T) {
		var b bytes.Buffer
		if err := HTML(&b, &m); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, want := range []string{
			`<a href="#servers">Servers (CloudWatch)</a>`, `<section id="servers">`, "<h2>Servers (CloudWatch)</h2>", `<figure id="cloudwatch-currconnections">`,
			"<h4>Scenario phases</h4>", "<tr><td>burst</td><td>2025-01-02T03:03:55Z</td><td>2025-01-02T03:04:55Z</td></tr>",
			"No charts for del: fewer requests than the ops above (--max-ops)",
			"<tr><th>source</th><td>Prometheus http://prometheus.test:9090</td></tr>",
			"<tr><td>valkey</td><td>valkey</td><td>8.0.1</td><td>standalone</td><td>primary</td></tr>",
			"phase steady", "phase burst", // in every time chart's legend
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		checkNesting(t, svgElem.ReplaceAllString(page, "<svg></svg>"))
	})
	t.Run("step under the scrape interval", func(t *testing.T) {
		q := testPromQuery("http://prometheus.test:9090")
		q.Step = 5 * time.Second
		p, err := QueryPrometheus(ctx, promAPI(t, srv.URL), q)
		if err != nil {
			t.Fatal(err)
		}
		m := p.build(Table{}, Options{})
		want := "the step 5s is shorter than the scrape interval 10s: neighbouring points repeat the same samples"
		if !slices.Contains(m.Warnings, want) || p.RateWindow != 40*time.Second {
			t.Errorf("warnings %q, rate window %v; want %q and 40s", m.Warnings, p.RateWindow, want)
		}
		var b bytes.Buffer
		if err := HTML(&b, &m); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), `<li class="warn">warning: `+want+`</li>`) {
			t.Errorf("page lacks the warning")
		}
	})
	t.Run("browser", func(t *testing.T) {
		// With the comparison, as the command builds it: the decision and
		// the forest plot on the first screen, as from a results directory.
		m, err := p.Build(Options{MaxOps: 2})
		if err != nil {
			t.Fatal(err)
		}
		checkInBrowser(t, &m, "report-prometheus", true)
	})
}

// dumpRun is the golden form of the Run converted from Prometheus: what
// the summary table is computed from.
func dumpRun(run *results.Run) string {
	var b strings.Builder
	b.WriteString("run\n")
	fmt.Fprintf(&b, "  meta: %s %s %s..%s %v\n", run.Meta.Tool, run.Meta.Version,
		run.Meta.Start.Format(time.RFC3339), run.Meta.End.Format(time.RFC3339), run.Meta.Duration)
	for _, t := range run.Targets {
		fmt.Fprintf(&b, "  target %+v\n", t)
	}
	for _, s := range run.Series {
		st := s.Stats()
		fmt.Fprintf(&b, "  series %s/%s on %s (%s): ok %d miss %d errors %d dropped %d classes %v seconds %v intervals %d×%vs\n",
			s.Workload, s.Op, s.Target, s.Engine, s.OK, s.Miss, s.Errors, s.Dropped, s.ErrorClasses, s.Seconds, len(s.Intervals), s.IntervalSeconds)
		fmt.Fprintf(&b, "    throughput %.3f mean %.6f p50 %.6f p95 %.6f p99 %.6f p99.9 %.6f max %.6f (histogram of %d)\n",
			st.Throughput, st.Mean, st.P50, st.P95, st.P99, st.P999, st.Max, s.Latency.Count())
		for _, iv := range s.Intervals {
			if sec := int64(s.IntervalStart(iv.T)); sec%100 == 0 || sec >= 350 && sec <= 430 {
				fmt.Fprintf(&b, "    t=%d ok %d miss %d errors %d dropped %d mean %v p50 %v p95 %v p99 %v p99.9 %v max %v\n", sec, iv.OK, iv.Miss, iv.Errors, iv.Dropped,
					round(iv.Mean), round(iv.P50), round(iv.P95), round(iv.P99), round(iv.P999), round(iv.Max))
			}
		}
	}
	for _, g := range run.Generator {
		fmt.Fprintf(&b, "  generator %+v\n", g)
	}
	return b.String()
}

// TestReportPrometheusErrors: a Prometheus that is not there, one that
// refuses the queries, and a window without ecbench's series each give an
// error that says what went wrong.
func TestReportPrometheusErrors(t *testing.T) {
	t.Parallel()
	data := promtest.CreateBlocks(t, promTestData())
	// A real query error: no query may load more than 10 samples.
	strict := promtest.Start(t, promtest.Options{DataDir: data, Args: []string{"--query.max-samples=10"}})
	closed := fmt.Sprintf("http://127.0.0.1:%d", servertest.FreePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tt := range []struct {
		name string
		url  string
		q    PromQuery
		want string
	}{
		{"unreachable", closed, testPromQuery(closed), "prometheus " + closed + ": query count_over_time(ecbench_build_info[1s]): Post"},
		{"query refused", strict.URL, testPromQuery(strict.URL), "query processing would load too many samples into memory"},
		{"no data", strict.URL, PromQuery{From: promStart.Add(-48 * time.Hour), To: promStart.Add(-47 * time.Hour), Source: "http://prometheus.test"},
			"prometheus http://prometheus.test: no ecbench series from 2024-12-31T03:00:00Z to 2024-12-31T04:00:00Z: is it the Prometheus that scrapes ecbench, and the right time range?"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := QueryPrometheus(ctx, promAPI(t, tt.url), tt.q)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
			if tt.name == "no data" && !errors.Is(err, ErrNoData) {
				t.Errorf("error %v is not ErrNoData", err)
			}
		})
	}
}

// TestReportBucketHistogram: the percentiles of a histogram made from
// classic buckets are histogram_quantile's linear interpolation.
func TestReportBucketHistogram(t *testing.T) {
	t.Parallel()
	// 100 values ≤ 1ms, 300 in (1ms, 2ms], 100 in (2ms, 4ms], 0 above.
	h, err := bucketHistogram([]bucket{{0.002, 400}, {0.001, 100}, {0.004, 500}, {math.Inf(1), 500}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ q, want float64 }{
		{0.1, 0.00075}, // rank 50 of the first 100 in (0.5ms, 1ms]: the first bucket starts at 1ms × 1ms/2ms
		{0.5, 0.0015},  // rank 250: 150 of 300 in (1ms, 2ms]
		{0.9, 0.003},   // rank 450: 50 of 100 in (2ms, 4ms]
		{1, 0.004},     // the top of the highest bucket with values
		{0.999, 0.004}, // within a point of it
	} {
		if got := h.Quantile(tt.q); math.Abs(got-tt.want) > tt.want*0.01 {
			t.Errorf("quantile %v = %v, want %v", tt.q, got, tt.want)
		}
	}
	// Values above the highest bound count at it, as histogram_quantile says.
	h, err = bucketHistogram([]bucket{{0.001, 10}, {math.Inf(1), 20}})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Quantile(0.99); math.Abs(got-0.001) > 0.001*0.001 || h.Count() != 20 {
		t.Errorf("p99 %v of %d, want 0.001 of 20", got, h.Count())
	}
	if h, _ := bucketHistogram([]bucket{{0.001, 0}, {math.Inf(1), 0}}); h.Count() != 0 {
		t.Errorf("empty buckets: %d values", h.Count())
	}
}
