package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/results"
)

const benchSynopsis = `bench [--config FILE | -t kv|ds|all -d TYPES -n KEYS -s SIZE -e ELEMENTS -j THREADS -o OPS -r HOST -p PORT -v HOST -q PORT ...] [--duration D] [--warmup D] [--rate R] [--pipeline N] [--sequential] [--out DIR]`

// benchFlags is bench's flag set: --config or the legacy target and
// workload flags, and the flags that shape the run.
type benchFlags struct {
	fs     *pflag.FlagSet
	config *string
	legacy *legacyFlags
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
	cfg, env, err := benchConfig(fs, *path, legacy, os.Environ())
	if err != nil {
		return reportConfigError(stderr, *path, err)
	}
	format := cfg.Log.Format
	if !fs.Changed("log-format") {
		format = config.FormatConsole
	}
	log, err := newLogger(cfg.Log.Level, format, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench bench: %v\n", err)
		return exitUsage
	}
	defer func() { _ = log.Sync() }()
	redis.SetLogger(redisLogger{log.Named("go-redis").Sugar()})
	_ = env

	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(benchGCPercent))
	}

	ctx, stop := notifyContext(log)
	defer stop()
	b, err := newBench(cfg, log, stdout)
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return exitFailed
	}
	defer b.close()
	if fs.Changed("listen") {
		srv := metrics.NewServer(cfg.Listen, b.reg, func() error { return nil })
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
	run, err := b.run(ctx, redactedCommand(args))
	if err != nil {
		log.Error("bench failed", zap.Error(err))
		return exitFailed
	}
	dir, err := writeResults(cfg.Bench.Results, run)
	if err != nil {
		log.Error("cannot write results", zap.Error(err))
		return exitFailed
	}
	printComparison(stdout, run, "text")
	fmt.Fprintf(stdout, "\nresults: %s (compare later with: ecbench compare %s)\n", dir, dir)
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "interrupted: the results cover the part that ran")
		return exitFailed
	}
	return exitOK
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

// reportConfigError prints a config problem list or error; exit 2.
func reportConfigError(stderr io.Writer, path string, err error) int {
	var verr *config.ValidationError
	if errors.As(err, &verr) {
		if path == "" {
			path = "flags"
		}
		fmt.Fprintf(stderr, "ecbench: %s: %d problem(s):\n", path, len(verr.Problems))
		for _, p := range verr.Problems {
			fmt.Fprintf(stderr, "  %s: %s\n", p.Path, p.Msg)
		}
	} else {
		fmt.Fprintf(stderr, "ecbench bench: %v\n", err)
	}
	return exitUsage
}

