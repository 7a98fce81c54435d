// Command ecbench drives the same workloads against Redis OSS and Valkey at
// once and shows the difference as Prometheus metrics.
//
//	ecbench run --config FILE [--listen ADDR] [--log-level L] [--log-format F]
//	ecbench check --config FILE [--connect]
//	ecbench bench [--config FILE | legacy flags] [--duration D] ...
//	ecbench compare RESULT_DIR... [--format text|markdown|csv|json] [--detail] [--threshold T]...
//	ecbench report RESULT_DIR... -o report.html [--format png|svg --charts-dir DIR]
//	ecbench report --prometheus URL --from T --to T -o report.html [--step D]
//	ecbench monitor (-c CLUSTER_ID [-r REGION] | --host H [--port P]) [-o DIR] [-t PROBE_INTERVAL] [-m CLOUDWATCH_INTERVAL]
//	ecbench profile (--host H [--port P] [--tls] [--cluster] | --config FILE --target NAME) [--duration D] [--sample N] [--max-rate R] [-o FILE]
//	ecbench version
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build info.
var version = ""

// Exit codes. Scripts and CI tell them apart: 3 is a benchmark that ran
// and was measured, and whose results crossed a threshold.
const (
	exitOK         = 0 // done; no threshold crossed
	exitFailed     = 1 // the run failed: a target unreachable, results not written, interrupted
	exitUsage      = 2 // the input (flags, config, thresholds, results directories) is wrong
	exitThresholds = 3 // bench or compare: a threshold was crossed (the defaults included)
)

// exitCodesHelp documents the exit codes in --help.
const exitCodesHelp = `Exit codes:
  0  done; no threshold crossed
  1  the run failed (a target unreachable, results not written, interrupted)
  2  bad input: flags, config, thresholds or results directories
  3  a threshold was crossed: yours (--threshold, bench.thresholds) or a default
     (an engine failing more than 1% of an op's requests, or dropping more than 0.1%)`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the daemon: drive the configured workloads and serve /metrics", runDaemon},
		{"check", "validate a config file (and, with --connect, reach every target)", runCheck},
		{"bench", "a finite side-by-side benchmark: table, verdicts and a results directory", runBench},
		{"compare", "print the side-by-side table of saved results (one run, or several merged)", runCompare},
		{"report", "write saved results, or a Prometheus window, as one self-contained HTML page with charts", runReport},
		{"monitor", "watch one endpoint through a migration or failover: outages, lost writes, engine changes, CloudWatch", runMonitor},
		{"profile", "measure a live server read-only and write its workload as a config that run and bench accept", runProfile},
		{"version", "print the version", runVersion},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	case "-v", "--version":
		return runVersion(nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "ecbench: unknown command %q; allowed: run, check, bench, compare, report, monitor, version, profile\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ecbench compares ElastiCache Redis OSS and Valkey under the same workload.")
	fmt.Fprintln(w, "\nUsage: ecbench <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'ecbench <command> --help' for a command's flags.")
	fmt.Fprintln(w, "\n"+exitCodesHelp)
}

// withNotes makes fs's usage end with notes, after the flags.
func withNotes(fs *pflag.FlagSet, notes string) {
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(fs.Output(), "\n"+notes)
	}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ecbench %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, which must be flags only; it returns the exit code
// to use when the caller must stop (help asked for, or bad flags).
func parseFlags(fs *pflag.FlagSet, args []string) (int, bool) {
	if code, ok := parseFlagsAndArgs(fs, args); !ok {
		return code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "ecbench %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, false
	}
	return exitOK, true
}

// parseFlagsAndArgs is parseFlags for commands that take arguments too.
func parseFlagsAndArgs(fs *pflag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, false
		}
		fmt.Fprintf(fs.Output(), "ecbench %s: %v\n", fs.Name(), err)
		fs.Usage()
		return exitUsage, false
	}
	return exitOK, true
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "version", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintln(stdout, "ecbench", buildVersion())
	return exitOK
}

// buildVersion is the -ldflags version, else the module version and VCS
// revision recorded by the Go toolchain.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "devel-" + rev + dirty
	}
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}
