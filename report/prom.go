package report

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ecbench/ecbench/results"
)

// MaxPoints is the most points per series a Prometheus range query may
// return (Prometheus refuses more: "exceeded maximum resolution of 11,000
// points per timeseries").
const MaxPoints = 11000

// targetPoints is how many points per line DefaultStep aims at: enough for
// a chart 9 inches wide, few enough for a quick query and a light page.
const targetPoints = 1000

// DefaultStep is the step when none is given: the window divided into at
// most about 1000 points, rounded up to a whole second, and never shorter
// than the scrape interval (finer points would only repeat samples).
func DefaultStep(window, scrape time.Duration) time.Duration {
	return max(time.Second, ceilSecond(window/targetPoints), ceilSecond(scrape))
}

// RateWindow is the range of every rate() of the report: four scrape
// intervals at least, so that a missed scrape leaves enough samples and no
// line breaks for it, and at least the step, so that every sample counts in
// some point (with the step above four scrape intervals, the windows tile
// the time range without overlapping: each point's value is its own).
func RateWindow(step, scrape time.Duration) time.Duration {
	return max(step, 4*ceilSecond(scrape))
}

func ceilSecond(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}

// PromQuery says what to read from Prometheus.
type PromQuery struct {
	From, To time.Time     // the window; truncated to whole seconds
	Step     time.Duration // a whole number of seconds; 0: DefaultStep
	Source   string        // names the server on the page: its URL without credentials
}

// Prometheus is what a Prometheus server holds about ecbench in a window,
// ready for the report.
//
// Why a *results.Run: the page's workload charts and the summary table
// (package comparison's verdicts, shared with `ecbench compare`) are built from a
// Run, so the Prometheus data is converted into one rather than given a
// second path through the same charts and statistics. Each step becomes
// an Interval of Step seconds (counts = rate × step, latency percentiles from
// histogram_quantile per step), so the verdict compares the engines step by
// step exactly as it compares a bench run second by second; and each op's
// whole-window histogram is made from the increase of its classic buckets
// (see bucketHistogram). What a Run cannot carry (clock times, phases,
// CloudWatch, where the data came from) is kept beside it.
type Prometheus struct {
	Run *results.Run

	Query          PromQuery     // as run: the step resolved
	ScrapeInterval time.Duration // estimated from the spacing of ecbench_build_info samples
	RateWindow     time.Duration
	Versions       []string // ecbench_build_info: "v1.2.3 (go1.26.0)"
	Generators     []string // the instances that exported ecbench_build_info
	// Identities lists every (target, engine, version, mode, role) seen:
	// an in-place upgrade shows a target twice.
	Identities []results.Target
	Phases     []Phase
	Warnings   []string // Prometheus' own, and the report's estimates

	cloudwatch model.Matrix
}

// QueryPrometheus reads the window of q from a Prometheus server. It works
// on ecbench's raw series (summed over instance, so that several generators
// add up), with or without the recording rules. It fails with ErrNoData when
// no ecbench was scraped in the window, and with the query and Prometheus'
// error when a query fails; every error starts "prometheus SOURCE: ".
func QueryPrometheus(ctx context.Context, api v1.API, q PromQuery) (*Prometheus, error) {
	p, err := queryPrometheus(ctx, api, q)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", q.Source, err)
	}
	return p, nil
}

// ReadPrometheus is QueryPrometheus against the server at address (its URL,
// credentials included), with a client of its own whose connections are
// closed when it returns.
func ReadPrometheus(ctx context.Context, address string, q PromQuery) (*Prometheus, error) {
	transport := &http.Transport{}
	if t, ok := api.DefaultRoundTripper.(*http.Transport); ok {
		transport = t.Clone()
	}
	defer transport.CloseIdleConnections()
	client, err := api.NewClient(api.Config{Address: address, RoundTripper: transport})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", q.Source, err)
	}
	return QueryPrometheus(ctx, v1.NewAPI(client), q)
}

