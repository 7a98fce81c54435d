package verdict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ecbench/ecbench/loghist"
)

// Whole-run quantiles compared with a block bootstrap over intervals (the
// package comment's "Quantiles" section says why this scheme):
//
//	intervals  h₁ h₂ h₃ │ h₄ h₅ h₆ │ h₇ h₈ h₉ │ …   b blocks of ≈ n/b, each pre-merged
//	replicate  block 3, block 1, block 3, …        b draws with replacement (the same
//	           → one merged histogram per engine   draws for both engines when paired)
//	           → every quantile q
//
// With b blocks drawn with replacement, the bootstrap variance of a
// block-averaged statistic is (b−1)/b of the batch-means variance, so the
// interval is
//
//	log R ± t(b−1) · √(b/(b−1)) · SD*(log R*)
//
// around the whole-run ratio R, and always holds R.

// replicates is the number of bootstrap resamples. Only their standard
// deviation is used, and the standard deviation of B replicates is off by
// about 1/√(2B), 3.5% at 400, against the 24% of the block-to-block
// uncertainty that t(b−1) allows for with 10 blocks (Efron and Tibshirani
// find 200 enough for a standard error; a percentile interval would need
// thousands). 250, 400 and 1,000 replicates gave the same coverage within
// ±0.6% in quantile_test.go.
const replicates = 400

// maxQuantileBlocks caps the number of blocks below batch.go's 20. Longer
// blocks hold more of a slow wander that request noise hides from the
// lag-1 correlation of short intervals: on 600 intervals of 100 ms, 20
// blocks of 3 s covered the true p50 ratio of identical engines in 93.6% of
// trials, 10 blocks of 6 s in 95.0%. It costs little: t(9) = 2.26 against
// t(19) = 2.09, and the 5% difference is still detected in every trial.
const maxQuantileBlocks = 10

// ComparePairedQuantiles compares, for each q of qs, the q-quantile of the
// engines' whole runs,
//
//	Ratio = Merge(valkey...).Quantile(q) / Merge(redis...).Quantile(q),
//
// from per-interval histograms of intervals in which both engines ran at the
// same time: redis[i] and valkey[i] cover the same span, so the slices must
// have the same length (a different length is a programming error and
// panics).
//
// The interval is a paired block bootstrap: blocks of consecutive intervals
// are resampled, the same blocks for both engines so that the noise they
// shared cancels, and each replicate's merged histograms give every
// quantile. The resampling is seeded from the data: the same histograms
// always give the same answer. Latency is compared: lower is better.
//
// Intervals in which neither engine answered are left out. Fewer than
// MinSamples intervals in which both answered gives NotEnoughData, with the
// ratio when both engines answered something. N counts each engine's
// non-empty intervals. Each q must be in (0, 1], else it panics.
func ComparePairedQuantiles(redis, valkey []loghist.Histogram, qs []float64) []Comparison {
	out, _, _ := comparePairedQuantiles(redis, valkey, qs)
	return out
}

