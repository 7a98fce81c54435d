package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/verdict"
)

// comparison is the side-by-side table of a run: per workload and op, each
// quantity for both engines, their ratio with its confidence interval, and a
// verdict.
type comparison struct {
	a, b    *results.Target // baseline (Redis OSS) and candidate (Valkey); b nil: one engine only
	rows    []comparisonRow
	suspect []string // why some rows are not trustworthy
}

type comparisonRow struct {
	workload, op, quantity string
	a, b                   string // formatted values
	ratio, low, high       float64
	hasRatio, hasCI        bool
	verdict                string
	trusted                bool
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
		case "redis":
			redis = append(redis, i)
		case "valkey":
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

func buildComparison(run *results.Run) comparison {
	c := comparison{}
	c.a, c.b = pickEngines(run.Targets)
	if c.a == nil {
		return c
	}
	bound := map[[2]string]bool{} // (target, workload) where the generator was the bottleneck
	for _, g := range run.Generator {
		if g.Dropped > 0 || g.MaxScheduleLag > lagWarnThreshold {
			bound[[2]string{g.Target, g.Workload}] = true
			c.suspect = append(c.suspect, fmt.Sprintf("%s on %s: generator-bound (dropped %d, max schedule lag %v): its numbers understate the engine",
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
		sa, sb := find(c.a, k.workload, k.op), find(c.b, k.workload, k.op)
		trusted := !bound[[2]string{nameOf(c.a), k.workload}] && !bound[[2]string{nameOf(c.b), k.workload}]
		var sta, stb results.Stats
		if sa != nil {
			sta = sa.Stats()
		}
		if sb != nil {
			stb = sb.Stats()
		}
		for _, q := range quantities {
			row := comparisonRow{workload: k.workload, op: k.op, quantity: q.name, trusted: trusted,
				a: formatQuantity(sa, q.value(sta), q.latency), b: formatQuantity(sb, q.value(stb), q.latency)}
			if sa != nil && sb != nil && q.value(sta) > 0 {
				row.ratio, row.hasRatio = q.value(stb)/q.value(sta), true
			}
			if sa != nil && sb != nil && q.interval >= 0 {
				cmp := verdict.Compare(sa.IntervalValues(q.interval), sb.IntervalValues(q.interval), q.dir)
				row.low, row.high, row.hasCI = cmp.Low, cmp.High, cmp.Outcome != verdict.NotEnoughData
				switch cmp.Outcome { // name the targets: they need not be one engine each
				case verdict.ValkeyFaster:
					row.verdict = c.b.Name + " faster"
				case verdict.RedisFaster:
					row.verdict = c.a.Name + " faster"
				default:
					row.verdict = string(cmp.Outcome)
				}
				if cmp.Outcome == verdict.NotEnoughData {
					row.verdict = fmt.Sprintf("not enough data (< %d %s samples)", verdict.MinSamples, sampleName(sa.IntervalSeconds))
				}
			}
			if !trusted && row.verdict != "" {
				row.verdict = "not trustworthy: generator-bound"
			}
			c.rows = append(c.rows, row)
		}
		c.rows = append(c.rows,
			comparisonRow{workload: k.workload, op: k.op, quantity: "error rate", trusted: trusted,
				a: formatPercent(sa, sta.ErrorRate), b: formatPercent(sb, stb.ErrorRate)},
			comparisonRow{workload: k.workload, op: k.op, quantity: "dropped", trusted: trusted,
				a: formatCount(sa, sta.Dropped), b: formatCount(sb, stb.Dropped)})
	}
	return c
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

func (r comparisonRow) ratioText() string {
	if !r.hasRatio {
		return ""
	}
	return strconv.FormatFloat(r.ratio, 'f', 3, 64)
}

func (r comparisonRow) ciText() string {
	if !r.hasCI {
		return ""
	}
	return fmt.Sprintf("[%.3f, %.3f]", r.low, r.high)
}

func targetTitle(t *results.Target) string {
	if t == nil {
		return "-"
	}
	return fmt.Sprintf("%s (%s %s)", t.Name, t.Engine, t.Version)
}

// printComparison renders the run's table as text, markdown or csv.
func printComparison(w io.Writer, run *results.Run, format string) error {
	c := buildComparison(run)
	if c.a == nil {
		_, err := fmt.Fprintln(w, "no results")
		return err
	}
	ratio := fmt.Sprintf("%s/%s", nameOf(c.b), nameOf(c.a))
	header := []string{"workload", "op", "quantity", targetTitle(c.a), targetTitle(c.b), ratio, "95% CI", "verdict"}
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"workload", "op", "quantity", c.a.Name, nameOf(c.b), "ratio", "ci_low", "ci_high", "verdict", "trusted"})
		for _, r := range c.rows {
			low, high := "", ""
			if r.hasCI {
				low, high = strconv.FormatFloat(r.low, 'g', 6, 64), strconv.FormatFloat(r.high, 'g', 6, 64)
			}
			_ = cw.Write([]string{r.workload, r.op, r.quantity, r.a, r.b, r.ratioText(), low, high, r.verdict, strconv.FormatBool(r.trusted)})
		}
		cw.Flush()
		return cw.Error() // data only: no notes in a CSV file
	case "markdown":
		fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
		fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(header)))
		for _, r := range c.rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.workload, r.op, r.quantity, r.a, r.b, r.ratioText(), r.ciText(), r.verdict)
		}
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		prev := ""
		for _, r := range c.rows {
			wl, op := r.workload, r.op
			if wl+"\x00"+op == prev {
				wl, op = "", ""
			}
			prev = r.workload + "\x00" + r.op
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", wl, op, r.quantity, r.a, r.b, r.ratioText(), r.ciText(), r.verdict)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(c.suspect) > 0 {
		fmt.Fprintln(w)
		for _, s := range c.suspect {
			fmt.Fprintln(w, "warning:", s)
		}
	}
	fmt.Fprintf(w, "\nLatency is from each request's intended start. Ratios are %s; verdicts use 95%% confidence intervals from the 1-second intervals.\n", ratio)
	return nil
}

// sampleName names the verdict's samples by their length: one-second
// intervals from a bench, longer steps from a Prometheus window.
func sampleName(seconds float64) string {
	if seconds == 1 || seconds <= 0 {
		return "one-second"
	}
	return strconv.FormatFloat(seconds, 'f', -1, 64) + "-second"
}