func queryPrometheus(ctx context.Context, api v1.API, q PromQuery) (*Prometheus, error) {
	q.From, q.To = q.From.Truncate(time.Second), q.To.Truncate(time.Second)
	if !q.To.After(q.From) {
		return nil, fmt.Errorf("the window %s to %s is empty", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	p := &Prometheus{Query: q}
	qr := &querier{api: api, p: p, from: q.From, to: q.To}
	if err := p.findScrapeInterval(ctx, qr); err != nil {
		return nil, err
	}
	if p.Query.Step == 0 {
		p.Query.Step = DefaultStep(q.To.Sub(q.From), p.ScrapeInterval)
	}
	if p.Query.Step%time.Second != 0 || p.Query.Step <= 0 {
		return nil, fmt.Errorf("step %v: must be a whole number of seconds", p.Query.Step)
	}
	if n := q.To.Sub(q.From) / p.Query.Step; n >= MaxPoints {
		return nil, fmt.Errorf("step %v gives %d points over the window, Prometheus allows %d", p.Query.Step, n+1, MaxPoints)
	}
	qr.step = p.Query.Step
	p.RateWindow = RateWindow(p.Query.Step, p.ScrapeInterval)
	if p.Query.Step < p.ScrapeInterval {
		p.warn(fmt.Sprintf("the step %v is shorter than the scrape interval %v: neighbouring points repeat the same samples", p.Query.Step, p.ScrapeInterval))
	}
	c := &converter{p: p, qr: qr, series: map[seriesKey]*results.Series{}}
	if err := c.run(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Prometheus) warn(w string) {
	if !slices.Contains(p.Warnings, w) {
		p.Warnings = append(p.Warnings, w)
	}
}

// findScrapeInterval finds where in the window ecbench was scraped and how
// often: the median spacing of ecbench_build_info's samples (every ecbench
// exports it on every scrape) over the ten minutes up to the last step
// where they are densest. The targets API would give the configured interval, but
// only the current configuration's, and only while the targets exist; the
// samples say how the window itself was scraped.
func (p *Prometheus) findScrapeInterval(ctx context.Context, qr *querier) error {
	coarse := DefaultStep(qr.to.Sub(qr.from), 0)
	qr.step = coarse
	m, err := qr.rangeQuery(ctx, fmt.Sprintf("count_over_time(ecbench_build_info[%s])", promDuration(coarse)))
	if err != nil {
		return err
	}
	if len(m) == 0 {
		return fmt.Errorf("%w from %s to %s: is it the Prometheus that scrapes ecbench, and the right time range?",
			ErrNoData, qr.from.UTC().Format(time.RFC3339), qr.to.UTC().Format(time.RFC3339))
	}
	var densest model.SamplePair
	for _, s := range m {
		v := string(s.Metric["version"])
		if g := s.Metric["goversion"]; g != "" {
			v += " (" + string(g) + ")"
		}
		if !slices.Contains(p.Versions, v) {
			p.Versions = append(p.Versions, v)
		}
		if inst := string(s.Metric["instance"]); !slices.Contains(p.Generators, inst) {
			p.Generators = append(p.Generators, inst)
		}
		for _, sp := range s.Values {
			if sp.Value >= densest.Value { // the latest of the densest: ten full minutes before it
				densest = sp
			}
		}
	}
	slices.Sort(p.Versions)
	slices.Sort(p.Generators)
	raw, err := qr.instant(ctx, "ecbench_build_info[10m]", densest.Timestamp.Time())
	if err != nil {
		return err
	}
	var gaps []time.Duration
	for _, s := range raw.(model.Matrix) {
		for i := 1; i < len(s.Values); i++ {
			gaps = append(gaps, s.Values[i].Timestamp.Sub(s.Values[i-1].Timestamp))
		}
	}
	if len(gaps) == 0 {
		p.ScrapeInterval = time.Minute
		p.warn("fewer than two ecbench_build_info samples in ten minutes: the scrape interval is taken to be 1m")
		return nil
	}
	slices.Sort(gaps)
	p.ScrapeInterval = gaps[len(gaps)/2].Round(100 * time.Millisecond)
	return nil
}

// querier runs the report's queries over one window and collects
// Prometheus' warnings.
type querier struct {
	api      v1.API
	p        *Prometheus
	from, to time.Time
	step     time.Duration
}

func (qr *querier) rangeQuery(ctx context.Context, expr string) (model.Matrix, error) {
	v, warnings, _, err := qr.api.QueryRange(ctx, expr, v1.Range{Start: qr.from, End: qr.to, Step: qr.step})
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	qr.warnings(warnings)
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("query %s: a %s, not a matrix", expr, v.Type())
	}
	return m, nil
}

// instant evaluates expr at t (a range vector, or a vector at the end of
// the window).
func (qr *querier) instant(ctx context.Context, expr string, t time.Time) (model.Value, error) {
	v, warnings, _, err := qr.api.Query(ctx, expr, t)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	qr.warnings(warnings)
	switch v.(type) {
	case model.Vector, model.Matrix:
		return v, nil
	}
	return nil, fmt.Errorf("query %s: a %s, not a vector", expr, v.Type())
}

// overWindow evaluates expr, which uses the range [window], at the end of
// the window.
func (qr *querier) overWindow(ctx context.Context, expr string) (model.Vector, error) {
	v, err := qr.instant(ctx, expr, qr.to)
	if err != nil {
		return nil, err
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s: a matrix, not a vector", expr)
	}
	return vec, nil
}

func (qr *querier) warnings(ws v1.Warnings) {
	for _, w := range ws {
		qr.p.warn("Prometheus: " + w)
	}
}

// x is a sample's position on a chart: seconds since the window's start.
func (qr *querier) x(ts model.Time) int64 { return secondsSince(qr.from, ts) }

func secondsSince(from time.Time, ts model.Time) int64 {
	return int64(math.Round(ts.Sub(model.TimeFromUnixNano(from.UnixNano())).Seconds()))
}

// promDuration writes d for PromQL: whole seconds.
func promDuration(d time.Duration) string {
	return strconv.FormatInt(int64(ceilSecond(d)/time.Second), 10) + "s"
}

// phases turns `ecbench_phase_info == 1` per step into time spans. A phase
// in force at the points k0..kn (consecutive steps) began within the step
// before k0 and ended within the step after kn: its span runs from half a
// step before the first to half a step after the last, within the window.
func (qr *querier) phases(m model.Matrix) []Phase {
	var out []Phase
	half := qr.step / 2
	for _, s := range m {
		name := string(s.Metric["phase"])
		var cur *Phase
		var last model.Time
		for _, sp := range s.Values {
			t := sp.Timestamp.Time()
			if cur != nil && sp.Timestamp.Sub(last) <= qr.step*3/2 {
				cur.To = t.Add(half)
			} else {
				out = append(out, Phase{Name: name, From: t.Add(-half), To: t.Add(half)})
				cur = &out[len(out)-1]
			}
			last = sp.Timestamp
		}
	}
	for i := range out {
		out[i].From = maxTime(out[i].From, qr.from).UTC()
		out[i].To = minTime(out[i].To, qr.to).UTC()
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].From.Equal(out[j].From) {
			return out[i].From.Before(out[j].From)
		}
		return out[i].Name < out[j].Name
	})
	shade := map[string]int{}
	for i := range out {
		if _, ok := shade[out[i].Name]; !ok {
			shade[out[i].Name] = len(shade)
		}
		out[i].Shade = shade[out[i].Name]
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
