package keyspace

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func mustSizeTable(tb testing.TB, entries ...SizeWeight) *SizeTable {
	tb.Helper()
	t, err := NewSizeTable(entries)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// randomEntries returns n distinct sizes with weights spanning six orders
// of magnitude, from a fixed seed.
func randomEntries(n int, seed uint64) []SizeWeight {
	rng := rand.New(rand.NewPCG(seed, 1))
	entries := make([]SizeWeight, n)
	for i := range entries {
		entries[i] = SizeWeight{Size: i * 7, Weight: math.Pow(10, 6*rng.Float64())}
	}
	return entries
}

// TestSizeTableMass checks the alias table exactly, without drawing: the
// probability it gives each size (its own cut plus what other columns
// alias to it, each column 1/n) is the normalized weight, to within the
// 2^-32 resolution of the cuts.
func TestSizeTableMass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []SizeWeight
	}{
		{"one", []SizeWeight{{100, 1}}},
		{"two equal", []SizeWeight{{1, 5}, {2, 5}}},
		{"the doc's example", []SizeWeight{{32, 0.7}, {1024, 0.2}, {4096, 0.1}}},
		{"skewed", []SizeWeight{{0, 1e-9}, {10, 1}, {20, 1e9}}},
		{"integer counts", []SizeWeight{{32, 7012}, {1024, 2988}}},
		{"64 random", randomEntries(64, 1)},
		{"1024 random", randomEntries(1024, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table := mustSizeTable(t, tt.entries...)
			n := float64(table.Len())
			mass := make([]float64, table.Len())
			for col := range table.cut {
				own := float64(table.cut[col]) / (1 << 32)
				mass[col] += own / n
				mass[table.alias[col]] += (1 - own) / n
			}
			total := 0.0
			for _, e := range tt.entries {
				total += e.Weight
			}
			for i, e := range table.Entries() {
				want := tt.entries[i].Weight / total
				if math.Abs(mass[i]-want) > 1e-9 || math.Abs(e.Weight-want) > 1e-12 {
					t.Errorf("size %d: alias mass %.12f, entry %.12f, want %.12f", e.Size, mass[i], e.Weight, want)
				}
			}
		})
	}
}

// TestEmpiricalChiSquare draws from tables with a fixed seed and checks
// the counts against the weights with Pearson's chi-square test at
// p = 0.001: a fixed seed makes it a fixed outcome, and a wrong table
// (a lost alias, a column picked off by one) fails it by far.
func TestEmpiricalChiSquare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []SizeWeight
		draws   int
	}{
		{"two", []SizeWeight{{32, 70}, {1024, 30}}, 100_000},
		{"seven uneven", []SizeWeight{{0, 1}, {1, 2}, {16, 4}, {100, 8}, {1000, 16}, {4096, 32}, {65536, 37}}, 200_000},
		{"64 random", randomEntries(64, 3), 500_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table := mustSizeTable(t, tt.entries...)
			e := NewEmpirical(table, 42)
			counts := map[int]int{}
			for range tt.draws {
				counts[len(e.Next())]++
			}
			chi2, df := 0.0, 0
			for _, entry := range table.Entries() {
				expected := entry.Weight * float64(tt.draws)
				if expected < 5 {
					continue // the test needs about 5 expected per cell
				}
				d := float64(counts[entry.Size]) - expected
				chi2 += d * d / expected
				df++
			}
			limit := distuv.ChiSquared{K: float64(df - 1)}.Quantile(0.999)
			if chi2 > limit {
				t.Errorf("chi-square %.1f over %d sizes, above the p=0.001 limit %.1f", chi2, df, limit)
			}
			for size := range counts {
				if !slices.ContainsFunc(tt.entries, func(e SizeWeight) bool { return e.Size == size }) {
					t.Errorf("drew size %d, which is not in the table", size)
				}
			}
		})
	}
}

// TestEmpiricalSameSequence checks what both engines rely on: the same
// table and seed give the same sizes and bytes, whatever order the
// entries came in; another seed gives another sequence.
func TestEmpiricalSameSequence(t *testing.T) {
	t.Parallel()
	entries := []SizeWeight{{8, 1}, {512, 3}, {64, 2}}
	reversed := slices.Clone(entries)
	slices.Reverse(reversed)
	a := NewEmpirical(mustSizeTable(t, entries...), 7)
	b := NewEmpirical(mustSizeTable(t, reversed...), 7)
	c := NewEmpirical(mustSizeTable(t, entries...), 8)
	differs := false
	for i := range 10_000 {
		x, y, z := a.Next(), b.Next(), c.Next()
		if string(x) != string(y) {
			t.Fatalf("draw %d: seed 7 gave %d bytes and %d bytes", i, len(x), len(y))
		}
		differs = differs || len(x) != len(z)
	}
	if !differs {
		t.Error("seeds 7 and 8 gave the same 10,000 sizes")
	}
	// The bytes are a Fixed generator's of the same seed: a workload
	// that changes from a fixed size to a table writes the same bytes.
	if got, want := NewEmpirical(mustSizeTable(t, SizeWeight{100, 1}), 3).Next(), NewFixed(100, 3).Next(); string(got) != string(want) {
		t.Error("a one-size table's value differs from Fixed's of the same seed")
	}
}

