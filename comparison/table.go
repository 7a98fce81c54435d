// Package comparison builds the side-by-side table of a run: per workload and
// op, each quantity for the baseline and the candidate engine, their ratio
// with its confidence interval, and a verdict. The bench's output, `ecbench
// compare` and the HTML report all show this one table.
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
	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/verdict"
)

// Table is the comparison of a run.
type Table struct {
	// Baseline (Redis OSS) and Candidate (Valkey); Candidate is nil with one
	// engine only, Baseline nil when the run has no targets.
	Baseline, Candidate *results.Target
	Rows                []Row
	Warnings            []string // why some rows are not trustworthy
}

// Row is one quantity of one op.
type Row struct {
	Workload, Op, Quantity string
	Baseline, Candidate    string // formatted values
	Ratio, Low, High       float64
	HasRatio, HasCI        bool
	Verdict                string
	Trusted                bool
}

// quantities are the rows of each op, in order; with a per-interval
// quantity the verdict statistics apply.
var quantities = []struct {
	name     string
	interval results.Quantity
	dir      verdict.Direction
	value    func(results.Stats) float64
	latency  bool
}{
	{"throughput (ops/s)", results.Throughput, verdict.HigherIsBetter, func(s results.Stats) float64 { return s.Throughput }, false},
	{"mean", results.Mean, verdict.LowerIsBetter, func(s results.Stats) float64 { return s.Mean }, true},
	{"p50", results.P50, verdict.LowerIsBetter, func(s results.Stats) float64 { return s.P50 }, true},
	{"p95", results.P95, verdict.LowerIsBetter, func(s results.Stats) float64 { return s.P95 }, true},
	{"p99", results.P99, verdict.LowerIsBetter, func(s results.Stats) float64 { return s.P99 }, true},
	{"p99.9", results.P999, verdict.LowerIsBetter, func(s results.Stats) float64 { return s.P999 }, true},
	{"max", -1, verdict.LowerIsBetter, func(s results.Stats) float64 { return s.Max }, true},
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

// Of builds the comparison of run.
func Of(run *results.Run) Table {
	c := Table{}
	c.Baseline, c.Candidate = pickEngines(run.Targets)
	if c.Baseline == nil {
		return c
	}
	bound := map[[2]string]bool{} // (target, workload) where the generator was the bottleneck
	open := map[[2]string]bool{}  // (target, workload) that followed a rate schedule
	for _, g := range run.Generator {
		open[[2]string{g.Target, g.Workload}] = g.OpenLoop
		if g.Bound() {
			bound[[2]string{g.Target, g.Workload}] = true
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s on %s: generator-bound (dropped %d, max schedule lag %v): its numbers understate the engine",
				g.Workload, g.Target, g.Dropped, g.MaxScheduleLag.Round(time.Millisecond)))
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
		sa, sb := find(c.Baseline, k.workload, k.op), find(c.Candidate, k.workload, k.op)
		trusted := !bound[[2]string{nameOf(c.Baseline), k.workload}] && !bound[[2]string{nameOf(c.Candidate), k.workload}]
		var sta, stb results.Stats
		if sa != nil {
			sta = sa.Stats()
		}
		if sb != nil {
			stb = sb.Stats()
		}
		failing := failures(c.Baseline, sa, sta, c.Candidate, sb, stb)
		openLoop := open[[2]string{nameOf(c.Baseline), k.workload}] && open[[2]string{nameOf(c.Candidate), k.workload}]
		for _, q := range quantities {
			row := Row{Workload: k.workload, Op: k.op, Quantity: q.name, Trusted: trusted,
				Baseline: formatQuantity(sa, q.value(sta), q.latency), Candidate: formatQuantity(sb, q.value(stb), q.latency)}
			switch {
			case sa == nil || sb == nil:
			case openLoop && q.interval == results.Throughput:
				// Both followed the same schedule: the ratio is 1 by
				// construction, and what tells the engines apart is how
				// much of the offered load each one answered.
				row.Verdict = fmt.Sprintf("open loop, same offered rate: %s answered %s, %s %s",
					c.Baseline.Name, percent(answeredShare(sa)), c.Candidate.Name, percent(answeredShare(sb)))
			default:
				if q.value(sta) > 0 {
					row.Ratio, row.HasRatio = q.value(stb)/q.value(sta), true
				}
				if q.interval >= 0 {
					c.compare(&row, run, sa, sb, q.interval, q.dir)
				}
			}
			if failing != "" && row.Verdict != "" {
				// Answered requests of an engine that mostly fails are not
				// the workload: say what failed instead of comparing them.
				row.Verdict = failing
			} else if !trusted && row.Verdict != "" {
				row.Verdict = "not trustworthy: generator-bound"
			}
			c.Rows = append(c.Rows, row)
		}
		c.Rows = append(c.Rows,
			Row{Workload: k.workload, Op: k.op, Quantity: "error rate", Trusted: trusted,
				Baseline: formatPercent(sa, sta.ErrorRate), Candidate: formatPercent(sb, stb.ErrorRate)},
			Row{Workload: k.workload, Op: k.op, Quantity: "dropped", Trusted: trusted,
				Baseline: formatCount(sa, sta.Dropped), Candidate: formatCount(sb, stb.Dropped)})
	}
	return c
}

