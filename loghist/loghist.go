// Package loghist keeps compact latency histograms: one per interval of a
// run, small enough to keep thousands per series and cheap to merge in the
// thousands of resamples a bootstrap makes.
//
// Buckets are log-linear, as in HdrHistogram: each power of two of
// nanoseconds is cut into 128 equal sub-buckets, so a bucket is at most
// 1/128 (0.78%) of its lower edge wide, and a value read back as its
// bucket's midpoint is within 0.39% of the value recorded. Values are
// clamped into 1 µs..100 s, the range of every latency histogram of a run
// (package results), which takes bucket indexes below 3,899 (they fit a uint16).
//
// A Histogram stores only its non-empty buckets, sorted: 6 bytes each (a
// uint16 index and a uint32 count, in two slices). An interval of a cache
// benchmark spreads over a few hundred buckets, so it takes 1–4 KB however
// many requests it holds; the whole-run HdrHistogram at 0.1% (about 230 KB
// in memory) stays the source of the printed percentiles.
package loghist

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"
)

const (
	subBits = 7
	sub     = 1 << subBits // sub-buckets per power of two

	lowest  = int64(time.Microsecond)
	highest = int64(100 * time.Second)
)

// Buckets is the number of bucket indexes: Index(v) < Buckets for every v.
var Buckets = Index(highest) + 1

// Index is the bucket of a value in nanoseconds, clamped into 1 µs..100 s.
func Index(ns int64) int {
	v := uint64(min(max(ns, lowest), highest))
	e := bits.Len64(v) - subBits - 1 // v >> e is in [sub, 2·sub)
	return (e+1)*sub + int(v>>e) - sub
}

// Midpoint is the middle of bucket i in nanoseconds.
func Midpoint(i int) float64 {
	e := i/sub - 1
	m := uint64(i%sub + sub) // the bucket is [m<<e, (m+1)<<e)
	return (float64(m) + 0.5) * math.Ldexp(1, e)
}

// Histogram is a sparse histogram: the zero value is empty. It is immutable
// once built; Merge and Builder make new ones.
type Histogram struct {
	idx []uint16 // ascending
	n   []uint32 // n[k] > 0 values in bucket idx[k]
}

// Count is the number of values.
func (h Histogram) Count() uint64 {
	var c uint64
	for _, n := range h.n {
		c += uint64(n)
	}
	return c
}

// Len is the number of non-empty buckets (6 bytes each).
func (h Histogram) Len() int { return len(h.idx) }

// Each calls f for every non-empty bucket, in ascending order.
func (h Histogram) Each(f func(index int, count uint32)) {
	for k, i := range h.idx {
		f(int(i), h.n[k])
	}
}

// Quantile is the midpoint, in seconds, of the bucket holding the value of
// rank ⌈q·Count⌉ (at least 1); 0 when empty.
func (h Histogram) Quantile(q float64) float64 {
	total := h.Count()
	if total == 0 {
		return 0
	}
	rank := Rank(q, total)
	var seen uint64
	for k, n := range h.n {
		seen += uint64(n)
		if seen >= rank {
			return Midpoint(int(h.idx[k])) / 1e9
		}
	}
	return Midpoint(int(h.idx[len(h.idx)-1])) / 1e9
}

// Rank is the 1-based rank of quantile q among total values: ⌈q·total⌉,
// at least 1 and at most total.
func Rank(q float64, total uint64) uint64 {
	r := uint64(math.Ceil(q * float64(total)))
	return min(max(r, 1), total)
}

// Merge returns the sum of hs.
func Merge(hs ...Histogram) Histogram {
	var b Builder
	for _, h := range hs {
		b.AddHistogram(h)
	}
	return b.Histogram()
}

// Builder accumulates counts by bucket; the zero value is empty and ready.
// It holds a dense array of Buckets counts (30 KB) once used.
type Builder struct {
	dense []uint64
	// Buckets lo..hi may hold counts (none when lo > hi): Histogram scans
	// only them, an interval's few hundred buckets, not all Buckets.
	lo, hi int
	used   bool // lo and hi are set
}

// Record adds n values of ns nanoseconds.
func (b *Builder) Record(ns int64, n uint64) { b.Add(Index(ns), n) }

