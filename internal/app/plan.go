package app

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
	"github.com/ecbench/ecbench/metrics"
)

// Plan is what both modes build from a validated configuration: one
// registry with ecbench's metrics, one client per target, and the
// workloads; runners are made from it per mode (the daemon's once, the
// bench's per phase). Close closes the targets.
type Plan struct {
	cfg       *config.Config
	log       *zap.Logger
	reg       *prometheus.Registry
	metrics   *metrics.Metrics
	targets   []*target.Target
	byName    map[string]*target.Target
	workloads []*workload.Workload // in config order, one per cfg.Workloads

	boundMu     sync.Mutex
	boundLogged map[[2]string]bool // (workload, target) whose derived max_inflight was logged
	budget      *runner.Budget     // the in-flight cap in bytes every runner shares (inflight.go)

	closeOnce sync.Once
}

// NewPlan builds the plan of cfg; version labels ecbench_build_info.
func NewPlan(cfg *config.Config, log *zap.Logger, version string) (*Plan, error) {
	p := &Plan{cfg: cfg, log: log, reg: metrics.NewRegistry(), byName: map[string]*target.Target{}, budget: newInflightBudget(cfg, log)}
	m, err := metrics.New(p.reg, version)
	if err != nil {
		return nil, err
	}
	p.metrics = m
	for _, wc := range cfg.Workloads {
		w, err := newWorkload(wc)
		if err != nil {
			return nil, err
		}
		p.workloads = append(p.workloads, w)
		if r := workload.ReplayOf(w); r != nil {
			m.AddReplay(w.Name, r)
		}
	}
	for _, tc := range cfg.Targets {
		t, err := target.New(targetOptions(tc, cfg.Workloads))
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("target %s: %w", tc.Name, err)
		}
		p.targets = append(p.targets, t)
		p.byName[tc.Name] = t
		m.AddTarget(targetState(t))
		if err := watchServerStats(p.reg, t); err != nil {
			p.Close()
			return nil, fmt.Errorf("target %s: %w", tc.Name, err)
		}
	}
	return p, nil
}

// watchServerStats exports what t's INFO poller reads of each of its nodes
// (memory, CPU, commandstats, ...) as the ecbench_server_* series on reg.
func watchServerStats(reg prometheus.Registerer, t *target.Target) error {
	stats, err := metrics.NewServerStats(reg, t.Name())
	if err != nil {
		return err
	}
	return t.WatchInfo(stats.Observe, target.StatsSections...)
}

// Registry is the plan's Prometheus registry, for /metrics.
func (p *Plan) Registry() *prometheus.Registry { return p.reg }

// Close closes every target's client; it is safe to call more than once.
func (p *Plan) Close() {
	p.closeOnce.Do(func() {
		for _, t := range p.targets {
			_ = t.Close()
		}
	})
}

// targetsOf returns the targets workload i runs against, in config order.
func (p *Plan) targetsOf(i int) []*target.Target {
	var ts []*target.Target
	for _, t := range p.targets {
		if p.cfg.Workloads[i].RunsOn(t.Name()) {
			ts = append(ts, t)
		}
	}
	return ts
}

// runnerSpec is what differs between the runners of the two modes.
type runnerSpec struct {
	schedule schedule.Schedule // nil: closed loop
	recorder result.Recorder
	lag      runner.LagRecorder
	requests int64 // 0: no limit
	start    time.Time
	scenario bool // the daemon's scenario shapes the schedule
	// stopAtEnd: a replay that does not loop ends the run at its trace's
	// end (bench), rather than idling until stopped (the daemon).
	stopAtEnd bool
}

