package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
)

// Build computes the page's model from a run (a results directory, or
// opts.Merged runs merged), its table the same comparison that `ecbench
// compare` prints (TableOf, which says why it may fail).
func Build(run *results.Run, opts Options) (Model, error) {
	t, err := TableOf(run, opts)
	if err != nil {
		return Model{}, err
	}
	return build(run, t, opts), nil
}

// build is Build with the table given.
func build(run *results.Run, table Table, opts Options) Model {
	v := view{xlabel: "time since run start", spectrum: "whole run", paired: !run.Meta.Sequential}
	if len(run.Meta.MergedStarts) > 0 {
		v.xlabel = "time, merged runs one after another"
	}
	b := newBuilder(run, table)
	m := b.build(table, opts, v)
	m.Title = "ecbench report"
	if !run.Meta.Start.IsZero() {
		m.Title += " — " + run.Meta.Start.UTC().Format(time.RFC3339)
	}
	m.Subtitle = b.subtitle(runShape(run))
	m.Meta = buildMeta(run)
	return m
}

// runShape says how a results directory's run was made, for the subtitle.
func runShape(run *results.Run) string {
	var parts []string
	if d := run.Meta.Duration; d > 0 {
		s := d.String() + " measured per workload"
		if w := run.Meta.Warmup; w > 0 {
			s += " after " + w.String() + " of warm-up"
		}
		parts = append(parts, s)
	}
	if n := len(run.Meta.MergedStarts); n > 1 {
		parts = append(parts, fmt.Sprintf("%d runs merged", n))
	}
	if run.Meta.Sequential {
		parts = append(parts, "engines one after the other (unpaired)")
	} else {
		parts = append(parts, "both engines at once (paired)")
	}
	return strings.Join(parts, " · ")
}

// view is how a source's charts read. A results directory counts seconds
// from the run's start and has HDR histograms; a Prometheus report shows
// clock times over its fixed window, shades the scenario's phases, and has
// only classic buckets.
type view struct {
	xlabel     string
	clock      time.Time // set: x is seconds since clock, ticks are times of day
	xmin, xmax float64   // xmax > xmin: every time chart spans this
	spans      []Span
	spectrum   string // what the spectrum covers, for its title: "whole run"
	resolution string // how exact the spectrum is, said under it; "" when exact enough
	// paired: the engines ran at the same time, so that their ratio
	// interval by interval means something.
	paired bool
}

// timeChart returns a time chart with v's axis.
func (v view) timeChart(id, title, ylabel string, logY bool) Chart {
	return Chart{ID: id, Title: title, XLabel: v.xlabel, YLabel: ylabel, LogY: logY,
		XMin: v.xmin, XMax: v.xmax, Clock: v.clock, Spans: v.spans}
}

// builder assigns each target its colour, the baseline's first and the
// candidate's second, then the rest in the order of run.Targets, so that
// an engine has one colour across the page.
type builder struct {
	run      *results.Run
	table    Table
	colors   map[string]int
	engine   map[string]engine.Engine
	versions map[string]string
}

func newBuilder(run *results.Run, table Table) *builder {
	b := &builder{run: run, table: table, colors: map[string]int{}, engine: map[string]engine.Engine{}, versions: map[string]string{}}
	for _, t := range []string{table.BaselineTarget, table.CandidateTarget} {
		if t != "" {
			b.color(t)
		}
	}
	for _, t := range run.Targets {
		b.color(t.Name)
		b.engine[t.Name] = t.Engine
		b.versions[t.Name] = t.Version
	}
	for _, s := range run.Series {
		if _, ok := b.engine[s.Target]; !ok {
			b.engine[s.Target] = s.Engine
		}
	}
	return b
}

func (b *builder) color(target string) int {
	if c, ok := b.colors[target]; ok {
		return c
	}
	b.colors[target] = len(b.colors)
	return b.colors[target]
}

// name labels a target's lines: "redis 7.0.15" (see targetLabel).
func (b *builder) name(target string) string {
	return targetLabel(target, string(b.engine[target]), b.versions[target])
}

