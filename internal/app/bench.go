package app

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/cpuuse"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/results"
)

// The bench's phases, as Progress names them.
const (
	PhaseWarmup  = "warm-up"
	PhaseMeasure = "measure"
)

// Progress is a bench phase's state: reported every second while it runs,
// and once more (Final) when it ends.
type Progress struct {
	Phase    string    // PhaseWarmup or PhaseMeasure
	Workload string    // the workload's name
	Started  time.Time // when the phase started: a new value is a new phase
	Elapsed  time.Duration
	Limit    time.Duration // the phase's time limit; 0: none
	Requests int64         // the phase's request limit per target; 0: none
	Targets  []TargetProgress
	Final    bool
}

// TargetProgress is one target's state in a phase. Live reports describe
// the last second; the Final one describes the whole phase.
type TargetProgress struct {
	Target, Engine  string
	Done            uint64        // requests answered or failed so far; dropped ones were never sent
	Rate            float64       // answered ops/s
	P99             time.Duration // of answered requests
	Errors, Dropped uint64
	Lag             time.Duration // the largest schedule lag
}

// BenchOptions are what a bench needs besides its configuration.
type BenchOptions struct {
	Version  string         // of ecbench, for the results and ecbench_build_info
	Command  []string       // the command line, secrets redacted, for the results
	Progress func(Progress) // nil: no progress reports
}

// Bench is one finite run: every workload in turn against its targets.
type Bench struct {
	plan *Plan
	opts BenchOptions
}

// NewBench builds the bench of cfg.
func NewBench(cfg *config.Config, log *zap.Logger, opts BenchOptions) (*Bench, error) {
	p, err := NewPlan(cfg, log, opts.Version)
	if err != nil {
		return nil, err
	}
	if opts.Progress == nil {
		opts.Progress = func(Progress) {}
	}
	return &Bench{plan: p, opts: opts}, nil
}

// Registry is the bench's Prometheus registry, for serving /metrics during
// the run.
func (b *Bench) Registry() *prometheus.Registry { return b.plan.reg }

// Close closes the targets' clients.
func (b *Bench) Close() { b.plan.Close() }

// Definition is the part of the configuration that defines what was
// measured (targets without secrets, workloads): runs that agree on it can be
// merged, whatever their listen address, log level or duration.
func Definition(cfg *config.Config) map[string]any {
	m := cfg.Redacted()
	for _, k := range []string{"listen", "log", "summary_interval", "shutdown_timeout", "bench"} {
		delete(m, k)
	}
	// A target's price is recorded with the target (results.Target), and
	// changes nothing that was measured.
	ts, _ := m["targets"].([]any)
	for _, t := range ts {
		if t, ok := t.(map[string]any); ok {
			delete(t, "price_per_hour")
			delete(t, "currency")
		}
	}
	return m
}

// Run detects every target, then runs each workload in turn (preload,
// warm-up, measure, cleanup) and returns what was measured: the series,
// the generators' reports and each target's INFO read before and after
// the preload and the measured phase (results.Server; a snapshot a node
// did not answer is logged and left out). An interrupted run returns what
// it measured so far.
func (b *Bench) Run(ctx context.Context) (*results.Run, error) {
	cfg, log := b.plan.cfg, b.plan.log
	host, _ := os.Hostname()
	run := &results.Run{
		Schema: results.SchemaVersion,
		Meta: results.Meta{
			Tool: "ecbench", Version: b.opts.Version, Host: host, GoVersion: runtime.Version(),
			Command: b.opts.Command, Start: time.Now(),
			Warmup: cfg.Bench.Warmup, Duration: cfg.Bench.Duration, Sequential: cfg.Bench.Sequential,
			Config: Definition(cfg),
		},
	}
	for k, t := range b.plan.targets {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		info, err := t.Detect(dctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("target %s cannot be reached: %w", t.Name(), err)
		}
		warnEngineMismatch(log, t.Name(), t.DeclaredEngine(), info.Engine)
		tc := cfg.Targets[k] // the plan's targets are in config order
		run.Targets = append(run.Targets, results.Target{Name: t.Name(), Engine: info.Engine, Version: info.Version, Mode: info.Mode, Role: info.Role,
			PricePerHour: tc.PricePerHour, Currency: tc.Currency})
		log.Info("target", zap.String("target", t.Name()), zap.String("engine", string(info.Engine)), zap.String("version", info.Version),
			zap.String("mode", info.Mode), zap.String("role", info.Role))
	}
	if err := b.watchServerStats(); err != nil {
		return nil, err
	}
	for i := range cfg.Workloads {
		if ctx.Err() != nil {
			break
		}
		wr, err := b.workload(ctx, i)
		if err != nil {
			return nil, err
		}
		run.Series = append(run.Series, wr.series...)
		run.Generator = append(run.Generator, wr.generators...)
		run.Servers = append(run.Servers, wr.servers...)
		if r := workload.ReplayOf(b.plan.workloads[i]); r != nil {
			st := r.Stats()
			logReplay(log, "replay: what the trace held", b.plan.workloads[i].Name, st)
			rec := replayRecord(b.plan.workloads[i].Name, st)
			rec.Ended = !cfg.Workloads[i].Replay.Loop && st.Passes > 0
			run.Replays = append(run.Replays, rec)
		}
	}
	run.Meta.End = time.Now()
	return run, nil
}