// comparePairedQuantiles is ComparePairedQuantiles that also returns, for
// each q, the replicates' log R* and the number of blocks b (nil and 0 when
// no interval was formed), for tests to compare ways of forming the interval.
func comparePairedQuantiles(redis, valkey []loghist.Histogram, qs []float64) (out []Comparison, logs [][]float64, b int) {
	if len(redis) != len(valkey) {
		panic(fmt.Sprintf("verdict: ComparePairedQuantiles: %d redis and %d valkey intervals, want the same intervals for both",
			len(redis), len(valkey)))
	}
	checkQuantiles(qs)
	var r, v []loghist.Histogram
	both := 0
	for i := range redis {
		if redis[i].Len() == 0 && valkey[i].Len() == 0 {
			continue // no information, and it would only dilute a block
		}
		if redis[i].Len() > 0 && valkey[i].Len() > 0 {
			both++
		}
		r, v = append(r, redis[i]), append(v, valkey[i])
	}
	out = notEnough(len(qs), nonEmpty(r), nonEmpty(v))
	n := len(r)
	r, v = segments(r), segments(v) // the same grouping: the lengths are equal
	wr, wv := newWholeRun(r, qs), newWholeRun(v, qs)
	if wr.total == 0 || wv.total == 0 {
		return out, nil, 0
	}
	for k := range qs {
		out[k].Ratio = wv.quantile[k] / wr.quantile[k]
	}
	if both < MinSamples {
		return out, nil, 0
	}

	// The blocks must be long enough for the pair's joint wander: the
	// series is each segment's first-order contribution to log Qv − log Qr
	// (see linearized), the longest blocks over every q.
	b = maxQuantileBlocks
	zr, zv := wr.linearized(r), wv.linearized(v)
	for k := range qs {
		for t := range zv[k] {
			zv[k][t] -= zr[k][t]
		}
		b = min(b, batchCount(zv[k], mean(zv[k])))
	}
	logs = pairedReplicates(newBlocks(r, wr, b), newBlocks(v, wv, b), wr, wv, seed(wr.total, wv.total, n))
	for k := range qs {
		out[k].Low, out[k].High = bootInterval(out[k].Ratio, sd2(logs[k]), b)
		out[k].DF = float64(b - 1)
		if !math.IsNaN(out[k].Low) {
			out[k].Outcome = decide(out[k].Low, out[k].High, LowerIsBetter)
		}
	}
	return out, logs, b
}

// pairedReplicates returns, for each q, the replicates' log R*: each
// replicate draws b blocks with replacement, the same for both engines.
func pairedReplicates(br, bv blocks, wr, wv wholeRun, seed uint64) [][]float64 {
	qs := wr.q
	b := br.b
	rng := rand.New(rand.NewPCG(seed, uint64(b)))
	logs := make([][]float64, len(qs))
	weights := make([]uint64, b)
	qr, qv := make([]float64, len(qs)), make([]float64, len(qs))
	for range replicates {
		draw(rng, weights)
		if !br.quantiles(weights, wr, qr) || !bv.quantiles(weights, wv, qv) {
			continue // an engine drew only blocks in which it answered nothing
		}
		for k := range qs {
			logs[k] = append(logs[k], math.Log(qv[k]/qr[k]))
		}
	}
	return logs
}

// CompareQuantiles is ComparePairedQuantiles for engines that did not run at
// the same time (one after the other): the slices may differ in length, and
// each engine's intervals are cut into their own blocks and resampled
// independently, so the interval carries both runs' whole noise.
//
// The interval is log R ± t · √(v_redis + v_valkey), each v the corrected
// bootstrap variance of that engine's log quantile, with Welch's degrees of
// freedom over the two block counts (as Compare). Fewer than MinSamples
// non-empty intervals on either side gives NotEnoughData, with the ratio when
// both sides answered something.
func CompareQuantiles(redis, valkey []loghist.Histogram, qs []float64) []Comparison {
	checkQuantiles(qs)
	r, v := dropEmpty(redis), dropEmpty(valkey)
	out := notEnough(len(qs), len(r), len(v))
	enough := len(r) >= MinSamples && len(v) >= MinSamples
	r, v = segments(r), segments(v)
	wr, wv := newWholeRun(r, qs), newWholeRun(v, qs)
	if wr.total == 0 || wv.total == 0 {
		return out
	}
	for k := range qs {
		out[k].Ratio = wv.quantile[k] / wr.quantile[k]
	}
	if !enough {
		return out
	}
	vr, dfr := sideVariances(r, wr, qs, 1)
	vv, dfv := sideVariances(v, wv, qs, 2)
	for k := range qs {
		c := &out[k]
		vsum := vr[k] + vv[k]
		if math.IsNaN(vsum) {
			continue
		}
		c.Low, c.High, c.DF = c.Ratio, c.Ratio, min(dfr, dfv)
		if vsum > 0 {
			df := vsum * vsum / (vr[k]*vr[k]/dfr + vv[k]*vv[k]/dfv)
			c.DF = df
			half := tQuantile(1-(1-Confidence)/2, df) * math.Sqrt(vsum)
			c.Low, c.High = c.Ratio*math.Exp(-half), c.Ratio*math.Exp(half)
		}
		c.Outcome = decide(c.Low, c.High, LowerIsBetter)
	}
	return out
}

