package comparison

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/ecbench/ecbench/threshold"
)

// The compact table: one row per op, under a row naming its workload.
// Each engine cell holds the baseline's value, then the candidate's; the Δ
// columns are the candidate's change from the baseline in percent with the
// exact 95% interval; "faster" names the faster engine or says "same"
// (no difference), "unclear" (inconclusive), "mixed"; the decision lines
// above say by how much and how long a run would tell. So that -t all
// (32 ops, op names up to 13 letters) fits in 100 columns:
//
//	op              ops/s   p50 µs     p99 ms  err%  Δ ops/s %        Δ p99 %          faster
//	kv:
//	 get      11691 11246   93 110  6.26 6.01   0 0  -3.8 [-7.9,+0.5]  -4.1 [-12,+4.9]  same
//
// An op that fails says so in place of the Δ columns and the verdict.

func writeCompactText(w io.Writer, c Table) error {
	fmt.Fprintf(w, "Each cell: %s, then %s. Δ: %s − 1 in %% [95%% CI].\n", Title(c.Baseline), Title(c.Candidate), c.RatioName())
	g := grid{pairs: map[int]bool{1: true, 2: true, 3: true, 4: true}}
	g.add("op", "ops/s", "p50 µs", "p99 ms", "err%", "Δ ops/s %", "Δ p99 %", "faster")
	workload := ""
	for i := range c.Ops {
		op := &c.Ops[i]
		if op.Workload != workload {
			workload = op.Workload
			g.section(workload + ":")
		}
		a, b := op.Engines[0], op.Engines[1]
		cells := []string{" " + op.Op, // under its workload
			pair(a, b, func(v *Values) string { return strconv.FormatFloat(v.Throughput, 'f', 0, 64) }),
			pair(a, b, latencyCell(threshold.P50, 1e6)),
			pair(a, b, latencyCell(threshold.P99, 1e3)),
			pair(a, b, errorCell),
		}
		if op.Failure != "" {
			g.addLast(cells, op.Failure)
			continue
		}
		tp := compactChange(op.Quantity(threshold.Throughput))
		if op.OpenLoop && a != nil && b != nil {
			tp = "answered " + percent(a.Answered) + "|" + percent(b.Answered)
		}
		g.add(append(cells, tp, compactChange(op.Quantity(threshold.P99)), compactVerdict(op.Verdict))...)
	}
	_, err := io.WriteString(w, g.String())
	return err
}

// pair is an engine cell: the baseline's value and the candidate's,
// separated by a tab that grid aligns; "-" for an engine that did not run.
func pair(a, b *Values, f func(*Values) string) string {
	s := func(v *Values) string {
		if v == nil {
			return "-"
		}
		return f(v)
	}
	return s(a) + "\t" + s(b)
}

