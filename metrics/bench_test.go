package metrics

import (
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
)

func BenchmarkRecord(b *testing.B) {
	_, m := newTestMetrics(b)
	r := m.Recorder("primary", "cache", []string{"get", "set"}, fixedEngine("redis"))
	ok := res(0, result.OK, result.ClassNone, 20*time.Microsecond, 180*time.Microsecond)
	r.Record(ok) // warm up: the first value in a native bucket allocates it

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Record(ok)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Record(ok)
			}
		})
	})
}

func BenchmarkTakeSummary(b *testing.B) {
	_, m := newTestMetrics(b)
	r := m.Recorder("primary", "cache", []string{"get"}, fixedEngine("redis"))
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		for i := range 100 {
			r.Record(res(0, result.OK, result.ClassNone, 0, time.Duration(i)*time.Millisecond))
		}
		now = now.Add(time.Second)
		r.TakeSummary(now)
	}
}
