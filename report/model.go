package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecbench/ecbench/results"
)

// Model is everything the page shows, as plain data: what HTML and
// WriteCharts draw, and what the golden tests pin down.
type Model struct {
	Title     string
	Table     Table
	Workloads []Workload
	Meta      Meta
}

// Table is the side-by-side summary, computed by the caller (the same rows
// as `ecbench compare`).
type Table struct {
	Baseline, Candidate string // column titles, e.g. "redis (redis 7.2.4)"
	Ratio               string // the ratio's column title, e.g. "valkey/redis"
	Rows                []Row
	Warnings            []string // why some rows are not trustworthy
	Note                string   // how to read the table
}

// Row is one quantity of one op, formatted for display.
type Row struct {
	Workload, Op, Quantity string
	Baseline, Candidate    string // formatted values
	Ratio, CI, Verdict     string // empty when there is none
	Trusted                bool   // false: the load generator was the bottleneck
}

// Workload holds the charts of one workload.
type Workload struct {
	Name       string
	Throughput Chart // (ok+miss)/s per target, all ops summed
	Errors     Chart // errors/s and dropped/s per target, all ops summed
	Ops        []Op
}

// Op holds the charts of one op of a workload.
type Op struct {
	Name     string
	Latency  Chart // p50, p99, p99.9 per second, per target
	Spectrum Chart // latency by percentile over the whole run, per target
}

// Chart is one chart: lines of points, with what the axes mean.
type Chart struct {
	ID     string // unique in the model, usable as a file name: "throughput-kv"
	Title  string
	XLabel string
	YLabel string
	LogY   bool   // latency: a logarithmic y axis
	Nines  bool   // x is in "nines" (see Nines); label the ticks as percentiles
	Lines  []Line // none: no data
}

// Line is one line of a chart.
type Line struct {
	Label  string // names the target and engine, and the quantity if several
	Color  int    // index of the target: one color per target across charts
	Dash   int    // index of the quantity: solid, dashed, dotted
	Points []Point
}

// Point is a point of a line.
type Point struct{ X, Y float64 }

// Meta is the run's metadata, for display.
type Meta struct {
	Fields  [][2]string // name, value
	Targets []results.Target
	// Generator is one line per (target, workload) runner.
	Generator []string
	Config    string // indented JSON, secrets redacted; empty if none
}

// spectrumNines is how far the spectrum goes: 99.999%.
const spectrumNines = 5

// Nines maps a percentile p (0 ≤ p < 100) to the x of a spectrum: the number
// of nines, -log10(1 - p/100). 0 → 0, 90 → 1, 99 → 2, 99.9 → 3. The tail,
// where engines differ, gets as much room as the body.
//
//	x:   0     1     2     3      4       5
//	p:   0    90    99   99.9  99.99  99.999
func Nines(p float64) float64 { return -math.Log10(1 - p/100) }

// Build computes the page's model from a run and its summary table.
func Build(run *results.Run, table Table) Model {
	m := Model{Title: "ecbench report", Table: table, Meta: buildMeta(run)}
	if !run.Meta.Start.IsZero() {
		m.Title += " — " + run.Meta.Start.UTC().Format(time.RFC3339)
	}
	colors := map[string]int{}
	for i, t := range run.Targets {
		colors[t.Name] = i
	}
	color := func(target string) int {
		if c, ok := colors[target]; ok {
			return c
		}
		colors[target] = len(colors)
		return colors[target]
	}
	engine := map[string]string{}
	for _, s := range run.Series {
		engine[s.Target] = s.Engine
	}
	name := func(target string) string { return fmt.Sprintf("%s (%s)", target, engine[target]) }
	xlabel := "time since run start (s)"
	if len(run.Meta.MergedStarts) > 0 {
		xlabel = "time, merged runs one after another (s)"
	}

	for _, wl := range workloads(run) {
		w := Workload{Name: wl}
		slug := slugify(wl)
		w.Throughput = Chart{ID: "throughput-" + slug, Title: "Throughput: " + wl + " (all ops)",
			XLabel: xlabel, YLabel: "answered requests (ok + miss) per second"}
		w.Errors = Chart{ID: "errors-" + slug, Title: "Errors and dropped requests: " + wl + " (all ops)",
			XLabel: xlabel, YLabel: "requests per second"}
		for _, target := range targets(run, wl) {
			ok, errs, drop := sumIntervals(run, target, wl)
			w.Throughput.Lines = appendLine(w.Throughput.Lines, Line{Label: name(target), Color: color(target), Points: ok})
			w.Errors.Lines = appendLine(w.Errors.Lines, Line{Label: name(target) + " errors", Color: color(target), Points: errs})
			w.Errors.Lines = appendLine(w.Errors.Lines, Line{Label: name(target) + " dropped", Color: color(target), Dash: 1, Points: drop})
		}
		for _, op := range ops(run, wl) {
			o := Op{Name: op}
			oslug := slug + "-" + slugify(op)
			o.Latency = Chart{ID: "latency-" + oslug, Title: "Latency over time: " + wl + " / " + op,
				XLabel: xlabel, YLabel: "latency from intended start (ms)", LogY: true}
			o.Spectrum = Chart{ID: "spectrum-" + oslug, Title: "Latency by percentile: " + wl + " / " + op + " (whole run)",
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
					var pts []Point
					for _, iv := range s.Intervals {
						if iv.Max == 0 { // nothing completed: no latency to show
							continue
						}
						pts = append(pts, Point{float64(iv.T), round(q.value(iv) * 1000)})
					}
					o.Latency.Lines = appendLine(o.Latency.Lines, Line{Label: name(s.Target) + " " + q.name, Color: color(s.Target), Dash: d, Points: pts})
				}
				o.Spectrum.Lines = appendLine(o.Spectrum.Lines, Line{Label: name(s.Target), Color: color(s.Target), Points: spectrum(s.Latency)})
			}
			w.Ops = append(w.Ops, o)
		}
		m.Workloads = append(m.Workloads, w)
	}
	return m
}

