package verdict

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Error rates are compared as a difference, not a ratio: a healthy engine
// fails 0 or a handful of requests in a million, and the ratio of two such
// rates (0/0, 3/1) says nothing. The difference, in percentage points, is
// what a reader weighs: "valkey failed 0.4 points more of its requests".
//
// The estimator is the whole run's rate of each engine, Σerrors/Σrequests,
// the value the table prints. To first order (the delta method) the
// deviation of p = ΣE/ΣN from its expectation is the mean over intervals of
//
//	(E_t − p·N_t) / N̄          N̄: the mean requests per interval
//
// so the deviation of the difference D = p_valkey − p_redis is the mean of
//
//	z_t = (Ev_t − pv·Nv_t)/N̄v − (Er_t − pr·Nr_t)/N̄r
//
// over the intervals in which both engines ran (paired: an error burst they
// shared, a network blip on the host, cancels). Errors come in bursts (a
// failover, a full memory, a timeout storm), so the z_t of neighbouring
// intervals are correlated, and the variance of their mean comes from batch
// means with the batch length of batch.go; the interval is D ± t(b−1)·√Var.
// Unpaired (engines run one after the other), each engine's terms are batched
// on their own, their variances add, and the degrees of freedom are Welch's.
//
// A run with few or no errors would give batch means of almost nothing and a
// zero-width interval, which claims a certainty that a few thousand requests
// do not give. So the variance is at least that of independent requests,
// with the Agresti–Caffo adjustment (one error and one success added to each
// engine) that keeps it above 0 when an engine had no errors or nothing but:
//
//	Var ≥ p̃v(1−p̃v)/(Nv+2) + p̃r(1−p̃r)/(Nr+2),   p̃ = (E+1)/(N+2)
//
// Correlated errors only make the true variance larger than that, so the
// floor never makes the interval too narrow. When it is the larger, the
// interval uses the normal quantile: the floor is computed, not estimated
// from a few batches.
//
// On synthetic runs of bursty errors, partly shared by the engines
// (rate_test.go, 1,000 seeded trials per case: 1% and 0.05% A/A, 1% against
// 1.2%, 0.02% against 0.1%, none against 0.5%, steady 5%), the paired
// interval covers the true difference in 93.8–98.2% of trials and calls
// identical engines different in 1.8–4.8%; it detects 1% against 1.2% in
// 300 intervals of 1,000 requests in 63% of trials, where the unpaired one,
// whose interval keeps the shared bursts, does in 2%.

// RateSample is one interval of one engine: the requests that failed, of
// those that completed (answered or failed; dropped requests were never sent
// and are not in the rate).
type RateSample struct {
	Errors, Requests float64
}

// RatePair is one interval in which both engines ran.
type RatePair struct {
	Redis, Valkey RateSample
}

// The outcomes of an error-rate comparison besides NoDifference and
// NotEnoughData.
const (
	ValkeyFewerErrors Outcome = "valkey fewer errors"
	RedisFewerErrors  Outcome = "redis fewer errors"
)

// RateComparison is the result of CompareRates or CompareRatesPaired.
type RateComparison struct {
	Redis, Valkey float64 // whole-run error rates, Σerrors/Σrequests; NaN when an engine completed nothing
	Diff          float64 // Valkey − Redis, a fraction (×100: percentage points)
	Low, High     float64 // the Confidence interval of Diff, within [−1, 1]; NaN with NotEnoughData
	Outcome       Outcome // ValkeyFewerErrors, RedisFewerErrors, NoDifference or NotEnoughData
	N             [2]int  // intervals used: redis, valkey
}

// CompareRatesPaired compares the engines' error rates over intervals in
// which both ran at the same time (see the comment above). Samples that are
// not finite, negative, or have more errors than requests are left out.
// Fewer than MinSamples intervals, or an engine that completed no request,
// give NotEnoughData (with the rates and Diff when they exist).
func CompareRatesPaired(pairs []RatePair) RateComparison {
	ps := make([]RatePair, 0, len(pairs))
	for _, p := range pairs {
		if validRate(p.Redis) && validRate(p.Valkey) {
			ps = append(ps, p)
		}
	}
	redis, valkey := make([]RateSample, len(ps)), make([]RateSample, len(ps))
	for i, p := range ps {
		redis[i], valkey[i] = p.Redis, p.Valkey
	}
	tr, tv := sumRates(redis), sumRates(valkey)
	c := newRateComparison(tr, tv, len(ps), len(ps))
	if c.Outcome != "" {
		return c
	}
	z := make([]float64, len(ps))
	constant := true
	for i := range ps {
		z[i] = tv.term(valkey[i]) - tr.term(redis[i])
		constant = constant && math.Abs(z[i]) < 1e-15
	}
	var v float64
	df := float64(minBatches - 1)
	if !constant {
		s := batchMeans(z, 0, rateBatchCount(z)) // z sums to zero: its mean is 0
		v, df = s.se2, float64(s.b-1)
	}
	return c.decide(v, df, binomialVariance(tr)+binomialVariance(tv))
}

// CompareRates compares error rates of engines that did not run at the same
// time (or whose intervals do not line up): each engine's intervals are
// batched on their own. Otherwise as CompareRatesPaired.
func CompareRates(redis, valkey []RateSample) RateComparison {
	r, v := validRates(redis), validRates(valkey)
	tr, tv := sumRates(r), sumRates(v)
	c := newRateComparison(tr, tv, len(r), len(v))
	if c.Outcome != "" {
		return c
	}
	vr, br := tr.batchVariance(r)
	vv, bv := tv.batchVariance(v)
	df := float64(minBatches - 1)
	if vr+vv > 0 { // Welch–Satterthwaite
		df = (vr + vv) * (vr + vv) / (vr*vr/float64(br-1) + vv*vv/float64(bv-1))
	}
	return c.decide(vr+vv, df, binomialVariance(tr)+binomialVariance(tv))
}

