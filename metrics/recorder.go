package metrics

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
)

var _ result.Recorder = (*Recorder)(nil)

// numClasses is the length of a slice indexed by result.Class, ClassNone
// included.
var numClasses = len(result.Classes) + 1

// Recorder records the results of one (target, workload) pair. It implements
// result.Recorder; Record is safe for concurrent use, never waits on I/O or a
// channel and does not allocate once the engine is bound.
type Recorder struct {
	m        *Metrics
	target   string
	workload string
	ops      []string
	engine   func() engine.Engine

	// bound is the series set for the engine seen last. Record rebinds only
	// when the engine changes; cache keeps every set built so far so that a
	// flip back (redis -> valkey -> redis) reuses the same children.
	bound atomic.Pointer[binding]
	mu    sync.Mutex // guards cache
	cache map[string]*binding

	iv interval
}

// binding is every series of one recorder for one engine label value,
// resolved once so that Record does no label lookups.
type binding struct {
	engine string
	ops    []opSeries // indexed by result.Result.Op
}

type opSeries struct {
	latency    *durationHistogram   // answered: ok and miss
	service    *durationHistogram   // answered: ok and miss
	errLatency *durationHistogram   // errors, from the intended start
	outcomes   []prometheus.Counter // indexed by result.Outcome
	errors     []prometheus.Counter // indexed by result.Class; [ClassNone] is nil
}

// Recorder returns the recorder for one (target, workload) pair. ops are the
// workload's op label values in index order (result.Result.Op indexes them).
// engine is called on every Record and must be cheap (an atomic load): the
// engine label is detected at run time and may change, from "unknown" to
// "redis", or from "redis" to "valkey" during an in-place migration. An empty
// engine, or a nil func, means "unknown".
//
// All series for the current engine are created when it is first seen,
// including every ecbench_ops_total outcome and every ecbench_op_errors_total
// class at zero, so rate() and increase() see the first event of each.
func (m *Metrics) Recorder(target, workload string, ops []string, engineOf func() engine.Engine) *Recorder {
	if engineOf == nil {
		engineOf = func() engine.Engine { return engine.Unknown }
	}
	r := &Recorder{
		m:        m,
		target:   target,
		workload: workload,
		ops:      append([]string(nil), ops...),
		engine:   engineOf,
		cache:    make(map[string]*binding),
	}
	r.iv.init(time.Now())
	r.current()
	return r
}

// Record records one finished or dropped request. An answered request (ok or
// miss) goes to the latency and service-time histograms, a failed one to the
// error-latency histogram only: an engine that fails fast must not look fast.
// A dropped request with a Done (the earliest it could have been sent, see
// result.Result) goes to the latency histogram too, as the lower bound on
// its latency that Done.Sub(Intended) is, so that a stall that makes the
// runner drop still shows in the percentiles; it stays counted as dropped
// in ecbench_ops_total, never as answered. A dropped request without a Done
// is counted only.
// It panics if res.Op is not an index into the recorder's ops or res.Outcome
// is not a result.Outcome: both are programming errors in the caller. An
// Error outcome without a class counts as "other".
func (r *Recorder) Record(res result.Result) { r.RecordN(res, 1) }

// RecordN records n requests that ended the same way at the same times, such
// as the commands of one op in a pipeline: it costs about as much as one
// Record.
func (r *Recorder) RecordN(res result.Result, n int) {
	if n <= 0 {
		return
	}
	w := uint64(n)
	s := &r.current().ops[res.Op]
	s.outcomes[res.Outcome].Add(float64(n))
	if res.Outcome == result.Dropped {
		lat := time.Duration(-1) // no lower bound known: counted, not timed
		if !res.Done.IsZero() {
			lat = max(res.Done.Sub(res.Intended), 0)
			s.latency.observe(lat, w)
		}
		r.iv.record(res.Outcome, result.ClassNone, lat, w)
		return
	}
	lat := res.Done.Sub(res.Intended)
	class := result.ClassNone
	if res.Outcome == result.Error {
		class = res.Class
		if class == result.ClassNone || int(class) >= len(s.errors) {
			class = result.ClassOther
		}
		s.errors[class].Add(float64(n))
		s.errLatency.observe(lat, w)
	} else {
		s.latency.observe(lat, w)
		if !res.Sent.IsZero() {
			s.service.observe(res.Done.Sub(res.Sent), w)
		}
	}
	r.iv.record(res.Outcome, class, max(lat, 0), w)
}

// current returns the binding for the engine reported now.
func (r *Recorder) current() *binding {
	e := r.engine().Label()
	if b := r.bound.Load(); b != nil && b.engine == e {
		return b
	}
	return r.rebind(e)
}

// rebind is the slow path, taken once per engine change.
func (r *Recorder) rebind(engine string) *binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.cache[engine]
	if !ok {
		b = r.m.bind(r.target, r.workload, engine, r.ops)
		r.cache[engine] = b
	}
	r.bound.Store(b)
	return b
}

func (m *Metrics) bind(target, workload, engine string, ops []string) *binding {
	b := &binding{engine: engine, ops: make([]opSeries, len(ops))}
	for i, op := range ops {
		s := &b.ops[i]
		s.latency = m.latency.with(target, engine, workload, op)
		s.service = m.service.with(target, engine, workload, op)
		s.errLatency = m.errLatency.with(target, engine, workload, op)
		s.outcomes = make([]prometheus.Counter, len(result.Outcomes))
		for _, o := range result.Outcomes {
			s.outcomes[o] = m.ops.WithLabelValues(target, engine, workload, op, o.String())
		}
		s.errors = make([]prometheus.Counter, numClasses)
		for _, c := range result.Classes {
			s.errors[c] = m.errors.WithLabelValues(target, engine, workload, op, c.String())
		}
	}
	return b
}
