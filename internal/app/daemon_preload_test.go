package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
)

// TestDaemonPreloads: a workload with preload: true is filled on both
// engines before the daemon's runners start, so its GETs hit (no misses)
// and the keys are exactly the key count; the summaries' rates are over the
// time the runners ran, not the preload's.
func TestDaemonPreloads(t *testing.T) {
	t.Parallel()
	rs := servertest.Start(t, servertest.Redis)
	vs := servertest.Start(t, servertest.Valkey)
	const keys = 5000
	addr, log, stop := startDaemon(t, fmt.Sprintf(`
summary_interval: 500ms
targets:
  - {name: redis, addrs: [%q], info_interval: 200ms}
  - {name: valkey, addrs: [%q], info_interval: 200ms}
workloads:
  - {name: kv, preload: true, keys: {count: %d}, values: {size: 32}, ops: {get: 1}, rate: {type: constant, rate: 400}}
`, rs.Addr, vs.Addr, keys))
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(log.String(), `"msg":"summary"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no summary after the preload within 20s:\n%s", log.String())
		}
	}
	// The servers' own view, from the INFO poller: the keys are there and
	// the GETs hit (the availability probe's key is one more).
	e2etest.Eventually(t, 10*time.Second, "the servers' hits in ecbench_server_*", func() bool {
		mfs := metrictest.Scrape(t, addr)
		for _, target := range []string{"redis", "valkey"} {
			l := e2etest.Labels("target", target)
			if metrictest.Sum(mfs, "ecbench_server_keys", l) < keys || metrictest.Sum(mfs, "ecbench_server_keyspace_hits_total", l) == 0 {
				return false
			}
		}
		return true
	})
	mfs := metrictest.Scrape(t, addr)
	for _, target := range []string{"redis", "valkey"} {
		if got := metrictest.Sum(mfs, "ecbench_server_keyspace_misses_total", e2etest.Labels("target", target)); got != 0 {
			t.Errorf("%s: the server counted %v misses, want none: every key was preloaded", target, got)
		}
	}
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range []*servertest.Server{rs, vs} {
		// The availability probe's key is there too.
		if n, err := s.Client().Keys(ctx, "ecbench:kv:*").Result(); err != nil || len(n) != keys {
			t.Errorf("%s: %d keys (%v), want the %d preloaded", s.Engine, len(n), err, keys)
		}
	}
	text := log.String()
	preloaded, summaries := strings.Index(text, `"msg":"preloaded"`), strings.Index(text, `"msg":"summary"`)
	if preloaded < 0 || preloaded > summaries {
		t.Errorf("no preload logged before the first summary:\n%s", text)
	}
	finals := 0
	var preloadedAt float64
	for l := range strings.Lines(text) {
		var x struct {
			Msg, Target string
			TS          float64
			OK, Miss    uint64
			Interval    float64 // seconds
		}
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if x.Msg == "preloaded" {
			preloadedAt = x.TS
		}
		if x.Msg != "final summary" {
			continue
		}
		finals++
		if x.OK == 0 || x.Miss != 0 {
			t.Errorf("%s: %d hits and %d misses, want hits only: every key was preloaded", x.Target, x.OK, x.Miss)
		}
		// The rate is over the runners' time, which starts after the preload.
		if ran := x.TS - preloadedAt; x.Interval > ran+0.05 {
			t.Errorf("%s: the final summary covers %.3fs, but the runners started %.3fs before it", x.Target, x.Interval, ran)
		}
	}
	if finals != 2 {
		t.Errorf("%d final summaries, want 2:\n%s", finals, text)
	}
}

// TestDaemonPreloadFailure: a preload the server refuses (out of memory)
// stops the daemon with an error naming the workload, the target and the
// server's reply, instead of measuring a cold cache.
func TestDaemonPreloadFailure(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey, "maxmemory", "2mb", "maxmemory-policy", "noeviction")
	cfg, err := config.Load(e2etest.WriteConfig(t, fmt.Sprintf(`
listen: 127.0.0.1:%d
targets: [{name: valkey, addrs: [%q]}]
workloads:
  - {name: big, preload: true, keys: {count: 20000}, values: {size: 1024}, ops: {get: 1}, rate: {type: constant, rate: 100}}
`, servertest.FreePort(t), vs.Addr)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	d, err := NewDaemon(cfg, testLogger(&log), "test")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "preload big on valkey") || !strings.Contains(err.Error(), "OOM") {
			t.Errorf("Run: %v, want the preload's OOM on valkey", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not stop within 20s of a failed preload")
	}
	if strings.Contains(log.String(), `"msg":"final summary"`) {
		t.Errorf("final summaries of runners that never ran:\n%s", log.String())
	}
}

// TestDaemonPreloadRetries: a preload cut short by a server that stopped
// answering for a moment (CLIENT PAUSE of writes: the SETs time out) is
// tried again, and the daemon goes on to measure.
func TestDaemonPreloadRetries(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := vs.Client().Do(ctx, "CLIENT", "PAUSE", "1500", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	_, log, stop := startDaemon(t, fmt.Sprintf(`
summary_interval: 500ms
targets: [{name: valkey, addrs: [%q], read_timeout: 300ms}]
workloads:
  - {name: kv, preload: true, keys: {count: 1000}, ops: {get: 1}, rate: {type: constant, rate: 100}}
`, vs.Addr))
	e2etest.Eventually(t, 15*time.Second, "a summary after the retried preload", func() bool {
		return strings.Contains(log.String(), `"msg":"summary"`)
	})
	stop()
	text := log.String()
	retried, preloaded := strings.Index(text, `"msg":"preload failed; trying again"`), strings.Index(text, `"msg":"preloaded"`)
	if retried < 0 || preloaded < retried || !strings.Contains(text[retried:preloaded], `"attempt":1`) {
		t.Errorf("want a failed attempt, then the preload done:\n%s", text)
	}
}
