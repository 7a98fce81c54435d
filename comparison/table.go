package comparison

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loghist"
	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
	"github.com/ecbench/ecbench/verdict"
)

// Table is the comparison of a run.
type Table struct {
	// Baseline (Redis OSS) and Candidate (Valkey); Candidate is nil with one
	// engine only, Baseline nil when the run has no targets.
	Baseline, Candidate *results.Target
	// Ops has one entry per workload and op, in the run's order: each
	// engine's values and the comparisons of the quantities.
	Ops []Op
	// Rows is the detailed table: one row per op and quantity.
	Rows []Row
	// Workloads has one decision per workload, in the run's order; Overall
	// sums them up.
	Workloads []Decision
	Overall   Decision
	// Efficiency has, per workload with server data or prices, each
	// engine's figures from INFO and its cost, measured once (efficiency.go).
	Efficiency []Efficiency
	// Thresholds are the thresholds checked (Check), defaults included.
	Thresholds []ThresholdResult
	Warnings   []string        // why some rows are not trustworthy, and stalls
	Sequential bool            // the engines ran one after the other: comparisons are unpaired
	names      threshold.Names // what thresholds may name in this run
	traceEnded map[string]bool // replay workloads whose trace ended their run
}

// Row is one quantity of one op.
type Row struct {
	Workload, Op, Quantity string
	Baseline, Candidate    string // formatted values
	// Ratio, Low and High are candidate/baseline and its interval; for the
	// error rate (Difference) they are candidate − baseline, a fraction.
	Ratio, Low, High float64
	HasRatio, HasCI  bool
	Difference       bool
	Verdict          string
	Trusted          bool
}

// quantities are the compared quantities of each op, in order; with a
// per-interval quantity the verdict statistics apply.
var quantities = []struct {
	name     threshold.Quantity
	row      string // the detailed table's name
	interval results.Quantity
	dir      verdict.Direction
}{
	{threshold.Throughput, "throughput (ops/s)", results.Throughput, verdict.HigherIsBetter},
	{threshold.Mean, "mean", results.Mean, verdict.LowerIsBetter},
	{threshold.P50, "p50", results.P50, verdict.LowerIsBetter},
	{threshold.P95, "p95", results.P95, verdict.LowerIsBetter},
	{threshold.P99, "p99", results.P99, verdict.LowerIsBetter},
	{threshold.P999, "p99.9", results.P999, verdict.LowerIsBetter},
	{threshold.Max, "max", -1, verdict.LowerIsBetter},
}

// pickEngines chooses the baseline and the candidate: the Redis OSS target
// and the Valkey target when there is one of each, else the first two
// targets in the order given (e.g. one engine with persistence off and on).
func pickEngines(ts []results.Target) (a, b *results.Target) {
	var redis, valkey []int
	for i := range ts {
		switch ts[i].Engine {
		case engine.Redis:
			redis = append(redis, i)
		case engine.Valkey:
			valkey = append(valkey, i)
		}
	}
	if len(redis) >= 1 && len(valkey) >= 1 {
		return &ts[redis[0]], &ts[valkey[0]]
	}
	switch len(ts) {
	case 0:
		return nil, nil
	case 1:
		return &ts[0], nil
	}
	return &ts[0], &ts[1]
}