// rateTotals is what the interval needs of one engine's samples.
type rateTotals struct {
	errors, requests float64 // sums
	n                int     // samples
}

func (t rateTotals) rate() float64 { return t.errors / t.requests }

// term is the sample's share of the deviation of the whole-run rate.
func (t rateTotals) term(s RateSample) float64 {
	return (s.Errors - t.rate()*s.Requests) / (t.requests / float64(t.n))
}

// batchVariance is the batch-means variance of the mean of the terms of xs,
// and the number of batches.
func (t rateTotals) batchVariance(xs []RateSample) (float64, int) {
	z := make([]float64, len(xs))
	constant := true
	for i, s := range xs {
		z[i] = t.term(s)
		constant = constant && math.Abs(z[i]) < 1e-15
	}
	if constant {
		return 0, minBatches
	}
	s := batchMeans(z, 0, rateBatchCount(z))
	return s.se2, s.b
}

// rateBatchCount is batch.go's rule, m = max(√n, 5·τ̂), with τ̂ estimated
// from the autocorrelations of z rather than from its lag-1 correlation
// alone. Errors are counts: each interval's binomial scatter is independent
// of its neighbours' and hides the burst underneath, so the lag-1
// correlation of z understates how long bursts last (a burst process with
// correlation 0.8 at 5 errors an interval shows about 0.6, τ̂ half the
// truth), and batches that short gave 92% coverage in rate_test.go. Geyer's
// initial positive sequence sums the autocorrelations in pairs, ρ₂ₖ+ρ₂ₖ₊₁,
// while the pairs stay positive:
//
//	τ̂ = −1 + 2·Σₖ (ρ₂ₖ + ρ₂ₖ₊₁),   ρ₀ = 1
//
// which follows a slow decay however noisy each lag is.
func rateBatchCount(z []float64) int {
	n := len(z)
	var g0 float64
	for _, x := range z {
		g0 += x * x
	}
	tau := 1.0
	if g0 > 0 {
		rho := func(k int) float64 {
			var s float64
			for i := k; i < n; i++ {
				s += z[i] * z[i-k]
			}
			return s / g0
		}
		sum := 0.0
		for k := 0; 2*k+1 < min(n/4, maxRateLag); k++ {
			pair := rho(2*k) + rho(2*k+1)
			if pair <= 0 {
				break
			}
			sum += pair
		}
		tau = max(2*sum-1, 1)
	}
	m := max(math.Sqrt(float64(n)), corrTimes*tau)
	return min(max(int(float64(n)/m), minBatches), maxBatches)
}

// maxRateLag bounds the autocorrelations summed, and so the cost: bursts
// longer than 400 intervals already give the fewest batches.
const maxRateLag = 400

// binomialVariance is the variance of the rate if every request failed
// independently, with one error and one success added (Agresti–Caffo).
func binomialVariance(t rateTotals) float64 {
	p := (t.errors + 1) / (t.requests + 2)
	return p * (1 - p) / (t.requests + 2)
}

func sumRates(xs []RateSample) rateTotals {
	t := rateTotals{n: len(xs)}
	for _, s := range xs {
		t.errors += s.Errors
		t.requests += s.Requests
	}
	return t
}

// newRateComparison fills the rates and their difference; its Outcome is
// NotEnoughData when no interval can be computed, else empty.
func newRateComparison(tr, tv rateTotals, nr, nv int) RateComparison {
	c := RateComparison{Redis: math.NaN(), Valkey: math.NaN(), Diff: math.NaN(), Low: math.NaN(), High: math.NaN(), N: [2]int{nr, nv}}
	if tr.requests > 0 {
		c.Redis = tr.rate()
	}
	if tv.requests > 0 {
		c.Valkey = tv.rate()
	}
	c.Diff = c.Valkey - c.Redis
	if nr < MinSamples || nv < MinSamples || !(tr.requests > 0) || !(tv.requests > 0) {
		c.Outcome = NotEnoughData
	}
	return c
}

// decide sets the interval D ± q·√Var and the outcome. Var is the batch
// variance, with df degrees of freedom (q is Student's t), or the floor when
// that is larger (q is the normal quantile: the floor is computed, not
// estimated from a few batches).
func (c RateComparison) decide(batch, df, floor float64) RateComparison {
	p := 1 - (1-Confidence)/2
	half := tQuantile(p, df) * math.Sqrt(batch)
	if floor > batch {
		half = distuv.UnitNormal.Quantile(p) * math.Sqrt(floor)
	}
	c.Low, c.High = max(c.Diff-half, -1), min(c.Diff+half, 1)
	switch {
	case c.Low > 0:
		c.Outcome = RedisFewerErrors
	case c.High < 0:
		c.Outcome = ValkeyFewerErrors
	default:
		c.Outcome = NoDifference
	}
	return c
}

func validRate(s RateSample) bool {
	return finiteAll(s.Errors, s.Requests) && s.Errors >= 0 && s.Requests >= 0 && s.Errors <= s.Requests
}

func validRates(xs []RateSample) []RateSample {
	out := make([]RateSample, 0, len(xs))
	for _, s := range xs {
		if validRate(s) {
			out = append(out, s)
		}
	}
	return out
}
