package results

import (
	"sync"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
)

var _ result.Recorder = (*Recorder)(nil)

// intervalLen is the length of one interval row.
const intervalLen = time.Second

// Recorder keeps what one (target, workload) runner measured after warm-up,
// for the results directory. It implements result.Recorder and
// result.BatchRecorder; the bench hands each result to it and to the
// Prometheus recorder (internal/app's tee of the two).
//
// Record takes one short per-op mutex (a few counter increments and up to
// three HdrHistogram updates, tens of nanoseconds) and never allocates. Once
// a second, the call that moves an op into a new second also summarises the
// second that left the open window, after releasing the lock, so the
// percentile scan (tens of microseconds) never holds up other workers.
type Recorder struct {
	target, workload string
	start, warmupEnd time.Time
	// first is the first interval of the measured window: the first whole
	// second that starts at or after warmupEnd.
	first int64

	ops []opRecorder // indexed by result.Result.Op

	mu     sync.Mutex // guards engine and end
	engine engine.Engine
	end    time.Time // zero: the window ends when Series is called
}

// NewRecorder records one (target, workload) runner's results. ops are the op
// label values (Result.Op indexes them). Results whose intended start is
// before warmupEnd are ignored (they still go to Prometheus through the other
// recorder); start is the run's time zero for intervals (1 s each, aligned to
// start).
//
// start and warmupEnd are wall-clock times of this run: until SetEnd, the
// intervals run up to the clock. Each op holds six histograms of ~230 KB,
// allocated here so that Record never allocates.
func NewRecorder(target, workload string, ops []string, start, warmupEnd time.Time) *Recorder {
	r := &Recorder{
		target:    target,
		workload:  workload,
		start:     start,
		warmupEnd: warmupEnd,
		first:     ceilDiv(warmupEnd.Sub(start), intervalLen),
		ops:       make([]opRecorder, len(ops)),
	}
	for i, name := range ops {
		r.ops[i].init(name)
	}
	return r
}

// SetEngine sets the engine as detected; it may be called at any time. An
// empty engine, or none set, is engine.Unknown.
func (r *Recorder) SetEngine(e engine.Engine) {
	r.mu.Lock()
	r.engine = e
	r.mu.Unlock()
}

// SetEnd sets the end of the measured window, when the schedule stopped
// (warmupEnd plus the run's duration, or the moment it was interrupted).
// Intervals are reported only for the whole seconds inside
// [warmupEnd, end): answers to the requests still in flight at the end
// count in the totals and histograms but do not make a short last row.
// Until SetEnd is called the window ends when Series is called, so the
// current, incomplete second is never reported.
func (r *Recorder) SetEnd(end time.Time) {
	r.mu.Lock()
	r.end = end
	r.mu.Unlock()
}

// Record records one result. An answered one (ok or miss) goes to the
// latency and service histograms and its second's latency summary, a failed
// one to the error-latency histogram only, so an engine that fails fast does
// not look fast. It panics if res.Op does not index the ops given to
// NewRecorder or res.Outcome is not a result.Outcome: both are programming
// errors. An error without a class counts as "other".
func (r *Recorder) Record(res result.Result) { r.RecordN(res, 1) }

// RecordN records n requests that ended the same way at the same times (the
// commands of one op in a pipeline) for about the cost of one.
func (r *Recorder) RecordN(res result.Result, n int) {
	if n <= 0 || res.Intended.Before(r.warmupEnd) {
		return
	}
	o := &r.ops[res.Op]
	if res.Outcome == result.Dropped {
		o.record(r.first, r.interval(res.Intended), res.Outcome, result.ClassNone, -1, -1, int64(n))
		return
	}
	class := result.ClassNone
	if res.Outcome == result.Error {
		class = res.Class
		if class == result.ClassNone || int(class) >= len(o.classes) {
			class = result.ClassOther
		}
	}
	svc := int64(-1)
	if !res.Sent.IsZero() {
		svc = clampNanos(res.Done.Sub(res.Sent))
	}
	o.record(r.first, r.interval(res.Done), res.Outcome, class, clampNanos(res.Done.Sub(res.Intended)), svc, int64(n))
}

// interval is the index of the interval holding t: floor((t-start)/1s).
func (r *Recorder) interval(t time.Time) int64 {
	return floorDiv(t.Sub(r.start), intervalLen)
}

// Series returns a snapshot: one Series per op that recorded any result after
// warm-up, in op order. Intervals run over every whole second of the measured
// window (see SetEnd), including seconds without results. It is meant for the
// end of a run: it holds each op's lock for a few hundred microseconds
// (cloning histograms, summarising the open seconds).
func (r *Recorder) Series() []Series {
	r.mu.Lock()
	eng, end := r.engine, r.end
	r.mu.Unlock()
	if eng == "" {
		eng = engine.Unknown
	}
	if end.IsZero() {
		end = time.Now()
	}
	// Interval k is whole inside the window iff start+(k+1)s <= end.
	last := floorDiv(end.Sub(r.start), intervalLen) // one past the last whole interval
	var out []Series
	for i := range r.ops {
		s, ok := r.ops[i].snapshot(r.first, last)
		if !ok {
			continue
		}
		s.Target, s.Engine, s.Workload = r.target, eng, r.workload
		s.Seconds = max(end.Sub(r.warmupEnd), 0).Seconds()
		out = append(out, s)
	}
	return out
}

// floorDiv returns floor(d/unit) for unit > 0, also for negative d.
func floorDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit < 0 {
		q--
	}
	return q
}

// ceilDiv returns ceil(d/unit) for unit > 0, also for negative d.
func ceilDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit > 0 {
		q++
	}
	return q
}
