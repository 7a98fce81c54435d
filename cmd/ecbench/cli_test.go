package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/internal/servertest"
)

const invalidMany = "config/testdata/invalid-many.yaml"

// TestCLI runs the commands in-process: exit codes and what they print.
func TestCLI(t *testing.T) {
	t.Parallel()
	valid := writeConfig(t, `
targets:
  - {name: redis, addrs: ["127.0.0.1:1"]}
workloads:
  - name: kv
    ops: {get: 1}
    rate: {type: constant, rate: 10}
`)
	golden, err := os.ReadFile("config/testdata/invalid-many.err")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStderr bool
	}{
		{name: "no command", args: nil, code: 2, stderr: []string{"Usage: ecbench <command>", "run", "check", "version"}},
		{name: "help", args: []string{"help"}, code: 0, stdout: []string{"Usage: ecbench <command>"}},
		{name: "unknown command", args: []string{"bench-all"}, code: 2, stderr: []string{`unknown command "bench-all"; allowed: run, check, bench, compare, report, monitor, version`}},
		{name: "version", args: []string{"version"}, code: 0, stdout: []string{"ecbench "}},
		{name: "run help", args: []string{"run", "--help"}, code: 0, stderr: []string{"Usage: ecbench run --config FILE", "--listen", "--log-level"}},
		{name: "check help", args: []string{"check", "--help"}, code: 0, stderr: []string{"Usage: ecbench check --config FILE [--connect]", "--connect"}},
		{name: "version help", args: []string{"version", "--help"}, code: 0, stderr: []string{"Usage: ecbench version"}},
		{name: "unknown flag", args: []string{"run", "--threads", "4"}, code: 2, stderr: []string{"ecbench run: unknown flag: --threads", "Usage: ecbench run"}},
		{name: "stray argument", args: []string{"check", "--config", valid, "extra"}, code: 2, stderr: []string{`unexpected argument "extra"`}},
		{name: "check without config", args: []string{"check"}, code: 2, stderr: []string{"--config is required"}},
		{name: "run without config", args: []string{"run"}, code: 2, stderr: []string{"--config is required"}},
		{name: "check valid", args: []string{"check", "--config", valid}, code: 0, stdout: []string{"ok (1 targets, 1 workloads)"}, noStderr: true},
		{name: "check missing file", args: []string{"check", "--config", "does-not-exist.yaml"}, code: 2, stderr: []string{"does-not-exist.yaml"}},
		{name: "check invalid", args: []string{"check", "--config", invalidMany}, code: 2,
			stderr: append([]string{"11 problem(s)"}, strings.Split(strings.TrimSpace(string(golden)), "\n")...)},
		{name: "run invalid", args: []string{"run", "--config", invalidMany}, code: 2, stderr: []string{`workloads[1].rate.period: must be > 0, got "-5s"`}},
		{name: "bad flag value", args: []string{"run", "--config", valid, "--listen", "nowhere"}, code: 2, stderr: []string{`listen: must be host:port`}},
		{name: "bad log level flag", args: []string{"run", "--config", valid, "--log-level", "loud"}, code: 2, stderr: []string{`log.level: must be one of debug, info, warn, error; got "loud"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			mustContain(t, "stdout", stdout.String(), tt.stdout...)
			mustContain(t, "stderr", stderr.String(), tt.stderr...)
			if tt.noStderr && stderr.Len() > 0 {
				t.Errorf("unexpected stderr: %s", stderr.String())
			}
		})
	}
}

// TestCheckConnect reaches real servers: engines and versions detected, a
// declared engine that disagrees is a warning, an unreachable target exit 1.
func TestCheckConnect(t *testing.T) {
	t.Parallel()
	rs := servertest.Start(t, servertest.Redis)
	vs := servertest.Start(t, servertest.Valkey)
	dead := fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t))
	good := writeConfig(t, fmt.Sprintf(`
targets:
  - {name: redis, engine: redis, addrs: [%q]}
  - {name: valkey, engine: redis, addrs: [%q]}
workloads:
  - {name: kv, ops: {get: 1}, rate: {type: constant, rate: 10}}
`, rs.Addr, vs.Addr))
	bad := writeConfig(t, fmt.Sprintf(`
targets:
  - {name: redis, addrs: [%q]}
  - {name: gone, addrs: [%q], dial_timeout: 200ms}
workloads:
  - {name: kv, ops: {get: 1}, rate: {type: constant, rate: 10}}
`, rs.Addr, dead))

	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "--config", good, "--connect"}, &stdout, &stderr); code != 0 {
		t.Fatalf("check --connect: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	mustContain(t, "check output", out, "TARGET", "ENGINE", "VERSION", "MODE", "ROLE",
		"standalone", "primary", "warning: declared engine redis, detected valkey")
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		switch f[0] {
		case "redis":
			if f[1] != "redis" || !strings.HasPrefix(f[2], "7.") {
				t.Errorf("redis row: %q", l)
			}
		case "valkey":
			if f[1] != "valkey" || !strings.HasPrefix(f[2], "8.") {
				t.Errorf("valkey row: %q", l)
			}
		}
	}

	stdout.Reset()
	if code := run([]string{"check", "--config", bad, "--connect"}, &stdout, &stderr); code != 1 {
		t.Fatalf("check --connect with a dead target: exit %d, want 1\n%s", code, stdout.String())
	}
	mustContain(t, "check output", stdout.String(), "gone", "error:")
}