// subtitle says what was compared, and how (shape).
func (b *builder) subtitle(shape string) string {
	var parts []string
	if t := b.table; t.BaselineTarget != "" && t.CandidateTarget != "" {
		parts = append(parts, t.Baseline+" vs "+t.Candidate)
	}
	wls := workloads(b.run)
	nops := 0
	for _, w := range wls {
		nops += len(ops(b.run, w))
	}
	if len(wls) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s, %d %s", len(wls), plural(len(wls), "workload", "workloads"), nops, plural(nops, "op", "ops")))
	}
	if shape != "" {
		parts = append(parts, shape)
	}
	return strings.Join(parts, " · ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (b *builder) build(table Table, opts Options, v view) Model {
	run := b.run
	m := Model{Table: table, Forest: b.forest(table)}
	decisions := map[string]string{}
	for _, d := range table.Decisions {
		decisions[d.Workload] = d.Text
	}
	for _, wl := range workloads(run) {
		slug := slugify(wl)
		w := Workload{ID: "workload-" + slug, Name: wl, Decision: decisions[wl]}
		w.Throughput = b.throughput(wl, slug, v)
		w.Errors, w.NoErrors = b.errors(wl, slug, v)
		kept, omitted := busiest(run, wl, opts.MaxOps)
		w.OmittedOps = omitted
		for _, op := range kept {
			oslug := slug + "-" + slugify(op)
			o := Op{Name: op, Latency: b.latency(wl, op, oslug, v)}
			o.Spectrum = Chart{ID: "spectrum-" + oslug, Title: "Latency by percentile: " + wl + " / " + op + " (" + v.spectrum + ")",
				XLabel: "percentile", YLabel: "latency (ms)", LogY: true, Nines: true, Small: true, Note: v.resolution}
			for _, target := range targets(run, wl) {
				if s := findSeries(run, target, wl, op); s != nil {
					o.Spectrum.Lines = appendLine(o.Spectrum.Lines, Line{Label: b.name(target), Color: b.color(target), Points: spectrum(s.Latency)})
				}
			}
			w.Ops = append(w.Ops, o)
		}
		m.Workloads = append(m.Workloads, w)
	}
	return m
}

// pair returns the baseline's and the candidate's targets of workload
// when both ran it at the same time: then their ratio interval by interval
// is what the run compared.
func (b *builder) pair(workload string, v view) (base, cand string, ok bool) {
	base, cand = b.table.BaselineTarget, b.table.CandidateTarget
	if !v.paired || base == "" || cand == "" {
		return "", "", false
	}
	ts := targets(b.run, workload)
	return base, cand, slices.Contains(ts, base) && slices.Contains(ts, cand)
}

// coincide is how close, as a share of the chart's height, two lines'
// means may be before they read as one line: then their ratio is drawn.
const coincide = 0.05

// throughput is the workload's throughput chart: one line per target; or,
// when the baseline's and the candidate's would lie on top of each other,
// their ratio over time with the whole run's interval as its band.
func (b *builder) throughput(wl, slug string, v view) Chart {
	title := "Throughput: " + wl + " (all ops)"
	c := v.timeChart("throughput-"+slug, title, "answered requests (ok + miss) per second", false)
	rows := map[string][]rowSum{}
	means := map[string]float64{}
	top := 0.0
	for _, target := range targets(b.run, wl) {
		rs, step := sumIntervals(b.run, target, wl)
		rows[target] = rs
		var sum float64
		for _, r := range rs {
			sum += r.ok
		}
		if len(rs) > 0 {
			means[target] = sum / float64(len(rs))
		}
		binned, width := binRows(rs, step)
		for _, r := range binned {
			top = max(top, r.ok)
		}
		c.YLabel = "answered requests/s" + meanOver(width, step)
		c.Lines = appendLine(c.Lines, Line{Label: b.name(target), Color: b.color(target), Points: linePoints(binned, func(r rowSum) float64 { return r.ok })})
	}
	base, cand, ok := b.pair(wl, v)
	if !ok || top == 0 || math.Abs(means[cand]-means[base]) > coincide*top {
		return c
	}
	_, step := sumIntervals(b.run, base, wl)
	ratio, bin := throughputRatio(rows[base], rows[cand], step)
	if len(ratio) == 0 {
		return c
	}
	r := v.timeChart("throughput-"+slug, title+": "+b.table.Ratio, "throughput "+b.table.Ratio, false)
	r.Ratio = true
	r.Lines = []Line{{Label: b.table.Ratio + " per " + secondsText(bin), Color: Neutral, Points: ratio}}
	r.Band = bandOf(throughputBand(rows[base], rows[cand], step))
	r.Note = fmt.Sprintf("The two engines' lines would coincide (%s %s, %s %s answered requests per second on average): their ratio instead.",
		b.name(base), rateText(means[base]), b.name(cand), rateText(means[cand]))
	return r
}

