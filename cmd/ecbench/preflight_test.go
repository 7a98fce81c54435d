package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
)

// TestPreflight: what would bomb the generator or the server, or fail only
// after the run, is refused up front by the commands themselves, exit 2,
// within a second, naming the field, its value and what is allowed. The
// targets are never reached: nothing listens on them.
func TestPreflight(t *testing.T) {
	t.Parallel()
	dead := fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t))
	targets := fmt.Sprintf("targets: [{name: redis, addrs: [%q]}, {name: valkey, addrs: [%q]}]\n", dead, dead)
	cfg := func(rest string) string { return writeConfig(t, targets+rest) }
	missing := filepath.Join(t.TempDir(), "missing")
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"check: 512 MiB values at pipeline 1000", []string{"check", "--config", cfg("workloads: [{name: kv, values: {size: 536870912}, pipeline: 1000, max_inflight: 10}]")},
			[]string{"workloads[0]: workload kv: up to 4.9 TiB in flight per target (get: values.size 512 MiB × pipeline 1000 × max_inflight 10", "limits.max_memory is 1 GiB"}},
		{"run: hashes of 1 GiB", []string{"run", "--config", cfg("workloads: [{name: h, type: hash, elements: {count: 1024, size: 1048576}}]")},
			[]string{"workloads[0]: workload h: up to 2.0 GiB in flight on target redis (hgetall: 2 × elements.count 1024 × elements.size 1 MiB"}},
		{"check: an integrity ledger of 10^9 keys", []string{"check", "--config", cfg("workloads: [{name: kv}]\nprobes: {integrity: {enabled: true, keys: 1e9}}")},
			[]string{"probes.integrity.keys: the integrity probes hold up to 16.8 GiB (a ledger of keys 1000000000 × 9 bytes"}},
		{"bench: 100,000 requests in flight", []string{"bench", "--config", cfg("workloads: [{name: kv, max_inflight: 100000}]")},
			[]string{"workloads[0]: workload kv: up to 1.01 GiB in flight per target (get: values.size 32 × pipeline 1 × max_inflight 100000"}},
		{"check: a missing state_dir", []string{"check", "--config", cfg("workloads: [{name: kv}]\nprobes: {integrity: {enabled: true, state_dir: " + missing + "}}")},
			[]string{`probes.integrity.state_dir: directory "` + missing + `" does not exist`}},
		{"check: a probe interval of 1ns", []string{"check", "--config", cfg("workloads: [{name: kv}]\nprobes: {availability: {interval: 1ns}}")},
			[]string{`probes.availability.interval: must be >= 1ms, got "1ns"`}},
		{"check: two phases of one name", []string{"check", "--config", cfg("workloads: [{name: kv}]\nscenario: {phases: [{name: a, duration: 1m}, {name: a, duration: 1m}]}")},
			[]string{`scenario.phases[1].name: duplicate name "a" (also scenario.phases[0])`}},
		{"bench: -o -1", []string{"bench", "-o", "-1", "-r", "127.0.0.1", "-p", "1"},
			[]string{"-o/--ops: must be >= 0 (operations per thread; 0 runs for --duration), got -1"}},
		{"bench: an --out that cannot be a directory", []string{"bench", "--config", cfg("workloads: [{name: kv}]"), "--out", filepath.Join(notADir, "results")},
			[]string{`ecbench bench: --out: cannot use directory "` + filepath.Join(notADir, "results") + `": not a directory`}},
		{"bench: a bench.results that is a file", []string{"bench", "--config", cfg("workloads: [{name: kv}]\nbench: {results: " + notADir + "}")},
			[]string{`ecbench bench: bench.results: "` + notADir + `" is not a directory`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := run(tt.args, &stdout, &stderr)
			took := time.Since(start)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, stdout.String(), stderr.String())
			}
			mustContain(t, "stderr", stderr.String(), tt.stderr...)
			if strings.Contains(stderr.String(), "cannot be reached") {
				t.Errorf("a target was contacted before the refusal: %s", stderr.String())
			}
			if took > time.Second {
				t.Errorf("refused in %v, want under a second", took)
			}
		})
	}
}

// TestCheckPrintsBudget: check says what max_memory was checked against.
func TestCheckPrintsBudget(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "targets: [{name: redis, addrs: [\"127.0.0.1:1\"]}]\nworkloads: [{name: kv}]\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "--config", path}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	mustContain(t, "stdout", stdout.String(), "memory: worst case ", "of limits.max_memory 1 GiB", "shared cap ")
}
