package metrics

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ecbench/ecbench/loadgen/result"
)

// Summary histogram range: 1µs to 1h with 2 significant digits, recorded in
// microseconds (about 3,000 counts: 24 KiB per histogram). Summaries are
// log lines and progress; the figures a comparison is made of come from
// package results at 0.1%. At 3 digits (184 KiB each, three per recorder)
// they were 11 of the 26 MiB live heap of a daemon with 2 targets × 6
// workloads.
const (
	hdrLowest  = 1
	hdrHighest = int64(time.Hour / time.Microsecond)
	hdrSigFigs = 2
)

// Summary is what one recorder saw over a window: since the previous
// TakeSummary (the daemon's periodic log line, the bench's live progress), or
// since the recorder was created (TotalSummary: the final lines).
type Summary struct {
	Target, Workload, Engine string
	Interval                 time.Duration // the window's length

	OK, Miss, Errors, Dropped uint64
	Rate                      float64 // achieved ok+miss per second over Interval

	// Latency from the intended start of the answered requests (ok and
	// miss) in the window: P50 and P99 from an HdrHistogram, within 1% of
	// the exact value, Max exact to the microsecond; with dropped requests at their latency's lower bound when the
	// runner knows one (the first reply after the drop), so a stall shows.
	// Error replies are counted above but not timed: a fast refusal must not
	// make an engine look quick. Zero when nothing was answered.
	P50, P99, Max time.Duration

	TopErrorClass string // the most frequent error class, "" if none failed
}

// tally is the material of one Summary: answered latencies and counts.
type tally struct {
	hist     *hdrhistogram.Histogram
	max      int64    // the largest latency timed, in µs: exact, where hist's is its bucket's top
	outcomes []uint64 // indexed by result.Outcome
	classes  []uint64 // indexed by result.Class
}

func newTally() tally {
	return tally{
		hist:     hdrhistogram.New(hdrLowest, hdrHighest, hdrSigFigs),
		outcomes: make([]uint64, len(result.Outcomes)),
		classes:  make([]uint64, numClasses),
	}
}

func (t *tally) empty() bool {
	for _, n := range t.outcomes {
		if n > 0 {
			return false
		}
	}
	return true
}

// add adds o's results to t: a scan of o's histogram, so never under
// interval.mu.
func (t *tally) add(o *tally) {
	t.hist.Merge(o.hist) // same range: nothing can be dropped
	t.max = max(t.max, o.max)
	for i, n := range o.outcomes {
		t.outcomes[i] += n
	}
	for i, n := range o.classes {
		t.classes[i] += n
	}
}

func (t *tally) reset() {
	t.hist.Reset()
	t.max = 0
	clear(t.outcomes)
	clear(t.classes)
}

// summary fills the counts, percentiles and top error class of s.
func (t *tally) summary(s *Summary) {
	s.OK, s.Miss = t.outcomes[result.OK], t.outcomes[result.Miss]
	s.Errors, s.Dropped = t.outcomes[result.Error], t.outcomes[result.Dropped]
	if s.Interval > 0 {
		s.Rate = float64(s.OK+s.Miss) / s.Interval.Seconds()
	}
	if t.hist.TotalCount() > 0 {
		s.P50 = time.Duration(t.hist.ValueAtQuantile(50)) * time.Microsecond
		s.P99 = time.Duration(t.hist.ValueAtQuantile(99)) * time.Microsecond
		s.Max = time.Duration(t.max) * time.Microsecond
	}
	var top uint64
	for _, c := range result.Classes {
		if t.classes[c] > top {
			top, s.TopErrorClass = t.classes[c], c.String()
		}
	}
}

// interval accumulates one recorder's results between TakeSummary calls,
// and the whole run's beside them.
//
// Record holds mu for a few counter increments and one HdrHistogram update,
// as it did before there was a whole-run view: the run's tally is built off
// the hot path, by merging each interval into it when the interval is cut.
// A cut holds mu only to swap in an empty histogram and copy the counts;
// merges and percentiles are computed after releasing it, so the hot path
// never waits behind a scan.
//
//	Record ──▶ live ──cut──▶ TakeSummary: interval = cut + held; run += cut
//	                  └─cut──▶ TotalSummary: run += cut; held += cut
type interval struct {
	mu    sync.Mutex // guards live and since
	live  tally
	since time.Time // the current interval's start

	take  sync.Mutex // serialises the summaries; guards the fields below
	spare *hdrhistogram.Histogram
	cut   tally // scratch for the counts taken from live
	// held is what TotalSummary already took from live during the current
	// interval, for the next TakeSummary; its histogram is allocated by the
	// first TotalSummary that finds results in an unfinished interval.
	held  tally
	run   tally     // every result of the intervals cut so far
	start time.Time // the recorder's creation: the run's start
}

