package metrics_test

import (
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/metrics"
)

// BenchmarkHotPath is the generator's own cost per request outside go-redis:
// asking the schedule when the request is due and recording its result in
// the Prometheus histograms and counters and the summary.
func BenchmarkHotPath(b *testing.B) {
	for _, bc := range []struct {
		name string
		s    schedule.Schedule
	}{
		{"constant", schedule.Constant{PerSecond: 50000}},
		{"burst", schedule.Burst{Base: 1000, Peak: 50000, Period: time.Minute, Length: 10 * time.Second}},
		{"sine", schedule.Sine{Mean: 25000, Amplitude: 20000, Period: time.Minute}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, err := metrics.New(metrics.NewRegistry(), "bench")
			if err != nil {
				b.Fatal(err)
			}
			rec := m.Recorder("valkey", "kv", []string{"get", "set"}, func() engine.Engine { return engine.Valkey })
			start := time.Now()
			var n int64
			for b.Loop() {
				at, ok := bc.s.Due(n)
				if !ok {
					b.Fatal("not due")
				}
				intended := start.Add(at)
				rec.Record(result.Result{
					Op: int(n & 1), Intended: intended, Sent: intended.Add(3 * time.Microsecond),
					Done: intended.Add(250 * time.Microsecond), Outcome: result.OK,
				})
				n++
			}
		})
	}
}

// BenchmarkHotPathParallel records from many goroutines into one recorder,
// as a runner's workers do.
func BenchmarkHotPathParallel(b *testing.B) {
	m, err := metrics.New(metrics.NewRegistry(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	rec := m.Recorder("valkey", "kv", []string{"get", "set"}, func() engine.Engine { return engine.Valkey })
	s := schedule.Constant{PerSecond: 50000}
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var n int64
		for pb.Next() {
			at, _ := s.Due(n)
			intended := start.Add(at)
			rec.Record(result.Result{Op: int(n & 1), Intended: intended, Sent: intended, Done: intended.Add(250 * time.Microsecond), Outcome: result.OK})
			n++
		}
	})
}
