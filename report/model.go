package report

import (
	"math"
	"time"

	"github.com/ecbench/ecbench/results"
)

// Model is everything the page shows, as plain data: what HTML and
// WriteCharts draw, and what the golden tests pin down.
type Model struct {
	Title     string
	Warnings  []string // about the source: Prometheus' warnings, estimates made
	Table     Table
	Workloads []Workload
	// Servers holds one chart per CloudWatch metric of the targets' nodes
	// (Prometheus reports only); none: the section is left out.
	Servers []Chart
	// Phases are the scenario's phases in time order (Prometheus reports
	// only); every time chart shades them (Chart.Spans).
	Phases []Phase
	Meta   Meta
}

// Table is the side-by-side summary, computed by the caller (the same rows
// as `ecbench compare`).
type Table struct {
	Baseline, Candidate string // column titles, e.g. "redis (redis 7.2.4)"
	Ratio               string // the ratio's column title, e.g. "valkey/redis"
	Rows                []Row
	Warnings            []string // why some rows are not trustworthy
	Note                string   // how to read the table
	// Efficiency is the server side and the cost, per workload: each
	// engine's figure from INFO and the ratio, measured once (no interval,
	// no verdict); empty when the run has neither server data nor prices.
	// EfficiencyTitle says how to read it, EfficiencyNotes why figures
	// are missing and what an open-loop cost means.
	Efficiency      []EfficiencyRow
	EfficiencyTitle string
	EfficiencyNotes []string
}

// EfficiencyRow is one server-side or cost figure of a workload, formatted
// for display.
type EfficiencyRow struct {
	Workload, Quantity  string
	Baseline, Candidate string // "-" where there is none
	Ratio               string // "" where there is none
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
	// OmittedOps are the ops whose charts were left out (Options.MaxOps),
	// fewest requests last; the table still has them.
	OmittedOps []string
}

// Op holds the charts of one op of a workload.
type Op struct {
	Name     string
	Latency  Chart // p50, p99, p99.9 per interval, per target
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
	// XMin and XMax fix the x axis when XMax > XMin (a Prometheus report's
	// time charts all span its whole window); otherwise it fits the data.
	XMin, XMax float64
	// Clock, when set, makes x the seconds since Clock, and the ticks UTC
	// times of day.
	Clock time.Time
	// Spans are shaded, labelled stretches of x: the scenario's phases.
	Spans []Span
}

// Line is one line of a chart. A point whose Y is NaN (see Break) breaks
// the line: nothing was measured there, and the line must not pretend
// otherwise by joining its neighbours.
type Line struct {
	Label  string // names the target and engine, and the quantity if several
	Color  int    // index of the target: one color per target across charts
	Dash   int    // index of the quantity: solid, dashed, dotted
	Points []Point
}

// Point is a point of a line.
type Point struct{ X, Y float64 }

// Break returns the point that breaks a line at x: no data there.
func Break(x float64) Point { return Point{x, math.NaN()} }

// IsBreak says whether p breaks its line.
func (p Point) IsBreak() bool { return math.IsNaN(p.Y) }

// Span is a shaded stretch [From, To) of a chart's x axis.
type Span struct {
	From, To float64
	Label    string
	Shade    int // index of the phase's name: one shade per name across charts
}

// Phase is one stretch of time during which a scenario phase was in force.
type Phase struct {
	Name     string
	From, To time.Time
	Shade    int // as Span.Shade
}

// Meta is the run's metadata, for display.
type Meta struct {
	Fields  [][2]string // name, value
	Targets []results.Target
	// Generator is one line per (target, workload) runner.
	Generator []string
	Config    string // indented JSON, secrets redacted; empty if none
}

// Options are the choices of what to draw.
type Options struct {
	// MaxOps keeps the per-op charts of each workload's MaxOps ops with the
	// most requests (ok, miss, error and dropped, all targets) and lists the
	// others in Workload.OmittedOps; 0 keeps every op.
	MaxOps int
	// Merged is how many results directories were merged into the run (0
	// or 1: a single run), said in the summary table's note.
	Merged int
}

// DefaultMaxOps is the --max-ops default: a dozen ops of two charts each
// keep a page readable.
const DefaultMaxOps = 12

// spectrumNines is how far the spectrum goes: 99.999%.
const spectrumNines = 5

// Nines maps a percentile p (0 ≤ p < 100) to the x of a spectrum: the number
// of nines, -log10(1 - p/100). 0 → 0, 90 → 1, 99 → 2, 99.9 → 3. The tail,
// where engines differ, gets as much room as the body.
//
//	x:   0     1     2     3      4       5
//	p:   0    90    99   99.9  99.99  99.999
func Nines(p float64) float64 { return -math.Log10(1 - p/100) }

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
	for i := range m.Servers {
		cs = append(cs, &m.Servers[i])
	}
	return cs
}
