package results

import (
	"math"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loghist"
)

// MaxIntervals is the most rows a recorded series holds: the row length
// doubles from 100 ms until the measured window fits in MaxIntervals rows.
// A window of up to 51.2 s gets 100 ms rows, a minute 200 ms rows (300 of
// them), an hour 12.8 s rows (281): always between 256 and 512 samples for
// the verdict's statistics once a run is longer than 25.6 s, and 10 a
// second below. 512 rather than 1024: as many rows as block resampling
// needs, at half the memory and file size.
//
// Memory (BenchmarkRowMemory): a row holds its histogram, 6 bytes per
// non-empty bucket, and 144 bytes of counts and summary. On lognormal
// latencies (median 200 µs, σ 0.5) at 100,000 requests per second a 200 ms
// row has 581 buckets, 3.6 KB (1.6 KB of loghist text in run.json); a
// 1.6 s row 692 (4.3 KB), a 12.8 s row 789 (4.9 KB): the cost grows with
// the logarithm of the row's count. So a series at the cap holds at most
// about 2.5 MB (1.4 MB in run.json) and a one-minute run's series 1.1 MB
// (0.5 MB); a series of fewer requests much less. While recording, an op
// also holds its three whole-run HdrHistograms (230 KB each) and four 30 KB
// builders of the open ticks.
const MaxIntervals = 512

// mergesPerClose is how many rows left with several histograms by a
// doubling each tick closer merges. A doubling leaves about MaxIntervals/2
// of them, merged within 13 s at 10 closes per second, long before the
// next doubling (at least 51 s later); spreading them keeps any one Record
// call from merging hundreds of histograms (about 10 µs each). Unmerged parts
// only cost memory until then; a snapshot merges what is left.
const mergesPerClose = 2

// rowSums are a row's or a tick's counts and latency sums.
type rowSums struct {
	n           counts
	lowerBounds uint64 // dropped requests whose lower bound is in the latency values
	latN        uint64 // latency values in the histogram
	latSum      int64  // their sum, ns
	latMax      int64  // the largest, ns
}

func (s *rowSums) addLatency(ns int64, n uint64) {
	s.latN += n
	s.latSum += ns * int64(n)
	s.latMax = max(s.latMax, ns)
}

func (s *rowSums) add(o rowSums) {
	for i, c := range o.n {
		s.n[i] += c
	}
	s.lowerBounds += o.lowerBounds
	s.latN += o.latN
	s.latSum += o.latSum
	s.latMax = max(s.latMax, o.latMax)
}

// rowAcc is a row being built: its sums and its histogram, possibly still
// in several parts (after a doubling) to be merged.
type rowAcc struct {
	sums rowSums
	h    loghist.Histogram
	more []loghist.Histogram // further parts of the histogram, not merged yet
}

// addPart adds a part to the row's histogram, without merging.
func (r *rowAcc) addPart(h loghist.Histogram) {
	switch {
	case h.Len() == 0:
	case r.h.Len() == 0:
		r.h = h
	default:
		r.more = append(r.more, h)
	}
}

// merged returns the row's histogram in one piece, merging in b.
func (r *rowAcc) merged(b *loghist.Builder) loghist.Histogram {
	if len(r.more) == 0 {
		return r.h
	}
	b.AddHistogram(r.h)
	for _, h := range r.more {
		b.AddHistogram(h)
	}
	return b.Histogram()
}

// rowStore holds an op's closed rows, aligned to time zero: row T covers
// [T·L, (T+1)·L), L = ticks·tickLen. Only whole rows after warm-up are
// kept. The row length doubles (fit) when the window seen so far holds more
// than MaxIntervals whole rows, always at least as short as the length
// the snapshot will report, so that rows never have to be split.
type rowStore struct {
	warmup time.Duration // warm-up's end after time zero
	ticks  int64         // the row length in ticks: 1, 2, 4, …
	first  int64         // T of rows[0]: the first whole row after warm-up
	rows   []rowAcc
	merge  int             // rows before it hold one histogram each
	b      loghist.Builder // for merging; 30 KB once used
}

