// Package e2etest holds what end-to-end tests of the daemon and the bench
// share, in-process (internal/app) or as a process (cmd/ecbench): a config
// file in a temp dir, a scrape of /metrics summed by labels, polling until a
// condition holds, and output checks.
package e2etest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/results"
)

// WriteConfig writes a YAML config into a temp dir and returns its path.
func WriteConfig(t testing.TB, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ecbench.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Status GETs url and returns the response's status code.
func Status(t testing.TB, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Labels is shorthand for a label set: Labels("target", "redis").
func Labels(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Eventually polls cond every 50ms until it holds, or fails the test once
// timeout has passed.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MustContain fails the test for every one of wants that got lacks.
func MustContain(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// SyntheticRun has two engines with per-second throughput and latency;
// valkey's generator dropped requests when dropped is set.
func SyntheticRun(valkeyFactor float64, dropped uint64) *results.Run {
	series := func(target string, eng engine.Engine, tput float64) results.Series {
		s := results.Series{Target: target, Engine: eng, Workload: "kv", Op: "get", IntervalSeconds: 1, Seconds: 30}
		for i := range 30 {
			jitter := 1 + 0.01*float64(i%3-1)
			n := uint64(tput * jitter)
			s.OK += n
			lat := 0.001 / (tput / 1000) * jitter
			s.Intervals = append(s.Intervals, results.Interval{T: int64(i), OK: n, Mean: lat, P50: lat, P95: lat, P99: lat, P999: lat, Max: lat})
		}
		return s
	}
	run := &results.Run{
		Targets: []results.Target{{Name: "redis", Engine: "redis", Version: "7.0.15"}, {Name: "valkey", Engine: "valkey", Version: "8.0.1"}},
		Series:  []results.Series{series("redis", "redis", 1000), series("valkey", "valkey", 1000*valkeyFactor)},
	}
	if dropped > 0 {
		run.Generator = []results.Generator{{Target: "valkey", Workload: "kv", Dropped: dropped, MaxScheduleLag: 80 * time.Millisecond}}
	}
	return run
}
