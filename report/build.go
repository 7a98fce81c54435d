package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/results"
)

// Build computes the page's model from a run (a results directory, or
// opts.Merged runs merged), its summary table the same comparison that
// `ecbench compare` prints.
func Build(run *results.Run, opts Options) Model {
	return build(run, TableOf(run, opts.Merged), opts)
}

// build is Build with the summary table given.
func build(run *results.Run, table Table, opts Options) Model {
	v := view{xlabel: "time since run start (s)", spectrum: "whole run"}
	if len(run.Meta.MergedStarts) > 0 {
		v.xlabel = "time, merged runs one after another (s)"
	}
	b := newBuilder(run)
	m := b.build(table, opts, v)
	m.Title = "ecbench report"
	if !run.Meta.Start.IsZero() {
		m.Title += " — " + run.Meta.Start.UTC().Format(time.RFC3339)
	}
	m.Meta = buildMeta(run)
	return m
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
}

// timeChart returns a time chart with v's axis.
func (v view) timeChart(id, title, ylabel string, logY bool) Chart {
	return Chart{ID: id, Title: title, XLabel: v.xlabel, YLabel: ylabel, LogY: logY,
		XMin: v.xmin, XMax: v.xmax, Clock: v.clock, Spans: v.spans}
}

// builder assigns each target its color, in the order of run.Targets.
type builder struct {
	run    *results.Run
	colors map[string]int
	engine map[string]engine.Engine
}

