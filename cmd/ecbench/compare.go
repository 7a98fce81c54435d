package main

import (
	"fmt"
	"io"

	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/results"
)

const compareSynopsis = "compare RESULT_DIR... [--format text|markdown|csv|json] [--detail] [--threshold T]..."

// runCompare prints the comparison of saved results, checked against the
// --threshold flags and the default thresholds (not the thresholds of the
// config the runs had: compare decides what to check now).
func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", compareSynopsis, stderr)
	output := addOutputFlags(fs)
	withNotes(fs, thresholdsHelp+"\n\n"+exitCodesHelp)
	if code, ok := parseFlagsAndArgs(fs, args); !ok {
		return code
	}
	thresholds, ok := output.parse("compare", stderr)
	if !ok {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "ecbench compare: name at least one results directory (written by ecbench bench)")
		fs.Usage()
		return exitUsage
	}
	run, merged, err := results.ReadAll(fs.Args()...)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench compare: %v\n", err)
		return exitUsage
	}
	c := comparison.Of(run)
	if err := c.Check(thresholds); err != nil {
		fmt.Fprintf(stderr, "ecbench compare: %v\n", err)
		return exitUsage
	}
	o := comparison.Options{Format: *output.format, Detail: *output.detail, Merged: merged, Dirs: fs.Args()}
	if err := comparison.Write(stdout, c, o); err != nil {
		fmt.Fprintf(stderr, "ecbench compare: %v\n", err)
		return exitFailed
	}
	return exitCode(c)
}