// Of builds the comparison of run, with its decisions; Check adds
// thresholds.
func Of(run *results.Run) Table {
	c := Table{Sequential: run.Meta.Sequential}
	c.Baseline, c.Candidate = pickEngines(run.Targets)
	c.names = namesOf(run)
	if c.Baseline == nil {
		return c
	}
	bound := map[[2]string]bool{} // (target, workload) where the generator was the bottleneck
	open := map[[2]string]bool{}  // (target, workload) that followed a rate schedule
	var stalled []string          // workloads in which a server stalled, in order
	stalls := map[string][]string{}
	stallDrops := map[string]uint64{}
	for _, g := range run.Generator {
		open[[2]string{g.Target, g.Workload}] = g.OpenLoop
		switch {
		case g.CPUBound():
			bound[[2]string{g.Target, g.Workload}] = true
			what := "its latency holds"
			if g.Dropped > 0 {
				what = "its latency and drops hold"
			}
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s on %s: generator-bound: ecbench's CPU was saturated (%s): it read replies late, so %s its own queueing and understate the engine; give it more CPUs or lower the rate",
				g.Workload, g.Target, g.CPUSummary(), what))
		case g.Bound() && !g.DropsBounded: // written before drops had lower bounds
			bound[[2]string{g.Target, g.Workload}] = true
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s on %s: generator-bound (dropped %d, max schedule lag %v): its numbers understate the engine",
				g.Workload, g.Target, g.Dropped, g.MaxScheduleLag.Round(time.Millisecond)))
		case g.Bound():
			bound[[2]string{g.Target, g.Workload}] = true
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s on %s: generator-bound (max schedule lag %v, p99 %v): ecbench fell behind its schedule; its numbers understate the engine",
				g.Workload, g.Target, g.MaxScheduleLag.Round(time.Millisecond), g.ScheduleLagP99.Round(time.Millisecond)))
		}
		if n, limited := g.InFlightLimited(); limited {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s on %s: %d requests dropped while the server was answering: rate × latency exceeded max_inflight %d; their latency lower bounds are counted (raise max_inflight, or leave it unset, to measure them in full)",
				g.Workload, g.Target, n, g.MaxInFlight))
		}
		if gap, ok := g.ServerStall(); ok {
			if len(stalls[g.Workload]) == 0 {
				stalled = append(stalled, g.Workload)
			}
			stalls[g.Workload] = append(stalls[g.Workload], fmt.Sprintf("%s %v", g.Target, gap.Round(time.Millisecond)))
			stallDrops[g.Workload] += g.StallDrops
		}
	}
	// One line per workload: a loaded host makes both servers pause.
	for _, w := range stalled {
		dropped := ""
		if n := stallDrops[w]; n > 0 {
			dropped = fmt.Sprintf(", %d requests dropped meanwhile", n)
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: a server stopped answering (%s%s); the latency includes it",
			w, strings.Join(stalls[w], ", "), dropped))
	}
	// A replay that could not send all of its trace compares a part of
	// the workload: say which part is missing.
	for _, r := range run.Replays {
		if r.Ended {
			if c.traceEnded == nil {
				c.traceEnded = map[string]bool{}
			}
			c.traceEnded[r.Workload] = true
		}
		if short := r.Shortfall(); short != "" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: replay: %s", r.Workload, short))
		}
	}
	find := func(t *results.Target, workload, op string) *results.Series {
		if t == nil {
			return nil
		}
		for i := range run.Series {
			s := &run.Series[i]
			if s.Target == t.Name && s.Workload == workload && s.Op == op {
				return s
			}
		}
		return nil
	}
	type key struct{ workload, op string }
	var order []key
	seen := map[key]bool{}
	for _, s := range run.Series {
		k := key{s.Workload, s.Op}
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	for _, k := range order {
		sa, sb := sameLength(find(c.Baseline, k.workload, k.op), find(c.Candidate, k.workload, k.op))
		op := Op{Workload: k.workload, Op: k.op,
			Trusted:  !bound[[2]string{nameOf(c.Baseline), k.workload}] && !bound[[2]string{nameOf(c.Candidate), k.workload}],
			OpenLoop: open[[2]string{nameOf(c.Baseline), k.workload}] && open[[2]string{nameOf(c.Candidate), k.workload}],
		}
		op.Engines[0], op.Engines[1] = valuesOf(c.Baseline, sa), valuesOf(c.Candidate, sb)
		op.Failure = failures(c.Baseline, sa, op.Engines[0], c.Candidate, sb, op.Engines[1])
		quantiles := compareQuantiles(run, sa, sb)
		for _, q := range quantities {
			op.Quantities = append(op.Quantities, c.compareQuantity(run, &op, sa, sb, q.name, q.interval, q.dir, quantiles))
		}
		op.ErrorRate = c.compareErrors(run, &op, sa, sb)
		op.Verdict = c.opVerdict(&op)
		c.Ops = append(c.Ops, op)
		c.Rows = append(c.Rows, c.rowsOf(&op)...)
	}
	c.decide()
	c.Efficiency = c.efficiencies(run)
	return c
}

