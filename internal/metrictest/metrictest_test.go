package metrictest_test

import (
	"fmt"
	"maps"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/internal/metrictest"
)

func TestRead(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	ops := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ops_total", Help: "h"}, []string{"target", "engine"})
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "up", Help: "h"})
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lat_seconds", Help: "h", Buckets: []float64{1, 2}}, []string{"target"})
	reg.MustRegister(ops, up, lat)
	ops.WithLabelValues("a", "redis").Add(2)
	ops.WithLabelValues("b", "valkey").Add(3)
	up.Set(1)
	lat.WithLabelValues("a").Observe(1.5)

	if v := metrictest.Value(t, reg, "ops_total", map[string]string{"target": "b", "engine": "valkey"}); v != 3 {
		t.Errorf("ops_total{b,valkey} = %v, want 3", v)
	}
	if v := metrictest.Value(t, reg, "up", nil); v != 1 {
		t.Errorf("up = %v, want 1", v)
	}
	h := metrictest.Histogram(t, reg, "lat_seconds", map[string]string{"target": "a"})
	if h.GetSampleCount() != 1 || h.GetBucket()[1].GetCumulativeCount() != 1 {
		t.Errorf("lat_seconds{a} = %v", h)
	}
	want := map[string]float64{"engine=redis,target=a,": 2, "engine=valkey,target=b,": 3}
	got := metrictest.Values(t, reg, "ops_total")
	if !maps.Equal(got, want) {
		t.Errorf("Values = %v, want %v", got, want)
	}
	for k := range got {
		if l := metrictest.ParseKey(k); l["target"] == "" || l["engine"] == "" || len(l) != 2 {
			t.Errorf("ParseKey(%q) = %v", k, l)
		}
	}
	if n := len(metrictest.Values(t, reg, "absent")); n != 0 {
		t.Errorf("%d series of an absent family", n)
	}
	if metrictest.Family(t, reg, "absent") != nil {
		t.Error("Family of an absent name is not nil")
	}
}

// fatal records a Fatalf and ends the goroutine, as testing.T does.
type fatal struct {
	testing.TB
	msg string
}

func (f *fatal) Helper() {}

func (f *fatal) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestMetricExactLabels checks that a series matches only on all of its
// labels: a subset or a superset of them fails the test.
func TestMetricExactLabels(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	ops := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ops_total", Help: "h"}, []string{"target", "engine"})
	reg.MustRegister(ops)
	ops.WithLabelValues("a", "redis").Inc()
	for _, tc := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"target": "a"}, `no ops_total{target="a"}`},
		{map[string]string{"target": "a", "engine": "redis", "op": "get"}, `no ops_total{engine="redis",op="get",target="a"}`},
		{nil, "no ops_total{}"},
	} {
		f := &fatal{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			metrictest.Metric(f, reg, "ops_total", tc.labels)
		}()
		<-done
		if f.msg != tc.want {
			t.Errorf("Metric(%v): failure %q, want %q", tc.labels, f.msg, tc.want)
		}
	}
}