// newRunner builds the runner of workload i on t, and exports it.
func (p *Plan) newRunner(i int, t *target.Target, s runnerSpec) (*runner.Runner, error) {
	wc, w := p.cfg.Workloads[i], p.workloads[i]
	rec := s.recorder
	if rec == nil {
		rec = result.Discard
	}
	r, err := runner.New(runner.Config{
		Client:      t.Client(),
		Raw:         t.RawDialer(),
		RawPool:     p.rawPoolLimits(t),
		Workload:    w,
		Schedule:    s.schedule,
		Workers:     wc.Rate.Workers(),
		MaxInFlight: p.maxInFlight(i, t.Name(), s.scenario),
		Drain:       p.cfg.ShutdownTimeout,
		Recorder:    topologyRecorder{rec, t},
		Lag:         s.lag,
		Stalls:      p.metrics.StallRecorder(t.Name(), w.Name),
		Requests:    s.requests,
		Start:       s.start,
		Budget:      p.budget,
		StopAtEnd:   s.stopAtEnd,
	})
	if err != nil {
		return nil, fmt.Errorf("workload %s on %s: %w", w.Name, t.Name(), err)
	}
	p.metrics.AddRunner(t.Name(), w.Name, runnerMetrics{r})
	return r, nil
}

// runnerMetrics is a runner as the metrics package sees it: its gauges,
// its stall statistics and the raw path's connections, which
// ecbench_pool_* adds to the target's pool (metrics.ConnStatser).
type runnerMetrics struct{ *runner.Runner }

func (r runnerMetrics) ConnStats() metrics.ConnStats {
	s := r.Runner.ConnStats()
	return metrics.ConnStats{
		Conns: s.Conns, Idle: s.Idle, Pending: s.Pending,
		Hits: s.Hits, Misses: s.Misses, Waits: s.Waits, Timeouts: s.Timeouts, StaleConns: s.Stale, WaitNs: s.WaitNs,
	}
}

// topologyRecorder passes a runner's results on, and asks the target's
// INFO poller to look at once (target.Recheck) when a request's error says
// the topology moved, rather than at its next poll. It costs a comparison
// per result, and a non-blocking send on those errors.
type topologyRecorder struct {
	result.Recorder
	t *target.Target
}

var _ result.BatchRecorder = topologyRecorder{}

// Record implements result.Recorder.
func (r topologyRecorder) Record(res result.Result) {
	r.recheck(res)
	r.Recorder.Record(res)
}

// RecordN implements result.BatchRecorder, batching if the wrapped one does.
func (r topologyRecorder) RecordN(res result.Result, n int) {
	r.recheck(res)
	result.RecordN(r.Recorder, res, n)
}

func (r topologyRecorder) recheck(res result.Result) {
	if res.Outcome == result.Error && topologyMoved(res.Class) {
		r.t.Recheck()
	}
}

// topologyMoved reports whether an error of class c says that the server
// behind the endpoint changed its role or its data: READONLY (a demoted
// primary), MOVED (slots moved to another node), LOADING (a restarted
// server loading its dataset), MASTERDOWN (a replica that lost its
// primary).
func topologyMoved(c result.Class) bool {
	switch c {
	case result.ClassReadonly, result.ClassMoved, result.ClassLoading, result.ClassMasterDown:
		return true
	}
	return false
}

// EngineMismatch is the warning for a target whose detected engine is not
// the declared one, or "" when they agree (or nothing was declared).
func EngineMismatch(declared, detected engine.Engine) string {
	if declared == "" || declared == detected {
		return ""
	}
	return fmt.Sprintf("declared engine %s, detected %s", declared, detected)
}

