package comparison

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ecbench/ecbench/results"
)

// Efficiency is one workload's server side: each engine's figures from its
// INFO (results.Efficiency) and its cost at the measured throughput. Every
// figure was measured once per run: the ratios have no interval and no
// verdict.
type Efficiency struct {
	Workload string
	// Engines are the baseline's and the candidate's figures; nil for an
	// engine without server data (a run of schema 3 or older, INFO
	// unread, the engine did not run the workload).
	Engines [2]*results.Efficiency
	// Cost is each engine's cost, nil without a price; CostRatio is
	// candidate/baseline of the cost per billion requests, NaN with
	// CostNote saying why there is none.
	Cost      [2]*Cost
	CostRatio float64
	CostNote  string
	// OpenLoop is set when both engines followed one rate schedule; the
	// open-loop caveat of the cost is then in OpenLoopNote.
	OpenLoop     bool
	OpenLoopNote string
}

// HasServer reports whether either engine has server figures.
func (e Efficiency) HasServer() bool { return e.Engines[0] != nil || e.Engines[1] != nil }

// HasCost reports whether either engine has a price.
func (e Efficiency) HasCost() bool { return e.Cost[0] != nil || e.Cost[1] != nil }

// Runs is how many runs the server figures pool (1: a single run).
func (e Efficiency) Runs() int {
	n := 0
	for _, x := range e.Engines {
		if x != nil {
			n = max(n, x.Runs)
		}
	}
	return n
}

// Notes are why figures are missing, each prefixed with its target, or
// said once when both engines have it; then why there is no cost ratio,
// and what an open-loop cost means.
func (e Efficiency) Notes() []string {
	var out []string
	a, b := e.Engines[0], e.Engines[1]
	for k, x := range e.Engines {
		if x == nil {
			continue
		}
		for _, n := range x.Notes {
			switch both := a != nil && b != nil && slices.Contains(a.Notes, n) && slices.Contains(b.Notes, n); {
			case both && k == 0:
				out = append(out, n)
			case !both:
				out = append(out, x.Target+": "+n)
			}
		}
	}
	if e.CostNote != "" {
		out = append(out, e.CostNote)
	}
	if e.OpenLoopNote != "" {
		out = append(out, e.OpenLoopNote)
	}
	return out
}

// efficiencies are the run's workloads' Efficiency, in the order of their
// decisions; a workload with neither server data nor prices has none.
func (c Table) efficiencies(run *results.Run) []Efficiency {
	byTarget := map[[2]string]*results.Efficiency{}
	effs := run.Efficiencies()
	for i := range effs {
		byTarget[[2]string{effs[i].Target, effs[i].Workload}] = &effs[i]
	}
	var out []Efficiency
	for _, d := range c.Workloads {
		w := d.Workload
		e := Efficiency{Workload: w, CostRatio: math.NaN()}
		for k, t := range []*results.Target{c.Baseline, c.Candidate} {
			if t == nil {
				continue
			}
			e.Engines[k] = byTarget[[2]string{t.Name, w}]
			e.Cost[k] = c.costOf(t, w)
		}
		if c.Candidate != nil && c.ran(c.Baseline, w) && c.ran(c.Candidate, w) {
			unpriced := c.Baseline.Name
			if e.Cost[0] != nil {
				unpriced = c.Candidate.Name
			}
			e.CostRatio, e.CostNote = costRatio(e.Cost[0], e.Cost[1], unpriced)
		}
		e.OpenLoop = c.openLoop(w)
		if e.OpenLoop && e.Cost[0] != nil && e.Cost[1] != nil {
			e.OpenLoopNote = openLoopCostNote(e.Cost[0], e.Cost[1])
		}
		if e.HasServer() || e.HasCost() {
			out = append(out, e)
		}
	}
	return out
}

// costOf is target t's cost on workload w at the throughput of all its
// ops; nil when t has no price or did not run w.
func (c Table) costOf(t *results.Target, w string) *Cost {
	if t.PricePerHour <= 0 {
		return nil
	}
	if !c.ran(t, w) {
		return nil
	}
	k := c.side(t)
	var tput float64
	var answered, due uint64
	for i := range c.Ops {
		op := &c.Ops[i]
		if v := op.Engines[k]; op.Workload == w && v != nil {
			tput += v.Throughput
			answered += v.Requests
			due += v.Requests + v.Errors + v.Dropped
		}
	}
	cost := &Cost{Target: t.Name, PricePerHour: t.PricePerHour, Currency: t.Currency, Throughput: tput}
	if due > 0 {
		cost.Answered = float64(answered) / float64(due)
	}
	cost.PerBillion, cost.PerUnit, _ = CostOf(t.PricePerHour, tput)
	return cost
}

