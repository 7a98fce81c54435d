package results

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loghist"
)

// tickLen is the recorder's time grain: rows are made of whole ticks, and
// the shortest row is one tick.
const tickLen = 100 * time.Millisecond

// openTicks is how many of the latest ticks accept results into their
// latency histograms. Results reach Record slightly out of order (a worker
// can be descheduled between reading the clock and recording), so the two
// ticks before the newest stay open too: a result recorded up to 200 ms
// after a later one still gets into its row's histogram, and one up to
// 300 ms late may. Later still, it counts in its row but not in the row's
// latency fields; the series histograms always have it.
//
//	    closed: in rows          open slots
//	... | k-4 | k-3 |    | k-2 | k-1 |  k  |   <- newest result is in tick k
//	     counts only       counts + histogram
const openTicks = 3

// counts is indexed by result.Outcome.
type counts [result.Dropped + 1]uint64

// opRecorder is the state of one op.
//
// Two locks: mu, which Record takes, guards the totals, the whole-run
// histograms and the open ticks; rowsMu guards the closed rows. Record
// holds mu for a few counter and histogram updates. The Record call that
// opens a new tick also closes the oldest open one: it takes rowsMu before
// releasing mu (so that a snapshot, which takes both, never misses the tick
// in between), then builds the tick's compact histogram and files it in its
// row with only rowsMu held, so other workers keep recording meanwhile.
// Lock order: mu, then rowsMu.
type opRecorder struct {
	name string

	mu               sync.Mutex
	seen             bool
	n                counts
	lowerBounds      uint64
	classes          []uint64                // indexed by result.Class
	latency, service *hdrhistogram.Histogram // answered requests (and lower bounds, in latency)
	errLatency       *hdrhistogram.Histogram // failed requests
	slots            [openTicks]tickSlot     // slot for tick k at slots[k mod openTicks]
	hi               int64                   // the newest tick seen
	maxIntended      time.Duration           // the latest intended start seen, after time zero
	spare            []*loghist.Builder      // emptied builders for the next open slot

	rowsMu sync.Mutex
	rows   rowStore
}

// tickSlot is one open tick.
type tickSlot struct {
	k    int64
	used bool
	sums rowSums
	b    *loghist.Builder // latency values of this tick; never nil
}

// closedTick is a tick that left the open window, on its way to its row.
type closedTick struct {
	k    int64
	sums rowSums
	b    *loghist.Builder
}

func (o *opRecorder) init(name string, warmup time.Duration) {
	o.name = name
	o.classes = make([]uint64, len(result.Classes)+1)
	o.latency, o.service, o.errLatency = newHDR(), newHDR(), newHDR()
	for i := range o.slots {
		o.slots[i].b = newBuilder()
	}
	o.spare = append(make([]*loghist.Builder, 0, openTicks+1), newBuilder())
	// Far below any tick, yet hi-openTicks cannot overflow.
	o.hi = -1 << 62
	o.maxIntended = -1 << 62
	o.rows.init(warmup)
}

// newBuilder returns a builder whose dense array is already allocated, so
// that recording into it never allocates.
func newBuilder() *loghist.Builder {
	b := new(loghist.Builder)
	b.Add(0, 1)
	_ = b.Histogram() // empties b, keeping its array
	return b
}

// record counts n results in tick k. intended is the results' intended
// start after time zero; lat and svc are in nanoseconds, negative when
// there is none. An answered result's latency goes to the latency and
// service histograms and its tick, a failed one's to the error-latency
// histogram only, a dropped one's (its lower bound) to the latency
// histogram and its tick.
func (o *opRecorder) record(k int64, intended time.Duration, out result.Outcome, class result.Class, lat, svc int64, n int64) {
	// lat and svc are clamped into the histograms' range, so recording
	// cannot fail.
	o.mu.Lock()
	o.seen = true
	o.n[out] += uint64(n)
	bound := out == result.Dropped && lat >= 0
	inRow := lat >= 0 && out != result.Error // a latency of the row's
	switch out {
	case result.Error:
		o.classes[class] += uint64(n)
		if lat >= 0 {
			_ = o.errLatency.RecordValues(lat, n)
		}
	case result.OK, result.Miss:
		if lat >= 0 {
			_ = o.latency.RecordValues(lat, n)
		}
		if svc >= 0 {
			_ = o.service.RecordValues(svc, n)
		}
	case result.Dropped:
		if bound {
			o.lowerBounds += uint64(n)
			_ = o.latency.RecordValues(lat, n)
		}
	}
	o.maxIntended = max(o.maxIntended, intended)
	switch {
	case k > o.hi:
		o.recordClosing(k, out, bound, inRow, lat, n) // unlocks o.mu
	case k <= o.hi-openTicks: // late: its tick is closed, its row counts it
		var late rowSums
		late.n[out] = uint64(n)
		if bound {
			late.lowerBounds = uint64(n)
		}
		o.rowsMu.Lock()
		o.mu.Unlock()
		o.rows.addLate(k, late)
		o.rowsMu.Unlock()
	default: // an open tick, perhaps not used yet
		s := &o.slots[slotIndex(k)]
		s.k, s.used = k, true
		s.add(out, bound, inRow, lat, n)
		o.mu.Unlock()
	}
}