// workloadResults are what one workload measured.
type workloadResults struct {
	series     []results.Series
	generators []results.Generator
	servers    []results.Server
}

// workload preloads, warms up and measures workload i on its targets, at
// once or one target after the other, then deletes its keys. The targets'
// INFO is read around the preload and around each measured phase.
func (b *Bench) workload(ctx context.Context, i int) (workloadResults, error) {
	cfg := b.plan.cfg
	wc, w := cfg.Workloads[i], b.plan.workloads[i]
	ts := b.plan.targetsOf(i)
	if len(ts) == 0 {
		return workloadResults{}, nil
	}
	defer b.cleanup(i, ts)
	servers := b.newServerRecords(i, ts)
	if wc.Preload {
		servers.take(ctx, b, ts, beforePreload)
		if err := b.plan.preload(ctx, i, ts); err != nil {
			return workloadResults{}, err
		}
		servers.take(ctx, b, ts, afterPreload)
	}
	groups := [][]*target.Target{ts}
	if cfg.Bench.Sequential {
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
		if cfg.Bench.Warmup > 0 {
			if _, err := b.phase(ctx, i, g, PhaseWarmup, cfg.Bench.Warmup, 0, false); err != nil {
				return workloadResults{}, err
			}
		}
		if ctx.Err() != nil {
			break
		}
		servers.take(ctx, b, g, beforeMeasure)
		ps, err := b.phase(ctx, i, g, PhaseMeasure, cfg.Bench.Duration, int64(cfg.Bench.Requests), true)
		if err != nil {
			return workloadResults{}, err
		}
		servers.take(ctx, b, g, afterMeasure)
		for _, p := range ps {
			series = append(series, p.res.Series()...)
			p50, p99, p999 := p.lag.Quantiles()
			gens = append(gens, results.Generator{
				Target: p.t.Name(), Workload: w.Name, MaxScheduleLag: p.maxLag, Dropped: p.dropped,
				MaxInFlight: p.runner.MaxInFlight(), ScheduleLagP50: p50, ScheduleLagP99: p99, ScheduleLagP999: p999,
				OpenLoop: wc.Rate.OpenLoop(),
				// The runner gives every drop its lower bound and tells
				// the stall drops from the others.
				MaxReplyGap: p.runner.MaxReplyGap(), StallDrops: min(p.runner.StallDrops(), p.dropped), DropsBounded: true,
				CPUs: p.cpu.CPUs, CPUBusy: p.cpu.Busy, CPUSaturated: p.cpu.SaturatedShare,
				HostSteal: p.cpu.Steal, HostStealMax: p.cpu.StealMax, HostStealKnown: p.cpu.StealKnown,
			})
		}
	}
	return workloadResults{series: series, generators: gens, servers: servers.list()}, nil
}

// cleanup deletes workload i's keys on its targets. It runs even after an
// interrupt or a failed phase, with its own deadline, and only logs what
// fails.
func (b *Bench) cleanup(i int, ts []*target.Target) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log, w := b.plan.log, b.plan.workloads[i]
	for _, t := range ts {
		n, err := w.DeleteKeys(ctx, t.Client())
		if err != nil {
			log.Warn("cannot delete the workload's keys", zap.String("workload", w.Name), zap.String("target", t.Name()),
				zap.String("prefix", w.Keys.Prefix), zap.Error(err))
			continue
		}
		log.Debug("deleted the workload's keys", zap.String("workload", w.Name), zap.String("target", t.Name()), zap.Int64("keys", n))
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
	done     uint64       // requests answered or failed so far
	finished time.Time    // when Run returned
	cpu      cpuuse.Usage // the generator's CPU over the phase, every pair's alike
}