func (rs *rowStore) init(warmup time.Duration) {
	rs.warmup, rs.ticks = warmup, 1
	rs.first = ceilDiv(warmup, tickLen)
}

func (rs *rowStore) length() time.Duration { return time.Duration(rs.ticks) * tickLen }

// row returns row T >= rs.first, adding empty rows up to it. A row past
// twice the cap (answers arriving more than MaxIntervals rows after the
// last intended start, which only a request that took minutes can give)
// doubles the length first, to bound the memory.
func (rs *rowStore) row(t int64) *rowAcc {
	for t-rs.first >= 2*MaxIntervals {
		rs.double()
		t = floorDiv64(t, 2)
	}
	for int64(len(rs.rows)) <= t-rs.first {
		rs.rows = append(rs.rows, rowAcc{})
	}
	return &rs.rows[t-rs.first]
}

// addTick files closed tick k with its sums and histogram in its row. A
// tick of a row that started before warm-up's end belongs to no row.
func (rs *rowStore) addTick(k int64, sums rowSums, h loghist.Histogram) {
	t := floorDiv64(k, rs.ticks)
	if t < rs.first {
		return
	}
	r := rs.row(t)
	r.sums.add(sums)
	if r.h.Len() == 0 || h.Len() == 0 {
		r.addPart(h)
		return
	}
	r.addPart(h)
	r.h, r.more = r.merged(&rs.b), nil
}

// addLate counts results of tick k, closed already, in its row.
func (rs *rowStore) addLate(k int64, sums rowSums) {
	if t := floorDiv64(k, rs.ticks); t >= rs.first {
		rs.row(t).sums.add(sums)
	}
}

// fit doubles the row length while the whole rows before maxIntended, the
// latest intended start seen, less intendedSlack, are more than
// MaxIntervals. The measured window ends at or after every intended start,
// so its rows at the current length are more than MaxIntervals too, and the
// snapshot's length (lengthFor) is at least the doubled one: doubling never
// goes past it. The slack covers a request started just after the window
// closed (a worker that read the clock before seeing the deadline); it
// costs at most 10 rows past the cap.
func (rs *rowStore) fit(maxIntended time.Duration) {
	for wholeRows(rs.warmup, maxIntended-intendedSlack, rs.length()) > MaxIntervals {
		rs.double()
	}
}

// intendedSlack: see fit.
const intendedSlack = time.Second

// double merges rows pairwise: row T of the doubled length is rows 2T and
// 2T+1. A doubled row that starts before warm-up's end is dropped. The
// histograms are not merged here but a few at a time by mergeSome.
func (rs *rowStore) double() {
	ticks := 2 * rs.ticks
	first := ceilDiv(rs.warmup, time.Duration(ticks)*tickLen)
	var rows []rowAcc
	if n := len(rs.rows); n > 0 {
		rows = make([]rowAcc, 0, n/2+1)
	}
	for i := range rs.rows {
		t := floorDiv64(rs.first+int64(i), 2)
		if t < first {
			continue
		}
		for int64(len(rows)) <= t-first {
			rows = append(rows, rowAcc{})
		}
		r, old := &rows[t-first], &rs.rows[i]
		r.sums.add(old.sums)
		r.addPart(old.h)
		for _, h := range old.more {
			r.addPart(h)
		}
	}
	rs.ticks, rs.first, rs.rows, rs.merge = ticks, first, rows, 0
}

// mergeSome merges the parts of up to mergesPerClose rows.
func (rs *rowStore) mergeSome() {
	for budget := mergesPerClose; budget > 0 && rs.merge < len(rs.rows); rs.merge++ {
		if r := &rs.rows[rs.merge]; len(r.more) > 0 {
			r.h, r.more = r.merged(&rs.b), nil
			budget--
		}
	}
}

