package metrics

import (
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Why ecbench has its own histogram
//
// client_golang's Histogram with native buckets costs about 38 ns per
// Observe (a binary search, a sync.Map lookup for the native bucket and a
// compare-and-swap loop for the float sum), and every answered request is
// observed twice (latency and service time). It also has no way to add n equal
// observations at once, which is what a pipeline of n commands answered
// together produces. durationHistogram keeps the same exposition (classic
// buckets and native schema-3 buckets in one series, the same bucket keys,
// the same hot/cold scheme that makes every scrape consistent) with dense
// arrays, an integer nanosecond sum and weighted observations. The test
// compares its output with client_golang's for the same observations.

// nativeSchema is the native buckets' schema: the largest whose growth
// factor, 2^(2^-schema), is at most nativeBucketFactor (1.1): 2^(1/8) ≈ 1.09.
const nativeSchema = 3

// nativeBounds are client_golang's bucket bounds for schema 3, as fractions
// of a power of two (math.Frexp): key = index + (exp-1)·8. They are the
// library's literal constants so that keys match it bit for bit.
var nativeBounds = [8]float64{
	0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048,
	0.7071067811865475, 0.7711054127039704, 0.8408964152537144, 0.9170040432046711,
}

// The native keys kept: from 1ns (the clock's resolution; 0 goes to the zero
// bucket) to 2^16 s (18 hours; anything longer is counted in the top bucket).
const (
	minNativeKey = -239 // nativeKey(1e-9)
	maxNativeKey = 16 << nativeSchema
	nativeSlots  = maxNativeKey - minNativeKey + 1
)

// nativeKey returns the schema-3 bucket key of v > 0, as client_golang
// computes it.
func nativeKey(v float64) int {
	frac, exp := math.Frexp(v)
	i := 0
	for i < len(nativeBounds) && nativeBounds[i] < frac {
		i++
	}
	return i + (exp-1)*len(nativeBounds)
}

// histogramVec is a labelled family of durationHistograms. Children are
// created on first use and never removed (label values are bounded).
type histogramVec struct {
	desc     *prometheus.Desc
	bounds   []float64 // classic upper bounds, +Inf left out
	nsBounds []int64   // the same as the longest durations at or under them

	mu       sync.RWMutex
	children map[string]*durationHistogram
}

func newHistogramVec(name, help string, bounds []float64, labels []string) *histogramVec {
	return &histogramVec{
		desc:     prometheus.NewDesc(name, help, labels, nil),
		bounds:   bounds,
		nsBounds: nsBoundsOf(bounds),
		children: map[string]*durationHistogram{},
	}
}

// with returns the child for labelValues, creating it if needed.
func (v *histogramVec) with(labelValues ...string) *durationHistogram {
	key := strings.Join(labelValues, "\xff")
	v.mu.RLock()
	h, ok := v.children[key]
	v.mu.RUnlock()
	if ok {
		return h
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if h, ok := v.children[key]; ok {
		return h
	}
	h = &durationHistogram{
		vec:     v,
		labels:  prometheus.MakeLabelPairs(v.desc, labelValues),
		created: time.Now(),
	}
	for i := range h.counts {
		h.counts[i].classic = make([]atomic.Uint64, len(v.bounds)+1)
	}
	v.children[key] = h
	return h
}

// Describe implements prometheus.Collector.
func (v *histogramVec) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

// Collect implements prometheus.Collector.
func (v *histogramVec) Collect(ch chan<- prometheus.Metric) {
	v.mu.RLock()
	hs := make([]*durationHistogram, 0, len(v.children))
	for _, h := range v.children {
		hs = append(hs, h)
	}
	v.mu.RUnlock()
	for _, h := range hs {
		ch <- h
	}
}

// durationHistogram is one series. Observations go to the hot half of
// counts; a scrape flips hot and cold, waits for the observations already
// started on the cold half to finish, reads it, and folds it into the new
// hot half. So a scrape never sees an observation counted in some buckets
// and not in others (Prometheus rejects a native histogram whose count and
// buckets disagree).
type durationHistogram struct {
	vec     *histogramVec
	labels  []*dto.LabelPair
	created time.Time

	// countAndHot: the top bit is the index of the hot half, the other 63
	// the number of observations started.
	countAndHot atomic.Uint64
	counts      [2]histogramCounts
	write       sync.Mutex // serialises Write
}

type histogramCounts struct {
	count   atomic.Uint64   // observations finished
	sumNs   atomic.Int64    // nanoseconds: exact, no compare-and-swap loop
	classic []atomic.Uint64 // per bucket, not cumulative; last is +Inf
	zero    atomic.Uint64
	native  [nativeSlots]atomic.Uint64 // by key - minNativeKey
}

// observe adds n observations of d (negative counts as 0).
func (h *durationHistogram) observe(d time.Duration, n uint64) {
	ns := max(int64(d), 0)
	classic := classicSlot(h.vec.nsBounds, ns)
	hc := &h.counts[h.countAndHot.Add(n)>>63]
	hc.classic[classic].Add(n)
	if ns == 0 {
		hc.zero.Add(n)
	} else {
		hc.native[nativeSlot(ns)].Add(n)
	}
	hc.sumNs.Add(ns * int64(n))
	hc.count.Add(n)
}

// The buckets of a duration are found in whole nanoseconds, from tables
// made once from the float64 rules (classic: the first bound ≥ its
// Seconds(); native: nativeKey of its Seconds()), so that they are those
// rules' buckets exactly, without their float division and math.Frexp:
// those took 28% of BenchmarkRecord (two observations a result), 35 of its
// 125 ns.

// nsBoundsOf returns, for each classic bound in seconds, the longest
// duration whose Seconds() is at most it.
func nsBoundsOf(bounds []float64) []int64 {
	ns := make([]int64, len(bounds))
	for i, b := range bounds {
		g := int64(b * 1e9)
		for time.Duration(g+1).Seconds() <= b {
			g++
		}
		for g > 0 && time.Duration(g).Seconds() > b {
			g--
		}
		ns[i] = g
	}
	return ns
}

// classicSlot is the index of the first bound ≥ ns (len for +Inf): a
// binary search, inlined (slices.BinarySearch measured 3 ns slower).
func classicSlot(bounds []int64, ns int64) int {
	lo, hi := 0, len(bounds)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if bounds[mid] < ns {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

var (
	// nativeUpper[i] is the longest duration in native slot i (key i +
	// minNativeKey), for every slot below the top one, which takes the rest.
	nativeUpper [nativeSlots - 1]int64
	// nativeStart[l] is the slot of the shortest duration of bit length l:
	// a duration of that length is in it or in one of the next few (a
	// doubling spans 8 keys).
	nativeStart [65]int
)

func init() {
	key := func(ns int64) int { return min(nativeKey(time.Duration(ns).Seconds()), maxNativeKey) - minNativeKey }
	// The longest duration of each slot, by bisection (key is monotonic):
	// the largest d with key(d) <= i, from the previous slot's up.
	lo := int64(1) // key(1) is slot 0
	for i := range nativeUpper {
		hi := int64(math.MaxInt64)
		if key(hi) <= i {
			nativeUpper[i] = hi
			continue
		}
		for hi-lo > 1 { // key(lo) <= i < key(hi)
			if m := lo + (hi-lo)/2; key(m) <= i {
				lo = m
			} else {
				hi = m
			}
		}
		nativeUpper[i] = lo
	}
	for l := 1; l <= 64; l++ {
		d := int64(1) << (l - 1)
		if l == 64 {
			d = math.MaxInt64
		}
		nativeStart[l] = key(d)
	}
}

// nativeSlot is the native slot of ns > 0: nativeKey of its Seconds(),
// capped at maxNativeKey, less minNativeKey.
func nativeSlot(ns int64) int {
	i := nativeStart[bits.Len64(uint64(ns))]
	for i < len(nativeUpper) && nativeUpper[i] < ns {
		i++
	}
	return i
}

// Desc implements prometheus.Metric.
func (h *durationHistogram) Desc() *prometheus.Desc { return h.vec.desc }

// Write implements prometheus.Metric.
func (h *durationHistogram) Write(out *dto.Metric) error {
	h.write.Lock()
	defer h.write.Unlock()
	n := h.countAndHot.Add(1 << 63)
	count := n & (1<<63 - 1)
	hot, cold := &h.counts[n>>63], &h.counts[(^n)>>63]
	for cold.count.Load() != count {
		runtime.Gosched() // an observation on the cold half is finishing
	}

	his := &dto.Histogram{
		SampleCount:      proto.Uint64(count),
		SampleSum:        proto.Float64(time.Duration(cold.sumNs.Load()).Seconds()),
		CreatedTimestamp: timestamppb.New(h.created),
		Bucket:           make([]*dto.Bucket, len(h.vec.bounds)),
		ZeroThreshold:    proto.Float64(prometheus.DefNativeHistogramZeroThreshold),
		ZeroCount:        proto.Uint64(cold.zero.Load()),
	}
	// One allocation each for the buckets and their counts; the bounds are
	// shared by every scrape (the encoder only reads them).
	buckets := make([]dto.Bucket, len(h.vec.bounds))
	cums := make([]uint64, len(h.vec.bounds))
	var cum uint64
	for i := range h.vec.bounds {
		cum += cold.classic[i].Load()
		cums[i] = cum
		buckets[i].CumulativeCount, buckets[i].UpperBound = &cums[i], &h.vec.bounds[i]
		his.Bucket[i] = &buckets[i]
	}
	his.Schema, his.PositiveSpan, his.PositiveDelta = nativeSpans(&cold.native)
	out.Label = h.labels
	out.Histogram = his

	// Fold the cold half into the hot one; cold is all zeros afterwards.
	hot.sumNs.Add(cold.sumNs.Swap(0))
	hot.zero.Add(cold.zero.Swap(0))
	for i := range cold.classic {
		if c := cold.classic[i].Swap(0); c != 0 {
			hot.classic[i].Add(c)
		}
	}
	for i := range cold.native {
		if c := cold.native[i].Load(); c != 0 {
			cold.native[i].Store(0)
			hot.native[i].Add(c)
		}
	}
	hot.count.Add(cold.count.Swap(0))
	return nil
}

// nativeSpans encodes the native buckets as spans and deltas, the way
// client_golang does (a gap of up to two empty buckets stays inside a span).
// With more than nativeMaxBucketNumber buckets in use it halves the
// resolution (schema 2, then 1, ...) until they fit, as client_golang does
// when its limit is reached.
func nativeSpans(native *[nativeSlots]atomic.Uint64) (*int32, []*dto.BucketSpan, []int64) {
	type bucket struct {
		key   int
		count int64
	}
	var bs []bucket
	for i := range native {
		if c := native[i].Load(); c != 0 {
			bs = append(bs, bucket{i + minNativeKey, int64(c)})
		}
	}
	schema := int32(nativeSchema)
	for len(bs) > nativeMaxBucketNumber {
		// Key k at schema s is key ceil(k/2) at schema s-1.
		merged := bs[:0]
		for _, b := range bs {
			k := (b.key + 1) >> 1
			if n := len(merged); n > 0 && merged[n-1].key == k {
				merged[n-1].count += b.count
				continue
			}
			merged = append(merged, bucket{k, b.count})
		}
		bs = slices.Clip(merged)
		schema--
	}
	if len(bs) == 0 {
		// The zero threshold is not zero, which is what marks the series as
		// a native histogram without observations.
		return &schema, nil, nil
	}
	var (
		spans  []*dto.BucketSpan
		deltas []int64
		prev   int64
		next   int
	)
	for n, b := range bs {
		gap := int32(b.key - next)
		if n == 0 || gap > 2 {
			spans = append(spans, &dto.BucketSpan{Offset: proto.Int32(gap), Length: proto.Uint32(0)})
		} else {
			for range gap {
				*spans[len(spans)-1].Length++
				deltas = append(deltas, -prev)
				prev = 0
			}
		}
		*spans[len(spans)-1].Length++
		deltas = append(deltas, b.count-prev)
		prev = b.count
		next = b.key + 1
	}
	return &schema, spans, deltas
}
