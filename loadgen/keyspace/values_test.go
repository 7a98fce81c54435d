package keyspace

import (
	"bytes"
	"compress/flate"
	"fmt"
	"slices"
	"testing"
)

func TestValuesDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		new  func(seed uint64) Values
	}{
		{"fixed", func(seed uint64) Values { return NewFixed(512, seed) }},
		{"range", func(seed uint64) Values { return NewRange(16, 4096, seed) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b, c := tt.new(1), tt.new(1), tt.new(2)
			different := false
			for i := range 10_000 {
				va, vb, vc := a.Next(), b.Next(), c.Next()
				if !bytes.Equal(va, vb) {
					t.Fatalf("value %d differs between two generators with seed 1", i)
				}
				different = different || !bytes.Equal(va, vc)
			}
			if !different {
				t.Error("seeds 1 and 2 produced the same values")
			}
		})
	}
}

func TestFixedGolden(t *testing.T) {
	t.Parallel()
	want := []byte{0xe9, 0x3a, 0xac, 0x87, 0x4a, 0x2f, 0x51, 0x30}
	if got := NewFixed(8, 1).Next(); !bytes.Equal(got, want) {
		t.Errorf("NewFixed(8, 1).Next() = %x, want %x", got, want)
	}
}

func TestFixed(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 7, 8, 9, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			f := NewFixed(size, 3)
			first := f.Next()
			for range 3 {
				v := f.Next()
				if len(v) != size || cap(v) != size {
					t.Fatalf("len, cap = %d, %d; want %d, %d", len(v), cap(v), size, size)
				}
				if !bytes.Equal(v, first) {
					t.Fatal("Fixed returned different bytes")
				}
			}
		})
	}
}

func TestRangeSizes(t *testing.T) {
	t.Parallel()
	tests := []struct{ lo, hi int }{
		{0, 0},
		{5, 5},
		{0, 3},
		{3, 7},
		{100, 131},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-%d", tt.lo, tt.hi), func(t *testing.T) {
			t.Parallel()
			r := NewRange(tt.lo, tt.hi, 9)
			var full []byte // the longest value seen so far
			seen := make(map[int]bool)
			for range 10_000 {
				v := r.Next()
				if len(v) < tt.lo || len(v) > tt.hi {
					t.Fatalf("len(Next()) = %d, want in [%d, %d]", len(v), tt.lo, tt.hi)
				}
				if cap(v) != len(v) {
					t.Fatalf("cap = %d, want len %d so appends cannot overwrite the shared buffer", cap(v), len(v))
				}
				seen[len(v)] = true
				// Every value is a prefix of the one buffer.
				if len(v) > len(full) {
					if !bytes.HasPrefix(v, full) {
						t.Fatal("values are not prefixes of one buffer")
					}
					full = slices.Clone(v)
				} else if !bytes.HasPrefix(full, v) {
					t.Fatal("values are not prefixes of one buffer")
				}
			}
			for n := tt.lo; n <= tt.hi; n++ {
				if !seen[n] {
					t.Errorf("size %d never produced", n)
				}
			}
		})
	}
}

// TestValuesIncompressible guards the reason the bytes are random: a server or
// proxy that compresses must still move the full size.
func TestValuesIncompressible(t *testing.T) {
	t.Parallel()
	v := NewFixed(64<<10, 1).Next()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(v); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < len(v) {
		t.Errorf("%d random bytes compressed to %d", len(v), buf.Len())
	}
}
