package profile

import (
	"cmp"
	"math"
	"slices"
)

// maxBuckets bounds the sizes of a table the profiler writes.
const maxBuckets = 64

// Bucket is one size of a table the profiler writes and how many sampled
// sizes it stands for.
type Bucket struct {
	Size  int // the mean of the sizes it holds, rounded
	Count int
}

// bucketSizes turns sampled sizes into at most maxBuckets sizes with
// their counts. Up to maxBuckets distinct sizes are kept exactly (a
// workload of fixed or tabled sizes comes back as written); beyond,
// sizes are grouped in log-spaced buckets, a quarter of an octave wide
// (sizes within 19% of each other), widened to half and whole octaves
// until maxBuckets hold them:
//
//	1 B … 2^29 B   → at most 4 × 29 + 1 quarter-octave buckets, 0 B alone
//
// Each bucket is written at the mean of its sizes, so the table's mean
// is the sample's. Sizes above limit count at limit.
func bucketSizes(sizes []int, limit int) []Bucket {
	if len(sizes) == 0 {
		return nil
	}
	distinct := map[int]int{}
	for _, s := range sizes {
		distinct[min(s, limit)]++
	}
	if len(distinct) <= maxBuckets {
		out := make([]Bucket, 0, len(distinct))
		for s, n := range distinct {
			out = append(out, Bucket{Size: s, Count: n})
		}
		slices.SortFunc(out, func(a, b Bucket) int { return cmp.Compare(a.Size, b.Size) })
		return out
	}
	for perOctave := 4.0; ; perOctave /= 2 {
		type acc struct{ n, sum float64 }
		groups := map[int]*acc{}
		for s, n := range distinct {
			g := -1 // 0 B alone
			if s > 0 {
				g = int(math.Floor(math.Log2(float64(s)) * perOctave))
			}
			a := groups[g]
			if a == nil {
				a = &acc{}
				groups[g] = a
			}
			a.n += float64(n)
			a.sum += float64(s) * float64(n)
		}
		// Whole octaves of sizes below 2^31 make at most 32 groups.
		if len(groups) > maxBuckets && perOctave > 1 {
			continue
		}
		out := make([]Bucket, 0, len(groups))
		for _, a := range groups {
			out = append(out, Bucket{Size: int(math.Round(a.sum / a.n)), Count: int(a.n)})
		}
		slices.SortFunc(out, func(a, b Bucket) int { return cmp.Compare(a.Size, b.Size) })
		return out
	}
}

// quantile returns the q-quantile of sorted xs (nearest rank).
func quantile[T cmp.Ordered](sorted []T, q float64) T {
	var zero T
	if len(sorted) == 0 {
		return zero
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// mean returns the mean of xs, 0 for none.
func mean(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs))
}
