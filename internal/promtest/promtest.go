// Package promtest starts a real Prometheus server for tests: on a free
// loopback port, with its data in the test's temporary directory, either
// scraping given targets or serving a TSDB made beforehand from an
// OpenMetrics file with promtool (CreateBlocks). A missing prometheus or
// promtool fails the test: the project's test command installs them, and a
// test never silently skips.
package promtest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/proctest"
)

// Tool returns the path of prometheus or promtool on PATH, failing the test
// when it is missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run the README's test command (./scripts/test.sh or make test), which installs it: %v", name, err)
	}
	return p
}

// CreateBlocks writes openMetrics (an OpenMetrics text ending in "# EOF",
// timestamps in seconds) to a file and turns it into TSDB blocks with
// `promtool tsdb create-blocks-from openmetrics`. It returns the data
// directory, for Options.DataDir.
func CreateBlocks(t testing.TB, openMetrics []byte) string {
	t.Helper()
	promtool := Tool(t, "promtool")
	dir := t.TempDir()
	file := filepath.Join(dir, "series.om")
	if err := os.WriteFile(file, openMetrics, 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", file, data).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	return data
}

// Options says what the server holds and scrapes.
type Options struct {
	// DataDir is the TSDB directory (e.g. from CreateBlocks); empty: a new
	// one in a temporary directory.
	DataDir string
	// Scrape lists host:port targets scraped at ScrapeInterval as job
	// "ecbench"; none: the server only serves what DataDir holds.
	Scrape []string
	// ScrapeInterval is the scrape (and evaluation) interval; 0 means 1s.
	ScrapeInterval time.Duration
	// Args are more command-line flags, such as "--query.max-samples=10".
	Args []string
}

// Server is a running Prometheus.
type Server struct {
	URL  string // http://127.0.0.1:port
	Addr string // 127.0.0.1:port

	p *proctest.Process
}

// Start starts Prometheus on a free loopback port, waits until it is ready
// (its TSDB loaded), and stops it when the test ends. A Prometheus that
// exits at start (the free port taken in between) is retried on another
// port.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Tool(t, "prometheus")
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	if opts.DataDir == "" {
		opts.DataDir = filepath.Join(t.TempDir(), "data")
	}
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(cfg, config(opts), 0o644); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	p, addr := proctest.Serve(t, client, "/-/ready", 20*time.Second, func(addr string) *proctest.Process {
		return proctest.Start(t, "prometheus", proctest.CleanEnv(), bin, append([]string{
			"--config.file=" + cfg,
			"--storage.tsdb.path=" + opts.DataDir,
			// Blocks made from old test data must not be deleted as expired.
			"--storage.tsdb.retention.time=100y",
			"--web.listen-address=" + addr,
			"--log.level=warn",
		}, opts.Args...)...)
	})
	return &Server{URL: "http://" + addr, Addr: addr, p: p}
}

// config is a prometheus.yml scraping opts.Scrape as job "ecbench".
func config(opts Options) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", opts.ScrapeInterval, opts.ScrapeInterval)
	if len(opts.Scrape) > 0 {
		fmt.Fprintf(&b, "scrape_configs:\n  - job_name: ecbench\n    static_configs:\n      - targets: [%s]\n",
			`"`+strings.Join(opts.Scrape, `", "`)+`"`)
	}
	return b.Bytes()
}

// Stop stops the server and waits for it. It is safe to call more than once.
func (s *Server) Stop() { s.p.Stop() }
