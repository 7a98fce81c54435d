package main

import (
	"fmt"
	"io"

	"github.com/ecbench/ecbench/results"
)

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", "compare RESULT_DIR... [--format text|markdown|csv]", stderr)
	format := fs.String("format", "text", "output format: text, markdown or csv")
	if code, ok := parseFlagsAndArgs(fs, args); !ok {
		return code
	}
	switch *format {
	case "text", "markdown", "csv":
	default:
		fmt.Fprintf(stderr, "ecbench compare: --format: must be one of text, markdown, csv; got %q\n", *format)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "ecbench compare: name at least one results directory (written by ecbench bench)")
		fs.Usage()
		return exitUsage
	}
	runs := make([]*results.Run, 0, fs.NArg())
	for _, dir := range fs.Args() {
		r, err := results.Read(dir)
		if err != nil {
			fmt.Fprintf(stderr, "ecbench compare: %v\n", err)
			return exitUsage
		}
		runs = append(runs, r)
	}
	run := runs[0]
	if len(runs) > 1 {
		merged, err := results.Merge(runs...)
		if err != nil {
			fmt.Fprintf(stderr, "ecbench compare: %v\n", err)
			return exitUsage
		}
		run = merged
		if *format == "text" {
			fmt.Fprintf(stdout, "%d runs merged (histograms merged, intervals pooled)\n\n", len(runs))
		}
	}
	if err := printComparison(stdout, run, *format); err != nil {
		fmt.Fprintf(stderr, "ecbench compare: %v\n", err)
		return exitFailed
	}
	return exitOK
}
