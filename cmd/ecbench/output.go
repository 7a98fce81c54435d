package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/threshold"
)

// outputFlags are what bench and compare share: how the comparison is
// printed and the thresholds it is checked against.
type outputFlags struct {
	format     *string
	detail     *bool
	thresholds *[]string
}

func addOutputFlags(fs *pflag.FlagSet) outputFlags {
	return outputFlags{
		format: fs.String("format", "text", "output on stdout: text, markdown, csv (one row per op, base units) or json (a document for scripts; progress and logs stay on stderr)"),
		detail: fs.Bool("detail", false, "text and markdown: the table of one row per quantity (throughput, mean, p50, p95, p99, p99.9, max, error rate, dropped) instead of one row per op"),
		thresholds: fs.StringArray("threshold", nil, "a pass/fail criterion, repeatable, e.g. p99<2ms, valkey.p99<2ms, kv.get.p99<2ms, error_rate<0.1%, ratio.p99<1.05; "+
			"crossed: exit 3 (see below)"),
	}
}

// thresholdsHelp ends bench's and compare's --help.
const thresholdsHelp = `Thresholds (--threshold, or bench.thresholds in the config; the flags add to the file's):
  ` + threshold.Syntax + `
  QUANTITY: throughput (ops/s), mean, p50, p95, p99, p99.9, max (a duration: 2ms, 500us),
  error_rate, dropped (a percentage: 0.1%). WORKLOAD, OP, TARGET: names, or * for all;
  TARGET may be an engine (redis, valkey). ratio.Q limits valkey/redis: crossed when its
  whole 95% interval is past the limit, undecided (reported, exit 0) when it straddles it.
  Defaults, replaced by a threshold of yours on the same quantity and values:
  error_rate<=1%, dropped<=0.1%.`

// parse checks --format and parses the --threshold flags; on a problem it
// says so, naming the flag, and returns false.
func (o outputFlags) parse(cmd string, stderr io.Writer) ([]threshold.Threshold, bool) {
	if !slices.Contains(comparison.Formats, *o.format) {
		fmt.Fprintf(stderr, "ecbench %s: --format: must be one of %s; got %q\n", cmd, strings.Join(comparison.Formats, ", "), *o.format)
		return nil, false
	}
	var ts []threshold.Threshold
	ok := true
	for _, s := range *o.thresholds {
		t, err := threshold.Parse(s)
		if err != nil {
			fmt.Fprintf(stderr, "ecbench %s: --threshold: %v\n", cmd, thresholdError(err))
			ok = false
			continue
		}
		t.Source = "--threshold"
		ts = append(ts, t)
	}
	return ts, ok
}

// checkNames checks that the --threshold flags name what n holds.
func checkNames(cmd string, ts []threshold.Threshold, n threshold.Names, stderr io.Writer) bool {
	ok := true
	for _, t := range ts {
		if err := t.Check(n); err != nil {
			fmt.Fprintf(stderr, "ecbench %s: %s: %v\n", cmd, t.Source, thresholdError(err))
			ok = false
		}
	}
	return ok
}

// thresholdError is a threshold's error with the syntax, which tells what
// is allowed, unless it says already.
func thresholdError(err error) string {
	msg := err.Error()
	if !strings.Contains(msg, threshold.Syntax) {
		msg += "; thresholds are " + threshold.Syntax
	}
	return msg
}

// exitCode is the exit code of a finished bench or compare: the
// thresholds' verdict.
func exitCode(c comparison.Table) int {
	if c.Crossed() {
		return exitThresholds
	}
	return exitOK
}