// latencyCell writes q in the unit of scale (1e6: µs, 1e3: ms), whole
// from 10 up and with two decimals below: enough digits for the eye, few
// columns.
func latencyCell(q threshold.Quantity, scale float64) func(*Values) string {
	return func(v *Values) string {
		x, ok := v.Value(q)
		if !ok {
			return "-"
		}
		if x *= scale; x >= 10 {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// errorCell writes the error rate in percent: "0" for none, two
// significant digits, never 100 short of every request.
func errorCell(v *Values) string {
	switch {
	case v.Errors == 0:
		return "0"
	case v.ErrorRate < 0.01:
		return strconv.FormatFloat(v.ErrorRate*100, 'g', 2, 64)
	}
	return strings.TrimSuffix(percent(v.ErrorRate), "%")
}

// compactChange writes a ratio as a change in percent with its interval,
// tenths below 10%: "+8.2 [+5.1,+11]"; "-" without a ratio.
func compactChange(q Quantity) string {
	if !q.HasRatio {
		return "-"
	}
	s := shortSigned(100 * (q.Ratio - 1))
	if q.HasCI {
		s += " [" + shortSigned(100*(q.Low-1)) + "," + shortSigned(100*(q.High-1)) + "]"
	}
	return s
}

func shortSigned(p float64) string {
	if math.Abs(p) >= 9.95 {
		return signed(p, 0)
	}
	return signed(p, 1)
}

// compactVerdict is the op's verdict in a word, under "faster".
func compactVerdict(v Verdict) string {
	switch v.Kind {
	case Faster:
		return v.Faster
	case Mixed:
		return "mixed"
	case NoDifference:
		return "same"
	case Inconclusive:
		return "unclear"
	case Untrusted:
		return "untrusted"
	}
	return v.Text
}

// grid aligns cells in columns two spaces apart. A cell of a pair column
// holds two values separated by a tab, each right-aligned in its own width,
// one space apart. A section row is one cell that spans the table; the last
// cell of a row added with addLast spans the rest of the row. Neither counts
// in the widths.
type grid struct {
	rows  []gridRow
	pairs map[int]bool // the columns that hold pairs
}

type gridRow struct {
	cells   []string
	last    string // spans the rest of the row
	section bool
}

func (g *grid) add(cells ...string) { g.rows = append(g.rows, gridRow{cells: cells}) }
func (g *grid) addLast(cells []string, s string) {
	g.rows = append(g.rows, gridRow{cells: cells, last: s})
}
func (g *grid) section(s string) { g.rows = append(g.rows, gridRow{last: s, section: true}) }

func (g *grid) String() string {
	var widths []int
	var left, right []int // of pair columns: the widths of each side
	grow := func(ws []int, i, n int) []int {
		for len(ws) <= i {
			ws = append(ws, 0)
		}
		ws[i] = max(ws[i], n)
		return ws
	}
	for r, row := range g.rows {
		for i, cell := range row.cells {
			if a, b, ok := strings.Cut(cell, "\t"); ok && g.pairs[i] && r > 0 {
				left, right = grow(left, i, width(a)), grow(right, i, width(b))
				continue
			}
			widths = grow(widths, i, width(cell))
		}
	}
	for i := range left {
		if left[i] > 0 || right[i] > 0 {
			widths = grow(widths, i, left[i]+1+right[i])
		}
	}
	var sb strings.Builder
	for _, row := range g.rows {
		var line strings.Builder
		for i, cell := range row.cells {
			if a, b, ok := strings.Cut(cell, "\t"); ok && g.pairs[i] {
				pad := widths[i] - left[i] - 1 - right[i]
				cell = strings.Repeat(" ", pad+left[i]-width(a)) + a + " " + strings.Repeat(" ", right[i]-width(b)) + b
			} else if g.pairs[i] {
				cell = strings.Repeat(" ", widths[i]-width(cell)) + cell // headers right-aligned over numbers
			}
			line.WriteString(cell)
			if i < len(row.cells)-1 || row.last != "" {
				line.WriteString(strings.Repeat(" ", widths[i]-width(cell)+2))
			}
		}
		line.WriteString(row.last)
		sb.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return sb.String()
}

func width(s string) int { return utf8.RuneCountInString(s) }

// writeDetailText is the table of one row per quantity.
func writeDetailText(w io.Writer, c Table) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(detailHeader(c), "\t")+"\t")
	prev := ""
	for _, r := range c.Rows {
		wl, op := r.Workload, r.Op
		if wl+"\x00"+op == prev {
			wl, op = "", ""
		}
		prev = r.Workload + "\x00" + r.Op
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", wl, op, r.Quantity, r.Baseline, r.Candidate, r.RatioText(), r.CIText(), r.Verdict)
	}
	return tw.Flush()
}

func detailHeader(c Table) []string {
	return []string{"workload", "op", "quantity", Title(c.Baseline), Title(c.Candidate), c.RatioName(), "95% CI", "verdict"}
}

func writeDetailMarkdown(w io.Writer, c Table) error {
	header := detailHeader(c)
	fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(header)))
	for _, r := range c.Rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Workload, r.Op, r.Quantity, r.Baseline, r.Candidate, r.RatioText(), r.CIText(), mdEscape(r.Verdict))
	}
	return nil
}

// writeCompactMarkdown is the compact table with a column per engine and
// value: markdown has no width to fit.
func writeCompactMarkdown(w io.Writer, c Table) error {
	a, b := nameOf(c.Baseline), nameOf(c.Candidate)
	header := []string{"workload", "op"}
	for _, q := range []string{"ops/s", "p50", "p99", "errors"} {
		header = append(header, a+" "+q, b+" "+q)
	}
	header = append(header, "Δ ops/s "+c.RatioName(), "Δ p99 "+c.RatioName(), "verdict")
	fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(header)))
	cell := func(v *Values, f func(*Values) string) string {
		if v == nil {
			return "-"
		}
		return f(v)
	}
	lat := func(q threshold.Quantity) func(*Values) string {
		return func(v *Values) string {
			x, ok := v.Value(q)
			if !ok {
				return "-"
			}
			return threshold.FormatSeconds(x)
		}
	}
	tput := func(v *Values) string { return strconv.FormatFloat(v.Throughput, 'f', 0, 64) }
	errs := func(v *Values) string { return errorCell(v) + "%" }
	for i := range c.Ops {
		op := &c.Ops[i]
		ea, eb := op.Engines[0], op.Engines[1]
		cells := []string{op.Workload, op.Op, cell(ea, tput), cell(eb, tput), cell(ea, lat(threshold.P50)), cell(eb, lat(threshold.P50)),
			cell(ea, lat(threshold.P99)), cell(eb, lat(threshold.P99)), cell(ea, errs), cell(eb, errs)}
		tp, p99 := op.Quantity(threshold.Throughput), op.Quantity(threshold.P99)
		tpText := changeCell(tp)
		if op.OpenLoop && ea != nil && eb != nil {
			tpText = "answered " + percent(ea.Answered) + ", " + percent(eb.Answered)
		}
		verdict := op.Verdict.Text
		if op.Failure != "" {
			tpText = ""
		}
		cells = append(cells, tpText, changeCell(p99), mdEscape(verdict))
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
	return nil
}

// changeCell is a ratio as a change in percent with its interval:
// "+8.2% [+5.1, +11.4]".
func changeCell(q Quantity) string {
	switch {
	case !q.HasRatio:
		return "-"
	case !q.HasCI:
		return signed(100*(q.Ratio-1), 1) + "%"
	}
	return changeText(q.Ratio-1, q.Low-1, q.High-1)
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