// side is t's index in Op.Engines: 0 for the baseline, 1 the candidate.
func (c Table) side(t *results.Target) int {
	if t == c.Candidate {
		return 1
	}
	return 0
}

// ran reports whether target t has values of an op of workload w.
func (c Table) ran(t *results.Target, w string) bool {
	if t == nil {
		return false
	}
	k := c.side(t)
	for i := range c.Ops {
		if op := &c.Ops[i]; op.Workload == w && op.Engines[k] != nil {
			return true
		}
	}
	return false
}

// openLoop reports whether workload w's ops all followed one rate schedule
// on both engines.
func (c Table) openLoop(w string) bool {
	found := false
	for i := range c.Ops {
		if op := &c.Ops[i]; op.Workload == w {
			if !op.OpenLoop {
				return false
			}
			found = true
		}
	}
	return found
}

// EfficiencyRow is one figure of one workload's server side, formatted:
// each engine's value and candidate/baseline, measured once.
type EfficiencyRow struct {
	Workload, Quantity  string
	Baseline, Candidate string // "-" where there is none
	Ratio               string // "" where there is none
}

// efficiencyQuantity is one row of the server block: its name and how to
// read and write it.
type efficiencyQuantity struct {
	name   string
	value  func(e *results.Efficiency) float64
	format func(x float64) string
}

var efficiencyQuantities = []efficiencyQuantity{
	{"keys added by preload", func(e *results.Efficiency) float64 {
		if !e.HasPreload() {
			return math.NaN()
		}
		return float64(e.KeysAdded)
	}, func(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }},
	{"memory per key (B)", func(e *results.Efficiency) float64 { return e.MemoryPerKey }, fixed(1)},
	{"memory per element (B)", func(e *results.Efficiency) float64 { return e.MemoryPerElement }, fixed(1)},
	{"used memory after preload (MiB)", func(e *results.Efficiency) float64 { return e.UsedMemory / (1 << 20) }, fixed(1)},
	{"RSS after preload (MiB)", func(e *results.Efficiency) float64 { return e.RSS / (1 << 20) }, fixed(1)},
	{"used / RSS after preload", func(e *results.Efficiency) float64 { return e.UsedOverRSS }, fixed(2)},
	{"server CPU per command (µs)", func(e *results.Efficiency) float64 { return e.CPUPerCommand * 1e6 }, fixed(2)},
	{"net in per command (B)", func(e *results.Efficiency) float64 { return e.NetInPerCommand }, fixed(1)},
	{"net out per command (B)", func(e *results.Efficiency) float64 { return e.NetOutPerCommand }, fixed(1)},
	{"keyspace hit ratio", func(e *results.Efficiency) float64 { return e.HitRatio }, percent},
}

func fixed(prec int) func(float64) string {
	return func(x float64) string { return strconv.FormatFloat(x, 'f', prec, 64) }
}

// Rows are the workload's figures as the tables show them: the server's,
// then the cost's; a row that neither engine has is left out.
func (e Efficiency) Rows() []EfficiencyRow {
	var rows []EfficiencyRow
	for _, q := range efficiencyQuantities {
		var v [2]float64
		for k, x := range e.Engines {
			v[k] = math.NaN()
			if x != nil {
				v[k] = q.value(x)
			}
		}
		if math.IsNaN(v[0]) && math.IsNaN(v[1]) {
			continue
		}
		rows = append(rows, EfficiencyRow{Workload: e.Workload, Quantity: q.name,
			Baseline: cellOf(v[0], q.format), Candidate: cellOf(v[1], q.format), Ratio: ratioCell(v[0], v[1])})
	}
	if !e.HasCost() {
		return rows
	}
	// One currency: it goes in the row's name; two: beside each figure.
	one, cur := e.oneCurrency()
	price, perBillion, perUnit := "price per hour", "cost per billion requests", "requests per unit of cost"
	if one && cur != "" {
		price, perBillion, perUnit = "price per hour ("+cur+")", "cost per billion requests ("+cur+")", "requests per "+cur
	}
	cell := func(c *Cost, x float64, f func(float64) string, suffix func(string) string) string {
		if c == nil || math.IsNaN(x) {
			return "-"
		}
		s := f(x)
		if !one && c.Currency != "" {
			s += suffix(c.Currency)
		}
		return s
	}
	a, b := e.Cost[0], e.Cost[1]
	ratio, inverse := "", ""
	if !math.IsNaN(e.CostRatio) {
		ratio, inverse = strconv.FormatFloat(e.CostRatio, 'f', 3, 64), strconv.FormatFloat(1/e.CostRatio, 'f', 3, 64)
	}
	rows = append(rows,
		EfficiencyRow{Workload: e.Workload, Quantity: price,
			Baseline:  cell(a, priceOf(a), plain, func(c string) string { return " " + c }),
			Candidate: cell(b, priceOf(b), plain, func(c string) string { return " " + c })},
		EfficiencyRow{Workload: e.Workload, Quantity: perBillion,
			Baseline:  cell(a, perBillionOf(a), significant, func(c string) string { return " " + c }),
			Candidate: cell(b, perBillionOf(b), significant, func(c string) string { return " " + c }), Ratio: ratio},
		EfficiencyRow{Workload: e.Workload, Quantity: perUnit,
			Baseline:  cell(a, perUnitOf(a), metric, func(c string) string { return "/" + c }),
			Candidate: cell(b, perUnitOf(b), metric, func(c string) string { return "/" + c }), Ratio: inverse},
	)
	return rows
}

