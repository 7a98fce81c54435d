package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/internal/app"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/results"
)

const benchSynopsis = `bench [--config FILE | -t kv|ds|all -d TYPES -n KEYS -s SIZE -e ELEMENTS -j THREADS -o OPS -r HOST -p PORT -v HOST -q PORT ...] [--duration D] [--warmup D] [--rate R] [--pipeline N] [--sequential] [--out DIR] [--format text|markdown|csv|json] [--detail] [--threshold T]...`

// benchFlags is bench's flag set: --config or the legacy target and
// workload flags, and the flags that shape the run.
type benchFlags struct {
	fs     *pflag.FlagSet
	config *string
	legacy *legacyFlags
	output outputFlags
}

func newBenchFlags(stderr io.Writer) benchFlags {
	fs := newFlags("bench", benchSynopsis, stderr)
	b := benchFlags{fs: fs}
	b.config = fs.String("config", "", "config file (YAML) with targets, workloads and a bench section, instead of the target and workload flags")
	b.legacy = addLegacyFlags(fs)
	fs.Duration("duration", 0, "measured time per workload (default 1m; with -o no limit unless given)")
	fs.Duration("warmup", 0, "warm-up per workload and engine, sent and exported but not in the results (default 5s; 0s with -o)")
	fs.Bool("sequential", false, "run the engines one after the other instead of at once")
	fs.Float64("rate", 0, "open-loop rate per workload and engine, in requests/s (default: closed loop with -j workers)")
	fs.Int("pipeline", 0, "commands per request (default 1)")
	fs.String("out", "", "directory that receives one results directory per run (default results)")
	fs.String("listen", "", "also serve /metrics on this address during the run")
	fs.String("log-level", "", "debug, info, warn or error")
	fs.String("log-format", "", "json or console (default console)")
	b.output = addOutputFlags(fs)
	withNotes(fs, thresholdsHelp+"\n\n"+exitCodesHelp)
	return b
}

// benchGCPercent is the garbage collector's target during a bench, unless
// GOGC is set. A bench is finite and its live heap small (tens of MB), and
// when the client CPU is the bottleneck (pipelines), every GC cycle is
// throughput lost: 400 instead of Go's 100 gave 5% more ops/s at pipeline
// 16 (docs/performance.md). The daemon keeps Go's default, for its memory
// bound.
const benchGCPercent = 400

func runBench(args []string, stdout, stderr io.Writer) int {
	bf := newBenchFlags(stderr)
	fs, path, legacy := bf.fs, bf.config, bf.legacy
	if code, ok := parseFlags(fs, joinAWSFile(args)); !ok {
		return code
	}
	flagThresholds, ok := bf.output.parse("bench", stderr)
	if !ok {
		return exitUsage
	}
	cfg, err := benchConfig(fs, *path, legacy, os.Environ())
	if err != nil {
		return printConfigError(stderr, "ecbench bench", *path, err)
	}
	if !checkNames("bench", flagThresholds, cfg.ThresholdNames(), stderr) {
		return exitUsage
	}
	// Found now, not after a run of minutes whose results would be lost.
	if err := config.WritableDir(cfg.Bench.Results, true); err != nil {
		from := "bench.results"
		if fs.Changed("out") {
			from = "--out"
		}
		fmt.Fprintf(stderr, "ecbench bench: %s: %v\n", from, err)
		return exitUsage
	}
	thresholds := append(cfg.ParsedThresholds(), flagThresholds...)
	logFormat := cfg.Log.Format
	if !fs.Changed("log-format") {
		logFormat = config.FormatConsole
	}
	log, err := newLogger(cfg.Log.Level, logFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench bench: %v\n", err)
		return exitUsage
	}
	defer func() { _ = log.Sync() }()
	redis.SetLogger(redisLogger{log.Named("go-redis").Sugar()})

	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(benchGCPercent))
	}

	ctx, stop := notifyContext(log)
	defer stop()
	b, err := app.NewBench(cfg, log, app.BenchOptions{
		// Progress goes to stderr with the logs: stdout is the comparison,
		// which a script may read (--format json | jq).
		Version: buildVersion(), Command: redactedCommand(args), Progress: newProgress(stderr, log).show,
	})
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return exitFailed
	}
	defer b.Close()
	if fs.Changed("listen") {
		srv := metrics.NewServer(cfg.Listen, b.Registry(), func() error { return nil }, metrics.WithLogger(log))
		if err := srv.Start(); err != nil {
			log.Error("metrics server", zap.Error(err))
			return exitFailed
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("serving metrics", zap.String("url", "http://"+srv.Addr()+"/metrics"))
	}
	run, err := b.Run(ctx)
	if err != nil {
		log.Error("bench failed", zap.Error(err))
		return exitFailed
	}
	dir, err := results.WriteNew(cfg.Bench.Results, run)
	if err != nil {
		log.Error("cannot write results", zap.Error(err))
		return exitFailed
	}
	c := comparison.Of(run)
	if err := c.Check(thresholds); err != nil {
		// Checked against the config already: only a run interrupted
		// before a workload it names gets here. The defaults still apply.
		log.Warn("thresholds not checked", zap.Error(err))
		_ = c.Check(nil)
	}
	format := *bf.output.format
	if err := comparison.Write(stdout, c, comparison.Options{Format: format, Detail: *bf.output.detail, Dirs: []string{dir}}); err != nil {
		log.Error("cannot write the comparison", zap.Error(err))
		return exitFailed
	}
	if format == "text" || format == "markdown" {
		fmt.Fprintf(stdout, "\nresults: %s (compare later with: ecbench compare %s)\n", dir, dir)
	} else {
		log.Info("results written", zap.String("dir", dir))
	}
	if ctx.Err() != nil {
		msg := "interrupted: the results cover the part that ran"
		if format == "text" || format == "markdown" {
			fmt.Fprintln(stdout, msg)
		} else {
			log.Warn(msg)
		}
		return exitFailed
	}
	return exitCode(c)
}

