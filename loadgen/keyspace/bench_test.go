package keyspace

import (
	"fmt"
	"testing"
)

func BenchmarkUniformNext(b *testing.B) {
	u := NewUniform(1e8, 1)
	b.ReportAllocs()
	for b.Loop() {
		u.Next()
	}
}

func BenchmarkSequentialNext(b *testing.B) {
	s := NewSequential(1e8, 0)
	b.ReportAllocs()
	for b.Loop() {
		s.Next()
	}
}

func BenchmarkZipfianNext(b *testing.B) {
	for _, s := range []float64{0.5, 0.99, 1, 1.2, 2} {
		b.Run(fmt.Sprintf("s=%g", s), func(b *testing.B) {
			z := mustZipfian(b, 1e8, s, 1)
			b.ReportAllocs()
			for b.Loop() {
				z.Next()
			}
		})
	}
}

// BenchmarkNewZipfian shows that setup does not grow with the key count.
func BenchmarkNewZipfian(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewZipfian(1e8, 0.99, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFixedNext(b *testing.B) {
	f := NewFixed(1024, 1)
	b.ReportAllocs()
	for b.Loop() {
		f.Next()
	}
}

func BenchmarkRangeNext(b *testing.B) {
	r := NewRange(16, 4096, 1)
	b.ReportAllocs()
	for b.Loop() {
		r.Next()
	}
}

func BenchmarkAppendKey(b *testing.B) {
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendKey(dst[:0], "kv:", 12345678)
	}
}