// compare fills the row's interval and verdict for quantity q of sa and sb:
// paired when the engines ran at once and q allows it, else unpaired.
func (c Table) compare(row *Row, run *results.Run, sa, sb *results.Series, q results.Quantity, dir verdict.Direction) {
	var cmp verdict.Comparison
	if pairs, ok := paired(run, sa, sb, q); ok {
		// One estimator: the whole run's value, with the interval of the
		// paired per-interval differences.
		cmp = verdict.ComparePaired(pairs, dir)
		if !math.IsNaN(cmp.Ratio) {
			row.Ratio, row.HasRatio = cmp.Ratio, true
		}
	} else {
		cmp = verdict.Compare(sa.IntervalValues(q), sb.IntervalValues(q), dir)
	}
	row.Low, row.High, row.HasCI = cmp.Low, cmp.High, cmp.Outcome != verdict.NotEnoughData
	switch cmp.Outcome { // name the targets: they need not be one engine each
	case verdict.ValkeyFaster:
		row.Verdict = c.Candidate.Name + " faster"
	case verdict.RedisFaster:
		row.Verdict = c.Baseline.Name + " faster"
	case verdict.NotEnoughData:
		row.Verdict = fmt.Sprintf("not enough data (< %d %s samples)", verdict.MinSamples, sampleName(sa.IntervalSeconds))
	default:
		row.Verdict = string(cmp.Outcome)
	}
}

// MaxErrorRate is the share of an op's requests that may fail on an engine
// before its rows say so instead of a verdict: past it, the requests that were
// answered are no longer the workload that was asked for.
const MaxErrorRate = 0.01

// failures says which engines failed more than MaxErrorRate of an op's
// requests, with the share and the most frequent error class:
// "redis: 100% of set failed (oom)"; "" when neither did.
func failures(ta *results.Target, sa *results.Series, sta results.Stats, tb *results.Target, sb *results.Series, stb results.Stats) string {
	var parts []string
	for _, e := range []struct {
		t  *results.Target
		s  *results.Series
		st results.Stats
	}{{ta, sa, sta}, {tb, sb, stb}} {
		if e.s == nil || e.t == nil || e.st.ErrorRate <= MaxErrorRate {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s of %s failed (%s)", e.t.Name, percent(e.st.ErrorRate), e.s.Op, topClass(e.s.ErrorClasses)))
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

// answeredShare is the share of an open-loop op's due requests that were
// answered (ok or miss): the rest failed or were dropped.
func answeredShare(s *results.Series) float64 {
	due := s.OK + s.Miss + s.Errors + s.Dropped
	if due == 0 {
		return 0
	}
	return float64(s.OK+s.Miss) / float64(due)
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

// paired returns the intervals of sa and sb that cover the same seconds, as
// the numerators and denominators of quantity q, when the engines ran at the
// same time and q is a ratio of sums: throughput (answered requests over
// seconds) or mean latency (summed latency over answered requests). ok is
// false otherwise: a sequential run, or a quantile (compared unpaired until
// the paired quantile estimator lands).
func paired(run *results.Run, sa, sb *results.Series, q results.Quantity) (pairs []verdict.Pair, ok bool) {
	if run.Meta.Sequential || (q != results.Throughput && q != results.Mean) {
		return nil, false
	}
	secsA, secsB := sa.IntervalLength(), sb.IntervalLength()
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
	note := fmt.Sprintf("Latency is from each request's intended start. Ratios are %s; verdicts use 95%% confidence intervals from the 1-second intervals.", c.RatioName())
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

func formatQuantity(s *results.Series, v float64, latency bool) string {
	switch {
	case s == nil:
		return "-"
	case latency:
		return strconv.FormatFloat(v*1000, 'f', 3, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func formatPercent(s *results.Series, v float64) string {
	if s == nil {
		return "-"
	}
	return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
}

func formatCount(s *results.Series, v uint64) string {
	if s == nil {
		return "-"
	}
	return strconv.FormatUint(v, 10)
}

// RatioText is the ratio with three decimals, or "" without one.
func (r Row) RatioText() string {
	if !r.HasRatio {
		return ""
	}
	return strconv.FormatFloat(r.Ratio, 'f', 3, 64)
}

// CIText is the interval as "[low, high]", or "" without one.
func (r Row) CIText() string {
	if !r.HasCI {
		return ""
	}
	return fmt.Sprintf("[%.3f, %.3f]", r.Low, r.High)
}

// sampleName names the verdict's samples by their length: one-second
// intervals from a bench, longer steps from a Prometheus window.
func sampleName(seconds float64) string {
	if seconds == 1 || seconds <= 0 {
		return "one-second"
	}
	return strconv.FormatFloat(seconds, 'f', -1, 64) + "-second"
}
