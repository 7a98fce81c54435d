package report

import (
	"math"
	"time"

	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
)

// Model is everything the page shows, as plain data: what HTML and
// WriteCharts draw, and what the golden tests pin down. The page shows it
// in this order: the decision (Table.Decisions, thresholds, warnings), the
// forest plot, the servers' side and cost, each workload's details, the
// servers' CloudWatch charts, the full table, the run's metadata.
type Model struct {
	Title    string
	Subtitle string   // what was compared, how and when: "redis 7.0.15 vs valkey 8.0.1 · 5 workloads · …"
	Warnings []string // about the source: Prometheus' warnings, estimates made
	Table    Table
	// Forest is the one chart of every workload, op and quantity: each
	// ratio with its 95% interval (no rows: nothing was compared).
	Forest    Forest
	Workloads []Workload
	// Servers holds the charts of the CloudWatch metrics of the targets'
	// nodes (Prometheus reports only); none: the section is left out.
	Servers []Chart
	// Phases are the scenario's phases in time order (Prometheus reports
	// only); every time chart shades them (Chart.Spans).
	Phases []Phase
	Meta   Meta
}

// Table is the comparison, computed by the caller (TableOf: the same
// decisions and rows as `ecbench compare`), formatted for display, with
// the numbers the forest plot draws.
type Table struct {
	// Baseline and Candidate title the engines' columns: "redis 7.0.15";
	// BaselineTarget and CandidateTarget are their target names (the
	// colours of the page follow them).
	Baseline, Candidate             string
	BaselineTarget, CandidateTarget string
	Ratio                           string // the ratio's column title, e.g. "valkey/redis"
	// Decisions are the decision lines: one per workload, then the
	// overall one (Workload "").
	Decisions []Decision
	// Thresholds are the thresholds checked, as written with their source
	// ("error_rate<=1% (default)"); ThresholdLines the crossed and
	// undecided ones, as `ecbench compare` prints them.
	Thresholds     []string
	ThresholdLines []string
	Ops            []OpResult // per op, in the run's order: what the forest plot draws
	Rows           []Row
	Warnings       []string // why some rows are not trustworthy
	Note           string   // how to read the table
	// Efficiency is the server side and the cost, per workload: each
	// engine's figure from INFO and the ratio, measured once (no interval,
	// no verdict); empty when the run has neither server data nor prices.
	// EfficiencyTitle says how to read it, EfficiencyNotes why figures
	// are missing and what an open-loop cost means.
	Efficiency      []EfficiencyRow
	EfficiencyTitle string
	EfficiencyNotes []string
}

// Decision is one decision line: a workload's, or (Workload "") the
// whole run's.
type Decision struct {
	Workload string
	Kind     string // as comparison.Kind: "faster", "no difference", "inconclusive", …
	Faster   string // the faster target, for Kind "faster"
	Text     string // "valkey faster: get throughput +8.2% [+5.1, +11.4]"
}

// Line is the decision as `ecbench compare` prints it: "kv: valkey faster".
func (d Decision) Line() string {
	name := d.Workload
	if name == "" {
		name = "overall"
	}
	return name + ": " + d.Text
}

// OpResult is the comparison of one op, as numbers.
type OpResult struct {
	Workload, Op string
	// Failure says which engine failed more than 1% of the op's requests
	// ("redis: 100% of set failed (oom)"), OneEngine that only one ran it;
	// either replaces the op's ratios.
	Failure, OneEngine string
	Trusted            bool // false: the load generator was the bottleneck
	OpenLoop           bool // both followed one rate schedule: no throughput ratio
	Quantities         []Estimate
}

// Estimate is one quantity's ratio candidate/baseline and its 95%
// interval.
type Estimate struct {
	Quantity         threshold.Quantity
	Ratio, Low, High float64 // NaN without one
	HasRatio, HasCI  bool
	Better           string // the target significantly better, or ""
}