// sideVariances returns, for each q, the small-b corrected bootstrap
// variance of the log of one engine's whole-run quantile, and the degrees of
// freedom b−1 of its blocks. stream keeps the two engines' draws apart.
func sideVariances(hs []loghist.Histogram, w wholeRun, qs []float64, stream uint64) (v []float64, df float64) {
	b := maxQuantileBlocks
	for _, z := range w.linearized(hs) {
		b = min(b, batchCount(z, mean(z)))
	}
	bl := newBlocks(hs, w, b)
	rng := rand.New(rand.NewPCG(seed(w.total, 0, len(hs)), stream<<32|uint64(b)))
	logs := make([][]float64, len(qs))
	weights := make([]uint64, b)
	qv := make([]float64, len(qs))
	for range replicates {
		draw(rng, weights)
		if !bl.quantiles(weights, w, qv) {
			continue
		}
		for k := range qs {
			logs[k] = append(logs[k], math.Log(qv[k]))
		}
	}
	v = make([]float64, len(qs))
	for k := range qs {
		v[k] = sd2(logs[k]) * float64(b) / float64(b-1)
	}
	return v, float64(b - 1)
}

// bootInterval is log R ± t(b−1)·√(b/(b−1)·s2) around ratio, s2 the
// bootstrap variance of log R*: NaN bounds when s2 is NaN (too few usable
// replicates).
func bootInterval(ratio, s2 float64, b int) (low, high float64) {
	if math.IsNaN(s2) {
		return math.NaN(), math.NaN()
	}
	if s2 == 0 {
		return ratio, ratio
	}
	half := tQuantile(1-(1-Confidence)/2, float64(b-1)) * math.Sqrt(s2*float64(b)/float64(b-1))
	return ratio * math.Exp(-half), ratio * math.Exp(half)
}

// minReplicates is the fewest usable replicates for an interval: below it an
// engine answered in so few blocks that most resamples had nothing to merge.
const minReplicates = replicates / 2

// sd2 is the sample variance of xs, NaN with fewer than minReplicates.
// Deviations are taken from xs[0] first, so that identical replicates give
// exactly 0 (a mean of equal values need not equal them).
func sd2(xs []float64) float64 {
	if len(xs) < minReplicates {
		return math.NaN()
	}
	var s, ss float64
	for _, x := range xs {
		d := x - xs[0]
		s += d
		ss += d * d
	}
	n := float64(len(xs))
	return max(ss-s*s/n, 0) / (n - 1)
}

// draw fills weights with how often each of len(weights) blocks is drawn in
// len(weights) draws with replacement.
func draw(rng *rand.Rand, weights []uint64) {
	clear(weights)
	for range weights {
		weights[rng.IntN(len(weights))]++
	}
}

// seed derives the resampling seed from the data, so that the same input
// always gives the same interval while different inputs get unrelated draws.
func seed(a, b uint64, n int) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range []uint64{a, b, uint64(n)} {
		h ^= x
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return h
}

func checkQuantiles(qs []float64) {
	for i, q := range qs {
		if !(q > 0 && q <= 1) {
			panic(fmt.Sprintf("verdict: qs[%d] = %v, want a quantile in (0, 1]", i, q))
		}
	}
}

func notEnough(n, nr, nv int) []Comparison {
	out := make([]Comparison, n)
	for k := range out {
		out[k] = Comparison{Ratio: math.NaN(), Low: math.NaN(), High: math.NaN(), Outcome: NotEnoughData, N: [2]int{nr, nv}}
	}
	return out
}

func nonEmpty(hs []loghist.Histogram) int {
	n := 0
	for _, h := range hs {
		if h.Len() > 0 {
			n++
		}
	}
	return n
}