func (iv *interval) init(now time.Time) {
	iv.live = newTally()
	iv.spare = hdrhistogram.New(hdrLowest, hdrHighest, hdrSigFigs)
	iv.cut = tally{outcomes: make([]uint64, len(result.Outcomes)), classes: make([]uint64, numClasses)}
	iv.held = tally{outcomes: make([]uint64, len(result.Outcomes)), classes: make([]uint64, numClasses)}
	iv.run = newTally()
	iv.since, iv.start = now, now
}

// record counts n equal results; lat is timed for answered ones, and for
// dropped ones with a lower bound (lat >= 0), as in ecbench_op_latency_seconds.
func (iv *interval) record(o result.Outcome, c result.Class, lat time.Duration, n uint64) {
	us := min(int64(lat/time.Microsecond), hdrHighest)
	iv.mu.Lock()
	iv.live.outcomes[o] += n
	if o == result.OK || o == result.Miss || (o == result.Dropped && lat >= 0) {
		// us is within the histogram's range, so RecordValues cannot fail.
		_ = iv.live.hist.RecordValues(us, int64(n))
		iv.live.max = max(iv.live.max, us)
	}
	if o == result.Error {
		iv.live.classes[c] += n
	}
	iv.mu.Unlock()
}

// cutLive moves live's results into iv.cut, swapping in the spare
// histogram, and returns the current interval's start; end, if not zero,
// starts a new interval. The caller holds take, and owns iv.cut.hist until
// it hands it back as the spare.
func (iv *interval) cutLive(end time.Time) time.Time {
	iv.mu.Lock()
	iv.cut.hist, iv.live.hist = iv.live.hist, iv.spare
	iv.cut.max, iv.live.max = iv.live.max, 0
	copy(iv.cut.outcomes, iv.live.outcomes)
	copy(iv.cut.classes, iv.live.classes)
	clear(iv.live.outcomes)
	clear(iv.live.classes)
	since := iv.since
	if !end.IsZero() {
		iv.since = end
	}
	iv.mu.Unlock()
	iv.spare = nil
	return since
}

// spareCut resets iv.cut's histogram and keeps it as the next spare.
func (iv *interval) spareCut() {
	iv.cut.hist.Reset()
	iv.spare, iv.cut.hist = iv.cut.hist, nil
}

func (r *Recorder) summaryHeader(d time.Duration) Summary {
	return Summary{Target: r.target, Workload: r.workload, Engine: r.engine().Label(), Interval: d}
}

// TakeSummary returns the statistics recorded since the previous call (or
// since the recorder was created) and starts a new interval at now.
func (r *Recorder) TakeSummary(now time.Time) Summary {
	iv := &r.iv
	iv.take.Lock()
	defer iv.take.Unlock()

	since := iv.cutLive(now)
	iv.run.add(&iv.cut)
	if iv.held.hist != nil && !iv.held.empty() {
		// Already in run: only the interval needs it back.
		iv.cut.add(&iv.held)
		iv.held.reset()
	}
	s := r.summaryHeader(now.Sub(since))
	iv.cut.summary(&s)
	iv.spareCut()
	return s
}

// StartAt moves the start of the recorder's run and of its current
// interval to now, as if it had been created then: the daemon's runners
// start after its preload, and rates over time they did not run would
// understate them. Results already recorded stay counted.
func (r *Recorder) StartAt(now time.Time) {
	iv := &r.iv
	iv.take.Lock()
	defer iv.take.Unlock()
	iv.mu.Lock()
	iv.since, iv.start = now, now
	iv.mu.Unlock()
}

// TotalSummary returns the statistics of every result recorded since the
// recorder was created, its Rate over the time from then to now, without
// disturbing the current interval: the next TakeSummary still covers it
// whole. It costs a scan of two histograms and never blocks Record longer
// than TakeSummary does.
func (r *Recorder) TotalSummary(now time.Time) Summary {
	iv := &r.iv
	iv.take.Lock()
	defer iv.take.Unlock()

	iv.cutLive(time.Time{})
	if !iv.cut.empty() {
		iv.run.add(&iv.cut)
		if iv.held.hist == nil {
			iv.held.hist = hdrhistogram.New(hdrLowest, hdrHighest, hdrSigFigs)
		}
		iv.held.add(&iv.cut)
	}
	iv.spareCut()
	s := r.summaryHeader(now.Sub(iv.start))
	iv.run.summary(&s)
	return s
}