func TestEmpiricalAllocs(t *testing.T) {
	e := NewEmpirical(mustSizeTable(t, randomEntries(1024, 4)...), 1)
	if n := testing.AllocsPerRun(10_000, func() { e.Next() }); n != 0 {
		t.Errorf("Next allocates %v times per call, want 0", n)
	}
}

func TestNewSizeTableErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []SizeWeight
		is      error
		text    string
	}{
		{"empty", nil, ErrEmptySizeTable, "size table has no entries"},
		{"negative size", []SizeWeight{{-1, 1}}, ErrSizeTableSize, "size must be >= 0, got -1"},
		{"zero weight", []SizeWeight{{1, 1}, {2, 0}}, ErrSizeTableWeight, "size 2: weight must be a finite number > 0, got 0"},
		{"NaN weight", []SizeWeight{{1, math.NaN()}}, ErrSizeTableWeight, "size 1: weight must be a finite number > 0, got NaN"},
		{"infinite weight", []SizeWeight{{1, math.Inf(1)}}, ErrSizeTableWeight, "size 1: weight must be a finite number > 0, got +Inf"},
		{"overflow", []SizeWeight{{1, math.MaxFloat64}, {2, math.MaxFloat64}}, nil, "size table weights overflow when summed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSizeTable(tt.entries)
			if err == nil || err.Error() != tt.text || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want %q (wrapping %v)", err, tt.text, tt.is)
			}
		})
	}
}

func TestSizeTableQuantile(t *testing.T) {
	t.Parallel()
	table := mustSizeTable(t, SizeWeight{10, 1}, SizeWeight{20, 2}, SizeWeight{30, 1})
	tests := []struct {
		u    float64
		want int
	}{{0, 10}, {0.2499, 10}, {0.25, 20}, {0.7499, 20}, {0.75, 30}, {0.9999999, 30}}
	for _, tt := range tests {
		if got := table.Quantile(tt.u); got != tt.want {
			t.Errorf("Quantile(%v) = %d, want %d", tt.u, got, tt.want)
		}
	}
}

func TestSizeTableMerges(t *testing.T) {
	t.Parallel()
	table := mustSizeTable(t, SizeWeight{10, 1}, SizeWeight{5, 1}, SizeWeight{10, 2})
	want := []SizeWeight{{5, 0.25}, {10, 0.75}}
	if got := table.Entries(); !slices.Equal(got, want) {
		t.Errorf("Entries() = %v, want %v", got, want)
	}
	if table.Largest() != 10 || table.Len() != 2 || table.Mean() != 8.75 {
		t.Errorf("Largest %d, Len %d, Mean %v; want 10, 2, 8.75", table.Largest(), table.Len(), table.Mean())
	}
}

// FuzzSizeTable builds tables from arbitrary sizes and weights: a table
// that builds must only ever draw its own sizes, within Largest.
func FuzzSizeTable(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint64(1))
	f.Add([]byte{0, 0, 255, 255, 7}, uint64(99))
	f.Fuzz(func(t *testing.T, data []byte, u uint64) {
		var entries []SizeWeight
		for i := 0; i+1 < len(data); i += 2 {
			entries = append(entries, SizeWeight{Size: int(data[i]) * 100, Weight: float64(data[i+1])})
		}
		table, err := NewSizeTable(entries)
		if err != nil {
			return
		}
		rng := rand.New(rand.NewPCG(u, 0))
		for range 100 {
			size := table.Pick(rng.Uint64())
			if size > table.Largest() || !slices.ContainsFunc(entries, func(e SizeWeight) bool { return e.Size == size && e.Weight > 0 }) {
				t.Fatalf("drew %d, not a size of %v", size, entries)
			}
		}
	})
}

func BenchmarkEmpiricalNext(b *testing.B) {
	for _, n := range []int{2, 64, 1024} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			e := NewEmpirical(mustSizeTable(b, randomEntries(n, 5)...), 1)
			b.ReportAllocs()
			for b.Loop() {
				e.Next()
			}
		})
	}
}