// compareQuantity compares quantity q of one op: the whole-run ratio, and
// with a per-interval quantity, its interval and verdict, paired when the
// engines ran at once and q allows it, else unpaired.
func (c Table) compareQuantity(run *results.Run, op *Op, sa, sb *results.Series, name threshold.Quantity, q results.Quantity, dir verdict.Direction,
	quantiles map[results.Quantity]quantileComparison) Quantity {
	out := Quantity{Name: name, Ratio: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if sa == nil || sb == nil {
		return out
	}
	if op.OpenLoop && q == results.Throughput {
		// Both followed the same schedule: the ratio is 1 by
		// construction, and what tells the engines apart is how much of
		// the offered load each one answered.
		out.Verdict = fmt.Sprintf("open loop, same offered rate: %s answered %s, %s %s",
			c.Baseline.Name, percent(op.Engines[0].Answered), c.Candidate.Name, percent(op.Engines[1].Answered))
		return out
	}
	va, _ := op.Engines[0].Value(name)
	vb, _ := op.Engines[1].Value(name)
	if va > 0 {
		out.Ratio, out.HasRatio = vb/va, true
	}
	if q < 0 {
		return out
	}
	var cmp verdict.Comparison
	if qc, ok := quantiles[q]; ok {
		// The whole run's quantile, from the rows' histograms, with a
		// block-bootstrap interval: ratio and interval of one estimator.
		cmp, out.Paired = qc.Comparison, qc.paired
		if !math.IsNaN(cmp.Ratio) {
			out.Ratio, out.HasRatio = cmp.Ratio, true
		}
	} else if pairs, ok := paired(run, sa, sb, q); ok {
		// One estimator: the whole run's value, with the interval of the
		// paired per-interval differences.
		cmp = verdict.ComparePaired(pairs, dir)
		out.Paired = true
		if !math.IsNaN(cmp.Ratio) {
			out.Ratio, out.HasRatio = cmp.Ratio, true
		}
	} else {
		cmp = verdict.Compare(sa.IntervalValues(q), sb.IntervalValues(q), dir)
	}
	out.Low, out.High, out.HasCI = cmp.Low, cmp.High, cmp.Outcome != verdict.NotEnoughData
	out.Samples, out.DF = min(cmp.N[0], cmp.N[1]), cmp.DF
	switch cmp.Outcome { // name the targets: they need not be one engine each
	case verdict.ValkeyFaster:
		out.Better, out.Verdict = c.Candidate.Name, c.Candidate.Name+" faster"
	case verdict.RedisFaster:
		out.Better, out.Verdict = c.Baseline.Name, c.Baseline.Name+" faster"
	case verdict.NotEnoughData:
		out.Verdict = fmt.Sprintf("not enough data (< %d %s samples)", verdict.MinSamples, sampleName(sa.IntervalLength()))
	default:
		out.Verdict = string(cmp.Outcome)
	}
	return out
}

// compareErrors compares the error rates of one op, paired interval by
// interval when the engines ran at once.
func (c Table) compareErrors(run *results.Run, op *Op, sa, sb *results.Series) Difference {
	d := Difference{Diff: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if sa == nil || sb == nil {
		return d
	}
	sample := func(iv *results.Interval) verdict.RateSample {
		return verdict.RateSample{Errors: float64(iv.Errors), Requests: float64(iv.OK + iv.Miss + iv.Errors)}
	}
	var cmp verdict.RateComparison
	if !run.Meta.Sequential && sa.IntervalLength() == sb.IntervalLength() {
		byT := make(map[int64]*results.Interval, len(sa.Intervals))
		for i := range sa.Intervals {
			byT[sa.Intervals[i].T] = &sa.Intervals[i]
		}
		var pairs []verdict.RatePair
		for i := range sb.Intervals {
			if a, both := byT[sb.Intervals[i].T]; both {
				pairs = append(pairs, verdict.RatePair{Redis: sample(a), Valkey: sample(&sb.Intervals[i])})
			}
		}
		cmp, d.Paired = verdict.CompareRatesPaired(pairs), true
	} else {
		var ra, rb []verdict.RateSample
		for i := range sa.Intervals {
			ra = append(ra, sample(&sa.Intervals[i]))
		}
		for i := range sb.Intervals {
			rb = append(rb, sample(&sb.Intervals[i]))
		}
		cmp = verdict.CompareRates(ra, rb)
	}
	// The whole run's rates, as the table prints them: the intervals leave
	// out the requests answered after the window's last whole row.
	d.Diff = op.Engines[1].ErrorRate - op.Engines[0].ErrorRate
	if cmp.Outcome == verdict.NotEnoughData {
		d.Verdict = fmt.Sprintf("not enough data (< %d %s samples)", verdict.MinSamples, sampleName(sa.IntervalLength()))
		return d
	}
	// The interval is centred on the intervals' estimate; shift it to the
	// printed one (they differ by the few requests at the edges), and
	// decide on the interval shown.
	shift := d.Diff - cmp.Diff
	d.Low, d.High, d.HasCI = max(cmp.Low+shift, -1), min(cmp.High+shift, 1), true
	switch {
	case d.High < 0:
		d.Better, d.Verdict = c.Candidate.Name, c.Candidate.Name+" fewer errors"
	case d.Low > 0:
		d.Better, d.Verdict = c.Baseline.Name, c.Baseline.Name+" fewer errors"
	default:
		d.Verdict = string(verdict.NoDifference)
	}
	return d
}

// rowsOf is the detailed table's rows of op.
func (c Table) rowsOf(op *Op) []Row {
	a, b := op.Engines[0], op.Engines[1]
	var rows []Row
	for i, q := range op.Quantities {
		spec := quantities[i]
		row := Row{Workload: op.Workload, Op: op.Op, Quantity: spec.row, Trusted: op.Trusted,
			Baseline: formatQuantity(a, q.Name), Candidate: formatQuantity(b, q.Name),
			Ratio: q.Ratio, Low: q.Low, High: q.High, HasRatio: q.HasRatio, HasCI: q.HasCI, Verdict: q.Verdict}
		if !row.HasRatio {
			row.Ratio = 0
		}
		if op.Failure != "" && row.Verdict != "" {
			// Answered requests of an engine that mostly fails are not
			// the workload: say what failed instead of comparing them.
			row.Verdict = op.Failure
		} else if !op.Trusted && row.Verdict != "" {
			row.Verdict = "not trustworthy: generator-bound"
		}
		rows = append(rows, row)
	}
	e := op.ErrorRate
	rows = append(rows,
		Row{Workload: op.Workload, Op: op.Op, Quantity: "error rate", Trusted: op.Trusted,
			Baseline: formatShare(a, func(v *Values) float64 { return v.ErrorRate }), Candidate: formatShare(b, func(v *Values) float64 { return v.ErrorRate }),
			Ratio: e.Diff, Low: e.Low, High: e.High, HasRatio: !math.IsNaN(e.Diff) && a != nil && b != nil, HasCI: e.HasCI,
			Difference: true, Verdict: e.Verdict},
		Row{Workload: op.Workload, Op: op.Op, Quantity: "dropped", Trusted: op.Trusted,
			Baseline: formatCount(a), Candidate: formatCount(b)})
	return rows
}

// MaxErrorRate is the share of an op's requests that may fail on an engine
// before its rows say so instead of a verdict: past it, the requests that were
// answered are no longer the workload that was asked for. It is also the
// default error_rate threshold.
const MaxErrorRate = 0.01

// failures says which engines failed more than MaxErrorRate of an op's
// requests, with the share and the most frequent error class:
// "redis: 100% of set failed (oom)"; "" when neither did.
func failures(ta *results.Target, sa *results.Series, va *Values, tb *results.Target, sb *results.Series, vb *Values) string {
	var parts []string
	for _, e := range []struct {
		t *results.Target
		s *results.Series
		v *Values
	}{{ta, sa, va}, {tb, sb, vb}} {
		if e.s == nil || e.t == nil || e.v.ErrorRate <= MaxErrorRate {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s of %s failed (%s)", e.t.Name, percent(e.v.ErrorRate), e.s.Op, topClass(e.s.ErrorClasses)))
	}
	return strings.Join(parts, "; ")
}

// percent writes a share as people read it: 1.5%, 12%, 99.5%, 100%. Past
// 99% it is cut, not rounded, to a tenth, so that a share short of all never
// reads 100%.
func percent(f float64) string {
	p := f * 100
	switch {
	case p < 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	case p < 99:
		return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(math.Floor(p*10)/10, 'f', -1, 64) + "%"
}

// topClass is the most frequent error class (ties: the first by name).
func topClass(classes map[string]uint64) string {
	top, n := "unknown", uint64(0)
	for _, c := range slices.Sorted(maps.Keys(classes)) {
		if classes[c] > n {
			top, n = c, classes[c]
		}
	}
	return top
}

// sameLength returns sa and sb with rows of one length: a series with
// shorter rows is rebinned to the other's (row lengths are 100 ms·2^k, so
// they nest). Two windows of one workload differ in row length only when
// their ends straddle a doubling of it. Either may be nil; a series that
// cannot be rebinned (rows from a Prometheus window) is returned as is.
func sameLength(sa, sb *results.Series) (*results.Series, *results.Series) {
	if sa == nil || sb == nil || sa.IntervalLength() == sb.IntervalLength() {
		return sa, sb
	}
	rebin := func(s *results.Series, length float64) *results.Series {
		r, err := s.Rebin(length)
		if err != nil {
			return s
		}
		return &r
	}
	if la, lb := sa.IntervalLength(), sb.IntervalLength(); la < lb {
		sa = rebin(sa, lb)
	} else {
		sb = rebin(sb, la)
	}
	return sa, sb
}

// quantileComparison is a quantile's comparison and whether it was paired.
type quantileComparison struct {
	verdict.Comparison
	paired bool
}

// quantileRows are the quantiles compared from the rows' histograms.
var quantileRows = []struct {
	q results.Quantity
	p float64
}{{results.P50, 0.5}, {results.P95, 0.95}, {results.P99, 0.99}, {results.P999, 0.999}}

// compareQuantiles compares the whole-run quantiles of sa and sb from their
// rows' latency histograms (schema 3): paired over the rows of the same
// time when the engines ran at once, else unpaired. It returns nil when a
// side has no row histograms (older runs, Prometheus windows): the caller
// then compares the rows' quantile values.
func compareQuantiles(run *results.Run, sa, sb *results.Series) map[results.Quantity]quantileComparison {
	if sa == nil || sb == nil {
		return nil
	}
	ha, hb := sa.IntervalHistograms(), sb.IntervalHistograms()
	if ha == nil || hb == nil {
		return nil
	}
	ps := make([]float64, len(quantileRows))
	for i, r := range quantileRows {
		ps[i] = r.p
	}
	var cmps []verdict.Comparison
	isPaired := !run.Meta.Sequential && sa.IntervalLength() == sb.IntervalLength()
	if isPaired {
		byT := make(map[int64]int, len(sa.Intervals))
		for i := range sa.Intervals {
			byT[sa.Intervals[i].T] = i
		}
		var ra, rb []loghist.Histogram
		for j := range sb.Intervals {
			if i, both := byT[sb.Intervals[j].T]; both {
				ra, rb = append(ra, ha[i]), append(rb, hb[j])
			}
		}
		cmps = verdict.ComparePairedQuantiles(ra, rb, ps)
	} else {
		cmps = verdict.CompareQuantiles(ha, hb, ps)
	}
	out := make(map[results.Quantity]quantileComparison, len(quantileRows))
	for i, r := range quantileRows {
		out[r.q] = quantileComparison{cmps[i], isPaired}
	}
	return out
}

// paired returns the intervals of sa and sb that cover the same time, as
// the numerators and denominators of quantity q, when the engines ran at the
// same time and q is a ratio of sums: throughput (answered requests over
// seconds) or mean latency (summed latency over the requests in the row's
// latency: answered ones and dropped ones' lower bounds). ok is false
// otherwise: a sequential run, or a quantile (compareQuantiles).
func paired(run *results.Run, sa, sb *results.Series, q results.Quantity) (pairs []verdict.Pair, ok bool) {
	if run.Meta.Sequential || (q != results.Throughput && q != results.Mean) {
		return nil, false
	}
	secsA, secsB := sa.IntervalLength(), sb.IntervalLength()
	if secsA != secsB {
		return nil, false
	}
	byT := make(map[int64]*results.Interval, len(sa.Intervals))
	for i := range sa.Intervals {
		byT[sa.Intervals[i].T] = &sa.Intervals[i]
	}
	for i := range sb.Intervals {
		b := &sb.Intervals[i]
		a, both := byT[b.T]
		if !both {
			continue
		}
		na, nb := float64(a.OK+a.Miss), float64(b.OK+b.Miss)
		if q == results.Throughput {
			pairs = append(pairs, verdict.Pair{RedisNum: na, RedisDen: secsA, ValkeyNum: nb, ValkeyDen: secsB})
			continue
		}
		// A row's mean is over its latency histogram's values (schema 3:
		// answered requests and dropped ones' lower bounds).
		if ca, cb := a.LatencyHist.Count(), b.LatencyHist.Count(); ca > 0 || cb > 0 {
			na, nb = float64(ca), float64(cb)
		}
		pairs = append(pairs, verdict.Pair{RedisNum: a.Mean * na, RedisDen: na, ValkeyNum: b.Mean * nb, ValkeyDen: nb})
	}
	return pairs, true
}

// RatioName names the ratio: "valkey/redis", candidate over baseline.
func (c Table) RatioName() string {
	return fmt.Sprintf("%s/%s", nameOf(c.Candidate), nameOf(c.Baseline))
}

// Note says how to read the table; merged is how many runs were merged into
// it (0 or 1: a single run).
func (c Table) Note(merged int) string {
	note := fmt.Sprintf("Latency is from each request's intended start. Ratios are %s; verdicts use 95%% confidence intervals from the run's intervals.", c.RatioName())
	if merged > 1 {
		note = MergedNote(merged) + ". " + note
	}
	return note
}

// MergedNote says that n runs were merged.
func MergedNote(n int) string {
	return fmt.Sprintf("%d runs merged (histograms merged, intervals pooled)", n)
}

// Title names a target for a column header: "redis (redis 7.0.15)".
func Title(t *results.Target) string {
	if t == nil {
		return "-"
	}
	return fmt.Sprintf("%s (%s %s)", t.Name, t.Engine, t.Version)
}

func nameOf(t *results.Target) string {
	if t == nil {
		return ""
	}
	return t.Name
}

// RatioText is the ratio with three decimals (a difference in percentage
// points), or "" without one.
func (r Row) RatioText() string {
	switch {
	case !r.HasRatio:
		return ""
	case r.Difference:
		return points(r.Ratio)
	}
	return strconv.FormatFloat(r.Ratio, 'f', 3, 64)
}

// CIText is the interval as "[low, high]", or "" without one.
func (r Row) CIText() string {
	switch {
	case !r.HasCI:
		return ""
	case r.Difference:
		return fmt.Sprintf("[%s, %s]", points(r.Low), points(r.High))
	}
	return fmt.Sprintf("[%.3f, %.3f]", r.Low, r.High)
}

// points writes a difference of shares in percentage points: "+0.12pp".
func points(d float64) string {
	return signed(d*100, 2) + "pp"
}

// sampleName names the verdict's samples by their length: one-second
// intervals from a bench of schema 2, 100 ms ones from a short bench,
// longer steps from a Prometheus window.
func sampleName(seconds float64) string {
	if seconds == 1 || seconds <= 0 {
		return "one-second"
	}
	if seconds < 1 {
		return strconv.FormatFloat(seconds*1000, 'f', -1, 64) + " ms"
	}
	return strconv.FormatFloat(seconds, 'f', -1, 64) + "-second"
}

// namesOf is what a threshold may name in run.
func namesOf(run *results.Run) threshold.Names {
	n := threshold.Names{Targets: map[string]engine.Engine{}, Workloads: map[string][]string{}}
	for _, t := range run.Targets {
		n.Targets[t.Name] = t.Engine
	}
	for _, s := range run.Series {
		if !slices.Contains(n.Workloads[s.Workload], s.Op) {
			n.Workloads[s.Workload] = append(n.Workloads[s.Workload], s.Op)
		}
	}
	return n
}
