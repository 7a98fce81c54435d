package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// writeClientGolang observes ds into client_golang's own histogram with the
// options ecbench used before it had durationHistogram, and returns its
// exposition.
func writeClientGolang(t *testing.T, ds []time.Duration) *dto.Histogram {
	t.Helper()
	h := prometheus.NewHistogram(histogramOpts("x", "x"))
	for _, d := range ds {
		h.Observe(d.Seconds())
	}
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.Histogram
}

func writeOurs(t *testing.T, ds []time.Duration) *dto.Histogram {
	t.Helper()
	h := newHistogramVec("x", "x", latencyBuckets, []string{"a"}).with("1")
	for _, d := range ds {
		h.observe(d, 1)
	}
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.Histogram
}

// sameHistogram compares everything but the created timestamp; the sums
// may differ in the last bits (ours is an exact integer of nanoseconds).
func sameHistogram(t *testing.T, got, want *dto.Histogram) {
	t.Helper()
	if g, w := got.GetSampleSum(), want.GetSampleSum(); math.Abs(g-w) > 1e-9*max(1, math.Abs(w)) {
		t.Errorf("sum = %v, want %v", g, w)
	}
	got, want = proto.Clone(got).(*dto.Histogram), proto.Clone(want).(*dto.Histogram)
	for _, h := range []*dto.Histogram{got, want} {
		h.SampleSum, h.CreatedTimestamp = nil, nil
	}
	if !proto.Equal(got, want) {
		t.Errorf("histograms differ:\n got  %v\n want %v", got, want)
	}
}

func TestHistogramMatchesClientGolang(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	logUniform := func(n int, lo, hi time.Duration) []time.Duration {
		ds := make([]time.Duration, n)
		for i := range ds {
			ds[i] = time.Duration(float64(lo) * math.Pow(float64(hi)/float64(lo), rng.Float64()))
		}
		return ds
	}
	var bounds []time.Duration // every classic bound, and its neighbours
	for _, b := range latencyBuckets {
		d := time.Duration(math.Round(b * 1e9))
		bounds = append(bounds, d-1, d, d+1)
	}
	var powers []time.Duration // native bucket edges: powers of 2^(1/8) s
	for k := -100; k <= 40; k++ {
		d := time.Duration(math.Pow(2, float64(k)/8) * 1e9)
		powers = append(powers, d-1, d, d+1)
	}
	tests := []struct {
		name string
		ds   []time.Duration
	}{
		{"empty", nil},
		{"zero and tiny", []time.Duration{0, 0, 1, 2, 3, 999}},
		{"one", []time.Duration{180 * time.Microsecond}},
		{"classic bounds", bounds},
		{"native edges", powers},
		{"beyond the classic range", []time.Duration{11 * time.Second, time.Minute, time.Hour}},
		{"typical latencies", logUniform(5000, 50*time.Microsecond, 2*time.Second)},
		{"narrow", logUniform(1000, 200*time.Microsecond, 400*time.Microsecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameHistogram(t, writeOurs(t, tt.ds), writeClientGolang(t, tt.ds))
		})
	}
}

func TestHistogramWeightedAndRepeatedWrites(t *testing.T) {
	ds := []time.Duration{0, 70 * time.Microsecond, 180 * time.Microsecond, 3 * time.Millisecond, 2 * time.Second}
	var each []time.Duration
	h := newHistogramVec("x", "x", latencyBuckets, []string{"a"}).with("1")
	var m dto.Metric
	for i, d := range ds {
		h.observe(d, uint64(i+3))
		for range i + 3 {
			each = append(each, d)
		}
		// Writes in between fold the cold half back into the hot one.
		if err := h.Write(&m); err != nil {
			t.Fatal(err)
		}
		sameHistogram(t, m.Histogram, writeClientGolang(t, each))
	}
}

// decodeNative returns the total count of the native buckets.
func decodeNative(h *dto.Histogram) uint64 {
	var total, count int64
	for _, d := range h.PositiveDelta {
		count += d
		total += count
	}
	return uint64(total) + h.GetZeroCount()
}