// add counts n results in the open tick.
func (s *tickSlot) add(out result.Outcome, bound, inRow bool, lat, n int64) {
	s.sums.n[out] += uint64(n)
	if bound {
		s.sums.lowerBounds += uint64(n)
	}
	if inRow {
		s.sums.addLatency(lat, uint64(n))
		s.b.Record(lat, uint64(n))
	}
}

// recordClosing counts n results in tick k, newer than every open one: it
// opens k, closing the ticks that leave the open window, and files them in
// their rows. It is called with o.mu held and releases it. Apart from
// record, so that the hot path does not clear the closed ticks' array.
func (o *opRecorder) recordClosing(k int64, out result.Outcome, bound, inRow bool, lat, n int64) {
	var closed [openTicks]closedTick
	nc := o.advance(k, &closed)
	s := &o.slots[slotIndex(k)]
	s.k, s.used = k, true // advance closed any older tick in this slot
	s.add(out, bound, inRow, lat, n)
	if nc == 0 {
		o.mu.Unlock()
		return
	}
	maxIntended := o.maxIntended
	o.rowsMu.Lock()
	o.mu.Unlock()
	for _, c := range closed[:nc] {
		o.rows.addTick(c.k, c.sums, c.b.Histogram()) // empties c.b
	}
	o.rows.fit(maxIntended)
	o.rows.mergeSome()
	o.rowsMu.Unlock()
	o.mu.Lock()
	for _, c := range closed[:nc] {
		o.spare = append(o.spare, c.b)
	}
	o.mu.Unlock()
}

// advance makes k the newest tick, taking out of the open slots the ticks
// that leave the open window (with their builders, replaced by spares).
func (o *opRecorder) advance(k int64, closed *[openTicks]closedTick) int {
	nc := 0
	for i := range o.slots {
		s := &o.slots[i]
		if !s.used || s.k > k-openTicks {
			continue
		}
		closed[nc] = closedTick{k: s.k, sums: s.sums, b: s.b}
		nc++
		s.b = o.takeSpare()
		s.used, s.sums = false, rowSums{}
	}
	o.hi = k
	return nc
}

// takeSpare returns an empty builder. It allocates only when the spares run
// out: when ticks close faster than their closers file them, which in
// practice is never.
func (o *opRecorder) takeSpare() *loghist.Builder {
	if n := len(o.spare); n > 0 {
		b := o.spare[n-1]
		o.spare = o.spare[:n-1]
		return b
	}
	return newBuilder()
}

// openTick is an open tick as a snapshot sees it.
type openTick struct {
	k    int64
	sums rowSums
	h    loghist.Histogram
}

// snapshotLocked copies the op's state; o.mu and o.rowsMu are held. The
// open ticks' builders are read by emptying them and adding their counts
// back.
func (o *opRecorder) snapshotLocked() (s Series, rows rowStore, open []openTick) {
	s = Series{
		Op:           o.name,
		OK:           o.n[result.OK],
		Miss:         o.n[result.Miss],
		Errors:       o.n[result.Error],
		Dropped:      o.n[result.Dropped],
		LowerBounds:  o.lowerBounds,
		Latency:      Histogram{o.latency.Clone()},
		Service:      Histogram{o.service.Clone()},
		ErrorLatency: Histogram{o.errLatency.Clone()},
	}
	for c, n := range o.classes {
		if n > 0 {
			if s.ErrorClasses == nil {
				s.ErrorClasses = make(map[string]uint64)
			}
			s.ErrorClasses[result.Class(c).String()] = n
		}
	}
	for i := range o.slots {
		sl := &o.slots[i]
		if !sl.used {
			continue
		}
		h := sl.b.Histogram()
		sl.b.AddHistogram(h)
		open = append(open, openTick{k: sl.k, sums: sl.sums, h: h})
	}
	return s, o.rows.copy(), open
}

func slotIndex(k int64) int {
	return int(((k % openTicks) + openTicks) % openTicks)
}
