package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ecbench/ecbench/results"
)

// bucket is a classic histogram bucket: the count of values ≤ le
// (cumulative, as Prometheus keeps it).
type bucket struct{ le, count float64 }

// The geometry of results' histograms (schema 1): ns from 1 to 100 s at 3
// significant digits. results.Histogram's JSON decoding refuses any other,
// so a change there fails loudly here rather than merging wrongly.
const (
	hdrLowest  = 1
	hdrHighest = int64(100 * time.Second)
	hdrSigFigs = 3
	hdrClampLo = int64(time.Microsecond)
)

// spreadPoints is how many distinct values at most stand for one bucket's
// count: its quantiles are then within 1/(2×spreadPoints) of a bucket's
// width of the linear interpolation.
const spreadPoints = 1000

// bucketHistogram turns classic buckets into a results.Histogram whose
// percentiles are those histogram_quantile gives for the same buckets: each
// bucket's count is spread evenly over (lower bound, le], which is
// Prometheus' linear interpolation within a bucket; values in the +Inf
// bucket count at the highest finite bound, which is what
// histogram_quantile answers for them. One difference: histogram_quantile
// starts the first bucket at 0, which would put the fastest requests at a
// few nanoseconds and stretch a log axis by decades; here the first bucket
// starts where the bounds' geometric series says (le₀²/le₁; 40 µs for
// ecbench's 50 µs and 63 µs). So the report's whole-window
// percentiles, spectrum and maximum are at the buckets' resolution (the
// maximum is the upper bound of the highest bucket with requests), unlike
// a results directory's HDR histograms, exact to 0.1%.
//
// The histogram enters package results through its JSON form, the HDR
// interchange encoding, the one way in from outside the package.
func bucketHistogram(bs []bucket) (results.Histogram, error) {
	var out results.Histogram
	bs = slices.Clone(bs)
	slices.SortFunc(bs, func(a, b bucket) int {
		switch {
		case a.le < b.le:
			return -1
		case a.le > b.le:
			return 1
		}
		return 0
	})
	h := hdrhistogram.New(hdrLowest, hdrHighest, hdrSigFigs)
	lower, below := 0.0, 0.0
	if len(bs) > 1 && bs[0].le > 0 && bs[1].le > bs[0].le && !math.IsInf(bs[1].le, 1) {
		lower = bs[0].le * bs[0].le / bs[1].le
	}
	for _, b := range bs {
		cum := max(b.count, below) // counts are cumulative; rate() noise may break that by a hair
		n := int64(math.Round(cum - below))
		below = cum
		lo, hi := lower, b.le
		if math.IsInf(b.le, 1) { // above the highest finite bound: counted there
			hi = lo
		}
		lower = b.le
		if n <= 0 || math.IsNaN(hi) {
			continue
		}
		k := min(n, spreadPoints)
		for j := range k {
			v := lo + (hi-lo)*(float64(j)+0.5)/float64(k)
			c := n / k
			if j < n%k {
				c++
			}
			ns := min(max(int64(v*1e9), hdrClampLo), hdrHighest)
			if err := h.RecordValues(ns, c); err != nil {
				return out, fmt.Errorf("bucket le=%g: %w", b.le, err)
			}
		}
	}
	if h.TotalCount() == 0 {
		return out, nil
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return out, err
	}
	js, err := json.Marshal(string(enc))
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(js, &out); err != nil {
		return out, err
	}
	return out, nil
}

// secondsDuration converts seconds to a duration, to the microsecond.
func secondsDuration(s float64) time.Duration {
	if math.IsNaN(s) || s <= 0 {
		return 0
	}
	return time.Duration(math.Round(s*1e6)) * time.Microsecond
}