// Estimate returns op's estimate of q, and false when it has none.
func (op *OpResult) Estimate(q threshold.Quantity) (Estimate, bool) {
	for _, e := range op.Quantities {
		if e.Quantity == q {
			return e, true
		}
	}
	return Estimate{Quantity: q, Ratio: math.NaN(), Low: math.NaN(), High: math.NaN()}, false
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

// Workload holds the details of one workload.
type Workload struct {
	ID       string // the section's element id: "workload-kv"
	Name     string
	Decision string // the workload's decision, without its name
	// Throughput is (ok+miss)/s per target, all ops summed; or, when the
	// two lines would lie on top of each other, their ratio over time.
	Throughput Chart
	// Errors has the charts of errors/s and dropped/s per target, all ops
	// summed, for the series that are not all zero; NoErrors says in words
	// what is all zero ("no errors, no dropped requests").
	Errors   []Chart
	NoErrors string
	Ops      []Op
	// OmittedOps are the ops whose charts were left out (Options.MaxOps),
	// fewest requests last; the table still has them.
	OmittedOps []string
}

// Op holds the charts of one op of a workload.
type Op struct {
	Name string
	// Latency is the p99 ratio over time with the whole run's interval as
	// its band (both engines at once), or each engine's p99 over time.
	Latency  Chart
	Spectrum Chart // latency by percentile over the whole run, per target
}

// Chart is one chart: lines of points, with what the axes mean.
type Chart struct {
	ID     string // unique in the model, usable as a file name: "throughput-kv"
	Title  string
	XLabel string
	YLabel string
	LogY   bool // latency: a logarithmic y axis
	// Ratio makes y a ratio: a logarithmic axis labelled as ratios, with
	// 1 (no difference) marked.
	Ratio bool
	Nines bool   // x is in "nines" (see Nines); label the ticks as percentiles
	Small bool   // drawn half width, two side by side
	Lines []Line // none: no data
	// Band is a shaded stretch of y across the chart: the whole run's
	// ratio and its 95% interval, under a ratio over time.
	Band *Band
	// Note says, under the chart, what it leaves out or why it shows what
	// it shows ("the two lines coincide: their ratio").
	Note string
	// XMin and XMax fix the x axis when XMax > XMin (a Prometheus report's
	// time charts all span its whole window); otherwise it fits the data.
	XMin, XMax float64
	// Clock, when set, makes x the seconds since Clock, and the ticks UTC
	// times of day.
	Clock time.Time
	// Spans are shaded, labelled stretches of x: the scenario's phases.
	Spans []Span
}

// Band is the whole run's ratio and its 95% interval, drawn across a
// ratio chart.
type Band struct {
	Ratio, Low, High float64
	Label            string // its legend entry: "whole run ×1.037 [0.888, 1.213]"
}

// Line is one line of a chart. A point whose Y is NaN (see Break) breaks
// the line: nothing was measured there, and the line must not pretend
// otherwise by joining its neighbours.
type Line struct {
	Label  string // names the target and its engine ("redis 7.0.15"), and the quantity if several
	Color  int    // index of the target: one color per target across the page; Neutral for neither
	Dash   int    // index of the quantity: solid, dashed, dotted
	Points []Point
}

// Neutral colours a line that belongs to no engine: a ratio of the two.
const Neutral = -1

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
	// Thresholds are checked besides the defaults
	// (comparison.DefaultThresholds), as `ecbench compare --threshold`.
	Thresholds []threshold.Threshold
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

// Charts returns every line chart of the model in page order (the forest
// plot is not one: see Figures).
func (m *Model) Charts() []*Chart {
	var cs []*Chart
	for i := range m.Workloads {
		w := &m.Workloads[i]
		cs = append(cs, &w.Throughput)
		for j := range w.Errors {
			cs = append(cs, &w.Errors[j])
		}
		for j := range w.Ops {
			cs = append(cs, &w.Ops[j].Latency, &w.Ops[j].Spectrum)
		}
	}
	for i := range m.Servers {
		cs = append(cs, &m.Servers[i])
	}
	return cs
}
