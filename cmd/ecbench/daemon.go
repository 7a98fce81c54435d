package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// Generator-saturation thresholds for the summary's warning: past them the
// numbers describe ecbench, not the engine.
const lagWarnThreshold = 50 * time.Millisecond

// healthInterval is how often each target is checked (PING, and INFO after a
// recovery) for ecbench_target_up and readiness.
const healthInterval = time.Second

// startDelay leaves the daemon time to start its goroutines before the
// schedules' time zero, so that the first requests are not already late.
const startDelay = 100 * time.Millisecond

func runDaemon(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "run --config FILE [--listen ADDR] [--log-level L] [--log-format F]", stderr)
	path := fs.String("config", os.Getenv("ECBENCH_CONFIG"), "config file (YAML); also ECBENCH_CONFIG")
	fs.String("listen", "", "metrics HTTP address, host:port (overrides listen)")
	fs.String("log-level", "", "debug, info, warn or error (overrides log.level)")
	fs.String("log-format", "", "json or console (overrides log.format)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cfg, code := loadConfig(*path, fs, stderr)
	if cfg == nil {
		return code
	}
	log, err := newLogger(cfg.Log.Level, cfg.Log.Format, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench run: %v\n", err)
		return exitUsage
	}
	defer func() { _ = log.Sync() }()
	redis.SetLogger(redisLogger{log.Named("go-redis").Sugar()})

	d, err := newDaemon(cfg, log)
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return exitFailed
	}
	ctx, stop := notifyContext(log)
	defer stop()
	if err := d.run(ctx); err != nil {
		log.Error("daemon failed", zap.Error(err))
		return exitFailed
	}
	return exitOK
}

// notifyContext returns a context cancelled by the first SIGINT or SIGTERM;
// a second one exits the process at once.
func notifyContext(log *zap.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			log.Info("stopping: signal received; send it again to exit at once", zap.String("signal", s.String()))
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			log.Warn("exiting at once: second signal", zap.String("signal", s.String()))
			_ = log.Sync()
			os.Exit(exitFailed)
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(sigs); close(done); cancel() }
}

func loadConfig(path string, fs *pflag.FlagSet, stderr io.Writer) (*config.Config, int) {
	if path == "" {
		fmt.Fprintln(stderr, "ecbench: --config is required (or set ECBENCH_CONFIG); see examples/annotated.yaml")
		return nil, exitUsage
	}
	cfg, err := config.Load(path, fs, os.Environ())
	if err != nil {
		var verr *config.ValidationError
		if errors.As(err, &verr) {
			fmt.Fprintf(stderr, "ecbench: %s: %d problem(s):\n", path, len(verr.Problems))
			for _, p := range verr.Problems {
				fmt.Fprintf(stderr, "  %s: %s\n", p.Path, p.Msg)
			}
		} else {
			fmt.Fprintf(stderr, "ecbench: %v\n", err)
		}
		return nil, exitUsage
	}
	return cfg, exitOK
}

// pair is one (workload, target) runner and its recorder.
type pair struct {
	target   *target.Target
	workload string
	runner   *runner.Runner
	rec      *metrics.Recorder
}

type daemon struct {
	cfg     *config.Config
	log     *zap.Logger
	reg     *prometheus.Registry
	server  *metrics.Server
	targets []*target.Target
	pairs   []pair
	// cloudwatch polls ElastiCache's own metrics; nil when off.
	cloudwatch *cloudwatch.Poller
	probes     []probeRun
	scenario   *scenarioRun // nil without phases
	start      time.Time    // the runners' and the scenario's time zero

	closeOnce sync.Once
}