// benchConfig builds the configuration from --config or from the legacy
// flags, applies the bench flags, and loads it like any config file.
func benchConfig(fs *pflag.FlagSet, path string, legacy *legacyFlags, env []string) (*config.Config, []string, error) {
	var tree map[string]any
	var err error
	if path != "" {
		for _, name := range legacyFlagNames {
			if fs.Changed(name) {
				f := fs.Lookup(name)
				return nil, env, fmt.Errorf("--%s (-%s) describes targets or workloads and cannot be combined with --config; set it in the file", name, f.Shorthand)
			}
		}
		if tree, err = config.ReadTree(path); err != nil {
			return nil, env, err
		}
	} else {
		if tree, env, err = legacy.tree(env); err != nil {
			return nil, env, err
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
	cfg, err := config.LoadTree(tree, fs, env)
	return cfg, env, err
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

// benchDefinition is the part of the configuration that defines what was
// measured (targets without secrets, workloads): runs that agree on it can be
// merged, whatever their listen address, log level or duration.
func benchDefinition(cfg *config.Config) map[string]any {
	m := cfg.Redacted()
	for _, k := range []string{"listen", "log", "summary_interval", "shutdown_timeout", "bench"} {
		delete(m, k)
	}
	return m
}

// bench is one finite run: every workload in turn against its targets.
type bench struct {
	cfg     *config.Config
	log     *zap.Logger
	reg     *prometheus.Registry
	m       *metrics.Metrics
	targets []*target.Target
	byName  map[string]*target.Target
	out     io.Writer
	tty     bool
}

func newBench(cfg *config.Config, log *zap.Logger, out io.Writer) (*bench, error) {
	b := &bench{cfg: cfg, log: log, reg: metrics.NewRegistry(), out: out, byName: map[string]*target.Target{}}
	if f, ok := out.(*os.File); ok {
		b.tty = term.IsTerminal(int(f.Fd()))
	}
	m, err := metrics.New(b.reg, buildVersion())
	if err != nil {
		return nil, err
	}
	b.m = m
	for _, tc := range cfg.Targets {
		t, err := target.New(targetOptions(tc, cfg.Workloads))
		if err != nil {
			b.close()
			return nil, fmt.Errorf("target %s: %w", tc.Name, err)
		}
		b.targets = append(b.targets, t)
		b.byName[tc.Name] = t
		m.AddTarget(targetState(t))
	}
	return b, nil
}

func (b *bench) close() {
	for _, t := range b.targets {
		_ = t.Close()
	}
}

// run detects every target, then runs each workload in turn and returns what
// was measured. An interrupted run returns what it measured so far.
func (b *bench) run(ctx context.Context, command []string) (*results.Run, error) {
	host, _ := os.Hostname()
	run := &results.Run{
		Schema: results.SchemaVersion,
		Meta: results.Meta{
			Tool: "ecbench", Version: buildVersion(), Host: host, GoVersion: runtime.Version(),
			Command: command, Start: time.Now(),
			Warmup: b.cfg.Bench.Warmup, Duration: b.cfg.Bench.Duration, Sequential: b.cfg.Bench.Sequential,
			Config: benchDefinition(b.cfg),
		},
	}
	for _, t := range b.targets {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		info, err := t.Detect(dctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("target %s cannot be reached: %w", t.Name(), err)
		}
		if d := t.DeclaredEngine(); d != "" && d != info.Engine {
			b.log.Warn("declared engine differs from the detected one; using the detected engine",
				zap.String("target", t.Name()), zap.String("declared", d), zap.String("detected", info.Engine))
		}
		run.Targets = append(run.Targets, results.Target{Name: t.Name(), Engine: info.Engine, Version: info.Version, Mode: info.Mode, Role: info.Role})
		b.log.Info("target", zap.String("target", t.Name()), zap.String("engine", info.Engine), zap.String("version", info.Version),
			zap.String("mode", info.Mode), zap.String("role", info.Role))
	}
	for _, wc := range b.cfg.Workloads {
		if ctx.Err() != nil {
			break
		}
		series, gen, err := b.workload(ctx, wc)
		if err != nil {
			return nil, err
		}
		run.Series = append(run.Series, series...)
		run.Generator = append(run.Generator, gen...)
	}
	run.Meta.End = time.Now()
	return run, nil
}

// workload preloads, warms up and measures one workload on its targets, at
// once or one target after the other.
func (b *bench) workload(ctx context.Context, wc config.Workload) ([]results.Series, []results.Generator, error) {
	w, err := newWorkload(wc)
	if err != nil {
		return nil, nil, err
	}
	var ts []*target.Target
	for _, t := range b.targets {
		if wc.RunsOn(t.Name()) {
			ts = append(ts, t)
		}
	}
	if wc.Preload {
		if err := b.preload(ctx, w, ts); err != nil {
			return nil, nil, err
		}
	}
	groups := [][]*target.Target{ts}
	if b.cfg.Bench.Sequential {
		groups = nil
		for _, t := range ts {
			groups = append(groups, []*target.Target{t})
		}
	}
	var series []results.Series
	var gens []results.Generator
	for _, g := range groups {
		if ctx.Err() != nil {
			break
		}
		if b.cfg.Bench.Warmup > 0 {
			b.phase(ctx, wc, w, g, "warm-up", b.cfg.Bench.Warmup, 0, false)
		}
		if ctx.Err() != nil {
			break
		}
		ps := b.phase(ctx, wc, w, g, "measure", b.cfg.Bench.Duration, int64(b.cfg.Bench.Requests), true)
		for _, p := range ps {
			series = append(series, p.res.Series()...)
			p50, p99, p999 := p.lag.Quantiles()
			gens = append(gens, results.Generator{
				Target: p.t.Name(), Workload: w.Name, MaxScheduleLag: p.maxLag, Dropped: p.dropped,
				MaxInFlight: p.runner.MaxInFlight(), ScheduleLagP50: p50, ScheduleLagP99: p99, ScheduleLagP999: p999,
			})
		}
	}
	b.cleanup(w, ts)
	return series, gens, nil
}

// cleanup deletes the workload's keys on its targets. It runs even after an
// interrupt, with its own deadline, and only logs what fails.
func (b *bench) cleanup(w *workload.Workload, ts []*target.Target) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, t := range ts {
		n, err := deletePrefix(ctx, t.Client(), w.Keys.Prefix)
		if err != nil {
			b.log.Warn("cannot delete the workload's keys", zap.String("workload", w.Name), zap.String("target", t.Name()),
				zap.String("prefix", w.Keys.Prefix), zap.Error(err))
			continue
		}
		b.log.Debug("deleted the workload's keys", zap.String("workload", w.Name), zap.String("target", t.Name()), zap.Int64("keys", n))
	}
}

// benchPair is one runner of a phase.
type benchPair struct {
	t        *target.Target
	runner   *runner.Runner
	rec      *metrics.Recorder
	res      *results.Recorder    // nil in warm-up
	lag      *results.LagRecorder // nil in warm-up
	maxLag   time.Duration
	dropped  uint64
	done     uint64    // requests answered or dropped so far
	finished time.Time // when Run returned
}

// phase runs w on ts at once for d (0: no limit) or n requests (0: no
// limit), whichever ends first, showing progress. measured phases also
// record into results recorders.
func (b *bench) phase(ctx context.Context, wc config.Workload, w *workload.Workload, ts []*target.Target, name string, d time.Duration, n int64, measured bool) []*benchPair {
	pctx := ctx
	if d > 0 {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	start := time.Now()
	var pairs []*benchPair
	for _, t := range ts {
		p := &benchPair{t: t, rec: b.m.Recorder(t.Name(), w.Name, w.OpNames(), t.Engine)}
		var rec result.Recorder = p.rec
		var lag runner.LagRecorder = b.m.LagRecorder(t.Name(), w.Name)
		if measured {
			p.res = results.NewRecorder(t.Name(), w.Name, w.OpNames(), start, start)
			p.res.SetEngine(t.Engine())
			rec = teeRecorder{p.rec, p.res}
			p.lag = results.NewLagRecorder()
			lag = teeLag{lag, p.lag}
		}
		r, err := runner.New(runner.Config{
			Client: t.Client(), Workload: w, Schedule: newSchedule(wc.Rate), Workers: wc.Rate.Workers,
			MaxInFlight: wc.MaxInflight, Drain: b.cfg.ShutdownTimeout, Recorder: rec, Lag: lag, Requests: n, Start: start,
		})
		if err != nil { // the workload was built from a validated config
			panic(fmt.Sprintf("bench: runner: %v", err))
		}
		p.runner = r
		if b.m != nil {
			b.m.AddRunner(t.Name(), w.Name, r)
		}
		pairs = append(pairs, p)
	}
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.runner.Run(pctx)
			p.finished = time.Now()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	prog := newProgress(b.out, b.log, b.tty, name, w.Name, d, n)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-tick.C:
		}
		now := time.Now()
		lines := make([]progressLine, len(pairs))
		for i, p := range pairs {
			s := p.rec.TakeSummary(now)
			lag := p.runner.TakeMaxLag()
			p.maxLag = max(p.maxLag, lag)
			p.dropped += s.Dropped
			p.done += s.OK + s.Miss + s.Errors + s.Dropped
			rate := s.Rate
			if finished { // the whole phase's rate, not its last moments'
				rate = float64(p.done) / max(p.finished.Sub(start), time.Millisecond).Seconds()
			}
			lines[i] = progressLine{target: p.t.Name(), engine: s.Engine, done: p.done, rate: rate, p99: s.P99, errors: s.Errors, dropped: s.Dropped, lag: lag}
		}
		prog.show(now.Sub(start), lines, finished)
	}
	// Each target's measured window ends when its schedule stopped: at the
	// time limit, or when the last of its n requests was answered.
	for _, p := range pairs {
		end := p.finished
		if limit := start.Add(d); d > 0 && end.After(limit) {
			end = limit
		}
		if p.res != nil {
			p.res.SetEnd(end)
		}
	}
	return pairs
}

// teeRecorder sends each result to every recorder.
type teeRecorder []result.Recorder

func (t teeRecorder) Record(r result.Result) {
	for _, rec := range t {
		rec.Record(r)
	}
}

// teeLag sends each schedule lag to every lag recorder.
type teeLag []runner.LagRecorder

func (t teeLag) RecordLag(d time.Duration) {
	for _, l := range t {
		l.RecordLag(d)
	}
}

// RecordN sends n equal results to every recorder, batched where it can.
func (t teeRecorder) RecordN(r result.Result, n int) {
	for _, rec := range t {
		result.RecordN(rec, r, n)
	}
}

// preload fills w's key space on every target at once.
func (b *bench) preload(ctx context.Context, w *workload.Workload, ts []*target.Target) error {
	start := time.Now()
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Preload(ctx, t.Client(), nil)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("preload %s on %s: %w", w.Name, t.Name(), errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.log.Info("preloaded", zap.String("workload", w.Name), zap.Int("targets", len(ts)),
		zap.Duration("took", time.Since(start).Round(time.Millisecond)))
	return nil
}

// writeResults writes run into a new directory under parent.
func writeResults(parent string, run *results.Run) (string, error) {
	dir := filepath.Join(parent, run.Meta.Start.UTC().Format("20060102T150405Z"))
	for i := 2; ; i++ {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			break
		}
		dir = filepath.Join(parent, fmt.Sprintf("%s-%d", run.Meta.Start.UTC().Format("20060102T150405Z"), i))
	}
	return dir, results.Write(dir, run)
}
