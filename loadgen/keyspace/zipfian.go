package keyspace

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Errors returned by NewZipfian, wrapped with the offending value.
var (
	ErrEmptyKeyspace = errors.New("key count must be > 0")
	ErrZipfExponent  = errors.New("zipfian exponent must be a finite number > 0")
)

// Zipfian picks index k in [0, count) with probability
//
//	p(k) = (k+1)^-s / H(count, s),   H(n, s) = Σ_{i=1..n} i^-s
//
// so index 0 is the hottest key, index 1 the next hottest, and so on: rank is
// the index itself. That the hot keys are adjacent numbers does not matter to
// the servers: a standalone server hashes key names into its dictionary, and a
// cluster maps "kv:0", "kv:1", ... to unrelated hash slots by CRC16.
//
// Any exponent s > 0 works, including YCSB's 0.99 (which math/rand's Zipf,
// needing s > 1, cannot do) and exactly 1. Sampling is rejection-inversion
// (W. Hörmann and G. Derflinger, "Rejection-inversion to generate variates
// from monotone discrete distributions", 1996), as in Apache Commons RNG: O(1)
// setup and O(1) expected time per sample for any count, where the Gray et al.
// generator used by YCSB needs an O(count) zeta sum up front, too slow for
// 1e8 keys.
//
// Working in ranks r = k+1 in [1, n], the hat is the continuous density
// h(x) = x^-s. Each rank r owns the interval [r-½, r+½] of x, whose area under
// h is at least h(r) because h is convex. A uniform draw of area, inverted
// through the integral H of h, lands in some rank's interval; it is accepted
// when it falls inside the rank's true mass h(r) and redrawn otherwise. Rank
// 1's interval is instead given an area of exactly h(1) = 1 ending at 3/2, so
// it is never rejected. A cheap squeeze accepts most draws without the exact
// test; the expected number of draws per sample is close to 1.
//
//	h(x) = x^-s
//	H(x) = ∫_1^x h = (x^(1-s) - 1) / (1-s)        (log x when s = 1)
//	       draw u uniform in (H(3/2) - 1, H(n+½)],  x = H⁻¹(u),  r = round(x)
//	       accept if r - x <= squeeze  or  u >= H(r+½) - h(r)
type Zipfian struct {
	rng      *rand.Rand
	count    uint64
	exponent float64
	hLow     float64 // H(3/2) - 1: the low end of u, giving rank 1 exactly area h(1)
	hHigh    float64 // H(count+½): the high end of u
	squeeze  float64 // r - x <= squeeze implies acceptance without evaluating H
}

// NewZipfian returns a Zipfian key generator over [0, count) with the given
// exponent, seeded with seed. It returns an error if count is 0 or the
// exponent is not a finite number > 0.
func NewZipfian(count uint64, exponent float64, seed uint64) (*Zipfian, error) {
	if count == 0 {
		return nil, fmt.Errorf("%w, got 0", ErrEmptyKeyspace)
	}
	// Written so that NaN fails too.
	if !(exponent > 0) || math.IsInf(exponent, 1) {
		return nil, fmt.Errorf("%w, got %v", ErrZipfExponent, exponent)
	}
	z := &Zipfian{
		rng:      rand.New(rand.NewPCG(seed, streamZipfian)),
		count:    count,
		exponent: exponent,
	}
	z.hLow = z.hIntegral(1.5) - 1
	z.hHigh = z.hIntegral(float64(count) + 0.5)
	z.squeeze = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z, nil
}

// Next returns the next index.
func (z *Zipfian) Next() uint64 {
	n := float64(z.count)
	for {
		// Float64 is in [0, 1), so u is in (hLow, hHigh].
		u := z.hHigh + z.rng.Float64()*(z.hLow-z.hHigh)
		x := z.hIntegralInverse(u)
		// Round to the nearest rank and clamp to [1, count] in floating
		// point, before converting: rounding error can put x a hair outside,
		// and a float at or above 2^64 has no defined uint64 value.
		r := math.Floor(x + 0.5)
		if r < 1 {
			r = 1
		} else if r > n {
			r = n
		}
		if r-x <= z.squeeze || u >= z.hIntegral(r+0.5)-z.h(r) {
			if r == n {
				// Not uint64(n): above 2^53 n may have rounded up past
				// count, even to 2^64, which does not convert.
				return z.count - 1
			}
			return uint64(r) - 1
		}
	}
}

// h is the hat density x^-s.
func (z *Zipfian) h(x float64) float64 {
	return math.Exp(-z.exponent * math.Log(x))
}

// hIntegral is H(x) = (x^(1-s) - 1) / (1-s), computed as
// expm1((1-s)·log x) / ((1-s)·log x) · log x so that it stays accurate as s
// approaches 1, where it tends to log x.
func (z *Zipfian) hIntegral(x float64) float64 {
	logX := math.Log(x)
	return expm1OverX((1-z.exponent)*logX) * logX
}

// hIntegralInverse is H⁻¹(y) = (1 + (1-s)·y)^(1/(1-s)), computed as
// exp(log1p(t)/t · y) with t = (1-s)·y, which tends to exp(y) as s → 1.
func (z *Zipfian) hIntegralInverse(y float64) float64 {
	t := y * (1 - z.exponent)
	if t < -1 {
		// Rounding can push t just below the domain of log1p; -1 maps to
		// the smallest x, which the caller clamps to rank 1.
		t = -1
	}
	return math.Exp(log1pOverX(t) * y)
}

// log1pOverX is log(1+x)/x, with its Taylor series near 0 where the quotient
// would lose precision (and be 0/0 at 0).
func log1pOverX(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(1.0/2-x*(1.0/3-x*(1.0/4)))
}

// expm1OverX is (e^x - 1)/x, with its Taylor series near 0.
func expm1OverX(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x*(1.0/2)*(1+x*(1.0/3)*(1+x*(1.0/4)))
}