func dropEmpty(hs []loghist.Histogram) []loghist.Histogram {
	out := make([]loghist.Histogram, 0, len(hs))
	for _, h := range hs {
		if h.Len() > 0 {
			out = append(out, h)
		}
	}
	return out
}

// maxSegments is the most consecutive groups a run's intervals are merged
// into before anything else: every later step (the whole run, the series
// that sets the block length, the blocks) then reads at most 120
// histograms, so a long run's intervals are read once. A block is then a
// whole number of segments, at least 12 of them (120/maxQuantileBlocks), so
// block sizes differ by at most one segment (±8%); the series that sets the
// block length is a segment's, at least 12 points a block.
const maxSegments = 120

// segments returns hs merged into at most maxSegments groups of
// consecutive intervals, group g being hs[g·n/G : (g+1)·n/G]; hs itself when
// it is no longer. (A bucket of a segment saturates at 2³²−1 values, as in
// loghist.Merge.)
func segments(hs []loghist.Histogram) []loghist.Histogram {
	n := len(hs)
	if n <= maxSegments {
		return hs
	}
	out := make([]loghist.Histogram, maxSegments)
	var b loghist.Builder
	for g := range out {
		for _, h := range hs[g*n/maxSegments : (g+1)*n/maxSegments] {
			b.AddHistogram(h)
		}
		out[g] = b.Histogram()
	}
	return out
}

// wholeRun is one engine's whole run: its count, the range of buckets it
// used and, for each q, the quantile (seconds) and the bucket it lies in.
type wholeRun struct {
	total    uint64
	lo, hi   int // buckets used: lo ≤ i ≤ hi
	quantile []float64
	bucket   []int
	q        []float64
}

func newWholeRun(hs []loghist.Histogram, qs []float64) wholeRun {
	dense := make([]uint64, loghist.Buckets)
	w := wholeRun{lo: loghist.Buckets, hi: -1, quantile: make([]float64, len(qs)), bucket: make([]int, len(qs)), q: qs}
	for _, h := range hs {
		h.Each(func(i int, n uint32) { dense[i] += uint64(n) })
	}
	for i, n := range dense {
		if n > 0 {
			w.total += n
			w.lo, w.hi = min(w.lo, i), i
		}
	}
	if w.total == 0 {
		return w
	}
	for k, q := range qs {
		rank := loghist.Rank(q, w.total)
		var seen uint64
		for i, n := range dense[w.lo : w.hi+1] {
			seen += n
			if seen >= rank {
				w.bucket[k], w.quantile[k] = w.lo+i, loghist.Midpoint(w.lo+i)/1e9
				break
			}
		}
	}
	return w
}

// linearized returns, for each quantile k, each interval's first-order share
// of the deviation of the log whole-run quantile from its truth (its
// influence), up to a factor common to every interval:
//
//	z_t = (q·n_t − c_t) / N      c_t: values of interval t at or below the quantile's bucket
//
// The whole-run quantile is where Σc_t reaches q·N, so an interval that had
// more values below it pulls it down by about (c_t − q·n_t)/(N·f(Q)·Q) on
// the log scale. The factor 1/(f(Q)·Q) is the same for both engines when
// their distributions differ by a scale, so the difference of the engines'
// z_t is the paired series whose correlation sets the block length.
//
// One pass over the buckets serves every q: a bucket's count goes to the
// first quantile (in bucket order) at or above it, and c_t of each quantile
// is the running sum of those in bucket order.
func (w wholeRun) linearized(hs []loghist.Histogram) [][]float64 {
	order := make([]int, len(w.q)) // quantiles by ascending bucket
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return w.bucket[a] - w.bucket[b] })
	tops := make([]int, len(order))
	for p, k := range order {
		tops[p] = w.bucket[k]
	}
	z := make([][]float64, len(w.q))
	for k := range z {
		z[k] = make([]float64, len(hs))
	}
	cnt := make([]uint64, len(order)+1) // cnt[len(order)]: above every quantile
	for t, h := range hs {
		clear(cnt)
		p := 0
		h.Each(func(i int, m uint32) {
			for p < len(tops) && tops[p] < i {
				p++
			}
			cnt[p] += uint64(m)
		})
		var n, c uint64
		for _, m := range cnt {
			n += m
		}
		for p, k := range order {
			c += cnt[p]
			z[k][t] = (w.q[k]*float64(n) - float64(c)) / float64(w.total)
		}
	}
	return z
}

