package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
)

// startDaemon loads yaml, runs the daemon in-process until the returned stop
// is called, and returns its metrics address and log.
func startDaemon(t *testing.T, yaml string) (addr string, log *syncBuffer, stop func() time.Duration) {
	t.Helper()
	listen := fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t))
	cfg, err := config.Load(e2etest.WriteConfig(t, yaml), nil, []string{"ECBENCH_LISTEN=" + listen})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log = &syncBuffer{}
	d, err := NewDaemon(cfg, testLogger(log), "test")
	if err != nil {
		t.Fatalf("NewDaemon: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var stopped bool
	stop = func() time.Duration {
		if stopped {
			return 0
		}
		stopped = true
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("daemon did not stop within 10s")
		}
		return time.Since(start)
	}
	t.Cleanup(func() { stop() })
	e2etest.Eventually(t, 5*time.Second, "the metrics server", func() bool {
		resp, err := http.Get("http://" + listen + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return listen, log, stop
}

// TestDaemonEndToEnd drives both real engines at once, checks the metrics
// contract, kills and restarts one server mid-run, and stops gracefully with
// no goroutine left behind.
func TestDaemonEndToEnd(t *testing.T) {
	// The test's own servers (their process waiters) outlive the daemon.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/ecbench/ecbench/internal/servertest.(*Server).launchCommand.func1"))
	defer http.DefaultClient.CloseIdleConnections()
	rs := servertest.Start(t, servertest.Redis)
	vs := servertest.Start(t, servertest.Valkey)
	addr, log, stop := startDaemon(t, fmt.Sprintf(`
summary_interval: 1s
shutdown_timeout: 2s
probes:
  # A 100 ms probe timeout is tight for a -race build on a loaded 2-CPU CI
  # host (one slow probe there counted as an outage on redis); the test is
  # about valkey's outage, not the probe's sensitivity. The probe also
  # shares redis's client, so its read_timeout is 2s (500 ms cut a probe
  # short under load, twice).
  availability: {interval: 100ms, timeout: 1s}
  integrity: {enabled: true, interval: 20ms, verify_delay: 300ms, keys: 1000}
targets:
  - {name: redis, engine: redis, addrs: [%q], dial_timeout: 200ms, read_timeout: 2s}
  - {name: valkey, engine: valkey, addrs: [%q], dial_timeout: 200ms, read_timeout: 500ms}
workloads:
  - name: kv
    keys: {count: 1000}
    ops: {get: 50, set: 30, mget: 10, incr: 5, del: 5}
    rate: {type: constant, rate: 300}
  - name: burst
    keys: {count: 100, distribution: zipfian, zipf_exponent: 1.1}
    values: {min_size: 8, max_size: 256}
    ops: {get: 1, set_ttl: 1}
    pipeline: 2
    rate: {type: burst, base: 100, peak: 400, period: 2s, length: 500ms}
`, rs.Addr, vs.Addr))

	e2etest.Eventually(t, 5*time.Second, "/readyz", func() bool { return e2etest.Status(t, "http://"+addr+"/readyz") == 200 })
	engines := map[string]string{"redis": "redis", "valkey": "valkey"}
	e2etest.Eventually(t, 5*time.Second, "ok ops on both engines for every op", func() bool {
		mfs := metrictest.Scrape(t, addr)
		for target, engine := range engines {
			for _, op := range []string{"get", "set", "mget", "incr", "del"} {
				l := e2etest.Labels("target", target, "engine", engine, "workload", "kv", "op", op)
				if metrictest.Sum(mfs, "ecbench_ops_total", l) == 0 || metrictest.Sum(mfs, "ecbench_op_latency_seconds", l) == 0 {
					return false
				}
			}
		}
		return true
	})

	mfs := metrictest.Scrape(t, addr)
	for target, engine := range engines {
		if got := metrictest.Sum(mfs, "ecbench_target_up", e2etest.Labels("target", target, "engine", engine)); got != 1 {
			t.Errorf("ecbench_target_up{target=%q} = %v, want 1", target, got)
		}
		if got := metrictest.Sum(mfs, "ecbench_target_info", e2etest.Labels("target", target, "engine", engine, "mode", "standalone", "role", "primary")); got != 1 {
			t.Errorf("ecbench_target_info{target=%q} = %v, want 1", target, got)
		}
		for _, wl := range []string{"kv", "burst"} {
			for _, name := range []string{"ecbench_offered_rate_ops_per_second", "ecbench_inflight_ops", "ecbench_schedule_lag_seconds"} {
				if _, ok := mfs[name]; !ok || !hasSeries(mfs[name], e2etest.Labels("target", target, "workload", wl)) {
					t.Errorf("%s{target=%q, workload=%q} missing", name, target, wl)
				}
			}
		}
		l := e2etest.Labels("target", target, "workload", "kv")
		if got := metrictest.Sum(mfs, "ecbench_op_service_seconds", l); got == 0 {
			t.Errorf("no service-time samples for %s", target)
		}
		if got := metrictest.Sum(mfs, "ecbench_ops_total", e2etest.Labels("target", target, "outcome", "error")); got != 0 {
			t.Errorf("%s: %v errors before any fault", target, got)
		}
	}
	// Both engines get the same schedule: their offered rates are equal.
	for _, wl := range []string{"kv"} {
		r := metrictest.Sum(mfs, "ecbench_offered_rate_ops_per_second", e2etest.Labels("target", "redis", "workload", wl))
		v := metrictest.Sum(mfs, "ecbench_offered_rate_ops_per_second", e2etest.Labels("target", "valkey", "workload", wl))
		if r != 300 || v != 300 {
			t.Errorf("offered rate of %s: redis %v, valkey %v; want 300", wl, r, v)
		}
	}

	// Valkey goes away: errors are counted by class, the target is down,
	// readiness holds (it answered once), and Redis is unaffected.
	vs.Kill()
	refused := e2etest.Labels("target", "valkey", "engine", "valkey", "class", "conn_refused")
	e2etest.Eventually(t, 5*time.Second, "valkey down with conn_refused errors", func() bool {
		mfs := metrictest.Scrape(t, addr)
		return metrictest.Sum(mfs, "ecbench_op_errors_total", refused) > 0 &&
			metrictest.Sum(mfs, "ecbench_target_up", e2etest.Labels("target", "valkey")) == 0
	})
	redisOK := func() float64 {
		return metrictest.Sum(metrictest.Scrape(t, addr), "ecbench_ops_total", e2etest.Labels("target", "redis", "outcome", "ok"))
	}
	before := redisOK()
	e2etest.Eventually(t, 3*time.Second, "redis still served while valkey is down", func() bool { return redisOK() > before+100 })

	// Valkey comes back on the same port: the runners recover by themselves.
	vs.Restart()
	valkeyOK := func() float64 {
		return metrictest.Sum(metrictest.Scrape(t, addr), "ecbench_ops_total", e2etest.Labels("target", "valkey", "outcome", "ok"))
	}
	okBefore := valkeyOK()
	e2etest.Eventually(t, 10*time.Second, "valkey up and serving again", func() bool {
		return metrictest.Sum(metrictest.Scrape(t, addr), "ecbench_target_up", e2etest.Labels("target", "valkey")) == 1 && valkeyOK() > okBefore+100
	})

	// The probes saw it too: one outage or more on valkey, none on redis;
	// the writes acknowledged before the kill (no persistence) are lost on
	// valkey and verified on redis.
	e2etest.Eventually(t, 10*time.Second, "valkey's outage and lost writes in the probes' series", func() bool {
		mfs := metrictest.Scrape(t, addr)
		return metrictest.Sum(mfs, "ecbench_outages_total", e2etest.Labels("target", "valkey")) >= 1 &&
			metrictest.Sum(mfs, "ecbench_target_available", e2etest.Labels("target", "valkey")) == 1 &&
			metrictest.Sum(mfs, "ecbench_integrity_checks_total", e2etest.Labels("target", "valkey", "result", "lost")) > 0
	})
	mfs = metrictest.Scrape(t, addr)
	if n := metrictest.Sum(mfs, "ecbench_outages_total", e2etest.Labels("target", "redis")); n != 0 {
		t.Errorf("%v outages on redis, which never went away:\n%s", n, grepLines(log.String(), `"msg":"outage started","target":"redis"`))
	}
	if lost, ok := metrictest.Sum(mfs, "ecbench_integrity_checks_total", e2etest.Labels("target", "redis", "result", "lost")),
		metrictest.Sum(mfs, "ecbench_integrity_checks_total", e2etest.Labels("target", "redis", "result", "verified")); lost != 0 || ok == 0 {
		t.Errorf("redis integrity: %v lost, %v verified; want 0 lost", lost, ok)
	}

	took := stop()
	if took > 5*time.Second {
		t.Errorf("stop took %v, want < 5s", took)
	}
	logs := log.String()
	e2etest.MustContain(t, "log", logs, `"msg":"ecbench started"`, `"msg":"target down"`, `"class":"conn_refused"`,
		`"msg":"outage started","target":"valkey"`, `"msg":"outage ended","target":"valkey"`,
		`"msg":"integrity: acknowledged writes lost","target":"valkey"`,
		`"msg":"target up"`, `"msg":"summary"`, `"msg":"ecbench stopped"`)
	if n := strings.Count(logs, `"msg":"final summary"`); n != 4 {
		t.Errorf("%d final summary lines, want 4 (2 workloads × 2 targets)", n)
	}
}

// hasSeries reports whether mf has a series with every label of want.
func hasSeries(mf *dto.MetricFamily, want map[string]string) bool {
	return slices.ContainsFunc(mf.GetMetric(), func(m *dto.Metric) bool { return metrictest.HasLabels(m, want) })
}

// TestDaemonFinalSummary: the periodic summary lines cover one interval
// each, the final one the whole run.
func TestDaemonFinalSummary(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	_, log, stop := startDaemon(t, fmt.Sprintf(`
summary_interval: 500ms
targets: [{name: valkey, addrs: [%q]}]
workloads:
  - {name: kv, keys: {count: 100}, ops: {get: 1}, rate: {type: constant, rate: 400}}
`, vs.Addr))
	time.Sleep(2 * time.Second)
	stop()

	type line struct {
		Msg              string
		OK, Miss, Errors uint64
		Dropped          uint64
		Rate             float64 `json:"ops_per_sec"`
		P99              float64 `json:"p99_ms"`
		Interval         float64 // seconds
	}
	var periodic []line
	var final *line
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var x line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		switch x.Msg {
		case "summary":
			periodic = append(periodic, x)
		case "final summary":
			final = &x
		}
	}
	if final == nil || len(periodic) < 2 {
		t.Fatalf("%d summary lines, final %+v; want 2 or more and a final one:\n%s", len(periodic), final, log.String())
	}
	var sum line
	for _, p := range periodic {
		sum.OK, sum.Miss, sum.Errors, sum.Interval = sum.OK+p.OK, sum.Miss+p.Miss, sum.Errors+p.Errors, sum.Interval+p.Interval
		if p.Interval > 0.75 {
			t.Errorf("a periodic line covers %vs, want one 500ms interval", p.Interval)
		}
	}
	// The final line counts every interval and the part after the last one.
	if final.OK+final.Miss < sum.OK+sum.Miss || final.Errors < sum.Errors || final.Interval < sum.Interval {
		t.Errorf("final %+v covers less than the %d periodic lines together %+v", *final, len(periodic), sum)
	}
	if final.P99 <= 0 || final.Errors != 0 {
		t.Errorf("final p99 %vms, %d errors: want > 0 and none", final.P99, final.Errors)
	}
	if want := float64(final.OK+final.Miss) / final.Interval; math.Abs(final.Rate-want) > want/100 {
		t.Errorf("final rate %v/s, want %v (answered over the whole run)", final.Rate, want)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