// phase runs workload i on ts at once for d (0: no limit) or n requests (0:
// no limit), whichever ends first, reporting progress. Measured phases also
// record into results recorders.
func (b *Bench) phase(ctx context.Context, i int, ts []*target.Target, name string, d time.Duration, n int64, measured bool) ([]*benchPair, error) {
	p, wc, w := b.plan, b.plan.cfg.Workloads[i], b.plan.workloads[i]
	pctx := ctx
	if d > 0 {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	start := time.Now()
	var pairs []*benchPair
	for _, t := range ts {
		bp := &benchPair{t: t, rec: p.metrics.Recorder(t.Name(), w.Name, w.OpNames(), t.Engine)}
		var rec result.Recorder = bp.rec
		var lag runner.LagRecorder = p.metrics.LagRecorder(t.Name(), w.Name)
		if measured {
			bp.res = results.NewRecorder(t.Name(), w.Name, w.OpNames(), start, start)
			bp.res.SetEngine(t.Engine())
			rec = teeRecorder{bp.rec, bp.res}
			bp.lag = results.NewLagRecorder()
			lag = teeLag{lag, bp.lag}
		}
		sched, err := wc.Rate.Schedule()
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		r, err := p.newRunner(i, t, runnerSpec{schedule: sched, recorder: rec, lag: lag, requests: n, start: start,
			stopAtEnd: workload.ReplayOf(w) != nil})
		if err != nil {
			return nil, err
		}
		bp.runner = r
		pairs = append(pairs, bp)
	}
	// The generator's own CPU, second by second: saturated, it reads
	// replies late, and the phase's numbers are partly its own.
	meter := cpuuse.NewMeter()
	var wg sync.WaitGroup
	for _, bp := range pairs {
		wg.Go(func() {
			bp.runner.Run(pctx)
			bp.finished = time.Now()
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-tick.C:
		}
		iv, ok := meter.Tick()
		p.metrics.ObserveGeneratorCPU(iv, ok)
		now := time.Now()
		pr := Progress{Phase: name, Workload: w.Name, Started: start, Elapsed: now.Sub(start), Limit: d, Requests: n,
			Targets: make([]TargetProgress, len(pairs)), Final: finished}
		for k, bp := range pairs {
			s := bp.rec.TakeSummary(now)
			lag := bp.runner.TakeMaxLag()
			bp.maxLag = max(bp.maxLag, lag)
			bp.done += s.OK + s.Miss + s.Errors
			if finished {
				// The whole phase, not its last moments: the rate from the
				// recorder's creation (the phase's start) to when the
				// runner returned, the percentiles over every answer.
				s = bp.rec.TotalSummary(bp.finished)
				bp.done, bp.dropped, lag = s.OK+s.Miss+s.Errors, s.Dropped, bp.maxLag
			}
			pr.Targets[k] = TargetProgress{Target: bp.t.Name(), Engine: s.Engine, Done: bp.done, Rate: s.Rate, P99: s.P99,
				Errors: s.Errors, Dropped: s.Dropped, Lag: lag}
		}
		b.opts.Progress(pr)
	}
	// Each target's measured window ends when its schedule stopped: at the
	// time limit, or when the last of its n requests was answered.
	cpu := meter.Usage()
	for _, bp := range pairs {
		bp.cpu = cpu
		end := bp.finished
		if limit := start.Add(d); d > 0 && end.After(limit) {
			end = limit
		}
		if bp.res != nil {
			bp.res.SetEnd(end)
		}
	}
	return pairs, nil
}

// teeRecorder sends each result to every recorder.
type teeRecorder []result.Recorder

func (t teeRecorder) Record(r result.Result) {
	for _, rec := range t {
		rec.Record(r)
	}
}

// RecordN sends n equal results to every recorder, batched where it can.
func (t teeRecorder) RecordN(r result.Result, n int) {
	for _, rec := range t {
		result.RecordN(rec, r, n)
	}
}

// teeLag sends each schedule lag to every lag recorder.
type teeLag []runner.LagRecorder

func (t teeLag) RecordLag(d time.Duration) {
	for _, l := range t {
		l.RecordLag(d)
	}
}
