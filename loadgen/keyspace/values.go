package keyspace

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// Values produces value payloads. The returned slices are read-only and may
// alias a buffer shared by every call; they are capped at their length, so an
// append to one copies rather than overwrites the buffer. Implementations are
// not safe for concurrent use.
type Values interface {
	Next() []byte
}

var (
	_ Values = (*Fixed)(nil)
	_ Values = (*Range)(nil)
)

// Fixed returns the same size-byte payload every time.
type Fixed struct {
	buf []byte
}

// NewFixed returns a generator of size-byte values whose bytes are derived
// from seed. It panics if size is negative.
func NewFixed(size int, seed uint64) *Fixed {
	if size < 0 {
		panic(fmt.Sprintf("keyspace: NewFixed: size must be >= 0, got %d", size))
	}
	buf := randomBytes(rand.NewPCG(seed, streamValues), size)
	return &Fixed{buf: buf[:size:size]}
}

// Next returns the value.
func (f *Fixed) Next() []byte {
	return f.buf
}

// Range returns values whose size is uniform in [minSize, maxSize], each a
// prefix of one maxSize-byte buffer.
type Range struct {
	rng     *rand.Rand
	buf     []byte
	minSize int
	span    int // maxSize - minSize + 1: the number of possible sizes
}

// NewRange returns a generator of values with sizes uniform in
// [minSize, maxSize], both ends included, whose sizes and bytes are derived
// from seed. It panics unless 0 <= minSize <= maxSize.
func NewRange(minSize, maxSize int, seed uint64) *Range {
	if minSize < 0 || maxSize < minSize {
		panic(fmt.Sprintf("keyspace: NewRange: need 0 <= min <= max, got [%d, %d]", minSize, maxSize))
	}
	// One stream serves both: the bytes are drawn first, then the sizes.
	pcg := rand.NewPCG(seed, streamValues)
	buf := randomBytes(pcg, maxSize)
	return &Range{
		rng:     rand.New(pcg),
		buf:     buf,
		minSize: minSize,
		span:    maxSize - minSize + 1,
	}
}

// Next returns a value of random size in [minSize, maxSize].
func (r *Range) Next() []byte {
	n := r.minSize + r.rng.IntN(r.span)
	return r.buf[:n:n]
}

// randomBytes returns n pseudo-random bytes from src. Random bytes are
// incompressible, so a server or proxy that compresses values stores and
// moves the full size.
func randomBytes(src rand.Source, n int) []byte {
	buf := make([]byte, n)
	var word [8]byte
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(word[:], src.Uint64())
		copy(buf[i:], word[:])
	}
	return buf
}
