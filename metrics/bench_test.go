package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
)

func BenchmarkRecord(b *testing.B) {
	_, m := newTestMetrics(b)
	r := m.Recorder("primary", "cache", []string{"get", "set"}, fixedEngine("redis"))
	// A result's times come from time.Now in the runner, monotonic readings
	// included (the intended starts too: they are made from the run's
	// start), so Record's latencies are differences of those readings.
	now := time.Now()
	ok := result.Result{Op: 0, Outcome: result.OK, Intended: now, Sent: now.Add(20 * time.Microsecond), Done: now.Add(200 * time.Microsecond)}
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

// BenchmarkScrape serves /metrics for the perf script's daemon: 2 targets,
// 6 workloads of 7 ops: 84 op series, each with latency, service and
// error-latency histograms.
func BenchmarkScrape(b *testing.B) {
	reg, m := newTestMetrics(b)
	for _, target := range []string{"redis", "valkey"} {
		for w := range 6 {
			ops := make([]string, 7)
			for i := range ops {
				ops[i] = fmt.Sprintf("op%d", i)
			}
			r := m.Recorder(target, fmt.Sprintf("w%d", w), ops, fixedEngine(engine.Engine(target)))
			for i := range ops {
				for k := range 50 {
					r.Record(res(i, result.OK, result.ClassNone, 0, time.Duration(k+1)*37*time.Microsecond))
				}
			}
		}
	}
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size)/1024, "KiB")
}