func newBuilder(run *results.Run) *builder {
	b := &builder{run: run, colors: map[string]int{}, engine: map[string]engine.Engine{}}
	for i, t := range run.Targets {
		b.colors[t.Name] = i
		b.engine[t.Name] = t.Engine
	}
	for _, s := range run.Series {
		b.engine[s.Target] = s.Engine
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

// name labels a target's lines: "redis (redis)".
func (b *builder) name(target string) string {
	return fmt.Sprintf("%s (%s)", target, b.engine[target])
}

func (b *builder) build(table Table, opts Options, v view) Model {
	run := b.run
	m := Model{Table: table}
	for _, wl := range workloads(run) {
		w := Workload{Name: wl}
		slug := slugify(wl)
		w.Throughput = v.timeChart("throughput-"+slug, "Throughput: "+wl+" (all ops)", "answered requests (ok + miss) per second", false)
		w.Errors = v.timeChart("errors-"+slug, "Errors and dropped requests: "+wl+" (all ops)", "requests per second", false)
		for _, target := range targets(run, wl) {
			ok, errs, drop := sumIntervals(run, target, wl)
			w.Throughput.Lines = appendLine(w.Throughput.Lines, Line{Label: b.name(target), Color: b.color(target), Points: ok})
			w.Errors.Lines = appendLine(w.Errors.Lines, Line{Label: b.name(target) + " errors", Color: b.color(target), Points: errs})
			w.Errors.Lines = appendLine(w.Errors.Lines, Line{Label: b.name(target) + " dropped", Color: b.color(target), Dash: 1, Points: drop})
		}
		kept, omitted := busiest(run, wl, opts.MaxOps)
		w.OmittedOps = omitted
		for _, op := range kept {
			o := Op{Name: op}
			oslug := slug + "-" + slugify(op)
			o.Latency = v.timeChart("latency-"+oslug, "Latency over time: "+wl+" / "+op, "latency from intended start (ms)", true)
			o.Spectrum = Chart{ID: "spectrum-" + oslug, Title: "Latency by percentile: " + wl + " / " + op + " (" + v.spectrum + ")",
				XLabel: "percentile", YLabel: "latency from intended start (ms)", LogY: true, Nines: true}
			for i := range run.Series {
				s := &run.Series[i]
				if s.Workload != wl || s.Op != op {
					continue
				}
				for d, q := range []struct {
					name  string
					value func(results.Interval) float64
				}{
					{"p50", func(iv results.Interval) float64 { return iv.P50 }},
					{"p99", func(iv results.Interval) float64 { return iv.P99 }},
					{"p99.9", func(iv results.Interval) float64 { return iv.P999 }},
				} {
					l := newLineOf(s.IntervalSeconds)
					for _, iv := range s.Intervals {
						// x is the row's start in seconds: T counts rows
						// of IntervalSeconds (0.1 s and up).
						if iv.Max == 0 { // nothing completed: no latency to show
							l.gap(s.IntervalStart(iv.T))
							continue
						}
						l.add(s.IntervalStart(iv.T), round(q.value(iv)*1000))
					}
					o.Latency.Lines = appendLine(o.Latency.Lines, Line{Label: b.name(s.Target) + " " + q.name, Color: b.color(s.Target), Dash: d, Points: l.points()})
				}
				o.Spectrum.Lines = appendLine(o.Spectrum.Lines, Line{Label: b.name(s.Target), Color: b.color(s.Target), Points: spectrum(s.Latency)})
			}
			w.Ops = append(w.Ops, o)
		}
		m.Workloads = append(m.Workloads, w)
	}
	return m
}

// appendLine appends l unless it has no points.
func appendLine(ls []Line, l Line) []Line {
	if len(l.Points) == 0 {
		return ls
	}
	return append(ls, l)
}

// lineOf collects a line's points at a regular interval, breaking it where
// an interval is missing or marked as a gap.
type lineOf struct {
	step float64
	pts  []Point
}

func newLineOf(intervalSeconds float64) *lineOf {
	if intervalSeconds <= 0 {
		intervalSeconds = 1
	}
	return &lineOf{step: intervalSeconds}
}

// add appends (x, y), after a break if x is more than one interval after
// the last point.
func (l *lineOf) add(x, y float64) {
	if n := len(l.pts); n > 0 && !l.pts[n-1].IsBreak() && x-l.pts[n-1].X > l.step*1.5 {
		l.pts = append(l.pts, Break(l.pts[n-1].X+l.step))
	}
	l.pts = append(l.pts, Point{x, y})
}

// gap breaks the line at x: no value there.
func (l *lineOf) gap(x float64) {
	if n := len(l.pts); n > 0 && !l.pts[n-1].IsBreak() {
		l.pts = append(l.pts, Break(x))
	}
}

// points returns the line without a trailing break.
func (l *lineOf) points() []Point {
	for len(l.pts) > 0 && l.pts[len(l.pts)-1].IsBreak() {
		l.pts = l.pts[:len(l.pts)-1]
	}
	return l.pts
}

// sumIntervals sums a target's series of one workload interval by
// interval: answered, errors and dropped per second, at each row's start in
// seconds (rows count in units of IntervalSeconds, which the series of one
// workload share). An interval that no series has breaks the lines.
func sumIntervals(run *results.Run, target, workload string) (ok, errs, dropped []Point) {
	type sums struct{ ok, errs, dropped float64 }
	byStart := map[float64]*sums{}
	step := 0.0
	for _, s := range run.Series {
		if s.Target != target || s.Workload != workload {
			continue
		}
		secs := s.IntervalLength()
		step = secs
		for _, iv := range s.Intervals {
			x := s.IntervalStart(iv.T)
			sum := byStart[x]
			if sum == nil {
				sum = &sums{}
				byStart[x] = sum
			}
			sum.ok += float64(iv.OK+iv.Miss) / secs
			sum.errs += float64(iv.Errors) / secs
			sum.dropped += float64(iv.Dropped) / secs
		}
	}
	xs := make([]float64, 0, len(byStart))
	for x := range byStart {
		xs = append(xs, x)
	}
	slices.Sort(xs)
	lok, lerrs, ldrop := newLineOf(step), newLineOf(step), newLineOf(step)
	for _, x := range xs {
		sum := byStart[x]
		lok.add(x, round(sum.ok))
		lerrs.add(x, round(sum.errs))
		ldrop.add(x, round(sum.dropped))
	}
	return lok.points(), lerrs.points(), ldrop.points()
}

// busiest splits a workload's ops into the limit with the most requests (in
// their order of appearance) and the rest (most requests first). limit 0
// keeps every op.
func busiest(run *results.Run, workload string, limit int) (kept, omitted []string) {
	all := ops(run, workload)
	if limit <= 0 || len(all) <= limit {
		return all, nil
	}
	requests := map[string]uint64{}
	for _, s := range run.Series {
		if s.Workload == workload {
			requests[s.Op] += s.OK + s.Miss + s.Errors + s.Dropped
		}
	}
	byLoad := slices.Clone(all)
	slices.SortStableFunc(byLoad, func(a, b string) int { return cmp.Compare(requests[b], requests[a]) })
	keep := map[string]bool{}
	for _, op := range byLoad[:limit] {
		keep[op] = true
	}
	for _, op := range all {
		if keep[op] {
			kept = append(kept, op)
		}
	}
	return kept, byLoad[limit:]
}

// spectrum samples a latency histogram at evenly spaced nines, up to what
// its sample count resolves (beyond 1 - 1/count every percentile is the
// maximum) and at most 99.999%. Latency in ms.
func spectrum(h results.Histogram) []Point {
	n := h.Count()
	if n == 0 {
		return nil
	}
	top := min(spectrumNines, math.Log10(float64(n)))
	var pts []Point
	const steps = 20 // per nine
	for i := 0; float64(i) <= top*steps+1e-9; i++ {
		x := float64(i) / steps
		q := 1 - math.Pow(10, -x)
		pts = append(pts, Point{round(x), round(h.Quantile(q) * 1000)})
	}
	return pts
}

// round keeps 9 significant digits, so golden files do not depend on the
// last bits of floating point.
func round(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	mag := math.Pow(10, 8-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*mag) / mag
}

func workloads(run *results.Run) []string {
	var out []string
	for _, s := range run.Series {
		if !slices.Contains(out, s.Workload) {
			out = append(out, s.Workload)
		}
	}
	return out
}

func ops(run *results.Run, workload string) []string {
	var out []string
	for _, s := range run.Series {
		if s.Workload == workload && !slices.Contains(out, s.Op) {
			out = append(out, s.Op)
		}
	}
	return out
}

// targets returns the targets of a workload, in the order of run.Targets,
// then any others in series order.
func targets(run *results.Run, workload string) []string {
	var out []string
	for _, s := range run.Series {
		if s.Workload == workload && !slices.Contains(out, s.Target) {
			out = append(out, s.Target)
		}
	}
	rank := func(name string) int {
		for i, t := range run.Targets {
			if t.Name == name {
				return i
			}
		}
		return len(run.Targets)
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(rank(a), rank(b)) })
	return out
}

// slugify makes a name safe for an element id and a file name.
func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
