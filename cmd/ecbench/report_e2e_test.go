package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ecbench/ecbench/internal/promtest"
	"github.com/ecbench/ecbench/internal/servertest"
)

// TestReportPrometheusEndToEnd runs it all for real: redis-server and
// valkey-server, an ecbench daemon (the test binary as a process) driving
// both through a scenario of two phases, a Prometheus scraping it every
// second behind a proxy that demands basic auth, and then `ecbench report
// --prometheus` as a process: the page leads with the decision and the
// forest plot, has both engines' charts, the two phases shaded, the table
// with verdicts, and the password appears nowhere. With the wrong password the report fails and writes nothing.
func TestReportPrometheusEndToEnd(t *testing.T) {
	t.Parallel()
	rs := servertest.Start(t, servertest.Redis)
	vs := servertest.Start(t, servertest.Valkey)
	// Prometheus first, so that it scrapes ecbench from its first second.
	addr := fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t))
	prom := promtest.Start(t, promtest.Options{Scrape: []string{addr}, ScrapeInterval: time.Second})
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client, err := api.NewClient(api.Config{Address: prom.URL, RoundTripper: transport})
	if err != nil {
		t.Fatal(err)
	}
	papi := v1.NewAPI(client)
	// Prometheus hands new targets to its scrapers after up to 5 s: wait
	// for its first (failed) scrape, so that the daemon is scraped from its
	// start.
	eventually(t, 15*time.Second, "Prometheus scraping the daemon's address", func() bool {
		v, _, _, err := papi.Query(context.Background(), `up{job="ecbench"}`, time.Now())
		vec, ok := v.(model.Vector)
		return err == nil && ok && len(vec) > 0
	})
	daemon := exec.Command(os.Args[0], "run", "--listen", addr, "--log-level", "warn", "--config", writeConfig(t, fmt.Sprintf(`
targets:
  - {name: redis, engine: redis, addrs: [%q]}
  - {name: valkey, engine: valkey, addrs: [%q]}
workloads:
  - {name: kv, ops: {get: 3, set: 1}, rate: {type: constant, rate: 200}}
scenario:
  phases:
    - {name: steady, duration: 6s}
    - {name: burst, duration: 1h, rate_multiplier: 2}
`, rs.Addr, vs.Addr)))
	// Without ECBENCH_… variables: the daemon would read them as config.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ECBENCH_") {
			daemon.Env = append(daemon.Env, kv)
		}
	}
	daemon.Env = append(daemon.Env, beMain+"=1")
	var daemonLog syncBuffer
	daemon.Stderr = &daemonLog
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = daemon.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = daemon.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("ecbench log:\n%s", daemonLog.String())
		}
	})

	// Basic auth in front of the real Prometheus.
	const user, password = "reporter", "pw-Vq83kLz1"
	promURL, _ := url.Parse(prom.URL)
	proxy := httputil.NewSingleHostReverseProxy(promURL)
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		proxy.ServeHTTP(w, r)
	}))
	defer auth.Close()

	// Wait for the first scrape, then for a few seconds of each phase.
	var from time.Time
	eventually(t, 10*time.Second, "Prometheus' first scrape of ecbench", func() bool {
		v, _, _, err := papi.Query(context.Background(), "ecbench_build_info", time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) > 0 {
			from = vec[0].Timestamp.Time()
			return true
		}
		return false
	})
	eventually(t, 20*time.Second, "5 seconds of the burst phase in Prometheus", func() bool {
		v, _, _, err := papi.Query(context.Background(), `count_over_time((ecbench_phase_info{phase="burst"} == 1)[1m:1s])`, time.Now())
		vec, ok := v.(model.Vector)
		return err == nil && ok && len(vec) > 0 && vec[0].Value >= 5
	})
	to := time.Now()

	dir := t.TempDir()
	out, charts := filepath.Join(dir, "report.html"), filepath.Join(dir, "charts")
	authURL := strings.Replace(auth.URL, "http://", "http://"+user+"@", 1)
	args := []string{"report", "--prometheus", authURL, "--prometheus-password-env", "TEST_PROM_PW",
		"--from", strconv.FormatInt(from.Unix(), 10), "--to", to.UTC().Format(time.RFC3339), "-o", out,
		"--format", "svg", "--charts-dir", charts}

	t.Run("wrong password", func(t *testing.T) {
		code, stdout, stderr := runReportProcess(t, args, "TEST_PROM_PW=not-it")
		if code != exitFailed {
			t.Errorf("exit %d, want %d", code, exitFailed)
		}
		mustContain(t, "stderr", stderr, "ecbench report: prometheus http://127.0.0.1:", "401")
		if strings.Contains(stdout+stderr, "not-it") {
			t.Errorf("the password is in the output:\n%s%s", stdout, stderr)
		}
		if files, _ := os.ReadDir(dir); len(files) > 0 {
			t.Errorf("files left behind: %v", files)
		}
	})

	t.Run("report", func(t *testing.T) {
		code, stdout, stderr := runReportProcess(t, args, "TEST_PROM_PW="+password)
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		if strings.Contains(stdout+stderr, password) {
			t.Errorf("the password is in the output:\n%s%s", stdout, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		if dir := os.Getenv("TEST_ARTIFACTS_DIR"); dir != "" { // for a person to look at
			if err := os.MkdirAll(dir, 0o755); err == nil {
				_ = os.WriteFile(filepath.Join(dir, "report-prometheus-e2e.html"), b, 0o644)
			}
		}
		if strings.Contains(page, password) || strings.Contains(page, user+"@") {
			t.Errorf("the page shows the credentials")
		}
		mustContain(t, "page", page,
			"ecbench report — Prometheus",
			`<section id="decision">`, `<li class="overall">`, `<figure id="forest" class="forest">`, // the answer first
			`<figure id="throughput-kv">`, `<figure id="latency-kv-get" class="small">`, `<figure id="spectrum-kv-set" class="small">`,
			"valkey/redis",                // the table's ratio
			"phase steady", "phase burst", // the phases, shaded and in the legend
			"Prometheus "+auth.URL, "<td>standalone</td>",
			"whole window", "classic buckets")
		// Both engines' lines, named by engine and version.
		for _, engine := range []string{"redis", "valkey"} {
			if !regexp.MustCompile(`>` + engine + ` [0-9]+\.[0-9]+\.[0-9]+</text>`).MatchString(page) {
				t.Errorf("no chart legend names %s and its version", engine)
			}
			if strings.Contains(page, engine+" ("+engine+")") {
				t.Errorf("the page names %s twice: %q", engine, engine+" ("+engine+")")
			}
		}
		if strings.Contains(page, "Servers (CloudWatch)") {
			t.Errorf("a Servers (CloudWatch) section without CloudWatch series")
		}
		if !strings.Contains(page, "valkey faster") && !strings.Contains(page, "redis faster") && !strings.Contains(page, "no significant difference") {
			t.Errorf("the summary table has no verdict:\n%s", page)
		}
		svg, err := os.ReadFile(filepath.Join(charts, "throughput-kv.svg"))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "throughput-kv.svg", string(svg), "phase steady", "phase burst")
		svg, err = os.ReadFile(filepath.Join(charts, "spectrum-kv-get.svg"))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "spectrum-kv-get.svg", string(svg), ">redis ", ">valkey ")
		if _, err := os.Stat(filepath.Join(charts, "forest.svg")); err != nil {
			t.Errorf("no forest plot among the chart files: %v", err)
		}
	})
}

// runReportProcess runs ecbench (the test binary as main) with args and
// env added, and returns its exit code and output.
func runReportProcess(t *testing.T, args []string, env ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), beMain+"=1"), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return code, o.String(), e.String()
}