// Add adds n values to bucket i (0 <= i < Buckets).
func (b *Builder) Add(i int, n uint64) {
	if n == 0 {
		return
	}
	b.span(i, i)
	b.dense[i] += n
}

// AddHistogram adds every value of h, as Add for each of its buckets but
// without a call per bucket (merging a run's intervals into a few groups is
// a bootstrap's first step).
func (b *Builder) AddHistogram(h Histogram) {
	if len(h.idx) == 0 {
		return
	}
	b.span(int(h.idx[0]), int(h.idx[len(h.idx)-1]))
	d := b.dense
	for k, i := range h.idx {
		d[i] += uint64(h.n[k])
	}
}

// span widens lo..hi to hold lo..hi, allocating the array on first use.
func (b *Builder) span(lo, hi int) {
	if !b.used {
		if b.dense == nil {
			b.dense = make([]uint64, Buckets)
		}
		b.lo, b.hi, b.used = lo, hi, true
		return
	}
	b.lo, b.hi = min(b.lo, lo), max(b.hi, hi)
}

// Histogram returns what was added and resets b, keeping its array. A
// bucket's count saturates at 2³²−1.
func (b *Builder) Histogram() Histogram {
	if !b.used {
		return Histogram{}
	}
	b.used = false
	live := b.dense[b.lo : b.hi+1]
	k := 0
	for _, n := range live {
		if n > 0 {
			k++
		}
	}
	h := Histogram{idx: make([]uint16, 0, k), n: make([]uint32, 0, k)}
	for i, n := range live {
		if n > 0 {
			h.idx = append(h.idx, uint16(b.lo+i))
			h.n = append(h.n, uint32(min(n, math.MaxUint32)))
			live[i] = 0
		}
	}
	return h
}

// Equal reports whether h and o hold the same counts.
func (h Histogram) Equal(o Histogram) bool {
	return slices.Equal(h.idx, o.idx) && slices.Equal(h.n, o.n)
}

// MarshalText encodes h as base64 of varint pairs (index delta, count):
// 2–4 bytes a bucket. The empty histogram encodes as "".
func (h Histogram) MarshalText() ([]byte, error) {
	buf := make([]byte, 0, 3*len(h.idx))
	prev := 0
	for k, i := range h.idx {
		buf = binary.AppendUvarint(buf, uint64(int(i)-prev))
		buf = binary.AppendUvarint(buf, uint64(h.n[k]))
		prev = int(i)
	}
	out := make([]byte, base64.RawStdEncoding.EncodedLen(len(buf)))
	base64.RawStdEncoding.Encode(out, buf)
	return out, nil
}

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("loghist: corrupt histogram")

// UnmarshalText decodes MarshalText's encoding. Indexes must ascend and stay
// below Buckets, counts be positive: a decoded histogram holds at most
// Buckets buckets, whatever the input.
func (h *Histogram) UnmarshalText(text []byte) error {
	buf := make([]byte, base64.RawStdEncoding.DecodedLen(len(text)))
	n, err := base64.RawStdEncoding.Decode(buf, text)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	buf = buf[:n]
	var out Histogram
	prev := -1
	for len(buf) > 0 {
		d, k := binary.Uvarint(buf)
		if k <= 0 {
			return fmt.Errorf("%w: bad bucket index", ErrCorrupt)
		}
		buf = buf[k:]
		c, k := binary.Uvarint(buf)
		if k <= 0 {
			return fmt.Errorf("%w: bad count", ErrCorrupt)
		}
		buf = buf[k:]
		if d > uint64(Buckets) {
			return fmt.Errorf("%w: bucket index past %d", ErrCorrupt, Buckets-1)
		}
		i := max(prev, 0) + int(d)
		if (prev >= 0 && d == 0) || i >= Buckets {
			return fmt.Errorf("%w: bucket indexes must ascend below %d", ErrCorrupt, Buckets)
		}
		if c == 0 || c > math.MaxUint32 {
			return fmt.Errorf("%w: count %d out of 1..%d", ErrCorrupt, c, uint64(math.MaxUint32))
		}
		out.idx = append(out.idx, uint16(i))
		out.n = append(out.n, uint32(c))
		prev = i
	}
	*h = out
	return nil
}
