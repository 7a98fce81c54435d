package metrics

import (
	"slices"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ecbench/ecbench/loadgen/result"
)

// Interval histogram range: 1µs to 1h with 3 significant digits, recorded in
// microseconds (≈190 KB of counts per histogram).
const (
	hdrLowest  = 1
	hdrHighest = int64(time.Hour / time.Microsecond)
	hdrSigFigs = 3
)

// Summary is what one recorder saw since the previous TakeSummary: the
// material of the daemon's periodic log line.
type Summary struct {
	Target, Workload, Engine string
	Interval                 time.Duration // since the previous TakeSummary (or the recorder's creation)

	OK, Miss, Errors, Dropped uint64
	Rate                      float64 // achieved ok+miss per second over Interval

	// Latency from the intended start over the interval, for ok, miss and
	// error results, from an HdrHistogram: within 0.1% of the exact value.
	// Zero when nothing was recorded.
	P50, P99, Max time.Duration

	TopErrorClass string // the most frequent error class, "" if none failed
}

// interval accumulates one recorder's results between TakeSummary calls.
//
// Record holds mu for a few counter increments and one HdrHistogram update;
// TakeSummary holds it only to swap in an empty histogram and copy the
// counts, and reads percentiles after releasing it, so the hot path never
// waits behind a percentile scan.
type interval struct {
	mu       sync.Mutex // guards the fields below it up to take
	hist     *hdrhistogram.Histogram
	outcomes []uint64 // indexed by result.Outcome
	classes  []uint64 // indexed by result.Class
	since    time.Time

	take  sync.Mutex // serialises TakeSummary; guards spare
	spare *hdrhistogram.Histogram
}

func (iv *interval) init(now time.Time) {
	iv.hist = hdrhistogram.New(hdrLowest, hdrHighest, hdrSigFigs)
	iv.spare = hdrhistogram.New(hdrLowest, hdrHighest, hdrSigFigs)
	iv.outcomes = make([]uint64, len(result.Outcomes))
	iv.classes = make([]uint64, numClasses)
	iv.since = now
}

// record counts n equal results; lat is ignored for dropped ones.
func (iv *interval) record(o result.Outcome, c result.Class, lat time.Duration, n uint64) {
	us := min(int64(lat/time.Microsecond), hdrHighest)
	iv.mu.Lock()
	iv.outcomes[o] += n
	if o != result.Dropped {
		// us is within the histogram's range, so RecordValues cannot fail.
		_ = iv.hist.RecordValues(us, int64(n))
	}
	if o == result.Error {
		iv.classes[c] += n
	}
	iv.mu.Unlock()
}

// TakeSummary returns the statistics recorded since the previous call (or
// since the recorder was created) and starts a new interval at now.
func (r *Recorder) TakeSummary(now time.Time) Summary {
	iv := &r.iv
	iv.take.Lock()
	defer iv.take.Unlock()

	iv.mu.Lock()
	h := iv.hist
	iv.hist = iv.spare
	outcomes := slices.Clone(iv.outcomes)
	classes := slices.Clone(iv.classes)
	clear(iv.outcomes)
	clear(iv.classes)
	since := iv.since
	iv.since = now
	iv.mu.Unlock()

	s := Summary{
		Target:   r.target,
		Workload: r.workload,
		Engine:   r.engine().Label(),
		Interval: now.Sub(since),
		OK:       outcomes[result.OK],
		Miss:     outcomes[result.Miss],
		Errors:   outcomes[result.Error],
		Dropped:  outcomes[result.Dropped],
	}
	if s.Interval > 0 {
		s.Rate = float64(s.OK+s.Miss) / s.Interval.Seconds()
	}
	if h.TotalCount() > 0 {
		s.P50 = time.Duration(h.ValueAtQuantile(50)) * time.Microsecond
		s.P99 = time.Duration(h.ValueAtQuantile(99)) * time.Microsecond
		s.Max = time.Duration(h.Max()) * time.Microsecond
	}
	var top uint64
	for _, c := range result.Classes {
		if classes[c] > top {
			top, s.TopErrorClass = classes[c], c.String()
		}
	}
	h.Reset()
	iv.spare = h
	return s
}
