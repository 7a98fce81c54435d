package verdict

import "math"

// How the intervals of one run are cut into batches.
//
// Batch means are only as good as the batches are long: if the noise stays
// correlated for longer than a batch, neighbouring batch means move together,
// their spread understates how much the run's mean could move, and the
// interval comes out too narrow. There must also be enough batches that their
// spread is a steady estimate. The batch length m is therefore
//
//	m = max(√n, 5·τ̂),  b = ⌊n/m⌋ clamped to [3, 20] batches
//
// where n is the number of intervals and τ̂ the correlation time (below).
//
//   - √n is the usual "consistent batch means" size (Flegal & Jones, 2010):
//     batch length and count grow together. For nearly uncorrelated noise,
//     n = 60 gives 7 batches of 8–9 intervals and n = 300 gives 17 of 17–18;
//     with lag-1 correlation 0.5, n = 60 gives 4 batches of 15.
//   - 5·τ̂: for noise that forgets at a steady rate (AR(1)), batch means
//     underestimate the variance of the mean by about τ/(2m), so five
//     correlation times keep that error near 10% (5% on the width).
//   - At most 20 batches: beyond that the t quantile barely shrinks (2.09 at
//     19 degrees of freedom, 1.96 at infinity), so long runs get longer
//     batches instead, which turns slow drift into visible spread.
//   - At least 3 batches (2 degrees of freedom per engine) keep the t quantile
//     finite; with so few the interval is wide, which is the honest answer
//     for a run that is short compared with its own wander.
//
// τ̂ = (1+ρ)/(1−ρ) is the integrated autocorrelation time of AR(1) noise with
// the observed lag-1 correlation ρ of the intervals (clamped to [0, 0.95]):
// the number of consecutive intervals that carry about one interval's worth of
// independent information. ρ = 0.5 gives τ̂ = 3, ρ = 0.9 gives τ̂ = 19.
const (
	minBatches = 3
	maxBatches = 20
	corrTimes  = 5    // batch length in correlation times, at least
	maxLag1    = 0.95 // cap on ρ, so τ̂ ≤ 39
)

// batchCount returns the number of batches for xs (see above).
func batchCount(xs []float64, mean float64) int {
	rho := min(max(lag1(xs, mean), 0), maxLag1)
	tau := (1 + rho) / (1 - rho)
	n := float64(len(xs))
	m := max(math.Sqrt(n), corrTimes*tau)
	return min(max(int(n/m), minBatches), maxBatches)
}

// lag1 is the lag-1 sample autocorrelation of xs around mean.
func lag1(xs []float64, mean float64) float64 {
	var num, den float64
	prev := xs[0] - mean
	den = prev * prev
	for _, x := range xs[1:] {
		d := x - mean
		num += d * prev
		den += d * d
		prev = d
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// summary is what the interval needs to know about one engine's samples.
type summary struct {
	mean float64
	b    int     // number of batches
	se2  float64 // squared standard error of mean, from the batch means
}

// summarize computes the mean of xs and the batch-means estimate of its
// variance. xs must hold at least minBatches finite values.
//
// Batch i covers xs[i·n/b : (i+1)·n/b], so sizes differ by at most one and
// every interval is used. Var(mean) ≈ S²/b, where S² is the sample variance of
// the b batch means.
func summarize(xs []float64) summary {
	n := len(xs)
	lo, hi, sum := xs[0], xs[0], 0.0
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
		sum += x
	}
	if lo == hi {
		// Summing n copies of x and dividing by n need not give x back
		// exactly; constant input must give an exact ratio and zero width.
		return summary{mean: lo, b: minBatches}
	}
	mean := sum / float64(n)
	return batchMeans(xs, mean, batchCount(xs, mean))
}

// batchMeans returns the summary of xs, whose mean is mean, cut into b
// batches.
func batchMeans(xs []float64, mean float64, b int) summary {
	n := len(xs)
	var ss float64
	for i := range b {
		batch := xs[i*n/b : (i+1)*n/b]
		var bs float64
		for _, x := range batch {
			bs += x - mean
		}
		d := bs / float64(len(batch))
		ss += d * d
	}
	// Deviations are taken from the overall mean, the size-weighted mean of
	// the batch means, so b−1 degrees of freedom remain.
	return summary{mean: mean, b: b, se2: ss / float64(b-1) / float64(b)}
}
