package runner

import (
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// BenchmarkCompletion is the runner's own bookkeeping per completed
// request: the in-flight count alone (all it did before replies were
// watched), and with the reply gap and the check for drops waiting for a
// slot. Parallel: the workers of one runner complete at once.
func BenchmarkCompletion(b *testing.B) {
	r, err := New(Config{Workload: kvWorkload(1), Schedule: schedule.Constant{PerSecond: 1}, MaxInFlight: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	done := time.Now()
	for _, bc := range []struct {
		name     string
		complete func()
	}{
		{"in-flight count only", func() {
			r.inflight.Add(1)
			r.inflight.Add(-1)
		}},
		{"with reply gap", func() {
			r.inflight.Add(1)
			quiet := r.replied(done, true)
			r.inflight.Add(-1)
			if r.drops.pending() {
				r.settleDrops(done.UnixNano(), done.UnixNano()-quiet)
			}
		}},
	} {
		b.Run(bc.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				bc.complete()
			}
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bc.complete()
				}
			})
		})
	}
}
