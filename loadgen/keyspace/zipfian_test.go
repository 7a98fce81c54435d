package keyspace

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestNewZipfianErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		count    uint64
		exponent float64
		want     string
		is       error
	}{
		{0, 0.99, "key count must be > 0, got 0", ErrEmptyKeyspace},
		{100, 0, "zipfian exponent must be a finite number > 0, got 0", ErrZipfExponent},
		{100, -1, "zipfian exponent must be a finite number > 0, got -1", ErrZipfExponent},
		{100, math.NaN(), "zipfian exponent must be a finite number > 0, got NaN", ErrZipfExponent},
		{100, math.Inf(1), "zipfian exponent must be a finite number > 0, got +Inf", ErrZipfExponent},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			z, err := NewZipfian(tt.count, tt.exponent, 1)
			if err == nil || err.Error() != tt.want || !errors.Is(err, tt.is) {
				t.Errorf("NewZipfian(%d, %v) = %v, %v; want error %q wrapping %v", tt.count, tt.exponent, z, err, tt.want, tt.is)
			}
		})
	}
}

func TestZipfianInRange(t *testing.T) {
	t.Parallel()
	for _, count := range []uint64{1, 2, 3, 100, 1e8, 1 << 53, math.MaxUint64} {
		for _, s := range []float64{1e-9, 0.01, 0.5, 0.99, 1 - 1e-12, 1, 1 + 1e-12, 1.2, 2, 50, 1e300} {
			t.Run(fmt.Sprintf("count=%d/s=%g", count, s), func(t *testing.T) {
				t.Parallel()
				z := mustZipfian(t, count, s, 11)
				for range 10_000 {
					if k := z.Next(); k >= count {
						t.Fatalf("Next() = %d, want < %d", k, count)
					}
				}
			})
		}
	}
}

// TestZipfianDistribution compares the empirical frequencies with
// p(k) = (k+1)^-s / H(count, s). With a fixed seed the test is deterministic;
// the bounds are still statistical, so that a correct sampler passes for any
// seed: each frequency must lie within 5 binomial standard deviations of its
// expectation (a few percent for the hot ranks, looser for the flat s = 0.5
// over 1e6 keys, where rank 0 expects only ~100 hits), and a chi-square test
// over rank buckets must pass at the 5-sigma level.
func TestZipfianDistribution(t *testing.T) {
	t.Parallel()
	const samples = 200_000
	for _, count := range []uint64{100, 1e6} {
		for _, s := range []float64{0.5, 0.99, 1.0, 1.2, 2.0} {
			t.Run(fmt.Sprintf("count=%d/s=%g", count, s), func(t *testing.T) {
				t.Parallel()
				pmf := zipfPMF(count, s)
				buckets := rankBuckets(pmf, samples)
				z := mustZipfian(t, count, s, 5)
				hits := make([]int, count)
				for range samples {
					k := z.Next()
					if k >= count {
						t.Fatalf("Next() = %d, want < %d", k, count)
					}
					hits[k]++
				}

				for k := range 2 {
					want := samples * pmf[k]
					sigma := math.Sqrt(samples * pmf[k] * (1 - pmf[k]))
					got := float64(hits[k])
					t.Logf("rank %d: %d hits, want %.0f (%+.2f%%, %.1fσ)", k, hits[k], want, 100*(got-want)/want, (got-want)/sigma)
					if math.Abs(got-want) > 5*sigma {
						t.Errorf("rank %d: %d hits in %d samples, want %.0f ± %.0f", k, hits[k], samples, want, 5*sigma)
					}
				}

				var chi2 float64
				for _, b := range buckets {
					n := 0
					for _, h := range hits[b.lo:b.hi] {
						n += h
					}
					want := samples * b.p
					chi2 += (float64(n) - want) * (float64(n) - want) / want
				}
				df := len(buckets) - 1
				limit := chiSquareLimit(df, 5)
				t.Logf("chi-square %.1f over %d buckets, limit %.1f", chi2, len(buckets), limit)
				if chi2 > limit {
					t.Errorf("chi-square %.1f with %d degrees of freedom exceeds %.1f", chi2, df, limit)
				}
			})
		}
	}
}

// zipfPMF returns p(k) = (k+1)^-s / H(count, s) for every k.
func zipfPMF(count uint64, s float64) []float64 {
	p := make([]float64, count)
	var sum float64
	// Sum the small terms first, for accuracy.
	for k := int(count) - 1; k >= 0; k-- {
		p[k] = math.Pow(float64(k+1), -s)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	return p
}

type bucket struct {
	lo, hi int // ranks [lo, hi)
	p      float64
}

// rankBuckets splits the ranks into buckets for a chi-square test: one per
// rank while the rank alone expects at least 20 of samples hits, then buckets
// [lo, 2·lo+1) of doubling width, with a thin tail merged into the bucket
// before it so that every bucket expects at least 20.
func rankBuckets(pmf []float64, samples float64) []bucket {
	const minExpected = 20
	var bs []bucket
	for lo := 0; lo < len(pmf); {
		hi := lo + 1
		if samples*pmf[lo] < minExpected {
			hi = min(2*lo+1, len(pmf))
		}
		var p float64
		for _, q := range pmf[lo:hi] {
			p += q
		}
		bs = append(bs, bucket{lo, hi, p})
		lo = hi
	}
	for len(bs) > 1 && samples*bs[len(bs)-1].p < minExpected {
		last := bs[len(bs)-1]
		bs = bs[:len(bs)-1]
		bs[len(bs)-1].hi = last.hi
		bs[len(bs)-1].p += last.p
	}
	return bs
}

// chiSquareLimit is the value a chi-square variable with df degrees of
// freedom exceeds with the probability of a z-sigma normal deviation, by the
// Wilson–Hilferty approximation.
func chiSquareLimit(df int, z float64) float64 {
	k := float64(df)
	c := 2 / (9 * k)
	return k * math.Pow(1-c+z*math.Sqrt(c), 3)
}
