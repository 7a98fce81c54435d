package results

import (
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ecbench/ecbench/loadgen/result"
)

// openIntervals is how many of the latest seconds accept results into their
// latency summary. Results reach Record slightly out of order (a worker can
// be descheduled between reading the clock and recording), so the second
// before the newest stays open too. A result more than a second late still
// counts in its row, but not in the row's latency summary.
//
//	    closed rows          open slots
//	... | k-3 | k-2 |    | k-1 |  k  |   <- newest result is in second k
//	     counts only      counts + histogram
const openIntervals = 2

// counts is indexed by result.Outcome.
type counts [result.Dropped + 1]uint64

// opRecorder is the state of one op. mu guards everything below it.
type opRecorder struct {
	name string

	mu               sync.Mutex
	seen             bool
	n                counts
	classes          []uint64                // indexed by result.Class
	latency, service *hdrhistogram.Histogram // answered requests: ok and miss
	errLatency       *hdrhistogram.Histogram // failed requests

	slots [openIntervals]slot // slot for second k at slots[k mod openIntervals]
	hi    int64               // the newest second seen
	rows  []Interval          // closed seconds: rows[i] is second first+i
	// pending are closed seconds whose latency summary is being computed
	// outside the lock; their histograms are only read until it is stored.
	pending []pendingSummary
	spare   []*hdrhistogram.Histogram // reset histograms for the next open slot
}

// slot is one open second.
type slot struct {
	k    int64
	used bool
	n    counts
	h    *hdrhistogram.Histogram // latency of this second's answered requests; never nil
}

type pendingSummary struct {
	k int64
	h *hdrhistogram.Histogram
}

func (o *opRecorder) init(name string) {
	o.name = name
	o.classes = make([]uint64, len(result.Classes)+1)
	o.latency, o.service, o.errLatency = newHDR(), newHDR(), newHDR()
	for i := range o.slots {
		o.slots[i].h = newHDR()
	}
	o.spare = append(make([]*hdrhistogram.Histogram, 0, openIntervals), newHDR())
	o.pending = make([]pendingSummary, 0, openIntervals)
	// Far below any second, yet hi-openIntervals cannot overflow.
	o.hi = -1 << 62
}

// record counts one result in second k; lat and svc are in nanoseconds,
// negative when there is none. first is the first second of the window.
// An answered result's latencies go to the latency and service histograms
// and the second's summary, a failed one's latency to the error-latency
// histogram only.
func (o *opRecorder) record(first, k int64, out result.Outcome, class result.Class, lat, svc int64, n int64) {
	var closed [openIntervals]pendingSummary
	o.mu.Lock()
	o.seen = true
	o.n[out] += uint64(n)
	// lat and svc are clamped into the histograms' range, so recording
	// cannot fail.
	answered := out == result.OK || out == result.Miss
	if out == result.Error {
		o.classes[class] += uint64(n)
		if lat >= 0 {
			_ = o.errLatency.RecordValues(lat, n)
		}
	} else if answered {
		if lat >= 0 {
			_ = o.latency.RecordValues(lat, n)
		}
		if svc >= 0 {
			_ = o.service.RecordValues(svc, n)
		}
	}
	nc := 0
	if k > o.hi {
		nc = o.advance(first, k, &closed)
	}
	if k > o.hi-openIntervals {
		s := &o.slots[slotIndex(k)]
		s.k, s.used = k, true // advance closed any older second in this slot
		s.n[out] += uint64(n)
		if answered && lat >= 0 {
			_ = s.h.RecordValues(lat, n)
		}
	} else if k >= first {
		addCounts(o.row(first, k), out, uint64(n))
	}
	o.mu.Unlock()
	for _, p := range closed[:nc] {
		o.summarize(first, p)
	}
}

// advance makes k the newest second, closing the slots that leave the open
// window. Closed seconds with latencies are returned for summarising.
func (o *opRecorder) advance(first, k int64, closed *[openIntervals]pendingSummary) int {
	nc := 0
	for i := range o.slots {
		s := &o.slots[i]
		if !s.used || s.k > k-openIntervals {
			continue
		}
		if s.k >= first {
			row := o.row(first, s.k)
			for out, c := range s.n {
				addCounts(row, result.Outcome(out), c)
			}
			if s.h.TotalCount() > 0 {
				p := pendingSummary{k: s.k, h: s.h}
				o.pending = append(o.pending, p)
				closed[nc] = p
				nc++
				s.h = o.takeSpare()
			}
		} else if s.h.TotalCount() > 0 { // a partial second before the window
			s.h.Reset()
		}
		s.used, s.n = false, counts{}
	}
	o.hi = k
	return nc
}

