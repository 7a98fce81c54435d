package keyspace

import (
	"math"
	"slices"
	"strconv"
	"testing"
)

func TestAppendKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dst    string
		prefix string
		i      uint64
		want   string
	}{
		{"", "kv:", 42, "kv:42"},
		{"", "kv:", 0, "kv:0"},
		{"", "", 7, "7"},
		{"", "user:{tag}:", 1234567890, "user:{tag}:1234567890"},
		{"", "k", math.MaxUint64, "k18446744073709551615"},
		{"MGET ", "kv:", 9, "MGET kv:9"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := string(AppendKey([]byte(tt.dst), tt.prefix, tt.i)); got != tt.want {
				t.Errorf("AppendKey(%q, %q, %d) = %q, want %q", tt.dst, tt.prefix, tt.i, got, tt.want)
			}
		})
	}
}

func FuzzAppendKey(f *testing.F) {
	f.Add([]byte(nil), "kv:", uint64(42))
	f.Add([]byte("abc"), "", uint64(0))
	f.Add([]byte{}, "k\x00\xff", uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, dst []byte, prefix string, i uint64) {
		orig := slices.Clone(dst)
		want := string(dst) + prefix + strconv.FormatUint(i, 10)
		if got := string(AppendKey(dst, prefix, i)); got != want {
			t.Errorf("AppendKey(%q, %q, %d) = %q, want %q", orig, prefix, i, got, want)
		}
		if !slices.Equal(dst, orig) {
			t.Errorf("AppendKey changed dst[:len(dst)] from %q to %q", orig, dst)
		}
	})
}

// TestKeysDeterministic checks the property the whole tool rests on: the
// runners for Redis and Valkey, built alike, send the same keys.
func TestKeysDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		new  func(seed uint64) Keys
	}{
		{"uniform", func(seed uint64) Keys { return NewUniform(1_000_000, seed) }},
		{"zipfian-0.99", func(seed uint64) Keys { return mustZipfian(t, 1_000_000, 0.99, seed) }},
		{"zipfian-1", func(seed uint64) Keys { return mustZipfian(t, 1_000_000, 1, seed) }},
		{"zipfian-2", func(seed uint64) Keys { return mustZipfian(t, 1_000_000, 2, seed) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b, c := firstKeys(tt.new(1), 10_000), firstKeys(tt.new(1), 10_000), firstKeys(tt.new(2), 10_000)
			if !slices.Equal(a, b) {
				t.Error("two generators with seed 1 produced different sequences")
			}
			if slices.Equal(a, c) {
				t.Error("seeds 1 and 2 produced the same sequence")
			}
		})
	}
}

// TestUniformGolden pins the sequence for one seed, so that a change of
// algorithm, which would make runs incomparable with earlier releases, is a
// deliberate one.
func TestUniformGolden(t *testing.T) {
	t.Parallel()
	want := []uint64{930, 729, 901, 887, 703, 355, 951, 673}
	if got := firstKeys(NewUniform(1000, 1), len(want)); !slices.Equal(got, want) {
		t.Errorf("NewUniform(1000, 1) starts %v, want %v", got, want)
	}
}

func TestUniform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		count   uint64
		samples int
	}{
		{1, 100},
		{2, 1000},
		{10, 10_000},
		{1000, 100_000},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatUint(tt.count, 10), func(t *testing.T) {
			t.Parallel()
			u := NewUniform(tt.count, 7)
			seen := make([]int, tt.count)
			for range tt.samples {
				k := u.Next()
				if k >= tt.count {
					t.Fatalf("Next() = %d, want < %d", k, tt.count)
				}
				seen[k]++
			}
			// Every index is drawn, and no count strays more than 5 standard
			// deviations (binomial) from its expectation.
			p := 1 / float64(tt.count)
			want := float64(tt.samples) * p
			tol := 5 * math.Sqrt(float64(tt.samples)*p*(1-p))
			for k, n := range seen {
				if n == 0 || math.Abs(float64(n)-want) > tol {
					t.Errorf("index %d drawn %d times in %d, want %.0f ± %.0f", k, n, tt.samples, want, tol)
				}
			}
		})
	}
}

func TestUniformHugeCount(t *testing.T) {
	t.Parallel()
	u := NewUniform(math.MaxUint64, 3)
	for range 1000 {
		if k := u.Next(); k == math.MaxUint64 {
			t.Fatalf("Next() = %d, want < count", k)
		}
	}
}

func TestSequential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		count, start uint64
		want         []uint64
	}{
		{"from zero", 3, 0, []uint64{0, 1, 2, 0, 1, 2, 0}},
		{"from middle", 5, 3, []uint64{3, 4, 0, 1, 2, 3}},
		{"start beyond count", 5, 12, []uint64{2, 3, 4, 0}},
		{"single key", 1, 9, []uint64{0, 0, 0}},
		{"max count", math.MaxUint64, math.MaxUint64 - 2, []uint64{math.MaxUint64 - 2, math.MaxUint64 - 1, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := firstKeys(NewSequential(tt.count, tt.start), len(tt.want)); !slices.Equal(got, tt.want) {
				t.Errorf("NewSequential(%d, %d) gives %v, want %v", tt.count, tt.start, got, tt.want)
			}
		})
	}
}

func TestSequentialCoverage(t *testing.T) {
	t.Parallel()
	const count = 1000
	s := NewSequential(count, 417)
	seen := make([]bool, count)
	for range count {
		k := s.Next()
		if k >= count || seen[k] {
			t.Fatalf("Next() = %d: out of range or repeated within one pass", k)
		}
		seen[k] = true
	}
}

func TestConstructorPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    func()
	}{
		{"uniform count 0", func() { NewUniform(0, 1) }},
		{"sequential count 0", func() { NewSequential(0, 0) }},
		{"fixed negative", func() { NewFixed(-1, 1) }},
		{"range negative min", func() { NewRange(-1, 3, 1) }},
		{"range min above max", func() { NewRange(5, 4, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
}

// TestNoAllocs is not parallel: AllocsPerRun counts every allocation in the
// process, and top-level tests that do not call t.Parallel run alone.
func TestNoAllocs(t *testing.T) {
	uniform, sequential := NewUniform(1e8, 1), NewSequential(1e8, 0)
	zipfian := mustZipfian(t, 1e8, 0.99, 1)
	fixed, ranged := NewFixed(1024, 1), NewRange(16, 1024, 1)
	dst := make([]byte, 0, 64)
	tests := []struct {
		name string
		f    func()
	}{
		{"Uniform.Next", func() { uniform.Next() }},
		{"Sequential.Next", func() { sequential.Next() }},
		{"Zipfian.Next", func() { zipfian.Next() }},
		{"Fixed.Next", func() { fixed.Next() }},
		{"Range.Next", func() { ranged.Next() }},
		{"AppendKey", func() { dst = AppendKey(dst[:0], "kv:", math.MaxUint64) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(1000, tt.f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tt.name, n)
		}
	}
}

func firstKeys(k Keys, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = k.Next()
	}
	return out
}

func mustZipfian(t testing.TB, count uint64, exponent float64, seed uint64) *Zipfian {
	t.Helper()
	z, err := NewZipfian(count, exponent, seed)
	if err != nil {
		t.Fatal(err)
	}
	return z
}
