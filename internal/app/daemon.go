package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/cpuuse"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/metrics/cloudwatch"
	"github.com/ecbench/ecbench/results"
)

// healthInterval is how often each target is health-checked (PING) for
// ecbench_target_up and readiness. INFO is read every targets[].info_interval
// (role, run_id, master link: target.Monitor), and at once when a request
// or a probe says the topology moved.
const healthInterval = time.Second

// startDelay leaves the daemon time to start its goroutines before the
// schedules' time zero, so that the first requests are not already late.
const startDelay = 100 * time.Millisecond

// pair is one (workload, target) runner and its recorder.
type pair struct {
	target   *target.Target
	workload string
	runner   *runner.Runner
	rec      *metrics.Recorder
	maxLag   time.Duration // over the whole run, for the final summary
	// stallDrops is the runner's count at the previous summary, so that
	// each summary reports its own interval's.
	stallDrops uint64
}

// Daemon drives every workload against its targets until stopped, with the
// probes, the scenario and the CloudWatch poller beside them, and serves
// /metrics, /healthz and /readyz.
type Daemon struct {
	plan    *Plan
	version string
	server  *metrics.Server
	pairs   []pair
	// cloudwatch polls ElastiCache's own metrics; nil when off.
	cloudwatch *cloudwatch.Poller
	probes     probeSet
	scenario   *scenarioRun // nil without phases
	// preloads are the workloads (indices) the daemon preloads before its
	// runners start; preloading is set until they are done.
	preloads   []int
	preloading atomic.Bool
	started    atomic.Bool // the runners are running: summaries are due
	// replayPasses is, per replay workload (index), the passes over its
	// trace last logged: a pass completed is logged once, at the summary
	// after it.
	replayPasses map[int]int64
	// cpu measures the generator's own CPU second by second since the
	// last summary; only the main loop touches it.
	cpu *cpuuse.Meter
}

// NewDaemon builds the daemon of cfg. AWS clients (CloudWatch, failover)
// come from the default chain; version labels ecbench_build_info.
func NewDaemon(cfg *config.Config, log *zap.Logger, version string) (*Daemon, error) {
	p, err := NewPlan(cfg, log, version)
	if err != nil {
		return nil, err
	}
	d := &Daemon{plan: p, version: version}
	fail := func(err error) (*Daemon, error) { p.Close(); return nil, err }
	ctx := context.Background()
	if d.cloudwatch, err = p.cloudWatch(ctx); err != nil {
		return fail(err)
	}
	if d.probes, err = p.probes(); err != nil {
		return fail(err)
	}
	if d.scenario, err = p.scenario(ctx); err != nil {
		return fail(err)
	}
	// The runners and the scenario get their one time zero when Run starts
	// them, after the preloads: both engines see the same offered load at
	// the same moment, and no schedule starts behind.
	for i, wc := range cfg.Workloads {
		if wc.Preload {
			d.preloads = append(d.preloads, i)
		}
		w := p.workloads[i]
		for _, t := range p.targetsOf(i) {
			rec := p.metrics.Recorder(t.Name(), w.Name, w.OpNames(), t.Engine)
			sched, err := wc.Rate.Schedule()
			if err != nil {
				return fail(fmt.Errorf("workload %s: %w", w.Name, err))
			}
			if d.scenario != nil {
				sched = d.scenario.timeline.Schedule(w.Name, sched)
			}
			r, err := p.newRunner(i, t, runnerSpec{schedule: sched, recorder: rec, lag: p.metrics.LagRecorder(t.Name(), w.Name),
				scenario: d.scenario != nil})
			if err != nil {
				return fail(err)
			}
			d.pairs = append(d.pairs, pair{target: t, workload: w.Name, runner: r, rec: rec})
		}
	}
	d.preloading.Store(len(d.preloads) > 0)
	d.server = metrics.NewServer(cfg.Listen, p.reg, d.ready, metrics.WithLogger(log))
	return d, nil
}