func TestHistogramDownscalesToTheBucketLimit(t *testing.T) {
	h := newHistogramVec("x", "x", latencyBuckets, []string{"a"}).with("1")
	var n uint64
	for k := minNativeKey; k <= maxNativeKey; k += 2 { // 184 distinct keys in use
		h.observe(time.Duration(math.Pow(2, float64(k)/8)*1e9), 2)
		n += 2
	}
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	hist := m.Histogram
	var used int
	for _, s := range hist.PositiveSpan {
		used += int(s.GetLength())
	}
	if hist.GetSchema() >= nativeSchema || used > nativeMaxBucketNumber {
		t.Errorf("schema %d with %d buckets, want a lower schema and at most %d", hist.GetSchema(), used, nativeMaxBucketNumber)
	}
	if got := decodeNative(hist); got != n || hist.GetSampleCount() != n {
		t.Errorf("native buckets hold %d, count %d; want %d", got, hist.GetSampleCount(), n)
	}
}

// TestHistogramConsistentUnderLoad scrapes while goroutines observe: every
// scrape must see each observation in all of its buckets or in none.
func TestHistogramConsistentUnderLoad(t *testing.T) {
	h := newHistogramVec("x", "x", latencyBuckets, []string{"a"}).with("1")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			d := time.Duration(g+1) * 137 * time.Microsecond
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				h.observe(d, uint64(i%3+1))
			}
		})
	}
	for range 200 {
		var m dto.Metric
		if err := h.Write(&m); err != nil {
			t.Fatal(err)
		}
		hist := m.Histogram
		last := hist.Bucket[len(hist.Bucket)-1].GetCumulativeCount()
		if c := hist.GetSampleCount(); decodeNative(hist) != c || last != c {
			t.Fatalf("count %d, native buckets %d, classic buckets %d", c, decodeNative(hist), last)
		}
	}
	close(stop)
	wg.Wait()
}

func BenchmarkHistogramObserve(b *testing.B) {
	ours := newHistogramVec("x", "x", latencyBuckets, []string{"a"}).with("1")
	theirs := prometheus.NewHistogram(histogramOpts("x", "x"))
	d := 180 * time.Microsecond
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			ours.observe(d, 1)
		}
	})
	b.Run("client_golang", func(b *testing.B) {
		for b.Loop() {
			theirs.Observe(d.Seconds())
		}
	})
}

// TestBucketsInNanoseconds checks the integer bucket lookups against the
// float64 rules they stand for: a classic bucket is the first bound ≥ the
// duration's Seconds(), a native one nativeKey of its Seconds() (capped),
// for every classic bound of every histogram and its neighbours, every
// native edge and its neighbours, and log-uniform durations from 1 ns to
// the longest.
func TestBucketsInNanoseconds(t *testing.T) {
	classicIndex := func(bounds []float64, v float64) int {
		i := 0
		for i < len(bounds) && bounds[i] < v {
			i++
		}
		return i
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var ds []int64
	for range 200_000 {
		ds = append(ds, int64(math.Exp(rng.Float64()*math.Log(math.MaxInt64))))
	}
	for k := minNativeKey; k <= maxNativeKey+8; k++ {
		d := int64(math.Pow(2, float64(k)/8) * 1e9)
		ds = append(ds, d-2, d-1, d, d+1, d+2)
	}
	ds = append(ds, 1, 2, 3, math.MaxInt64)
	for _, bounds := range [][]float64{latencyBuckets, lagBuckets, stallBuckets, outageBuckets} {
		ns := nsBoundsOf(bounds)
		cases := slices.Clone(ds)
		for _, b := range bounds {
			d := int64(math.Round(b * 1e9))
			cases = append(cases, d-2, d-1, d, d+1, d+2)
		}
		for _, d := range cases {
			if d <= 0 {
				continue
			}
			v := time.Duration(d).Seconds()
			if got, want := classicSlot(ns, d), classicIndex(bounds, v); got != want {
				t.Fatalf("classic bucket of %d ns: %d, want %d", d, got, want)
			}
			if got, want := nativeSlot(d), min(nativeKey(v), maxNativeKey)-minNativeKey; got != want {
				t.Fatalf("native slot of %d ns: %d, want %d", d, got, want)
			}
		}
	}
}
