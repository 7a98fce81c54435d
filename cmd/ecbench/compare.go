package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/results"
)

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", "compare RESULT_DIR... [--format text|markdown|csv]", stderr)
	format := fs.String("format", "text", "output format: text, markdown or csv")
	if code, ok := parseFlagsAndArgs(fs, args); !ok {
		return code
	}
	if !slices.Contains(comparison.Formats, *format) {
		fmt.Fprintf(stderr, "ecbench compare: --format: must be one of %s; got %q\n", strings.Join(comparison.Formats, ", "), *format)
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
	if err := comparison.Write(stdout, comparison.Of(run), *format, merged); err != nil {
		fmt.Fprintf(stderr, "ecbench compare: %v\n", err)
		return exitFailed
	}
	return exitOK
}
