package comparison

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ecbench/ecbench/threshold"
)

// The CSV is one header row and one row per op, every number in base units
// and its unit in the column's name (seconds, ops_per_second, a share as a
// fraction: 0.001 is 0.1%), empty where a value does not exist:
//
//	workload, op,
//	<target>_throughput_ops_per_second, <target>_{mean,p50,p95,p99,p999,max}_seconds,
//	<target>_answered, <target>_errors, <target>_dropped,
//	<target>_error_rate, <target>_dropped_share, <target>_answered_share   (baseline's, then candidate's)
//	ratio_<q>, ratio_<q>_low, ratio_<q>_high      for q in throughput, mean, p50, p95, p99, p999, max
//	error_rate_diff, error_rate_diff_low, error_rate_diff_high   (candidate − baseline)
//	open_loop, trusted, decision, verdict, thresholds_crossed
//
// decision is the op's kind (faster, no difference, …), verdict its text,
// thresholds_crossed the thresholds the op crossed, as written, joined by
// "; " (empty: none). The servers' figures and the cost are per workload,
// not per op: they are in the JSON document (workloads[].efficiency,
// workloads[].cost), not here.

// csvQuantities are the per-engine quantities of the CSV, with their
// column names.
var csvQuantities = []struct {
	q      threshold.Quantity
	column string
}{
	{threshold.Throughput, "throughput_ops_per_second"},
	{threshold.Mean, "mean_seconds"},
	{threshold.P50, "p50_seconds"},
	{threshold.P95, "p95_seconds"},
	{threshold.P99, "p99_seconds"},
	{threshold.P999, "p999_seconds"},
	{threshold.Max, "max_seconds"},
}

func writeCSV(w io.Writer, c Table) error {
	cw := csv.NewWriter(w)
	names := [2]string{"baseline", "candidate"}
	for i, t := range []string{nameOf(c.Baseline), nameOf(c.Candidate)} {
		if t != "" {
			names[i] = t
		}
	}
	header := []string{"workload", "op"}
	for _, n := range names {
		for _, q := range csvQuantities {
			header = append(header, n+"_"+q.column)
		}
		header = append(header, n+"_answered", n+"_errors", n+"_dropped", n+"_error_rate", n+"_dropped_share", n+"_answered_share")
	}
	for _, q := range csvQuantities {
		name := strings.ReplaceAll(string(q.q), ".", "")
		header = append(header, "ratio_"+name, "ratio_"+name+"_low", "ratio_"+name+"_high")
	}
	header = append(header, "error_rate_diff", "error_rate_diff_low", "error_rate_diff_high",
		"open_loop", "trusted", "decision", "verdict", "thresholds_crossed")
	_ = cw.Write(header)
	for i := range c.Ops {
		op := &c.Ops[i]
		row := []string{op.Workload, op.Op}
		for _, e := range op.Engines {
			for _, q := range csvQuantities {
				row = append(row, valueCell(e, q.q))
			}
			if e == nil {
				row = append(row, "", "", "", "", "", "")
				continue
			}
			row = append(row, strconv.FormatUint(e.Requests, 10), strconv.FormatUint(e.Errors, 10), strconv.FormatUint(e.Dropped, 10),
				valueCell(e, threshold.ErrorRate), valueCell(e, threshold.Dropped), numberCell(e.Answered, e.Requests+e.Errors+e.Dropped > 0))
		}
		for _, q := range csvQuantities {
			x := op.Quantity(q.q)
			row = append(row, numberCell(x.Ratio, x.HasRatio), numberCell(x.Low, x.HasCI), numberCell(x.High, x.HasCI))
		}
		e := op.ErrorRate
		row = append(row, numberCell(e.Diff, true), numberCell(e.Low, e.HasCI), numberCell(e.High, e.HasCI),
			strconv.FormatBool(op.OpenLoop), strconv.FormatBool(op.Trusted), string(op.Verdict.Kind), op.Verdict.Text,
			strings.Join(c.crossedBy(op), "; "))
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func valueCell(v *Values, q threshold.Quantity) string {
	x, ok := v.Value(q)
	return numberCell(x, ok)
}

// numberCell is x in the shortest form that reads back exactly; empty when
// there is none.
func numberCell(x float64, ok bool) string {
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
