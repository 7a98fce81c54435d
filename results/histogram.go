package results

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The geometry of every HdrHistogram in a run (schemas 1 to 3): nanoseconds
// with 3 significant digits, so a recorded value is within 0.1% of the true
// one.
// Values are clamped into 1 µs..100 s when recorded. The histogram's unit is
// 1 ns (its lowest discernible value): with a 1 µs unit, HdrHistogram would
// keep 3 digits only above about 1 ms, and cache latencies live below that.
// About 230 KB of counts in memory; a few hundred bytes to a few KB encoded.
const (
	histLowest  = int64(1)
	histHighest = int64(100 * time.Second)
	histSigFigs = 3

	clampLowest = int64(time.Microsecond)
)

// Histogram is a latency distribution: an HdrHistogram of nanoseconds with
// the geometry above. Two histograms merge exactly: the merge holds the same
// counts as one histogram that recorded both sets of values, so percentiles of
// merged runs are the percentiles of all their samples (at 0.1% precision).
//
// In JSON a histogram is one string, the HdrHistogram V2 compressed encoding
// in base64: the interchange format every HdrHistogram implementation reads
// (Java's HistogramLogProcessor, Python's hdrh, hdrhistogram-go's Decode).
// The zero Histogram is empty and encodes as null.
type Histogram struct {
	h *hdrhistogram.Histogram
}

func newHDR() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

// clampNanos brings a duration into the histogram's range.
func clampNanos(d time.Duration) int64 {
	return min(max(int64(d), clampLowest), histHighest)
}

// Count is the number of recorded values.
func (h Histogram) Count() int64 {
	if h.h == nil {
		return 0
	}
	return h.h.TotalCount()
}

// Quantile returns the value at quantile q (0.5 is the median, 0.999 the
// 99.9th percentile) in seconds; 0 when the histogram is empty.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count() == 0 {
		return 0
	}
	return seconds(h.h.ValueAtQuantile(q * 100))
}

// Mean returns the mean of the recorded values in seconds; 0 when empty.
func (h Histogram) Mean() float64 {
	if h.Count() == 0 {
		return 0
	}
	return h.h.Mean() / 1e9
}

// Max returns the largest recorded value in seconds (the top of its 0.1%
// bucket); 0 when empty.
func (h Histogram) Max() float64 {
	if h.Count() == 0 {
		return 0
	}
	return seconds(h.h.Max())
}

// HDR returns a copy of the underlying HdrHistogram (values in nanoseconds),
// for analyses this package does not offer. It is never nil.
func (h Histogram) HDR() *hdrhistogram.Histogram {
	if h.h == nil {
		return newHDR()
	}
	return h.h.Clone()
}

// clone returns an independent copy; the zero Histogram clones to an empty,
// allocated one.
func (h Histogram) clone() Histogram { return Histogram{h.HDR()} }

// merge adds o's counts to h, which must be allocated. Both have the schema's
// geometry (Read checks it), so nothing is dropped.
func (h Histogram) merge(o Histogram) {
	if o.h != nil {
		h.h.Merge(o.h)
	}
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// MarshalJSON encodes h as a base64 HdrHistogram V2 compressed string.
func (h Histogram) MarshalJSON() ([]byte, error) {
	if h.h == nil {
		return []byte("null"), nil
	}
	b, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON decodes a base64 HdrHistogram V2 compressed string. It
// rejects histograms whose geometry is not the schema's: merging those would
// not be exact.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*h = Histogram{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("histogram: want a base64 string: %w", err)
	}
	d, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if d.LowestTrackableValue() != histLowest || d.HighestTrackableValue() != histHighest ||
		d.SignificantFigures() != histSigFigs {
		return fmt.Errorf("histogram: range %d..%d ns at %d digits, want %d..%d at %d",
			d.LowestTrackableValue(), d.HighestTrackableValue(), d.SignificantFigures(),
			histLowest, histHighest, histSigFigs)
	}
	// Decode keeps the stream's integer-to-double ratio (1) as metadata where
	// New leaves 0; drop it so a decoded histogram equals the one encoded.
	snap := d.Export()
	snap.IntegerToDoubleConversionRatio = 0
	h.h = hdrhistogram.Import(snap)
	return nil
}
