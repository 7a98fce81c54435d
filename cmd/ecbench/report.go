package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/report"
	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
)

const reportSynopsis = `report RESULT_DIR... -o FILE.html [--max-ops N] [--threshold T]... [--format png|svg --charts-dir DIR]
       ecbench report --prometheus URL --from T --to T -o FILE.html [--step D] [--prometheus-password-env NAME]
                      [--timeout D] [--max-ops N] [--threshold T]... [--format png|svg --charts-dir DIR]`

// promFlags are the flags of the Prometheus source.
type promFlags struct {
	url, from, to, step, passwordEnv *string
	timeout                          *time.Duration
}

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report", reportSynopsis, stderr)
	out := fs.StringP("output", "o", "", "the HTML file to write (required)")
	format := fs.String("format", "", "also write every chart as an image file: png or svg (needs --charts-dir)")
	chartsDir := fs.String("charts-dir", "", "the directory for the chart images (needs --format)")
	maxOps := fs.Int("max-ops", report.DefaultMaxOps, "per workload, draw the charts of only the N ops with the most requests, and name the others (0: every op); the table has every op")
	thresholdFlags := fs.StringArray("threshold", nil, "a pass/fail criterion shown with the decision, repeatable, e.g. p99<2ms, ratio.p99<1.05 "+
		"(besides the defaults error_rate<=1%, dropped<=0.1%; as for compare, but the report always exits 0 when written)")
	pf := promFlags{
		url: fs.String("prometheus", "", "read the window --from..--to from this Prometheus (http://host:9090) instead of results directories; "+
			"a user may be named in the URL (http://USER@host:9090), its password given with --prometheus-password-env"),
		from: fs.String("from", "", "with --prometheus: the window's start: RFC 3339 (2025-01-02T15:04:05Z), unix seconds (1735830245), now, or now-DURATION (now-6h, now-2d, now-1h30m)"),
		to:   fs.String("to", "", "with --prometheus: the window's end, in the same forms (e.g. now)"),
		step: fs.String("step", "", "with --prometheus: the time between points, whole seconds (30s, 1m) "+
			"(default: the window / 1000 rounded up to a whole second, and at least the scrape interval); "+
			"rates are taken over the larger of the step and four scrape intervals"),
		passwordEnv: fs.String("prometheus-password-env", "", "with --prometheus: the environment variable that holds the password of the URL's user (basic auth)"),
		timeout:     fs.Duration("timeout", 2*time.Minute, "with --prometheus: give up if Prometheus has not answered every query by then"),
	}
	if code, ok := parseFlagsAndArgs(fs, args); !ok {
		return code
	}
	var problems []string
	var src *promSource
	if *pf.url == "" {
		for _, name := range []string{"from", "to", "step", "prometheus-password-env", "timeout"} {
			if fs.Changed(name) {
				problems = append(problems, fmt.Sprintf("--%s: only with --prometheus", name))
			}
		}
		if fs.NArg() == 0 {
			problems = append(problems, "name at least one results directory (written by ecbench bench), or read Prometheus with --prometheus URL --from T --to T")
		}
	} else {
		if fs.NArg() > 0 {
			problems = append(problems, "give results directories or --prometheus, not both")
		}
		var ps []string
		src, ps = pf.parse(time.Now(), os.Getenv)
		problems = append(problems, ps...)
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
	if *maxOps < 0 {
		problems = append(problems, fmt.Sprintf("--max-ops: must be 0 (every op) or more; got %d", *maxOps))
	}
	var thresholds []threshold.Threshold
	for _, text := range *thresholdFlags {
		t, err := threshold.Parse(text)
		if err != nil {
			problems = append(problems, "--threshold: "+thresholdError(err))
			continue
		}
		t.Source = "--threshold"
		thresholds = append(thresholds, t)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "ecbench report:", p)
		}
		fs.Usage()
		return exitUsage
	}

	opts := report.Options{MaxOps: *maxOps, Thresholds: thresholds}
	var m report.Model
	if src != nil {
		if src.passwordInURL {
			fmt.Fprintln(stderr, "ecbench report: note: a password in the --prometheus URL is visible in the process list; prefer --prometheus-password-env")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		var err error
		if m, err = src.model(ctx, opts); err != nil {
			fmt.Fprintf(stderr, "ecbench report: %v\n", err)
			if errors.Is(err, comparison.ErrThreshold) { // names what the window lacks
				return exitUsage
			}
			return exitFailed
		}
	} else {
		run, merged, err := results.ReadAll(fs.Args()...)
		if err != nil {
			fmt.Fprintf(stderr, "ecbench report: %v\n", err)
			return exitUsage
		}
		opts.Merged = merged
		if m, err = report.Build(run, opts); err != nil { // a threshold names what the run lacks
			fmt.Fprintf(stderr, "ecbench report: %v\n", err)
			return exitUsage
		}
	}
	if err := report.WriteFile(*out, &m); err != nil {
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