func newDaemon(cfg *config.Config, log *zap.Logger) (*daemon, error) {
	d := &daemon{cfg: cfg, log: log, reg: metrics.NewRegistry()}
	m, err := metrics.New(d.reg, buildVersion())
	if err != nil {
		return nil, err
	}
	byName := map[string]*target.Target{}
	for _, tc := range cfg.Targets {
		t, err := target.New(targetOptions(tc, cfg.Workloads))
		if err != nil {
			d.closeTargets()
			return nil, fmt.Errorf("target %s: %w", tc.Name, err)
		}
		d.targets = append(d.targets, t)
		byName[tc.Name] = t
		m.AddTarget(targetState(t))
	}
	if d.cloudwatch, err = newCloudWatch(context.Background(), cfg, byName, d.reg, log); err != nil {
		d.closeTargets()
		return nil, err
	}
	if d.probes, err = newProbes(d); err != nil {
		d.closeTargets()
		return nil, err
	}
	if d.scenario, err = newScenario(context.Background(), cfg, d.reg, log); err != nil {
		d.closeTargets()
		return nil, err
	}
	// Every runner and the scenario share one time zero, set once the slow
	// parts (AWS clients) are built, so that both engines see the same
	// offered load at the same moment.
	d.start = time.Now().Add(startDelay)
	for _, wc := range cfg.Workloads {
		w, err := newWorkload(wc)
		if err != nil {
			d.closeTargets()
			return nil, err
		}
		names := wc.Targets
		if len(names) == 0 {
			for _, tc := range cfg.Targets {
				names = append(names, tc.Name)
			}
		}
		for _, name := range names {
			t := byName[name]
			rec := m.Recorder(t.Name(), w.Name, w.OpNames(), t.Engine)
			sched := newSchedule(wc.Rate)
			if d.scenario != nil {
				sched = d.scenario.timeline.Schedule(w.Name, sched)
			}
			r, err := runner.New(runner.Config{
				Client:      t.Client(),
				Workload:    w,
				Schedule:    sched,
				Workers:     wc.Rate.Workers,
				MaxInFlight: wc.MaxInflight,
				Drain:       cfg.ShutdownTimeout,
				Recorder:    rec,
				Lag:         m.LagRecorder(t.Name(), w.Name),
				Start:       d.start,
			})
			if err != nil {
				d.closeTargets()
				return nil, fmt.Errorf("workload %s on %s: %w", w.Name, name, err)
			}
			m.AddRunner(t.Name(), w.Name, r)
			d.pairs = append(d.pairs, pair{target: t, workload: w.Name, runner: r, rec: rec})
		}
	}
	d.server = metrics.NewServer(cfg.Listen, d.reg, d.ready)
	return d, nil
}

// targetState adapts a target to the metrics package's view of it.
func targetState(t *target.Target) func() metrics.TargetState {
	return func() metrics.TargetState {
		info, known := t.Info()
		return metrics.TargetState{
			Name: t.Name(), Engine: t.Engine(), Version: info.Version, Mode: info.Mode, Role: info.Role,
			Known: known, Up: t.Up(), Pool: t.PoolStats(),
		}
	}
}

// ready reports whether every target has answered at least once.
func (d *daemon) ready() error {
	var waiting []string
	for _, t := range d.targets {
		if !t.Ready() {
			waiting = append(waiting, t.Name())
		}
	}
	if len(waiting) > 0 {
		return fmt.Errorf("waiting for targets to answer: %s", strings.Join(waiting, ", "))
	}
	return nil
}

// run serves metrics and drives every runner until ctx is cancelled, then
// stops within the shutdown timeout plus a second.
func (d *daemon) run(ctx context.Context) error {
	defer d.closeTargets()
	if err := d.server.Start(); err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	d.log.Info("ecbench started",
		zap.String("version", buildVersion()),
		zap.String("metrics", "http://"+d.server.Addr()+"/metrics"),
		zap.Strings("targets", d.targetNames()),
		zap.Int("runners", len(d.pairs)))

	monCtx, stopMonitors := context.WithCancel(context.Background())
	var monitors sync.WaitGroup
	for _, t := range d.targets {
		monitors.Add(1)
		go func() {
			defer monitors.Done()
			t.Monitor(monCtx, healthInterval, d.onTargetEvent)
		}()
	}

	for _, run := range d.probes {
		monitors.Add(1)
		go func() {
			defer monitors.Done()
			run(monCtx)
		}()
	}
	if d.cloudwatch != nil {
		monitors.Add(1)
		go func() {
			defer monitors.Done()
			d.cloudwatch.Run(monCtx)
		}()
	}

	runCtx, stopRunners := context.WithCancel(ctx)
	defer stopRunners()
	var runners sync.WaitGroup
	start := time.Now()
	for _, p := range d.pairs {
		runners.Add(1)
		go func() {
			defer runners.Done()
			p.runner.Run(runCtx)
		}()
	}

	if d.scenario != nil {
		runners.Add(1)
		go func() {
			defer runners.Done()
			if err := d.scenario.driver(d.start).Run(runCtx); err != nil {
				d.log.Error("scenario stopped", zap.Error(err))
			}
		}()
	}

	ticker := time.NewTicker(d.cfg.SummaryInterval)
	sd := newSystemd(d.log)
	readyCheck := time.NewTicker(200 * time.Millisecond)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case now := <-ticker.C:
			d.logSummaries(now, "summary")
		case <-readyCheck.C:
			if d.ready() == nil {
				sd.ready()
				readyCheck.Stop()
			}
		case <-sd.watchdog():
			// Sent from this loop, so a stuck daemon stops feeding it.
			sd.alive()
		}
	}
	ticker.Stop()
	readyCheck.Stop()
	sd.stopping()

	stopRunners()
	if !waitTimeout(&runners, d.cfg.ShutdownTimeout+200*time.Millisecond) {
		// A request blocked past the drain (a read timeout longer than the
		// shutdown timeout) is cut off by closing the clients.
		d.log.Warn("requests still in flight after the shutdown timeout; closing connections")
		d.closeTargets()
		waitTimeout(&runners, time.Second)
	}
	d.logSummaries(time.Now(), "final summary")
	stopMonitors()
	monitors.Wait()
	shutCtx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := d.server.Shutdown(shutCtx); err != nil {
		d.log.Warn("metrics server shutdown", zap.Error(err))
	}
	d.log.Info("ecbench stopped", zap.Duration("ran", time.Since(start).Round(time.Millisecond)))
	return nil
}