// copy returns a copy for a snapshot. The histograms are immutable, so the
// copy shares them; its more slices are never appended to by rs (merges
// replace them).
func (rs *rowStore) copy() rowStore {
	c := rowStore{warmup: rs.warmup, ticks: rs.ticks, first: rs.first, rows: make([]rowAcc, len(rs.rows))}
	copy(c.rows, rs.rows)
	for i := range c.rows {
		c.rows[i].more = c.rows[i].more[:len(c.rows[i].more):len(c.rows[i].more)]
	}
	return c
}

// wholeRows is how many rows of length l lie wholly in [from, to), times
// after time zero.
func wholeRows(from, to, l time.Duration) int64 {
	return max(floorDiv(to, l)-ceilDiv(from, l), 0)
}

// lengthFor is the row length of a measured window [warmup, end) after time
// zero: the shortest 100 ms · 2^k that keeps its whole rows within
// MaxIntervals. It depends on the window alone, so recorders that share
// time zero and warm-up's end (both targets of one workload) agree on it
// unless their ends straddle one of its steps, a window of exactly
// MaxIntervals·L whole rows (then Series.Rebin makes them agree).
func lengthFor(warmup, end time.Duration) time.Duration {
	l := tickLen
	for wholeRows(warmup, end, l) > MaxIntervals {
		l *= 2
	}
	return l
}

// rowsOf returns the rows of the window [rs.warmup, end) at length l, a
// multiple of rs's length: the closed rows and the open ticks folded into
// them. Rows without results are rows of zeros.
func (rs *rowStore) rowsOf(open []openTick, end, l time.Duration) []Interval {
	first := ceilDiv(rs.warmup, l)
	last := floorDiv(end, l) // one past the last whole row
	if last <= first {
		return nil
	}
	acc := make([]rowAcc, last-first)
	fold := func(t, per int64, sums rowSums, parts ...loghist.Histogram) {
		t = floorDiv64(t, per)
		if t < first || t >= last {
			return
		}
		r := &acc[t-first]
		r.sums.add(sums)
		for _, h := range parts {
			r.addPart(h)
		}
	}
	per := int64(l / rs.length())
	for i := range rs.rows {
		r := &rs.rows[i]
		fold(rs.first+int64(i), per, r.sums, append([]loghist.Histogram{r.h}, r.more...)...)
	}
	for _, ot := range open {
		fold(ot.k, int64(l/tickLen), ot.sums, ot.h)
	}
	out := make([]Interval, len(acc))
	var b loghist.Builder
	for i := range acc {
		out[i] = acc[i].interval(first+int64(i), &b)
	}
	return out
}

// interval is the row's Interval: counts, latency fields and histogram.
func (r *rowAcc) interval(t int64, b *loghist.Builder) Interval {
	s := &r.sums
	iv := Interval{T: t, OK: s.n[result.OK], Miss: s.n[result.Miss], Errors: s.n[result.Error],
		Dropped: s.n[result.Dropped], LowerBounds: s.lowerBounds, LatencyHist: r.merged(b)}
	if s.latN > 0 {
		iv.Mean = float64(s.latSum) / float64(s.latN) / 1e9
		iv.Max = seconds(s.latMax)
		setQuantiles(&iv, iv.LatencyHist)
	}
	return iv
}

// setQuantiles sets iv's quantiles from h, capped at iv.Max: a bucket's
// midpoint can lie above the largest value in it, the true quantile
// cannot.
func setQuantiles(iv *Interval, h loghist.Histogram) {
	q := func(p float64) float64 { return math.Min(h.Quantile(p), iv.Max) }
	iv.P50, iv.P95, iv.P99, iv.P999 = q(0.50), q(0.95), q(0.99), q(0.999)
}

// floorDiv64 returns floor(a/b) for b > 0, also for negative a.
func floorDiv64(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