// ready reports whether every target has answered at least once and the
// preloads are done: the daemon is measuring.
func (d *Daemon) ready() error {
	if d.preloading.Load() {
		return errors.New("preloading the workloads' keys")
	}
	var waiting []string
	for _, t := range d.plan.targets {
		if !t.Ready() {
			waiting = append(waiting, t.Name())
		}
	}
	if len(waiting) > 0 {
		return fmt.Errorf("waiting for targets to answer: %s", strings.Join(waiting, ", "))
	}
	return nil
}

// Run serves metrics and drives every runner until ctx is cancelled, then
// stops within the shutdown timeout plus a second: runners first (in-flight
// requests drained), a final summary, then monitors, probes and the poller,
// the HTTP server, and the clients last.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.plan.Close()
	log, cfg := d.plan.log, d.plan.cfg
	if err := d.server.Start(); err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	log.Info("ecbench started",
		zap.String("version", d.version),
		zap.String("metrics", "http://"+d.server.Addr()+"/metrics"),
		zap.Strings("targets", d.targetNames()),
		zap.Int("runners", len(d.pairs)))

	monCtx, stopMonitors := context.WithCancel(context.Background())
	var monitors sync.WaitGroup
	for _, t := range d.plan.targets {
		monitors.Go(func() { t.Monitor(monCtx, healthInterval, d.onTargetEvent) })
	}
	for _, run := range d.probes.runs {
		monitors.Go(func() { run(monCtx) })
	}
	if d.cloudwatch != nil {
		monitors.Go(func() { d.cloudwatch.Run(monCtx) })
	}

	runCtx, stopRunners := context.WithCancel(ctx)
	defer stopRunners()
	var runners sync.WaitGroup
	start := time.Now()
	failed := make(chan error, 1) // a preload that failed: the daemon stops
	runners.Go(func() {
		if err := d.preloadAll(runCtx); err != nil {
			if runCtx.Err() == nil {
				failed <- err
			}
			return
		}
		d.startRunners(runCtx, &runners)
	})

	ticker := time.NewTicker(cfg.SummaryInterval)
	cpuTick := time.NewTicker(time.Second)
	defer cpuTick.Stop()
	d.cpu = cpuuse.NewMeter()
	sd := newSystemd(log)
	readyCheck := time.NewTicker(200 * time.Millisecond)
	var runErr error
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case runErr = <-failed:
			log.Error("stopping: the preload failed", zap.Error(runErr))
			done = true
		case <-cpuTick.C:
			iv, ok := d.cpu.Tick()
			d.plan.metrics.ObserveGeneratorCPU(iv, ok)
		case now := <-ticker.C:
			if d.started.Load() {
				d.logSummaries(now, "summary")
				d.logReplays(false)
				d.logGeneratorCPU()
			}
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
	if !waitTimeout(&runners, cfg.ShutdownTimeout+200*time.Millisecond) {
		// A request blocked past the drain (a read timeout longer than the
		// shutdown timeout) is cut off by closing the clients.
		log.Warn("requests still in flight after the shutdown timeout; closing connections")
		d.plan.Close()
		waitTimeout(&runners, time.Second)
	}
	if d.started.Load() {
		d.logFinalSummaries(time.Now())
		d.logReplays(true)
	}
	stopMonitors()
	if !waitTimeout(&monitors, 500*time.Millisecond) {
		// A monitor's INFO poll blocked on a server that does not answer
		// (paused, frozen) waits for its read timeout: closing the
		// clients cuts it off, as it does the runners' requests above.
		d.plan.Close()
		monitors.Wait()
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := d.server.Shutdown(shutCtx); err != nil {
		log.Warn("metrics server shutdown", zap.Error(err))
	}
	log.Info("ecbench stopped", zap.Duration("ran", time.Since(start).Round(time.Millisecond)))
	return runErr
}

