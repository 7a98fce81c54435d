package report

import (
	"math"

	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/verdict"
)

// A ratio over time is the candidate's value over the baseline's, bin by
// bin, for engines that ran at the same time: where the whole-run ratio
// (the band, with its 95% interval) says by how much one engine differs,
// the line says whether it differed all along or in a few bad seconds.
// Bins are whole numbers of the run's rows, few enough for a line the eye
// can follow (ratioPoints) and, for a p99, holding enough requests that
// the bin's p99 is not just its top few requests (minBinRequests).
const (
	ratioPoints    = 60
	minBinRequests = 1000
	minBins        = 6 // fewer points are no line
)

// throughputRatio is the ratio of two targets' summed throughput over
// time, in bins of whole rows (their length returned), breaking where a
// bin is incomplete on either side or the baseline answered nothing.
func throughputRatio(base, cand []rowSum, step float64) ([]Point, float64) {
	a, b := joinRows(base, cand)
	if len(a) == 0 || !(step > 0) {
		return nil, 0
	}
	m := int64(max(1, math.Ceil(float64(len(a))/ratioPoints)))
	type bin struct {
		n      int64
		sa, sb float64
	}
	var order []int64
	bins := map[int64]*bin{}
	for i := range a {
		k := floorDiv(int64(math.Round(a[i].x/step)), m)
		if bins[k] == nil {
			bins[k] = &bin{}
			order = append(order, k)
		}
		bins[k].n++
		bins[k].sa += a[i].ok
		bins[k].sb += b[i].ok
	}
	width := float64(m) * step
	l := newLineOf(width)
	for _, k := range order {
		x := round(float64(k) * width)
		if bn := bins[k]; bn.n == m && bn.sa > 0 {
			l.add(x, round(bn.sb/bn.sa))
		} else {
			l.gap(x)
		}
	}
	return l.points(), width
}

// throughputBand is the whole run's ratio of two targets' summed
// throughput and its 95% interval from the paired intervals, as the
// comparison computes an op's (verdict.ComparePaired); NaN bounds without
// enough intervals.
func throughputBand(base, cand []rowSum, step float64) (ratio, low, high float64) {
	a, b := joinRows(base, cand)
	pairs := make([]verdict.Pair, len(a))
	for i := range a {
		pairs[i] = verdict.Pair{RedisNum: a[i].ok * step, RedisDen: step, ValkeyNum: b[i].ok * step, ValkeyDen: step}
	}
	c := verdict.ComparePaired(pairs, verdict.HigherIsBetter)
	if c.Outcome == verdict.NotEnoughData {
		return c.Ratio, math.NaN(), math.NaN()
	}
	return c.Ratio, c.Low, c.High
}

// joinRows returns the rows of base and cand at the same times, in order.
func joinRows(base, cand []rowSum) (a, b []rowSum) {
	byX := make(map[float64]rowSum, len(cand))
	for _, r := range cand {
		byX[r.x] = r
	}
	for _, r := range base {
		if c, ok := byX[r.x]; ok {
			a, b = append(a, r), append(b, c)
		}
	}
	return a, b
}

// p99Ratio is the ratio of two series' p99 over time, in bins of whole
// rows (their length returned): the bins' p99 come from their rows' merged
// histograms (results.Series.Rebin). Rows without histograms (a
// Prometheus window) cannot be merged exactly, so they are not binned.
func p99Ratio(sa, sb *results.Series) ([]Point, float64) {
	sa, sb = sameRows(sa, sb)
	n := min(len(sa.Intervals), len(sb.Intervals))
	if n == 0 {
		return nil, 0
	}
	length := sa.IntervalLength()
	m := 1.0
	if sa.IntervalHistograms() != nil && sb.IntervalHistograms() != nil {
		perRow := float64(min(sa.OK+sa.Miss, sb.OK+sb.Miss)) / float64(n)
		m = max(math.Ceil(float64(n)/ratioPoints), math.Ceil(minBinRequests/max(perRow, 1)))
		m = max(1, min(m, math.Floor(float64(n)/minBins)))
	}
	if m > 1 {
		ra, errA := sa.Rebin(length * m)
		rb, errB := sb.Rebin(length * m)
		if errA == nil && errB == nil {
			sa, sb = &ra, &rb
		}
	}
	byT := make(map[int64]results.Interval, len(sa.Intervals))
	for _, iv := range sa.Intervals {
		byT[iv.T] = iv
	}
	width := sb.IntervalLength()
	l := newLineOf(width)
	drawn := false
	for _, iv := range sb.Intervals {
		x := sb.IntervalStart(iv.T)
		a, both := byT[iv.T]
		if !both || a.Max == 0 || iv.Max == 0 || !(a.P99 > 0) {
			l.gap(x)
			continue
		}
		l.add(x, round(iv.P99/a.P99))
		drawn = true
	}
	if !drawn {
		return nil, 0
	}
	return l.points(), width
}

// sameRows returns sa and sb with rows of one length, rebinning the finer
// to the coarser (row lengths are 100 ms·2^k, so they nest), as the
// comparison does.
func sameRows(sa, sb *results.Series) (*results.Series, *results.Series) {
	la, lb := sa.IntervalLength(), sb.IntervalLength()
	switch {
	case la < lb:
		if r, err := sa.Rebin(lb); err == nil {
			sa = &r
		}
	case lb < la:
		if r, err := sb.Rebin(la); err == nil {
			sb = &r
		}
	}
	return sa, sb
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}
