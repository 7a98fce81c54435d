package comparison

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Formats are the ways Write renders a table.
var Formats = []string{"text", "markdown", "csv"}

// Write renders the table as text, markdown or csv; merged is how many runs
// were merged into it (0 or 1: a single run), said in the note.
func Write(w io.Writer, c Table, format string, merged int) error {
	if merged > 1 && format != "csv" && format != "markdown" {
		fmt.Fprintf(w, "%s\n\n", MergedNote(merged))
	}
	if c.Baseline == nil {
		_, err := fmt.Fprintln(w, "no results")
		return err
	}
	header := []string{"workload", "op", "quantity", Title(c.Baseline), Title(c.Candidate), c.RatioName(), "95% CI", "verdict"}
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"workload", "op", "quantity", c.Baseline.Name, nameOf(c.Candidate), "ratio", "ci_low", "ci_high", "verdict", "trusted"})
		for _, r := range c.Rows {
			low, high := "", ""
			if r.HasCI {
				low, high = strconv.FormatFloat(r.Low, 'g', 6, 64), strconv.FormatFloat(r.High, 'g', 6, 64)
			}
			_ = cw.Write([]string{r.Workload, r.Op, r.Quantity, r.Baseline, r.Candidate, r.RatioText(), low, high, r.Verdict, strconv.FormatBool(r.Trusted)})
		}
		cw.Flush()
		return cw.Error() // data only: no notes in a CSV file
	case "markdown":
		fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
		fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(header)))
		for _, r := range c.Rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Workload, r.Op, r.Quantity, r.Baseline, r.Candidate, r.RatioText(), r.CIText(), r.Verdict)
		}
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		prev := ""
		for _, r := range c.Rows {
			wl, op := r.Workload, r.Op
			if wl+"\x00"+op == prev {
				wl, op = "", ""
			}
			prev = r.Workload + "\x00" + r.Op
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", wl, op, r.Quantity, r.Baseline, r.Candidate, r.RatioText(), r.CIText(), r.Verdict)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(c.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, s := range c.Warnings {
			fmt.Fprintln(w, "warning:", s)
		}
	}
	fmt.Fprintf(w, "\nLatency is from each request's intended start. Ratios are %s; verdicts use 95%% confidence intervals from the 1-second intervals.\n", c.RatioName())
	return nil
}