// oneCurrency reports whether every priced engine has the same currency,
// and which.
func (e Efficiency) oneCurrency() (bool, string) {
	cur, seen := "", false
	for _, c := range e.Cost {
		if c == nil {
			continue
		}
		if seen && c.Currency != cur {
			return false, ""
		}
		cur, seen = c.Currency, true
	}
	return true, cur
}

func priceOf(c *Cost) float64 {
	if c == nil {
		return math.NaN()
	}
	return c.PricePerHour
}

func perBillionOf(c *Cost) float64 {
	if c == nil {
		return math.NaN()
	}
	return c.PerBillion
}

func perUnitOf(c *Cost) float64 {
	if c == nil {
		return math.NaN()
	}
	return c.PerUnit
}

func cellOf(x float64, f func(float64) string) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return f(x)
}

// ratioCell is b/a with three decimals, "" without both.
func ratioCell(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || a == 0 || math.IsInf(b/a, 0) {
		return ""
	}
	return strconv.FormatFloat(b/a, 'f', 3, 64)
}

// plain writes a price as the user gave it: 0.2195.
func plain(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// significant writes x with three significant digits and no exponent:
// 3.05, 30.5, 305, 3050, 0.00305.
func significant(x float64) string {
	if x == 0 {
		return "0"
	}
	digits := 2 - int(math.Floor(math.Log10(math.Abs(x))))
	return strconv.FormatFloat(x, 'f', max(digits, 0), 64)
}

// metric writes a count with three significant digits and an SI suffix:
// 328M, 1.64G, 950.
func metric(x float64) string {
	for _, u := range []struct {
		scale  float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(x) >= u.scale*0.9995 {
			return significant(x/u.scale) + u.suffix
		}
	}
	return significant(x)
}

// EfficiencyRows are every workload's server and cost rows, in order.
func (c Table) EfficiencyRows() []EfficiencyRow {
	var rows []EfficiencyRow
	for _, e := range c.Efficiency {
		rows = append(rows, e.Rows()...)
	}
	return rows
}

// EfficiencyNotes are the notes of every workload's server block, each
// prefixed with its workloads: a note that several workloads share is
// said once ("kv, hash: no cost ratio: …").
func (c Table) EfficiencyNotes() []string {
	var order []string
	workloads := map[string][]string{}
	for _, e := range c.Efficiency {
		for _, n := range e.Notes() {
			if _, seen := workloads[n]; !seen {
				order = append(order, n)
			}
			workloads[n] = append(workloads[n], e.Workload)
		}
	}
	notes := make([]string, 0, len(order))
	for _, n := range order {
		notes = append(notes, strings.Join(workloads[n], ", ")+": "+n)
	}
	return notes
}

// EfficiencyTitle says how to read the server block: its source, that
// each figure is measured once, and over how many runs.
func (c Table) EfficiencyTitle() string {
	runs := 1
	for _, e := range c.Efficiency {
		runs = max(runs, e.Runs())
	}
	if runs > 1 {
		return "Server side, from INFO: each figure measured once per run, " + strconv.Itoa(runs) + " runs pooled (no interval, no verdict)."
	}
	return "Server side, from INFO: each figure measured once (no interval, no verdict)."
}