// Charts returns every chart of the model in page order.
func (m *Model) Charts() []*Chart {
	var cs []*Chart
	for i := range m.Workloads {
		w := &m.Workloads[i]
		cs = append(cs, &w.Throughput, &w.Errors)
		for j := range w.Ops {
			cs = append(cs, &w.Ops[j].Latency, &w.Ops[j].Spectrum)
		}
	}
	return cs
}

// appendLine appends l unless it has no points.
func appendLine(ls []Line, l Line) []Line {
	if len(l.Points) == 0 {
		return ls
	}
	return append(ls, l)
}

// sumIntervals sums a target's series of one workload second by second:
// answered, errors and dropped per second.
func sumIntervals(run *results.Run, target, workload string) (ok, errs, dropped []Point) {
	type sums struct{ ok, errs, dropped float64 }
	byT := map[int64]*sums{}
	for _, s := range run.Series {
		if s.Target != target || s.Workload != workload {
			continue
		}
		secs := s.IntervalSeconds
		if secs <= 0 {
			secs = 1
		}
		for _, iv := range s.Intervals {
			x := byT[iv.T]
			if x == nil {
				x = &sums{}
				byT[iv.T] = x
			}
			x.ok += float64(iv.OK+iv.Miss) / secs
			x.errs += float64(iv.Errors) / secs
			x.dropped += float64(iv.Dropped) / secs
		}
	}
	ts := make([]int64, 0, len(byT))
	for t := range byT {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	for _, t := range ts {
		x := byT[t]
		ok = append(ok, Point{float64(t), round(x.ok)})
		errs = append(errs, Point{float64(t), round(x.errs)})
		dropped = append(dropped, Point{float64(t), round(x.dropped)})
	}
	return ok, errs, dropped
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

func buildMeta(run *results.Run) Meta {
	rm := run.Meta
	m := Meta{Targets: run.Targets}
	add := func(k, v string) {
		if v != "" {
			m.Fields = append(m.Fields, [2]string{k, v})
		}
	}
	add("tool", strings.TrimSpace(rm.Tool+" "+rm.Version))
	add("go", rm.GoVersion)
	add("host", rm.Host)
	add("command", strings.Join(rm.Command, " "))
	if !rm.Start.IsZero() {
		add("start", rm.Start.UTC().Format(time.RFC3339))
	}
	if !rm.End.IsZero() {
		add("end", rm.End.UTC().Format(time.RFC3339))
	}
	add("warm-up", rm.Warmup.String())
	add("measured duration", rm.Duration.String())
	add("workloads", map[bool]string{false: "at once", true: "one after another"}[rm.Sequential])
	if len(rm.MergedStarts) > 0 {
		starts := make([]string, len(rm.MergedStarts))
		for i, s := range rm.MergedStarts {
			starts[i] = s.UTC().Format(time.RFC3339)
		}
		add("merged runs", fmt.Sprintf("%d, started %s", len(starts), strings.Join(starts, ", ")))
	}
	for _, g := range run.Generator {
		m.Generator = append(m.Generator, fmt.Sprintf("%s on %s: max schedule lag %v, dropped %d, in-flight bound %d",
			g.Workload, g.Target, g.MaxScheduleLag, g.Dropped, g.MaxInFlight))
	}
	if rm.Config != nil {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // the page escapes; keep "<" readable
		enc.SetIndent("", "  ")
		if enc.Encode(redact(rm.Config)) == nil {
			m.Config = strings.TrimSuffix(b.String(), "\n")
		}
	}
	return m
}

// secretWords mark configuration keys whose values never reach the page.
// The caller redacts the configuration already; this is a second fence,
// since a report is made to be passed around.
var secretWords = []string{"password", "passwd", "secret", "token", "credential", "auth"}

// redact returns a generic JSON copy of v with the values of secret keys
// replaced.
func redact(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var g any
	if json.Unmarshal(b, &g) != nil {
		return nil
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				lk := strings.ToLower(k)
				if slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(lk, w) }) {
					if e != nil && e != "" {
						x[k] = "[redacted]"
					}
					continue
				}
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	return walk(g)
}