// waitTimeout waits for wg up to d and reports whether it finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

func (d *daemon) targetNames() []string {
	names := make([]string, len(d.targets))
	for i, t := range d.targets {
		names[i] = t.Name()
	}
	return names
}

func (d *daemon) closeTargets() {
	d.closeOnce.Do(func() {
		for _, t := range d.targets {
			_ = t.Close()
		}
	})
}

// logSummaries writes one line per (target, workload) with what was achieved
// since the previous line, and warns when the generator was the bottleneck.
func (d *daemon) logSummaries(now time.Time, msg string) {
	for _, p := range d.pairs {
		s := p.rec.TakeSummary(now)
		lag := p.runner.TakeMaxLag()
		fields := []zap.Field{
			zap.String("target", s.Target), zap.String("engine", s.Engine), zap.String("workload", s.Workload),
			zap.Float64("ops_per_sec", round3(s.Rate)),
			zap.Float64("offered_ops_per_sec", round3(p.runner.OfferedRate())),
			zap.Float64("p50_ms", ms(s.P50)), zap.Float64("p99_ms", ms(s.P99)), zap.Float64("max_ms", ms(s.Max)),
			zap.Uint64("ok", s.OK), zap.Uint64("miss", s.Miss), zap.Uint64("errors", s.Errors), zap.Uint64("dropped", s.Dropped),
			zap.Float64("max_lag_ms", ms(lag)),
		}
		if s.TopErrorClass != "" {
			fields = append(fields, zap.String("top_error", s.TopErrorClass))
		}
		d.log.Info(msg, fields...)
		if s.Dropped > 0 || lag > lagWarnThreshold {
			d.log.Warn("generator is the bottleneck: these numbers understate the engine",
				zap.String("target", s.Target), zap.String("workload", s.Workload),
				zap.Uint64("dropped", s.Dropped), zap.Int64("max_inflight", p.runner.MaxInFlight()),
				zap.Float64("max_lag_ms", ms(lag)),
				zap.String("hint", "raise max_inflight or pool_size, lower the rate, or add ecbench instances"))
		}
	}
}

func (d *daemon) onTargetEvent(e target.Event) {
	switch e.Kind {
	case target.EventUp:
		d.log.Info("target up", zap.String("target", e.Target), zap.String("engine", e.Info.Engine),
			zap.String("version", e.Info.Version), zap.String("mode", e.Info.Mode), zap.String("role", e.Info.Role))
	case target.EventDown:
		d.log.Warn("target down", zap.String("target", e.Target), zap.String("class", e.Class.String()), zap.Error(e.Err))
	case target.EventChanged:
		d.log.Warn("target changed", zap.String("target", e.Target),
			zap.String("engine", e.Info.Engine), zap.String("version", e.Info.Version), zap.String("role", e.Info.Role),
			zap.String("previous_engine", e.Previous.Engine), zap.String("previous_version", e.Previous.Version),
			zap.String("previous_role", e.Previous.Role))
	case target.EventEngineMismatch:
		d.log.Warn("declared engine differs from the detected one; using the detected engine",
			zap.String("target", e.Target), zap.String("declared", d.declaredEngine(e.Target)), zap.String("detected", e.Info.Engine))
	}
}

func (d *daemon) declaredEngine(name string) string {
	for _, t := range d.targets {
		if t.Name() == name {
			return t.DeclaredEngine()
		}
	}
	return ""
}

func ms(d time.Duration) float64 { return round3(d.Seconds() * 1000) }

// round3 keeps three decimals: enough for microseconds in milliseconds.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