// blocks holds one engine's intervals cut into consecutive blocks, each
// pre-merged as cumulative counts over the buckets the engine used. A
// replicate's merged histogram is then never built: its cumulative count at
// bucket i is Σ weight_j·cum_j(i), and a quantile is a binary search over
// i, about log₂(buckets)·b multiply-adds however many values it holds. The
// counts are stored bucket-major, so that one step of the search reads the b
// blocks' counts at one bucket from adjacent memory.
type blocks struct {
	b, lo, width int      // b blocks; buckets lo ≤ i < lo+width
	cum          []uint64 // cum[(i-lo)*b+j]: values of block j at or below bucket i
}

// newBlocks cuts hs, whose whole run is w, into b blocks, block j being
// hs[j·n/b : (j+1)·n/b] (sizes differ by at most one, as batchMeans).
func newBlocks(hs []loghist.Histogram, w wholeRun, b int) blocks {
	lo := w.lo
	bl := blocks{b: b, lo: lo, width: max(w.hi-lo+1, 0)}
	bl.cum = make([]uint64, b*bl.width)
	n := len(hs)
	for j := range b {
		for _, h := range hs[j*n/b : (j+1)*n/b] {
			h.Each(func(i int, m uint32) { bl.cum[(i-lo)*b+j] += uint64(m) })
		}
	}
	for k := b; k < len(bl.cum); k++ {
		bl.cum[k] += bl.cum[k-b]
	}
	return bl
}

// quantiles sets out[k] to the qs[k]-quantile (seconds, a bucket midpoint as
// loghist's Quantile) of the histogram Σ weights[j]·block j. It reports false
// when that histogram is empty.
//
// The search for each quantile starts at the whole run's bucket, near which
// a replicate's quantile almost always lies, and gallops outwards (±1, ±2,
// ±4, … buckets) before bisecting: a few steps, each summing the blocks
// drawn at one bucket.
func (bl blocks) quantiles(weights []uint64, w wholeRun, out []float64) bool {
	var active [maxBatches]int
	drawn := active[:0]
	for j, x := range weights {
		if x > 0 {
			drawn = append(drawn, j)
		}
	}
	at := func(i int) uint64 { // the merged cumulative count at bucket lo+i
		row := bl.cum[i*bl.b : (i+1)*bl.b]
		var c uint64
		for _, j := range drawn {
			c += weights[j] * row[j]
		}
		return c
	}
	if bl.width == 0 {
		return false
	}
	total := at(bl.width - 1)
	if total == 0 {
		return false
	}
	for k, q := range w.q {
		rank := loghist.Rank(q, total)
		// Bracket the smallest bucket whose cumulative count reaches rank:
		// at(lo) < rank (or lo = −1) and at(hi) ≥ rank; the last bucket's
		// count is total ≥ rank.
		g := min(max(w.bucket[k]-bl.lo, 0), bl.width-1)
		lo, hi := g-1, g
		if at(g) >= rank {
			for step := 1; lo >= 0 && at(lo) >= rank; step *= 2 {
				hi, lo = lo, max(g-2*step, -1)
			}
		} else {
			lo, hi = g, min(g+1, bl.width-1)
			for step := 1; at(hi) < rank; step *= 2 {
				lo, hi = hi, min(g+2*step, bl.width-1)
			}
		}
		for hi-lo > 1 {
			mid := int(uint(lo+hi) >> 1)
			if at(mid) >= rank {
				hi = mid
			} else {
				lo = mid
			}
		}
		out[k] = loghist.Midpoint(bl.lo+hi) / 1e9
	}
	return true
}