// warnEngineMismatch logs EngineMismatch's warning, if there is one.
func warnEngineMismatch(log *zap.Logger, name string, declared, detected engine.Engine) {
	if EngineMismatch(declared, detected) != "" {
		log.Warn("declared engine differs from the detected one; using the detected engine",
			zap.String("target", name), zap.String("declared", string(declared)), zap.String("detected", string(detected)))
	}
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

// targetOptions turns a validated target config into loadgen options.
// workloads are the ones that may run against it: each closed-loop worker
// holds a connection of its own (as valkey-benchmark's clients do), on top
// of the pool_size connections that open-loop requests, probes and health
// checks share, so that a busy closed loop cannot starve them.
func targetOptions(t config.Target, workloads []config.Workload) target.Options {
	pool := t.PoolSize
	if closed := closedLoopWorkers(t.Name, workloads); closed > 0 {
		if pool == 0 {
			pool = 10 * runtime.GOMAXPROCS(0) // go-redis' default
		}
		pool += closed
	}
	return target.Options{
		Name:           t.Name,
		Addrs:          t.Addrs,
		Mode:           t.Mode,
		DeclaredEngine: t.Engine,
		TLS: target.TLS{
			Enabled:            t.TLS.Enabled,
			CAFile:             t.TLS.CAFile,
			ServerName:         t.TLS.ServerName,
			InsecureSkipVerify: t.TLS.InsecureSkipVerify,
		},
		Username:     t.Username,
		Password:     t.Password.Reveal(),
		DB:           t.DB,
		PoolSize:     pool,
		Protocol:     t.Protocol,
		DialTimeout:  t.DialTimeout,
		ReadTimeout:  t.ReadTimeout,
		WriteTimeout: t.WriteTimeout,
		InfoInterval: t.InfoInterval,
	}
}

// rawPoolLimits are the limits of an open-loop runner's raw connections
// on t (runner.Config.RawPool): the target's pool settings, with the
// pool_size connections that its open-loop workloads share on go-redis'
// pool split evenly between them (at least one each), so that the raw
// path never holds more than pool_size connections to a node either. The
// closed-loop workers' connections, which targetOptions adds to the
// go-redis pool, are their own on the raw path, and are not counted.
func (p *Plan) rawPoolLimits(t *target.Target) resp.PoolLimits {
	lim := t.RawPoolLimits()
	if lim.Size == 0 {
		return lim
	}
	open := 0
	for _, w := range p.cfg.Workloads {
		if w.Rate.OpenLoop() && w.RunsOn(t.Name()) {
			open++
		}
	}
	pool := lim.Size - closedLoopWorkers(t.Name(), p.cfg.Workloads)
	lim.Size = max(pool/max(open, 1), 1)
	return lim
}

// closedLoopWorkers counts the closed-loop workers of the workloads that
// run against the named target.
func closedLoopWorkers(name string, workloads []config.Workload) int {
	n := 0
	for _, w := range workloads {
		if !w.Rate.OpenLoop() && w.RunsOn(name) {
			n += w.Rate.Workers()
		}
	}
	return n
}

// newWorkload turns a validated workload config into a loadgen workload.
func newWorkload(w config.Workload) (*workload.Workload, error) {
	if w.Type == workload.KindReplay {
		out, err := workload.NewReplayWorkload(w.Name, w.Keys.Prefix, w.Seed, w.Pipeline, workload.ReplayOptions{
			Trace: w.Replay.Source(), Loop: w.Replay.Loop, MaxValueSize: int(w.Replay.MaxValueSize),
		})
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		return out, nil
	}
	kind := w.Type
	out := &workload.Workload{
		Name: w.Name,
		Keys: workload.Keys{
			Prefix:       w.Keys.Prefix,
			Count:        uint64(w.Keys.Count),
			Distribution: w.Keys.Distribution,
			ZipfExponent: w.Keys.ZipfExponent,
		},
		Values:   workload.Values{Min: w.Values.Size, Max: w.Values.Size},
		Pipeline: w.Pipeline,
		Seed:     w.Seed,
	}
	if w.Values.Ranged() {
		out.Values = workload.Values{Min: w.Values.MinSize, Max: w.Values.MaxSize}
	}
	values, err := w.Values.Sizes.Table()
	if err != nil {
		return nil, fmt.Errorf("workload %s: values.sizes: %w", w.Name, err)
	}
	out.Values.Sizes = values
	if w.Type != workload.KindKV {
		elements, err := w.Elements.Sizes.Table()
		if err != nil {
			return nil, fmt.Errorf("workload %s: elements.sizes: %w", w.Name, err)
		}
		out.Structure = workload.Structure{Kind: kind, Elements: w.Elements.Count, ElementSize: w.Elements.Size, ElementSizes: elements, RangeLen: w.Range}
	}
	params := workload.OpParams{TTL: w.TTL, MGetBatch: w.MGetBatch, Structure: out.Structure}
	for _, ow := range w.Ops.Weights(w.Type) {
		op, err := workload.NewOp(kind, ow.Op, params)
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		out.Ops = append(out.Ops, workload.Weighted{Op: op, Weight: float64(ow.Weight)})
	}
	return out, nil
}
