package keyspace

import (
	"math/rand/v2"
	"strconv"
)

// Keys picks key indexes in [0, count). Implementations are not safe for
// concurrent use.
type Keys interface {
	Next() uint64
}

var (
	_ Keys = (*Uniform)(nil)
	_ Keys = (*Sequential)(nil)
	_ Keys = (*Zipfian)(nil)
)

// AppendKey appends prefix followed by the decimal index i to dst and returns
// the extended slice: AppendKey(nil, "kv:", 42) is "kv:42". It allocates only
// when dst must grow, so a worker that reuses its buffer builds keys for free.
func AppendKey(dst []byte, prefix string, i uint64) []byte {
	dst = append(dst, prefix...)
	return strconv.AppendUint(dst, i, 10)
}

// Uniform picks every index in [0, count) with equal probability.
type Uniform struct {
	rng   *rand.Rand
	count uint64
}

// NewUniform returns a uniform key generator over [0, count) seeded with
// seed. It panics if count is 0.
func NewUniform(count, seed uint64) *Uniform {
	if count == 0 {
		panic("keyspace: NewUniform: count must be > 0")
	}
	return &Uniform{rng: rand.New(rand.NewPCG(seed, streamUniform)), count: count}
}

// Next returns the next index.
func (u *Uniform) Next() uint64 {
	// Uint64N is unbiased (Lemire's method), unlike Uint64() % count.
	return u.rng.Uint64N(u.count)
}

// Sequential walks the indexes in order, start, start+1, ..., count-1, 0, 1,
// ..., as a loader that fills the key space does. It uses no randomness.
type Sequential struct {
	next, count uint64
}

// NewSequential returns a generator that starts at start (taken modulo
// count) and wraps at count. It panics if count is 0.
func NewSequential(count, start uint64) *Sequential {
	if count == 0 {
		panic("keyspace: NewSequential: count must be > 0")
	}
	return &Sequential{next: start % count, count: count}
}

// Next returns the next index.
func (s *Sequential) Next() uint64 {
	i := s.next
	// Compare rather than take a remainder: no overflow when count is
	// math.MaxUint64, and no division on the hot path.
	if s.next++; s.next == s.count {
		s.next = 0
	}
	return i
}
