package deploy

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/promtest"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/metrics"
)

// TestNativeHistogramsIngested scrapes ecbench's metrics with a real
// Prometheus that ingests native histograms: the latency, service and
// error-latency histograms (ecbench's own implementation, see metrics/histogram.go) must
// be accepted and give the recorded counts and quantiles.
func TestNativeHistogramsIngested(t *testing.T) {
	t.Parallel()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	httpc := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	reg := metrics.NewRegistry()
	m, err := metrics.New(reg, "test")
	if err != nil {
		t.Fatal(err)
	}
	rec := m.Recorder("valkey", "kv", []string{"get", "set"}, func() engine.Engine { return engine.Valkey })
	now := time.Now()
	// 1000 gets at 1ms, 10 of them batched as one pipeline of 10 at 100ms;
	// 3 sets answered at once (service time 0); 5 sets failed with OOM
	// after 2ms, which only the error-latency histogram holds.
	rec.RecordN(result.Result{Op: 0, Intended: now, Sent: now, Done: now.Add(time.Millisecond), Outcome: result.OK}, 990)
	rec.RecordN(result.Result{Op: 0, Intended: now, Sent: now, Done: now.Add(100 * time.Millisecond), Outcome: result.OK}, 10)
	rec.RecordN(result.Result{Op: 1, Intended: now, Sent: now, Done: now, Outcome: result.OK}, 3)
	rec.RecordN(result.Result{Op: 1, Intended: now, Sent: now, Done: now.Add(2 * time.Millisecond), Outcome: result.Error, Class: result.ClassOOM}, 5)
	srv := metrics.NewServer("127.0.0.1:0", reg, nil)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })

	prom := promtest.Start(t, promtest.Options{
		Scrape: []string{srv.Addr()},
		Args:   []string{"--enable-feature=native-histograms"},
	})
	papi := promAPI{base: prom.URL, http: httpc}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitTargetsUp(t, ctx, papi, 1)

	tests := []struct {
		expr     string
		min, max float64
	}{
		{`histogram_count(ecbench_op_latency_seconds{op="get"})`, 1000, 1000},
		{`histogram_count(ecbench_op_service_seconds{op="set"})`, 3, 3},
		{`histogram_sum(ecbench_op_latency_seconds{op="get"})`, 1.99, 1.991},
		// schema 3: buckets are 9% wide, so a quantile is within that.
		{`histogram_quantile(0.5, ecbench_op_latency_seconds{op="get"})`, 0.00092, 0.00109},
		{`histogram_quantile(0.995, ecbench_op_latency_seconds{op="get"})`, 0.092, 0.109},
		{`histogram_quantile(0.5, ecbench_op_service_seconds{op="set"})`, 0, 0},
		{`histogram_count(ecbench_op_latency_seconds{op="set"})`, 3, 3},
		{`histogram_count(ecbench_op_error_latency_seconds{op="set"})`, 5, 5},
		{`histogram_sum(ecbench_op_error_latency_seconds{op="set"})`, 0.01, 0.01},
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, tt := range tests {
		for {
			v, err := papi.query(ctx, tt.expr, time.Now())
			if err == nil && len(v) == 1 && float64(v[0].Value) >= tt.min && float64(v[0].Value) <= tt.max {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s = %v (err %v), want one value in [%v, %v]", tt.expr, v, err, tt.min, tt.max)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}
