package keyspace

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Errors of NewSizeTable, wrapped with the entry at fault.
var (
	ErrEmptySizeTable  = errors.New("size table has no entries")
	ErrSizeTableSize   = errors.New("size must be >= 0")
	ErrSizeTableWeight = errors.New("weight must be a finite number > 0")
)

// SizeWeight is one entry of an empirical size distribution: Size bytes,
// drawn with probability Weight / (the sum of the weights).
type SizeWeight struct {
	Size   int
	Weight float64
}

// SizeTable is an empirical distribution of sizes, a table of size →
// weight, sampled in O(1) with Vose's alias method (M. D. Vose, "A linear
// algorithm for generating random numbers with a given distribution",
// 1991). Each of the n columns holds one size and, for the rest of its
// 1/n of the probability, an alias:
//
//	weights   32: 0.7   1024: 0.2   4096: 0.1    (n = 3: each column has 1/3)
//	column 0  32 whole
//	column 1  1024 below its cut 0.6, else its alias 32
//	column 2  4096 below its cut 0.3, else its alias 32
//	P(32) = (1 + 0.4 + 0.7)/3 = 0.7   P(1024) = 0.6/3 = 0.2   P(4096) = 0.3/3 = 0.1
//
// A draw is one 64-bit random number: its high 32 bits pick the column
// (multiply and shift: a bias below n/2^32, under 3e-7 for 1,024 entries),
// its low 32 bits are compared with the column's cut, in units of 2^-32.
// Building is O(n) and the table is immutable: it is safe for concurrent
// use, and every generator built on it reads the same one.
type SizeTable struct {
	entries []SizeWeight // sorted by size, distinct, weights summing to 1
	cum     []float64    // cum[i]: the weights of entries[0..i], for Quantile
	cut     []uint64     // column i draws entries[i] when the low 32 bits are below cut[i], in [0, 2^32]
	alias   []uint32     // and entries[alias[i]] otherwise
	largest int
}

// NewSizeTable builds the distribution of entries, in any order. Entries
// of the same size are merged, their weights added. It returns an error
// wrapping one of the errors above when there is no entry, a size is
// negative or a weight is not a finite number > 0. The table is the same
// for the same entries whatever their order, so that every runner of a
// workload draws the same sizes.
func NewSizeTable(entries []SizeWeight) (*SizeTable, error) {
	if len(entries) == 0 {
		return nil, ErrEmptySizeTable
	}
	if len(entries) > math.MaxUint32 {
		return nil, fmt.Errorf("size table has %d entries, more than %d", len(entries), uint64(math.MaxUint32))
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b SizeWeight) int { return cmp.Compare(a.Size, b.Size) })
	merged := sorted[:0]
	total := 0.0
	for _, e := range sorted {
		if e.Size < 0 {
			return nil, fmt.Errorf("%w, got %d", ErrSizeTableSize, e.Size)
		}
		// Written so that NaN fails too.
		if !(e.Weight > 0) || math.IsInf(e.Weight, 1) {
			return nil, fmt.Errorf("size %d: %w, got %v", e.Size, ErrSizeTableWeight, e.Weight)
		}
		total += e.Weight
		if n := len(merged); n > 0 && merged[n-1].Size == e.Size {
			merged[n-1].Weight += e.Weight
			continue
		}
		merged = append(merged, e)
	}
	if math.IsInf(total, 1) {
		return nil, errors.New("size table weights overflow when summed")
	}
	t := &SizeTable{
		entries: merged,
		cut:     make([]uint64, len(merged)),
		alias:   make([]uint32, len(merged)),
		largest: merged[len(merged)-1].Size,
	}
	t.cum = make([]float64, len(merged))
	acc := 0.0
	for i := range t.entries {
		t.entries[i].Weight /= total
		acc += t.entries[i].Weight
		t.cum[i] = acc
	}
	t.build()
	return t, nil
}