// preloadAll preloads the workloads that ask for it (workloads[].preload),
// one after the other, each on all its targets at once, once they have all
// answered (a target down at start is waited for, as the runners would).
func (d *Daemon) preloadAll(ctx context.Context) error {
	defer d.preloading.Store(false)
	for _, i := range d.preloads {
		ts := d.plan.targetsOf(i)
		for logged := false; ; {
			var waiting []string
			for _, t := range ts {
				if !t.Ready() {
					waiting = append(waiting, t.Name())
				}
			}
			if len(waiting) == 0 {
				break
			}
			if !logged {
				d.plan.log.Info("waiting for targets to answer before the preload",
					zap.String("workload", d.plan.workloads[i].Name), zap.Strings("targets", waiting))
				logged = true
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err := d.preloadRetrying(ctx, i, ts); err != nil {
			return err
		}
	}
	return nil
}

// Preload retries: a daemon soaks for hours, and a preload cut short by a
// server that restarted, failed over or froze for a moment is tried again
// (it is idempotent: the same values, each structure emptied first). What
// a retry cannot fix — OOM, NOPERM, WRONGTYPE, a bad reply — stops the
// daemon at once.
const (
	preloadAttempts   = 5
	preloadRetryPause = 2 * time.Second
)

// preloadRetrying runs workload i's preload, again after a transient failure.
func (d *Daemon) preloadRetrying(ctx context.Context, i int, ts []*target.Target) error {
	for attempt := 1; ; attempt++ {
		err := d.plan.preload(ctx, i, ts)
		if err == nil || ctx.Err() != nil || attempt == preloadAttempts || !transient(result.Classify(err)) {
			return err
		}
		d.plan.log.Warn("preload failed; trying again", zap.String("workload", d.plan.workloads[i].Name),
			zap.Int("attempt", attempt), zap.Int("attempts", preloadAttempts), zap.Duration("pause", preloadRetryPause), zap.Error(err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(preloadRetryPause):
		}
	}
}

// transient reports whether a failure of class c may pass by itself: the
// connection, not the request, failed, or the server was busy changing
// state.
func transient(c result.Class) bool {
	switch c {
	case result.ClassTimeout, result.ClassConnRefused, result.ClassConnReset, result.ClassPoolTimeout, result.ClassBackoff,
		result.ClassLoading, result.ClassReadonly, result.ClassMasterDown, result.ClassClusterDown, result.ClassTryAgain,
		result.ClassMoved, result.ClassBusy:
		return true
	}
	return false
}

// startRunners starts every runner and the scenario with one time zero,
// startDelay from now so that the first requests are not already late.
func (d *Daemon) startRunners(ctx context.Context, runners *sync.WaitGroup) {
	now := time.Now()
	start := now.Add(startDelay)
	for _, p := range d.pairs {
		// Rates in the summaries are over the time the runners ran, not
		// the preload's.
		p.rec.StartAt(now)
		runners.Go(func() { p.runner.RunAt(ctx, start) })
	}
	if d.scenario != nil {
		runners.Go(func() {
			if err := d.scenario.driver(start).Run(ctx); err != nil {
				d.plan.log.Error("scenario stopped", zap.Error(err))
			}
		})
	}
	d.started.Store(true)
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

func (d *Daemon) targetNames() []string {
	names := make([]string, len(d.plan.targets))
	for i, t := range d.plan.targets {
		names[i] = t.Name()
	}
	return names
}

// logReplays logs what each replay workload read of its trace: when a
// pass over it has completed since the last call (a trace that does not
// loop: it has ended, and its workload sends nothing more), and at the end.
func (d *Daemon) logReplays(final bool) {
	for i, w := range d.plan.workloads {
		r := workload.ReplayOf(w)
		if r == nil {
			continue
		}
		st := r.Stats()
		switch {
		case final:
			logReplay(d.plan.log, "replay: final", w.Name, st)
		case st.Passes > d.replayPasses[i]:
			msg := "replay: the trace was read to its end; it starts over"
			if !d.plan.cfg.Workloads[i].Replay.Loop {
				msg = "replay: the trace was read to its end; the workload sends nothing more"
			}
			logReplay(d.plan.log, msg, w.Name, st)
		}
		if d.replayPasses == nil {
			d.replayPasses = map[int]int64{}
		}
		d.replayPasses[i] = st.Passes
	}
}

// logGeneratorCPU warns when the generator's CPUs were saturated for
// results.CPUBoundShare or more of the interval since the last summary, and
// starts the next interval. One line for every runner: they share the
// process.
func (d *Daemon) logGeneratorCPU() {
	u := d.cpu.Usage()
	d.cpu = cpuuse.NewMeter()
	warnGeneratorCPU(d.plan.log, u)
}

// warnGeneratorCPU warns when u, an interval's CPU use, makes the
// generator the bottleneck (results.Generator.CPUBound's rule).
func warnGeneratorCPU(log *zap.Logger, u cpuuse.Usage) {
	if !(results.Generator{CPUs: u.CPUs, CPUSaturated: u.SaturatedShare}).CPUBound() {
		return
	}
	fields := []zap.Field{zap.Int("cpus", u.CPUs), zap.Float64("busy", round3(u.Busy)), zap.Float64("saturated_share", round3(u.SaturatedShare)),
		zap.String("hint", "give ecbench more CPUs (GOMAXPROCS, the unit's CPUQuota or affinity, a larger instance), lower the rates, or add ecbench instances")}
	if u.StealKnown {
		fields = append(fields, zap.Float64("host_steal", round3(u.Steal)))
	}
	log.Warn("generator is the bottleneck: its CPUs were saturated, so it read replies late and these numbers hold its own queueing", fields...)
}

// logSummaries writes one line per (target, workload) with what was achieved
// since the previous line, and warns when something held the load back.
func (d *Daemon) logSummaries(now time.Time, msg string) {
	for i := range d.pairs {
		p := &d.pairs[i]
		lag := p.runner.TakeMaxLag()
		p.maxLag = max(p.maxLag, lag)
		// StallDrops is read first: the runner records a drop before it
		// counts it, so every stall drop read is in the summary, and an
		// interval's stall drops never exceed its drops.
		stallDrops := p.runner.StallDrops()
		s := p.rec.TakeSummary(now)
		d.logSummary(p, msg, s, lag, p.runner.TakeMaxReplyGap(), stallDrops-p.stallDrops)
		p.stallDrops = stallDrops
	}
}

// logFinalSummaries writes one line per (target, workload) with what was
// achieved over the whole run, not its last interval: every result since
// the runners were built (startDelay before the schedules' time zero), the
// rate over that time, the largest schedule lag.
func (d *Daemon) logFinalSummaries(now time.Time) {
	for i := range d.pairs {
		p := &d.pairs[i]
		p.maxLag = max(p.maxLag, p.runner.TakeMaxLag())
		s := p.rec.TotalSummary(now)
		d.logSummary(p, "final summary", s, p.maxLag, p.runner.MaxReplyGap(), min(p.runner.StallDrops(), s.Dropped))
	}
}

// logSummary writes one summary line and the warnings that say who held
// the load back (results.Generator's attribution): the generator (it fell
// behind its schedule), the server (it stopped answering), or the in-flight
// bound (it dropped requests while the server was answering).
func (d *Daemon) logSummary(p *pair, msg string, s metrics.Summary, lag, gap time.Duration, stallDrops uint64) {
	log := d.plan.log
	fields := []zap.Field{
		zap.String("target", s.Target), zap.String("engine", s.Engine), zap.String("workload", s.Workload),
		zap.Float64("ops_per_sec", round3(s.Rate)),
		zap.Float64("offered_ops_per_sec", round3(p.runner.OfferedRate())),
		zap.Float64("p50_ms", ms(s.P50)), zap.Float64("p99_ms", ms(s.P99)), zap.Float64("max_ms", ms(s.Max)),
		zap.Uint64("ok", s.OK), zap.Uint64("miss", s.Miss), zap.Uint64("errors", s.Errors), zap.Uint64("dropped", s.Dropped),
		zap.Float64("max_lag_ms", ms(lag)), zap.Duration("interval", s.Interval.Round(time.Millisecond)),
	}
	if s.TopErrorClass != "" {
		fields = append(fields, zap.String("top_error", s.TopErrorClass))
	}
	if gap >= results.StallGap {
		fields = append(fields, zap.Float64("max_reply_gap_ms", ms(gap)))
	}
	log.Info(msg, fields...)
	g := results.Generator{Dropped: s.Dropped, MaxScheduleLag: lag, MaxReplyGap: gap, StallDrops: stallDrops, DropsBounded: true}
	who := []zap.Field{zap.String("target", s.Target), zap.String("workload", s.Workload)}
	if g.Bound() {
		log.Warn("generator is the bottleneck: it fell behind its schedule, and these numbers understate the engine",
			append(who, zap.Float64("max_lag_ms", ms(lag)),
				zap.String("hint", "lower the rate, give ecbench more CPU, or add ecbench instances"))...)
	}
	if gap, stalled := g.ServerStall(); stalled {
		log.Warn("server stalled: requests were in flight and it answered none of them",
			append(who, zap.Float64("max_reply_gap_ms", ms(gap)), zap.Uint64("dropped_in_stall", stallDrops))...)
	}
	if n, limited := g.InFlightLimited(); limited {
		log.Warn("requests dropped while the server was answering: rate × latency exceeds max_inflight (their latency lower bounds are recorded)",
			append(who, zap.Uint64("dropped", n), zap.Int64("max_inflight", p.runner.MaxInFlight()),
				zap.String("hint", "raise max_inflight (or leave it unset to derive it from the rate and read_timeout), or lower the rate"))...)
	}
}

// onTargetEvent logs what a target's monitor noticed, and asks the target's
// integrity probe for a full sweep when a restart or a change of role may
// have taken acknowledged writes with it.
func (d *Daemon) onTargetEvent(e target.Event) {
	log := d.plan.log
	node := func() []zap.Field { return []zap.Field{zap.String("target", e.Target), zap.String("node", e.Node)} }
	switch e.Kind {
	case target.EventUp:
		log.Info("target up", zap.String("target", e.Target), zap.String("engine", string(e.Info.Engine)),
			zap.String("version", e.Info.Version), zap.String("mode", e.Info.Mode), zap.String("role", e.Info.Role))
	case target.EventDown:
		log.Warn("target down", zap.String("target", e.Target), zap.String("class", e.Class.String()), zap.Error(e.Err))
	case target.EventChanged:
		log.Warn("target changed", zap.String("target", e.Target),
			zap.String("engine", string(e.Info.Engine)), zap.String("version", e.Info.Version), zap.String("mode", e.Info.Mode),
			zap.String("previous_engine", string(e.Previous.Engine)), zap.String("previous_version", e.Previous.Version),
			zap.String("previous_mode", e.Previous.Mode))
	case target.EventEngineMismatch:
		if t := d.plan.byName[e.Target]; t != nil {
			warnEngineMismatch(log, e.Target, t.DeclaredEngine(), e.Info.Engine)
		}
	case target.EventRoleChanged:
		log.Warn("target role changed", append(node(), zap.String("role", e.Status.Role),
			zap.String("previous_role", e.PreviousStatus.Role), zap.String("primary", e.Status.Master),
			zap.String("previous_primary", e.PreviousStatus.Master))...)
		d.probes.sweep(e.Target, "role change")
	case target.EventRestarted:
		log.Warn("target restarted", append(node(), zap.String("run_id", e.Status.RunID),
			zap.String("previous_run_id", e.PreviousStatus.RunID), zap.Float64("uptime_seconds", e.Status.Uptime.Seconds()),
			zap.Float64("previous_uptime_seconds", e.PreviousStatus.Uptime.Seconds()),
			zap.String("engine", string(e.Info.Engine)), zap.String("version", e.Info.Version))...)
		d.probes.sweep(e.Target, "restart")
	case target.EventMasterLinkChanged:
		fields := append(node(), zap.String("primary", e.Status.Master), zap.String("master_link", e.Status.MasterLink),
			zap.String("previous_master_link", e.PreviousStatus.MasterLink))
		if e.Status.MasterLink == target.LinkUp {
			log.Info("master link up", fields...)
		} else {
			log.Warn("master link down", fields...)
		}
	}
}

func ms(d time.Duration) float64 { return round3(d.Seconds() * 1000) }

// round3 keeps three decimals: enough for microseconds in milliseconds.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
