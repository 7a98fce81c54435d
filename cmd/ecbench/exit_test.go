package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/internal/servertest"
)

// TestThresholdFlagErrors: a bad --threshold exits 2 before anything runs,
// naming the flag, the bad value and what is allowed.
func TestThresholdFlagErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--threshold", "p98<2ms"}, `ecbench bench: --threshold: invalid threshold "p98<2ms": unknown quantity "p98"; quantities: throughput, mean, p50, p95, p99, p99.9, max, error_rate, dropped; thresholds are [WORKLOAD.OP.]`},
		{[]string{"bench", "--threshold", "p99<2"}, `ecbench bench: --threshold: invalid threshold "p99<2": limit "2": a latency needs a unit: 2ms, 2s or 2us`},
		{[]string{"bench", "-t", "kv", "--threshold", "list.lpush.p99<2ms"}, `ecbench bench: --threshold: invalid threshold "list.lpush.p99<2ms": no workload "list"; workloads: kv`},
		{[]string{"bench", "--format", "yaml"}, `ecbench bench: --format: must be one of text, markdown, csv, json; got "yaml"`},
		{[]string{"compare", "--threshold", "error_rate<1", dir}, `ecbench compare: --threshold: invalid threshold "error_rate<1": limit "1": error_rate is a percentage`},
		{[]string{"compare", "--format", "html", dir}, `ecbench compare: --format: must be one of text, markdown, csv, json; got "html"`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
			}
			mustContain(t, "stderr", stderr.String(), tt.want)
		})
	}
}

// TestExitCodesInHelp: the exit codes are in --help.
func TestExitCodesInHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"bench", "--help"}, {"compare", "--help"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		mustContain(t, strings.Join(args, " "), stdout.String()+stderr.String(),
			"Exit codes:", "  2  bad input", "  3  a threshold was crossed")
	}
	var stdout, stderr bytes.Buffer
	run([]string{"bench", "--help"}, &stdout, &stderr)
	mustContain(t, "bench --help", stderr.String(), "--threshold", "ratio.Q limits valkey/redis", "error_rate<=1%, dropped<=0.1%")
}

// TestBenchThresholds runs a short bench against both real engines: a
// crossed threshold exits 3 and is in every output; the JSON document is
// all of stdout; compare re-evaluates the saved run against new
// thresholds.
func TestBenchThresholds(t *testing.T) {
	t.Parallel()
	rs := servertest.Start(t, servertest.Redis)
	vs := servertest.Start(t, servertest.Valkey)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "-t", "kv", "-n", "100", "-j", "2", "-o", "500", "-p", fmt.Sprint(rs.Port), "-q", fmt.Sprint(vs.Port),
		"--out", out, "--format", "json", "--threshold", "p99<1ns", "--threshold", "valkey.error_rate<=0%"}
	if code := run(args, &stdout, &stderr); code != exitThresholds {
		t.Fatalf("exit %d, want %d (a threshold crossed)\nstdout:\n%s\nstderr:\n%s", code, exitThresholds, stdout.String(), stderr.String())
	}
	var doc comparison.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
	}
	if !doc.ThresholdsCrossed || len(doc.Thresholds) != 4 || doc.Thresholds[0].Threshold != "p99<1ns" || len(doc.Thresholds[0].Crossed) != 4 ||
		len(doc.Thresholds[1].Crossed) != 0 {
		t.Errorf("thresholds in the document: %+v", doc.Thresholds)
	}
	mustContain(t, "stderr", stderr.String(), "results written", "progress")
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 || len(doc.Results) != 1 || doc.Results[0] != dirs[0] {
		t.Fatalf("results directories %v, in the document %v", dirs, doc.Results)
	}

	for _, tt := range []struct {
		args  []string
		code  int
		wants []string
	}{
		{[]string{"compare", dirs[0]}, exitOK, []string{"kv: ", "overall: ", "get "}},
		{[]string{"compare", dirs[0], "--threshold", "kv.get.p99<1ns"}, exitThresholds, []string{"threshold crossed: kv.get.p99<1ns (--threshold): kv/get redis "}},
		{[]string{"compare", dirs[0], "--threshold", "ratio.throughput>100"}, exitThresholds, []string{"threshold crossed: ratio.throughput>100 (--threshold): kv/get "}},
		{[]string{"compare", dirs[0], "--threshold", "kv.nope.p99<1ms"}, exitUsage, nil},
		{[]string{"compare", dirs[0], "--format", "markdown", "--threshold", "p99<1ns"}, exitThresholds, []string{"- threshold crossed: p99<1ns"}},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tt.args, code, tt.code, stdout.String(), stderr.String())
		}
		mustContain(t, strings.Join(tt.args, " "), stdout.String(), tt.wants...)
	}

	stdout.Reset()
	if code := run([]string{"compare", dirs[0], "--format", "csv", "--threshold", "p99<1ns"}, &stdout, &stderr); code != exitThresholds {
		t.Fatalf("compare csv: exit %d", code)
	}
	recs, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("csv: %v, %d rows", err, len(recs))
	}
	last := len(recs[0]) - 1
	if recs[0][last] != "thresholds_crossed" || recs[1][last] != "p99<1ns" {
		t.Errorf("csv thresholds column %q: %q", recs[0][last], recs[1][last])
	}
}

// TestBenchFailingWrites: an engine that fails every write (no memory for
// them: maxmemory 1 byte, noeviction) makes bench exit non-zero, through the
// default error_rate threshold, and say what failed.
func TestBenchFailingWrites(t *testing.T) {
	t.Parallel()
	rs := servertest.Start(t, servertest.Redis)
	vs := servertest.Start(t, servertest.Valkey)
	if err := vs.Client().ConfigSet(context.Background(), "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`
targets:
  - {name: redis, engine: redis, addrs: ["127.0.0.1:%d"]}
  - {name: valkey, engine: valkey, addrs: ["127.0.0.1:%d"]}
workloads:
  - {name: kv, type: kv, keys: {count: 100}, ops: {get: 1, set: 1}, rate: {type: closed, workers: 2}}
bench: {requests: 1000, warmup: 0s, results: %q}
`, rs.Port, vs.Port, t.TempDir()))
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--config", cfg}, &stdout, &stderr)
	if code != exitThresholds {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitThresholds, stdout.String(), stderr.String())
	}
	mustContain(t, "stdout", stdout.String(),
		"kv: valkey: 100% of set failed (oom)\n",
		"overall: valkey failing in 1 of 1 workload\n",
		"threshold crossed: error_rate<=1% (default): kv/set valkey 100%\n",
		"valkey: 100% of set failed (oom)") // the table's row too
}
