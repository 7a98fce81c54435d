package runner

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/schedule"
)

// BenchmarkInFlightMemory measures what one in-flight request costs: with
// the server frozen, in-flight requests pile up, and the heap and goroutine
// stacks in use grow by the cost of each (its pending request and buffers,
// its go-redis command and pool wait, its worker goroutine). The slope
// between two samples leaves out what does not grow with them (the
// connections, the ring of drops). Run with -benchtime=1x; the figures size
// InFlightBytes.
func BenchmarkInFlightMemory(b *testing.B) {
	const low, high = 1000, 4000
	for _, pipeline := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("pipeline %d", pipeline), func(b *testing.B) {
			srv := servertest.Start(b, servertest.Valkey)
			r, err := New(Config{
				Client: client(b, srv.Addr), Workload: kvWorkload(pipeline),
				Schedule: schedule.Constant{PerSecond: 5000}, MaxInFlight: high + 1000, Drain: 5 * time.Second,
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { r.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			time.Sleep(300 * time.Millisecond) // replies flow: connections are open
			srv.Freeze()
			defer srv.Thaw()
			sample := func(n int64) (inflight, bytes int64) {
				deadline := time.Now().Add(10 * time.Second)
				for r.InFlight() < n && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				bytes = inUse()
				return r.InFlight(), bytes
			}
			n0, m0 := sample(low)
			n1, m1 := sample(high)
			if n1-n0 < (high-low)/2 {
				b.Fatalf("in flight went from %d to %d only", n0, n1)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(m1-m0)/float64(n1-n0), "B/inflight")
		})
	}
}

// inUse is the heap and stack memory in use after a collection.
func inUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