// takeSpare returns a reset histogram. It allocates only when the spares run
// out: when an op skips seconds and two slots close at once for the first
// time; the spares then stay at most openIntervals.
func (o *opRecorder) takeSpare() *hdrhistogram.Histogram {
	if n := len(o.spare); n > 0 {
		h := o.spare[n-1]
		o.spare = o.spare[:n-1]
		return h
	}
	return newHDR()
}

// summarize computes a closed second's latency summary without holding the
// lock, then stores it and recycles the histogram.
func (o *opRecorder) summarize(first int64, p pendingSummary) {
	var sum Interval
	setLatency(&sum, p.h) // p.h is read-only while pending
	o.mu.Lock()
	defer o.mu.Unlock()
	row := &o.rows[p.k-first]
	row.Mean, row.P50, row.P95, row.P99, row.P999, row.Max = sum.Mean, sum.P50, sum.P95, sum.P99, sum.P999, sum.Max
	for i := range o.pending {
		if o.pending[i].h == p.h {
			o.pending = append(o.pending[:i], o.pending[i+1:]...)
			break
		}
	}
	p.h.Reset()
	o.spare = append(o.spare, p.h)
}

// row returns the closed row of second k >= first, adding empty rows up to
// it.
func (o *opRecorder) row(first, k int64) *Interval {
	for int64(len(o.rows)) <= k-first {
		o.rows = append(o.rows, Interval{T: first + int64(len(o.rows))})
	}
	return &o.rows[k-first]
}

// snapshot returns the op's series with rows for seconds [first, last); ok
// is false if the op recorded nothing.
func (o *opRecorder) snapshot(first, last int64) (s Series, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.seen {
		return Series{}, false
	}
	s = Series{
		Op:              o.name,
		OK:              o.n[result.OK],
		Miss:            o.n[result.Miss],
		Errors:          o.n[result.Error],
		Dropped:         o.n[result.Dropped],
		Latency:         Histogram{o.latency.Clone()},
		Service:         Histogram{o.service.Clone()},
		ErrorLatency:    Histogram{o.errLatency.Clone()},
		IntervalSeconds: intervalLen.Seconds(),
	}
	for c, n := range o.classes {
		if n > 0 {
			if s.ErrorClasses == nil {
				s.ErrorClasses = make(map[string]uint64)
			}
			s.ErrorClasses[result.Class(c).String()] = n
		}
	}
	if last <= first {
		return s, true
	}
	rows := make([]Interval, last-first)
	copy(rows, o.rows)
	for i := len(o.rows); i < len(rows); i++ {
		rows[i].T = first + int64(i)
	}
	inWindow := func(k int64) bool { return k >= first && k < last }
	for _, p := range o.pending {
		if inWindow(p.k) {
			setLatency(&rows[p.k-first], p.h)
		}
	}
	for i := range o.slots {
		sl := &o.slots[i]
		if !sl.used || !inWindow(sl.k) {
			continue
		}
		row := &rows[sl.k-first]
		for out, c := range sl.n {
			addCounts(row, result.Outcome(out), c)
		}
		setLatency(row, sl.h)
	}
	s.Intervals = rows
	return s, true
}

func slotIndex(k int64) int {
	return int(((k % openIntervals) + openIntervals) % openIntervals)
}

func addCounts(row *Interval, out result.Outcome, c uint64) {
	switch out {
	case result.OK:
		row.OK += c
	case result.Miss:
		row.Miss += c
	case result.Error:
		row.Errors += c
	case result.Dropped:
		row.Dropped += c
	}
}

// summaryPercentiles are the interval row's percentiles, in HdrHistogram's
// percent.
var summaryPercentiles = []float64{50, 95, 99, 99.9}

// setLatency stores h's summary in row; nothing when h is empty.
func setLatency(row *Interval, h *hdrhistogram.Histogram) {
	if h.TotalCount() == 0 {
		return
	}
	p := h.ValueAtPercentilesSlice(summaryPercentiles)
	row.Mean = h.Mean() / 1e9
	row.P50, row.P95, row.P99, row.P999 = seconds(p[0]), seconds(p[1]), seconds(p[2]), seconds(p[3])
	row.Max = seconds(h.Max())
}
