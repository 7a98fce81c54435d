package results

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/ecbench/ecbench/loghist"
)

// Rebin returns s with rows of intervalSeconds, a whole multiple m of its
// row length L (IntervalLength): row T of the result holds rows m·T to
// m·T+m−1 of s. Rows are aligned to time zero, so the recorder's lengths,
// 100 ms · 2^k, nest: Rebin makes two series of different lengths
// comparable row by row, rebinning the finer to the coarser.
//
// A longer row is kept only when all m of its rows are in s; one that would
// reach past the measured window or across a gap in T (between merged
// runs) is left out, like a partial row at the edge of a window. Counts
// add, Mean is the mean of all the rows' latency values, Max the largest,
// the histograms merge and the quantiles are the merged histogram's, capped
// at Max. Rows without histograms (schemas 1 and 2, Prometheus) cannot be
// merged exactly: a merged row with any of them takes, for each quantile,
// the largest of its rows', an upper bound on the merged row's.
//
// The result has new Intervals and shares the whole-run histograms
// (Latency, Service, ErrorLatency) with s. It is an error if intervalSeconds
// is not a whole multiple of L.
func (s Series) Rebin(intervalSeconds float64) (Series, error) {
	l := s.IntervalLength()
	m, ok := wholeRatio(intervalSeconds, l)
	if !ok {
		return Series{}, fmt.Errorf("results: rebin %s/%s/%s to %v s: want a whole multiple of its %v s rows",
			s.Target, s.Workload, s.Op, intervalSeconds, l)
	}
	out := s
	out.IntervalSeconds = intervalSeconds
	if m == 1 {
		out.IntervalSeconds = s.IntervalSeconds // unchanged, 0 included
		out.Intervals = slices.Clone(s.Intervals)
		return out, nil
	}
	rows := slices.Clone(s.Intervals)
	slices.SortStableFunc(rows, func(a, b Interval) int { return cmp.Compare(a.T, b.T) })
	out.Intervals = nil
	var b loghist.Builder
	for i := 0; i < len(rows); {
		t := floorDiv64(rows[i].T, m)
		j := i
		for j < len(rows) && floorDiv64(rows[j].T, m) == t {
			j++
		}
		if distinctT(rows[i:j]) == m {
			out.Intervals = append(out.Intervals, mergeRows(t, rows[i:j], &b))
		}
		i = j
	}
	return out, nil
}

// wholeRatio returns n = a/b when it is a whole number n >= 1 (to 1e-9).
func wholeRatio(a, b float64) (int64, bool) {
	r := a / b
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 1-1e-9 || r > 1<<52 {
		return 0, false
	}
	n := math.Round(r)
	if math.Abs(r-n) > 1e-9*n {
		return 0, false
	}
	return int64(n), true
}

// distinctT counts the distinct T of rows sorted by T.
func distinctT(rows []Interval) int64 {
	var n int64
	for i := range rows {
		if i == 0 || rows[i].T != rows[i-1].T {
			n++
		}
	}
	return n
}

// mergeRows merges rows into row t.
func mergeRows(t int64, rows []Interval, b *loghist.Builder) Interval {
	out := Interval{T: t}
	var latN, sum float64 // latency values and their sum, seconds
	exact := true         // every row with latency values has a histogram
	for _, r := range rows {
		out.OK += r.OK
		out.Miss += r.Miss
		out.Errors += r.Errors
		out.Dropped += r.Dropped
		out.LowerBounds += r.LowerBounds
		if r.Max == 0 { // no latency values
			continue
		}
		n := float64(r.LatencyHist.Count())
		if n == 0 {
			exact = false
			n = float64(r.OK + r.Miss + r.LowerBounds)
		}
		latN += n
		sum += r.Mean * n
		out.Max = max(out.Max, r.Max)
		b.AddHistogram(r.LatencyHist)
	}
	out.LatencyHist = b.Histogram()
	if out.Max == 0 {
		return out
	}
	if latN > 0 {
		out.Mean = sum / latN
	}
	if exact {
		setQuantiles(&out, out.LatencyHist)
		return out
	}
	for _, r := range rows {
		out.P50, out.P95 = max(out.P50, r.P50), max(out.P95, r.P95)
		out.P99, out.P999 = max(out.P99, r.P99), max(out.P999, r.P999)
	}
	return out
}

// IntervalHistograms returns the latency histogram of every row, one per
// Intervals entry in order, for estimators that merge or resample rows
// (a row without latency values has an empty one). It returns nil when the
// series has no row histograms at all: a run of schema 1 or 2 or from
// Prometheus (or a series without any latency value); callers then fall
// back on the rows' quantile fields. The histograms are immutable and
// shared with s.
func (s *Series) IntervalHistograms() []loghist.Histogram {
	if !slices.ContainsFunc(s.Intervals, func(iv Interval) bool { return iv.LatencyHist.Len() > 0 }) {
		return nil
	}
	out := make([]loghist.Histogram, len(s.Intervals))
	for i := range s.Intervals {
		out[i] = s.Intervals[i].LatencyHist
	}
	return out
}

// IntervalStart is where row t starts, in seconds after time zero:
// t·IntervalLength, rounded to the nanosecond so that 3 rows of 0.1 s
// start at 0.3 and not at 0.30000000000000004.
func (s *Series) IntervalStart(t int64) float64 {
	x := float64(t) * s.IntervalLength()
	if math.Abs(x) < 1e9 {
		return math.Round(x*1e9) / 1e9
	}
	return x
}

// UnmarshalJSON reads a row, checking that its histogram decodes and holds
// no more values than the row has latencies, and that its lower bounds are
// among its drops.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	type plain Interval // without the method
	var j struct {
		plain
		LatencyHist *string `json:"latency_hist"` // shadows plain's
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Interval(j.plain)
	if out.LowerBounds > out.Dropped {
		return fmt.Errorf("interval t=%d: lower_bounds %d exceeds dropped %d", out.T, out.LowerBounds, out.Dropped)
	}
	if j.LatencyHist != nil {
		if err := out.LatencyHist.UnmarshalText([]byte(*j.LatencyHist)); err != nil {
			return fmt.Errorf("interval t=%d: latency_hist: %w", out.T, err)
		}
		latencies := satAdd(satAdd(out.OK, out.Miss), out.LowerBounds)
		if n := out.LatencyHist.Count(); n > latencies {
			return fmt.Errorf("interval t=%d: latency_hist holds %d values, more than ok+miss+lower_bounds (%d)", out.T, n, latencies)
		}
	}
	*iv = out
	return nil
}

// satAdd is a+b, or the largest uint64 if that overflows.
func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}
