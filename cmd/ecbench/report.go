package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ecbench/ecbench/report"
	"github.com/ecbench/ecbench/results"
)

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report", "report RESULT_DIR... -o FILE.html [--format png|svg --charts-dir DIR]", stderr)
	out := fs.StringP("output", "o", "", "the HTML file to write (required)")
	format := fs.String("format", "", "also write every chart as an image file: png or svg (needs --charts-dir)")
	chartsDir := fs.String("charts-dir", "", "the directory for the chart images (needs --format)")
	if code, ok := parseFlagsAndArgs(fs, args); !ok {
		return code
	}
	var problems []string
	if fs.NArg() == 0 {
		problems = append(problems, "name at least one results directory (written by ecbench bench)")
	}
	if *out == "" {
		problems = append(problems, "-o: name the HTML file to write")
	}
	switch *format {
	case "", "png", "svg":
	default:
		problems = append(problems, fmt.Sprintf("--format: must be png or svg; got %q", *format))
	}
	if (*format == "") != (*chartsDir == "") {
		problems = append(problems, "--format and --charts-dir go together: give both or neither")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "ecbench report:", p)
		}
		fs.Usage()
		return exitUsage
	}
	run, merged, err := readRuns(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "ecbench report: %v\n", err)
		return exitUsage
	}
	m := report.Build(run, reportTable(run, merged), report.Options{})
	if err := writeReport(*out, &m); err != nil {
		fmt.Fprintf(stderr, "ecbench report: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	if *format != "" {
		files, err := report.WriteCharts(*chartsDir, *format, &m)
		if err != nil {
			fmt.Fprintf(stderr, "ecbench report: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "wrote %d charts to %s\n", len(files), *chartsDir)
	}
	return exitOK
}

// readRuns reads results directories and merges them when there are
// several; merged is how many runs were merged (0: one run).
func readRuns(dirs []string) (run *results.Run, merged int, err error) {
	runs := make([]*results.Run, 0, len(dirs))
	for _, dir := range dirs {
		r, err := results.Read(dir)
		if err != nil {
			return nil, 0, err
		}
		runs = append(runs, r)
	}
	if len(runs) == 1 {
		return runs[0], 0, nil
	}
	run, err = results.Merge(runs...)
	if err != nil {
		return nil, 0, err
	}
	return run, len(runs), nil
}

// reportTable is the comparison `ecbench compare` prints, as the report's
// summary table.
func reportTable(run *results.Run, merged int) report.Table {
	c := buildComparison(run)
	if c.a == nil {
		return report.Table{}
	}
	ratio := fmt.Sprintf("%s/%s", nameOf(c.b), nameOf(c.a))
	t := report.Table{
		Baseline: targetTitle(c.a), Candidate: targetTitle(c.b), Ratio: ratio,
		Warnings: c.suspect,
		Note:     fmt.Sprintf("Latency is from each request's intended start. Ratios are %s; verdicts use 95%% confidence intervals from the 1-second intervals.", ratio),
	}
	if merged > 0 {
		t.Note = fmt.Sprintf("%d runs merged (histograms merged, intervals pooled). ", merged) + t.Note
	}
	for _, r := range c.rows {
		t.Rows = append(t.Rows, report.Row{
			Workload: r.workload, Op: r.op, Quantity: r.quantity,
			Baseline: r.a, Candidate: r.b, Ratio: r.ratioText(), CI: r.ciText(),
			Verdict: r.verdict, Trusted: r.trusted,
		})
	}
	return t
}

// writeReport writes the page next to its final name and renames it, so a
// failed run never leaves half a report.
func writeReport(path string, m *report.Model) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := report.HTML(f, m); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
