package comparison

import (
	"fmt"
	"io"
	"strings"
)

// The server block, after the table: per workload, each engine's figure
// from INFO and the ratio, then the cost at the measured throughput, then
// the notes. Measured once, so no interval and no verdict:
//
//	Server side, from INFO: each figure measured once (no interval, no verdict).
//	                                        redis     valkey  valkey/redis
//	kv:
//	 memory per key (B)                     146.5      131.3  0.896
//	 server CPU per command (µs)             3.41       3.12  0.915
//	 cost per billion requests (USD)         3.05       2.44  0.800
//	 requests per USD                        328M       410M  1.250

// writeEfficiencyText writes the server block as aligned text.
func writeEfficiencyText(w io.Writer, c Table) error {
	if len(c.Efficiency) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n%s\n", wrap(c.EfficiencyTitle(), maxWidth))
	candidate, ratio := "-", ""
	if c.Candidate != nil {
		candidate, ratio = c.Candidate.Name, c.RatioName()
	}
	rows := [][]string{{"", nameOf(c.Baseline), candidate, ratio}}
	sections := map[int]string{}
	for _, e := range c.Efficiency {
		sections[len(rows)] = e.Workload + ":"
		for _, r := range e.Rows() {
			rows = append(rows, []string{" " + r.Quantity, r.Baseline, r.Candidate, r.Ratio})
		}
	}
	widths := make([]int, 4)
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], width(cell))
		}
	}
	var b strings.Builder
	for i, r := range rows {
		if s, ok := sections[i]; ok {
			b.WriteString(s + "\n")
		}
		line := r[0] + strings.Repeat(" ", widths[0]-width(r[0]))
		for j := 1; j < len(r); j++ { // numbers right-aligned
			line += "  " + strings.Repeat(" ", widths[j]-width(r[j])) + r[j]
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, n := range c.EfficiencyNotes() {
		fmt.Fprintln(w, hang("note: "+n, maxWidth))
	}
	return nil
}

// writeEfficiencyMarkdown writes the server block as a markdown table.
func writeEfficiencyMarkdown(w io.Writer, c Table) error {
	if len(c.Efficiency) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n%s\n\n", c.EfficiencyTitle())
	header := []string{"workload", "server", nameOf(c.Baseline), nameOf(c.Candidate), c.RatioName()}
	fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(header)))
	for _, r := range c.EfficiencyRows() {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.Workload, r.Quantity, mdEscape(r.Baseline), mdEscape(r.Candidate), r.Ratio)
	}
	if notes := c.EfficiencyNotes(); len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintf(w, "- note: %s\n", mdEscape(n))
		}
	}
	return nil
}
