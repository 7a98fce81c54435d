package results

import (
	"sync"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
)

var _ result.Recorder = (*Recorder)(nil)

// Recorder keeps what one (target, workload) runner measured after warm-up,
// for the results directory. It implements result.Recorder and
// result.BatchRecorder; the bench hands each result to it and to the
// Prometheus recorder (internal/app's tee of the two).
//
// Record takes one short per-op mutex (a few counter increments, up to two
// HdrHistogram updates and one loghist bucket, about 100 ns in all) and
// does not allocate. Every 100 ms, the call that moves an op into a new
// tick also files the tick that left the open window in its row, after
// releasing that mutex: it builds the tick's compact histogram (the only
// allocations: the histogram kept, and the rows' slice as it grows) and,
// when rows are longer than a tick, merges it into its row (about 10 µs),
// so other workers never wait for that.
type Recorder struct {
	target, workload string
	start, warmupEnd time.Time

	ops []opRecorder // indexed by result.Result.Op

	mu     sync.Mutex // guards engine and end
	engine engine.Engine
	end    time.Time // zero: the window ends when Series is called
}

// NewRecorder records one (target, workload) runner's results. ops are the op
// label values (Result.Op indexes them). Results whose intended start is
// before warmupEnd are ignored (they still go to Prometheus through the other
// recorder); start is time zero for the rows, which are aligned to it.
//
// start and warmupEnd are wall-clock times of this run: until SetEnd, the
// rows run up to the clock. Give the recorders of the targets of one
// workload the same start and warmupEnd: their rows then have the same
// length and pair one to one. Each op holds three HdrHistograms of ~230 KB
// and four 30 KB loghist builders, allocated here so that Record does not
// allocate (a fifth once rows are merged), and its rows (see MaxIntervals).
func NewRecorder(target, workload string, ops []string, start, warmupEnd time.Time) *Recorder {
	r := &Recorder{
		target:    target,
		workload:  workload,
		start:     start,
		warmupEnd: warmupEnd,
		ops:       make([]opRecorder, len(ops)),
	}
	for i, name := range ops {
		r.ops[i].init(name, warmupEnd.Sub(start))
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
// Rows are reported only for the whole rows inside [warmupEnd, end):
// answers to the requests still in flight at the end count in the totals
// and histograms but do not make a short last row. Until SetEnd is called
// the window ends when Series is called, so the current, incomplete row is
// never reported.
func (r *Recorder) SetEnd(end time.Time) {
	r.mu.Lock()
	r.end = end
	r.mu.Unlock()
}

// Record records one result. An answered one (ok or miss) goes to the
// latency and service histograms and its row's latency, a failed one to the
// error-latency histogram only, so an engine that fails fast does not look
// fast. A dropped one with a Done time (the in-flight bound freed then)
// has Done−Intended as a lower bound on its latency: it goes to the latency
// histogram and the latency of the row of Done, where it is counted
// (Interval.LowerBounds); one without counts as dropped in the row it was
// due in. It panics if res.Op does not index the ops given to NewRecorder
// or res.Outcome is not a result.Outcome: both are programming errors. An
// error without a class counts as "other".
func (r *Recorder) Record(res result.Result) { r.RecordN(res, 1) }

// RecordN records n requests that ended the same way at the same times (the
// commands of one op in a pipeline) for about the cost of one.
func (r *Recorder) RecordN(res result.Result, n int) {
	if n <= 0 || res.Intended.Before(r.warmupEnd) {
		return
	}
	o := &r.ops[res.Op]
	if res.Outcome == result.Dropped && res.Done.IsZero() {
		due := res.Intended.Sub(r.start)
		o.record(tickOf(due), due, res.Outcome, result.ClassNone, -1, -1, int64(n))
		return
	}
	// One clock subtraction less than Intended.Sub(start): due is done
	// less the latency.
	done, lat := res.Done.Sub(r.start), res.Done.Sub(res.Intended)
	due := done - lat
	if res.Outcome == result.Dropped {
		o.record(tickOf(done), due, res.Outcome, result.ClassNone, clampNanos(lat), -1, int64(n))
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
	o.record(tickOf(done), due, res.Outcome, class, clampNanos(lat), svc, int64(n))
}

// tickOf is the index of the 100 ms tick holding d after time zero.
func tickOf(d time.Duration) int64 { return floorDiv(d, tickLen) }

// Series returns a snapshot: one Series per op that recorded any result after
// warm-up, in op order. Its rows run over every whole row of the measured
// window (see SetEnd), including rows without results, at the length
// lengthFor gives the window (the same for every op). It is meant for the
// end of a run: it holds each op's locks for a few hundred microseconds
// (cloning histograms, reading the open ticks), then merges the rows'
// histograms without them.
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
	warmup, endAt := r.warmupEnd.Sub(r.start), end.Sub(r.start)
	want := lengthFor(warmup, endAt)
	var out []Series
	for i := range r.ops {
		o := &r.ops[i]
		o.mu.Lock()
		if !o.seen {
			o.mu.Unlock()
			continue
		}
		o.rowsMu.Lock()
		s, rows, open := o.snapshotLocked()
		o.rowsMu.Unlock()
		o.mu.Unlock()
		// The store's length exceeds the window's only if answers came
		// more than MaxIntervals rows after the last intended start (see
		// rowStore.row): then its rows are reported as they are.
		l := max(want, rows.length())
		s.Intervals = rows.rowsOf(open, endAt, l)
		s.IntervalSeconds = l.Seconds()
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
