package comparison

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Formats are the ways Write renders a table.
var Formats = []string{"text", "markdown", "csv", "json"}

// Options say how Write renders a table.
type Options struct {
	Format string // one of Formats; "" is text
	// Detail shows the table of one row per quantity instead of the
	// compact one (text and markdown; CSV and JSON always hold every
	// quantity).
	Detail bool
	Merged int      // how many runs were merged into the table (0 or 1: a single run)
	Dirs   []string // the results directories it came from, for JSON
}

// Write renders the table: the decisions first, then crossed thresholds
// and warnings, then the table. CSV is data only (one row per op), JSON the
// document of json.go.
func Write(w io.Writer, c Table, o Options) error {
	switch o.Format {
	case "", "text", "markdown":
	case "csv":
		return writeCSV(w, c)
	case "json":
		return writeJSON(w, c, o)
	default:
		return fmt.Errorf("unknown format %q; formats: %s", o.Format, strings.Join(Formats, ", "))
	}
	md := o.Format == "markdown"
	if o.Merged > 1 && !md {
		fmt.Fprintf(w, "%s\n\n", MergedNote(o.Merged))
	}
	if c.Baseline == nil {
		_, err := fmt.Fprintln(w, "no results")
		return err
	}
	lines := c.DecisionLines()
	notes := append(c.thresholdLines(), prefixed("warning: ", c.Warnings)...)
	if md {
		for _, l := range lines {
			fmt.Fprintf(w, "- %s\n", l)
		}
		for _, l := range notes {
			fmt.Fprintf(w, "- %s\n", l)
		}
		fmt.Fprintln(w)
	} else {
		for _, l := range slices.Concat(lines, notes) {
			fmt.Fprintln(w, hang(l, maxWidth))
		}
		fmt.Fprintln(w)
	}
	var err error
	switch {
	case md && o.Detail:
		err = writeDetailMarkdown(w, c)
	case md:
		err = writeCompactMarkdown(w, c)
	case o.Detail:
		err = writeDetailText(w, c)
	default:
		err = writeCompactText(w, c)
	}
	if err != nil {
		return err
	}
	if md {
		err = writeEfficiencyMarkdown(w, c)
	} else {
		err = writeEfficiencyText(w, c)
	}
	if err != nil {
		return err
	}
	note := c.Note(0)
	if md {
		note = c.Note(o.Merged)
	}
	if !o.Detail {
		note += " " + detailHint
	}
	fmt.Fprintf(w, "\n%s\n", wrap(note, maxWidth))
	return nil
}

// maxWidth is the width text output keeps to, where it can.
const maxWidth = 100

// wrap breaks s into lines of at most width runes at spaces.
func wrap(s string, width int) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) > width:
			lines = append(lines, line)
			line = word
		default:
			line += " " + word
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// hang wraps a decision, threshold or warning line at width with the
// continuation lines indented, so that each still reads as one item.
func hang(s string, width int) string {
	const indent = "    "
	lines := strings.Split(wrap(s, width), "\n")
	if len(lines) == 1 {
		return s
	}
	rest := wrap(strings.Join(lines[1:], " "), width-len(indent))
	return lines[0] + "\n" + indent + strings.ReplaceAll(rest, "\n", "\n"+indent)
}

// detailHint says what --detail adds to the compact table.
const detailHint = "With --detail: every quantity (throughput (ops/s), mean, p50, p95, p99, p99.9, max, error rate, dropped) with its ratio, 95% CI and verdict."

// DecisionLines are the decisions as printed, one per workload and the
// overall one.
func (c Table) DecisionLines() []string {
	var lines []string
	for _, d := range c.Workloads {
		lines = append(lines, d.Line())
	}
	if len(c.Workloads) > 0 {
		lines = append(lines, c.Overall.Line())
	}
	return lines
}

// ThresholdLines are the lines of the crossed and undecided thresholds, as
// printed after the decisions.
func (c Table) ThresholdLines() []string { return c.thresholdLines() }

func prefixed(prefix string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = prefix + s
	}
	return out
}