// build fills the alias table: every column starts with its scaled
// probability n·p; a column below 1 (small) is topped up by one above 1
// (large), which becomes its alias and gives up that share. The stacks are
// filled in index order, so the table depends only on the entries.
func (t *SizeTable) build() {
	n := len(t.entries)
	scaled := make([]float64, n)
	var small, large []uint32
	for i, e := range t.entries {
		scaled[i] = e.Weight * float64(n)
		if scaled[i] < 1 {
			small = append(small, uint32(i))
		} else {
			large = append(large, uint32(i))
		}
	}
	const one = 1 << 32
	for len(small) > 0 && len(large) > 0 {
		l := small[len(small)-1]
		small = small[:len(small)-1]
		g := large[len(large)-1]
		large = large[:len(large)-1]
		t.cut[l] = uint64(math.Round(scaled[l] * one))
		t.alias[l] = g
		// Computed as (g + l) - 1, not g - (1 - l): the numerically stable
		// order (K. Schwarz, "Darts, dice, and coins").
		scaled[g] = (scaled[g] + scaled[l]) - 1
		if scaled[g] < 1 {
			small = append(small, g)
		} else {
			large = append(large, g)
		}
	}
	// What is left has a probability of 1 up to rounding: it keeps its
	// whole column.
	for _, i := range append(small, large...) {
		t.cut[i] = one
		t.alias[i] = i
	}
}

// Pick returns the size that the 64-bit uniform random number u draws.
// It is O(1) and allocates nothing; the same u always gives the same size.
func (t *SizeTable) Pick(u uint64) int {
	col := (u >> 32) * uint64(len(t.cut)) >> 32
	if u&(1<<32-1) < t.cut[col] {
		return t.entries[col].Size
	}
	return t.entries[t.alias[col]].Size
}

// Quantile returns the smallest size whose cumulative probability is
// above u, for u in [0, 1): the inverse of the distribution function, in
// O(log n). Unlike Pick it is monotone in u, so evenly spread values of u
// (a low-discrepancy sequence) give each size its exact share, within one
// value: what a fixed universe of set members needs to have the table's
// shares whatever its size.
func (t *SizeTable) Quantile(u float64) int {
	i, _ := slices.BinarySearchFunc(t.cum, u, func(c, u float64) int {
		if c <= u {
			return -1
		}
		return 1
	})
	return t.entries[min(i, len(t.entries)-1)].Size
}

// Largest returns the largest size of the table.
func (t *SizeTable) Largest() int { return t.largest }

// Len returns the number of distinct sizes.
func (t *SizeTable) Len() int { return len(t.entries) }

// Entries returns the distinct sizes in increasing order with their
// probabilities (the weights divided by their sum). The slice is the
// caller's.
func (t *SizeTable) Entries() []SizeWeight { return slices.Clone(t.entries) }

// Mean returns the mean size.
func (t *SizeTable) Mean() float64 {
	m := 0.0
	for _, e := range t.entries {
		m += float64(e.Size) * e.Weight
	}
	return m
}

// Empirical returns values whose sizes follow a SizeTable, each a prefix
// of one buffer of the table's largest size.
type Empirical struct {
	pcg   *rand.PCG
	table *SizeTable
	buf   []byte
}

var _ Values = (*Empirical)(nil)

// NewEmpirical returns a generator of values with sizes drawn from table,
// whose sizes and bytes are derived from seed: two generators of the same
// table and seed give the same sequence. It panics if table is nil.
func NewEmpirical(table *SizeTable, seed uint64) *Empirical {
	if table == nil {
		panic("keyspace: NewEmpirical: nil size table")
	}
	// As NewRange: one stream, the bytes drawn first, then the sizes, so
	// a fixed, ranged or empirical generator of one seed share their bytes.
	pcg := rand.NewPCG(seed, streamValues)
	return &Empirical{pcg: pcg, table: table, buf: randomBytes(pcg, table.largest)}
}

// Next returns a value of a size drawn from the table.
func (e *Empirical) Next() []byte {
	n := e.table.Pick(e.pcg.Uint64())
	return e.buf[:n:n]
}