// joinAWSFile lets "--aws FILE" work as the original tool's did: the flag's
// value is optional, which pflag only accepts as --aws=FILE, and bench takes
// no arguments, so a word after --aws is its file.
func joinAWSFile(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			return append(out, args[i:]...)
		}
		if args[i] == "--aws" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out = append(out, "--aws="+args[i+1])
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// benchConfig builds the configuration from --config or from the legacy
// flags, applies the bench flags, and loads it like any config file.
func benchConfig(fs *pflag.FlagSet, path string, legacy *legacyFlags, env []string) (*config.Config, error) {
	var tree map[string]any
	var err error
	if path != "" {
		for _, name := range legacyFlagNames {
			if fs.Changed(name) {
				f := fs.Lookup(name)
				return nil, fmt.Errorf("--%s (-%s) describes targets or workloads and cannot be combined with --config; set it in the file", name, f.Shorthand)
			}
		}
		if tree, err = config.ReadTree(path); err != nil {
			return nil, err
		}
	} else {
		if legacy.opsPerThread < 0 {
			return nil, fmt.Errorf("-o/--ops: must be >= 0 (operations per thread; 0 runs for --duration), got %d", legacy.opsPerThread)
		}
		if tree, env, err = legacy.tree(env); err != nil {
			return nil, err
		}
		if legacy.opsPerThread > 0 && !fs.Changed("warmup") {
			setKey(tree, "0s", "bench", "warmup") // a run by count measures every request
		}
	}
	for _, f := range []struct{ flag, key string }{
		{"duration", "duration"}, {"warmup", "warmup"}, {"out", "results"},
	} {
		if fs.Changed(f.flag) {
			setKey(tree, fs.Lookup(f.flag).Value.String(), "bench", f.key)
		}
	}
	if fs.Changed("sequential") {
		seq, _ := fs.GetBool("sequential")
		setKey(tree, seq, "bench", "sequential")
	}
	workloads, _ := tree["workloads"].([]any)
	for _, w := range workloads {
		wm, ok := w.(map[string]any)
		if !ok {
			continue
		}
		if fs.Changed("rate") {
			r, _ := fs.GetFloat64("rate")
			wm["rate"] = map[string]any{"type": "constant", "rate": r}
		}
		if fs.Changed("pipeline") {
			p, _ := fs.GetInt("pipeline")
			wm["pipeline"] = p
		}
	}
	return config.LoadTree(tree, fs, env)
}

// setKey sets tree[k0][k1]… = value, making the mappings on the way.
func setKey(tree map[string]any, value any, keys ...string) {
	m := tree
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
}

// redactedCommand is the command line for the results, without the value of
// -a/--password.
func redactedCommand(args []string) []string {
	out := append([]string{"ecbench", "bench"}, args...)
	for i := 2; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "-a" || a == "--password":
			if i+1 < len(out) {
				out[i+1] = "REDACTED"
				i++
			}
		case len(a) > 2 && a[:2] == "-a":
			out[i] = "-aREDACTED"
		case len(a) > 11 && a[:11] == "--password=":
			out[i] = "--password=REDACTED"
		}
	}
	return out
}
