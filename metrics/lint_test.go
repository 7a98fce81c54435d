package metrics

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/result"
)

// populated returns a registry as the daemon builds it, with every kind of
// series present: all outcomes and error classes, runners, and targets both
// known and not yet known.
func populated(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := NewRegistry()
	m, err := New(reg, "v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	r := m.Recorder("primary", "cache", []string{"get", "set"}, fixedEngine("redis"))
	for _, o := range result.Outcomes {
		r.Record(res(0, o, result.ClassNone, time.Millisecond, time.Millisecond))
	}
	for _, c := range result.Classes {
		r.Record(res(1, result.Error, c, 0, time.Second))
	}
	m.AddRunner("primary", "cache", fakeRunner{offered: 1000, inflight: 3, max: 64, lag: time.Millisecond})
	m.LagRecorder("primary", "cache").RecordLag(30 * time.Microsecond)
	m.AddTarget(func() TargetState {
		return TargetState{Name: "primary", Engine: "redis", Version: "7.0.15", Mode: "standalone", Role: "master",
			Known: true, Up: true, Pool: withPipeline(redis.PoolStats{Hits: 3, TotalConns: 2}, redis.PoolStats{Hits: 1})}
	})
	m.AddTarget(func() TargetState { return TargetState{Name: "replica"} })
	return reg
}

func TestLint(t *testing.T) {
	t.Parallel()
	lint(t, populated(t))
}

// lint reports client_golang's lint problems of what g gathers.
func lint(t *testing.T, g prometheus.Gatherer) {
	t.Helper()
	problems, err := testutil.GatherAndLint(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// promtoolCheck runs the real promtool over the text exposition of g,
// which must name every metric in want.
func promtoolCheck(t *testing.T, g prometheus.Gatherer, want ...string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (%v): run `make test`, which installs it (Debian package prometheus) via scripts/install-deps.sh", err)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, name := range want {
		if !strings.Contains(body, name) {
			t.Errorf("exposition lacks %s", name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
		}
		t.Fatal(err)
	}
}

// TestPromtoolCheckMetrics runs the real promtool over what a scrape returns.
func TestPromtoolCheckMetrics(t *testing.T) {
	t.Parallel()
	promtoolCheck(t, populated(t), "ecbench_op_latency_seconds_bucket", "ecbench_op_error_latency_seconds_bucket", "ecbench_op_errors_total",
		"ecbench_pool_hits_total", "ecbench_target_info", "go_goroutines", "process_cpu_seconds_total")
}