// errors are the workload's error and drop charts, one per quantity with
// a non-zero value, each line a target's that is not all zero; and in
// words what is all zero.
func (b *builder) errors(wl, slug string, v view) ([]Chart, string) {
	var charts []Chart
	var none []string
	for _, q := range []struct {
		id, title, ylabel, zero string
		value                   func(rowSum) float64
	}{
		{"errors-", "Errors: ", "errors/s", "no errors", func(r rowSum) float64 { return r.errs }},
		{"dropped-", "Dropped requests: ", "dropped requests/s", "no dropped requests", func(r rowSum) float64 { return r.dropped }},
	} {
		c := v.timeChart(q.id+slug, q.title+wl+" (all ops)", q.ylabel, false)
		var quiet []string
		for _, target := range targets(b.run, wl) {
			rs, step := sumIntervals(b.run, target, wl)
			if !slices.ContainsFunc(rs, func(r rowSum) bool { return q.value(r) > 0 }) {
				quiet = append(quiet, b.name(target))
				continue
			}
			binned, width := binRows(rs, step)
			c.YLabel = q.ylabel + meanOver(width, step)
			c.Lines = appendLine(c.Lines, Line{Label: b.name(target), Color: b.color(target), Points: linePoints(binned, q.value)})
		}
		if len(c.Lines) == 0 {
			none = append(none, q.zero)
			continue
		}
		if len(quiet) > 0 {
			c.Note = strings.Join(quiet, ", ") + ": " + q.zero + "."
		}
		charts = append(charts, c)
	}
	switch len(none) {
	case 0:
		return charts, ""
	case 2:
		return charts, "No errors and no dropped requests on either engine."
	}
	return charts, upperFirst(none[0]) + " on either engine."
}

// latency is an op's latency over time: the p99 ratio with the whole
// run's interval as its band when the engines ran at once, else each
// engine's p99.
func (b *builder) latency(wl, op, oslug string, v view) Chart {
	title := "p99 over time: " + wl + " / " + op
	if base, cand, ok := b.pair(wl, v); ok {
		sa, sb := findSeries(b.run, base, wl, op), findSeries(b.run, cand, wl, op)
		if sa != nil && sb != nil {
			if pts, bin := p99Ratio(sa, sb); len(pts) > 0 {
				c := v.timeChart("latency-"+oslug, title+": "+b.table.Ratio, "p99 "+b.table.Ratio, false)
				c.Ratio, c.Small = true, true
				c.Lines = []Line{{Label: b.table.Ratio + " per " + secondsText(bin), Color: Neutral, Points: pts}}
				if i := slices.IndexFunc(b.table.Ops, func(r OpResult) bool { return r.Workload == wl && r.Op == op }); i >= 0 {
					if e, ok := b.table.Ops[i].Estimate(threshold.P99); ok && e.HasCI {
						c.Band = bandOf(e.Ratio, e.Low, e.High)
					}
				}
				return c
			}
		}
	}
	c := v.timeChart("latency-"+oslug, title, "p99 (ms)", true)
	c.Small = true
	for _, target := range targets(b.run, wl) {
		s := findSeries(b.run, target, wl, op)
		if s == nil {
			continue
		}
		l := newLineOf(s.IntervalSeconds)
		for _, iv := range s.Intervals {
			// x is the row's start in seconds: T counts rows of
			// IntervalSeconds (0.1 s and up).
			if iv.Max == 0 { // nothing completed: no latency to show
				l.gap(s.IntervalStart(iv.T))
				continue
			}
			l.add(s.IntervalStart(iv.T), round(iv.P99*1000))
		}
		c.Lines = appendLine(c.Lines, Line{Label: b.name(target), Color: b.color(target), Points: l.points()})
	}
	return c
}

// bandOf is the band of a whole-run ratio and its interval; nil without
// an interval.
func bandOf(ratio, low, high float64) *Band {
	if !(low > 0) || !(high >= low) || math.IsNaN(ratio) {
		return nil
	}
	return &Band{Ratio: round(ratio), Low: round(low), High: round(high),
		Label: fmt.Sprintf("whole run %.3f, 95%% CI [%.3f, %.3f]", ratio, low, high)}
}

// secondsText writes a bin's length: "0.4 s", "2 s", "1 min".
func secondsText(s float64) string {
	if s >= 60 && math.Mod(s, 60) == 0 {
		return fmt.Sprintf("%g min", s/60)
	}
	return fmt.Sprintf("%g s", round(s))
}

// rateText writes a mean throughput as the table does: whole ops/s.
func rateText(x float64) string { return fmt.Sprintf("%.0f", x) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
