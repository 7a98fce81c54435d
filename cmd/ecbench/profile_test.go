package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/servertest"
)

// TestProfileFlagErrors: bad flags are refused before anything is sent,
// each naming the flag, the value and what is allowed, with exit code 2.
func TestProfileFlagErrors(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, `
targets:
  - {name: redis, addrs: ["127.0.0.1:1"]}
  - {name: valkey, addrs: ["127.0.0.1:2"]}
workloads:
  - name: kv
`)
	tests := []struct {
		name string
		args []string
		want string // stderr's first line
	}{
		{"nothing to profile", nil, "ecbench profile: --host or --config: give one (the server to profile, or a config file and --target)"},
		{"config without target", []string{"--config", cfg}, "ecbench profile: --target: required with --config: the name of the config's target to profile"},
		{"target without config", []string{"--host", "h", "--target", "redis"}, "ecbench profile: --target: only with --config"},
		{"host with config", []string{"--config", cfg, "--target", "redis", "--host", "h", "--tls"},
			"ecbench profile: --host, --tls: not with --config (the target's settings come from the config)"},
		{"unknown target", []string{"--config", cfg, "--target", "memcached"},
			`ecbench profile: --target: "memcached" is not a target of ` + cfg + "; its targets are: redis, valkey"},
		{"invalid config", []string{"--config", invalidMany, "--target", "redis"}, "ecbench profile: --config " + invalidMany + ": 11 problem(s):"},
		{"port", []string{"--host", "h", "--port", "0"}, "ecbench profile: --port: must be from 1 to 65535, got 0"},
		{"duration", []string{"--host", "h", "--duration", "10ms"}, "ecbench profile: --duration: must be at least 1s, got 10ms"},
		{"sample", []string{"--host", "h", "--sample", "-1"}, "ecbench profile: --sample: must be from 0 to 1000000 keys, got -1"},
		{"max rate", []string{"--host", "h", "--max-rate", "0"}, "ecbench profile: --max-rate: must be from 1 to 100000 commands a second, got 0"},
		{"delimiter", []string{"--host", "h", "--delimiter", ""}, `ecbench profile: --delimiter: must be 1 to 8 bytes, got ""`},
		{"families", []string{"--host", "h", "--families", "0"}, "ecbench profile: --families: must be from 1 to 1000, got 0"},
		{"db", []string{"--host", "h", "--db", "16"}, "ecbench profile: --db: must be from 0 to 15, got 16"},
		{"cluster db", []string{"--host", "h", "--cluster", "--db", "1"}, "ecbench profile: --db: a cluster has database 0 only, got 1"},
		{"two passwords", []string{"--host", "h", "--password-env", "A", "--password-file", "f"}, "ecbench profile: --password-env and --password-file: give at most one"},
		{"unset password variable", []string{"--host", "h", "--password-env", "ECBENCH_TEST_UNSET_PW"},
			`ecbench profile: --password-env: environment variable "ECBENCH_TEST_UNSET_PW" is not set or empty`},
		{"bad duration", []string{"--host", "h", "--duration", "soon"}, `ecbench profile: invalid argument "soon" for "--duration" flag: must be a duration like "30s" or "5m"`},
		{"argument", []string{"--host", "h", "extra"}, `ecbench profile: unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"profile"}, tt.args...), &stdout, &stderr)
			first, _, _ := strings.Cut(stderr.String(), "\n")
			if code != exitUsage || first != tt.want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and first line\n%s", code, stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
}

// TestProfileCommand profiles a real server, by flags and by a config's
// target, and checks that what it writes is a config check accepts.
func TestProfileCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args func(srv *servertest.Server) []string
	}{
		{"flags", func(srv *servertest.Server) []string {
			return []string{"--host", "127.0.0.1", "--port", fmt.Sprint(srv.Port)}
		}},
		{"config", func(srv *servertest.Server) []string {
			cfg := writeConfig(t, fmt.Sprintf("targets: [{name: prod, addrs: [%q]}]\nworkloads: [{name: kv}]\n", srv.Addr))
			return []string{"--config", cfg, "--target", "prod"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := busyServer(t)
			out := filepath.Join(t.TempDir(), "workload.yaml")
			var stdout, stderr bytes.Buffer
			args := append([]string{"profile", "--duration", "1s", "--sample", "100", "-o", out}, tt.args(srv)...)
			if code := run(args, &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
			}
			mustContain(t, "stderr", stderr.String(), "keys of 200 sampled", "workloads written to "+out)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, "config", string(b), "user:", "values: {sizes: {64: 100}}")
			if _, err := config.Load(out, nil, nil); err != nil {
				t.Errorf("the written config does not load: %v\n%s", err, b)
			}
			var check bytes.Buffer
			if code := run([]string{"check", "--config", out}, &check, &check); code != exitOK {
				t.Errorf("ecbench check of the written config: exit %d\n%s", code, check.String())
			}
		})
	}
}

// busyServer is a server holding 200 strings of 64 bytes, read by GETs
// until the test ends.
func busyServer(t *testing.T) *servertest.Server {
	t.Helper()
	srv := servertest.Start(t, servertest.Redis)
	c := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	for i := range 200 {
		if err := c.Set(ctx, fmt.Sprintf("user:%d", i), strings.Repeat("v", 64), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			c.Get(ctx, fmt.Sprintf("user:%d", i%200))
			time.Sleep(time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}
