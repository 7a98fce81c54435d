package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/app"
	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/servertest"
)

// TestMonitorFlagErrors: bad flags are refused before anything runs, each
// naming the flag, the value and what is allowed, with exit code 2.
func TestMonitorFlagErrors(t *testing.T) {
	t.Parallel()
	used := t.TempDir()
	if err := os.WriteFile(filepath.Join(used, app.OutagesFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // stderr's first line
	}{
		{"nothing to watch", nil, "ecbench monitor: -c/--cluster-id or --host: give one (the cluster id to look the endpoint up, or the endpoint itself)"},
		{"port out of range", []string{"--host", "h", "--port", "70000"}, "ecbench monitor: --port: must be from 1 to 65535, got 70000"},
		{"port without host", []string{"-c", "rg", "--port", "7000"}, "ecbench monitor: --port: only with --host (the port of a looked-up endpoint comes from ElastiCache)"},
		{"cluster without host", []string{"-c", "rg", "--cluster"}, "ecbench monitor: --cluster: only with --host (cluster mode of a looked-up endpoint comes from ElastiCache)"},
		{"zero probe interval", []string{"--host", "h", "-t", "0"}, "ecbench monitor: -t/--probe-interval: must be at least 1ms, got 0s"},
		{"probe interval not a number", []string{"--host", "h", "-t", "fast"},
			`ecbench monitor: invalid argument "fast" for "-t, --probe-interval" flag: want a duration such as 100ms or 1m, or seconds such as 0.1`},
		{"probe timeout", []string{"--host", "h", "--probe-timeout", "0.0000001"}, "ecbench monitor: --probe-timeout: must be at least 1ms, got 100ns"},
		{"info interval", []string{"--host", "h", "--info-interval", "10ms"}, "ecbench monitor: --info-interval: must be at least 100ms (each poll is a few INFO commands), got 10ms"},
		{"cloudwatch interval", []string{"--host", "h", "-m", "0.5"}, "ecbench monitor: -m/--cloudwatch-interval: must be 0 (no polling) or at least 1s, got 500ms"},
		{"two passwords", []string{"--host", "h", "--password", "x", "--password-env", "PW"}, "ecbench monitor: --password, --password-env and --password-file: give at most one"},
		{"unset password variable", []string{"--host", "h", "--password-env", "ECBENCH_TEST_UNSET_PW"}, `ecbench monitor: --password-env: environment variable "ECBENCH_TEST_UNSET_PW" is not set or empty`},
		{"missing password file", []string{"--host", "h", "--password-file", "/nonexistent/pw"}, "ecbench monitor: --password-file: stat /nonexistent/pw: no such file or directory"},
		{"empty password file", []string{"--host", "h", "--password-file", empty}, fmt.Sprintf("ecbench monitor: --password-file: %q is empty", empty)},
		{"negative integrity keys", []string{"--host", "h", "--integrity-keys", "-5"}, "ecbench monitor: --integrity-keys: must be >= 0 (0: no integrity probe), got -5"},
		{"listen", []string{"--host", "h", "--listen", "9478"}, `ecbench monitor: --listen: must be host:port, got "9478"`},
		{"integrity ring too small", []string{"--host", "h", "--integrity-keys", "50", "-o", t.TempDir()},
			"ecbench monitor: integrity probe: invalid probe options: keys: must be > verify_delay/interval = 100, so that a record is read back before its key is rewritten, got 50"},
		{"used directory", []string{"--host", "h", "-o", used}, "ecbench monitor: monitor output directory " + used + ": already holds outages.csv from another run; give a new directory"},
		{"argument", []string{"--host", "h", "extra"}, `ecbench monitor: unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"monitor"}, tt.args...), &stdout, &stderr)
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

// monitorProcess is `ecbench monitor` in a child process.
type monitorProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	exited         chan struct{}
	err            error
}

func startMonitor(t *testing.T, env []string, args ...string) *monitorProcess {
	t.Helper()
	p := &monitorProcess{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], append([]string{"monitor"}, args...)...)
	p.cmd.Env = append(append(os.Environ(), beMain+"=1"), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("monitor stderr:\n%s\nstdout:\n%s", p.stderr.String(), p.stdout.String())
		}
	})
	return p
}

func (p *monitorProcess) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("still running %v later", d)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// csvRows returns the data rows of a CSV file of dir, 0 while it does not
// exist.
func csvRows(dir, name string) int {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0
	}
	return max(strings.Count(string(b), "\n")-1, 0)
}

// TestMonitorEndToEnd is the migration monitor as its users run it: the
// endpoint of a replication group found through the (fake) ElastiCache
// API, with an AUTH token from the environment, the server killed and
// restarted a second later, CloudWatch polled, and Ctrl-C. The files fill
// up while it runs; the summary reports the one outage and the writes it
// lost; the log stays JSON; the password appears nowhere.
func TestMonitorEndToEnd(t *testing.T) {
	t.Parallel()
	const password = "monitor-pw-Tq93xLs"
	srv := servertest.Start(t, servertest.Valkey, "requirepass", password)
	fake := awsfake.New(t)
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg-valkey", Engine: "valkey", AuthToken: true,
		NodeGroups: []awsfake.NodeGroup{{ID: "0001", Members: []awsfake.Member{{CacheCluster: "rg-valkey-001", Node: "0001"}},
			PrimaryEndpoint: awsfake.Endpoint{Address: "127.0.0.1", Port: srv.Port}}}})
	fake.SetValue("rg-valkey-001", "EngineCPUUtilization", "Average", 12.5)
	dir := filepath.Join(t.TempDir(), "out")
	p := startMonitor(t, append(fake.Env(), "TEST_MONITOR_PW="+password),
		"-c", "rg-valkey", "--password-env", "TEST_MONITOR_PW", "-o", dir, "-t", "0.05", "-m", "1",
		"--probe-timeout", "1s", "--integrity-keys", "1000", "--log-format", "json", "--log-level", "debug")

	eventually(t, 10*time.Second, "probes and a CloudWatch datapoint on file", func() bool {
		return csvRows(dir, app.AvailabilityFile) >= 2 && csvRows(dir, app.CloudWatchFile) >= 1
	})
	srv.Kill()
	time.Sleep(time.Second)
	srv.Restart()
	eventually(t, 10*time.Second, "the outage on file", func() bool { return csvRows(dir, app.OutagesFile) == 1 })
	eventually(t, 10*time.Second, "lost writes on file", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, app.IntegrityFile))
		return strings.Contains(string(b), ",lost,")
	})
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 10*time.Second); code != exitOK {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}

	summary := p.stdout.String()
	for _, re := range []string{
		`(?m)^monitored rg-valkey \(standalone 127\.0\.0\.1:\d+ password set\) for \d`,
		`(?m)^outages: 1, unavailable 1\.\d{3} s in all; \d+\.\d\d% of \d+ probes succeeded$`,
		`(?m)^  \S+ to \S+  1\.\d{3} s  \w+, last \w+, \d+ failed probes$`,
		`(?m)^lost writes: [1-9]\d* \(stale 0, corrupted 0\); \d+ verified, 0 unchecked$`,
		`(?m)^engine: valkey \d+\.\d+\.\d+, unchanged$`,
		`(?m)^cloudwatch: [1-9]\d* datapoints$`,
		`(?m)^files: ` + regexp.QuoteMeta(dir) + `$`,
	} {
		if !regexp.MustCompile(re).MatchString(summary) {
			t.Errorf("summary lacks %s:\n%s", re, summary)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, app.SummaryFile)); string(b) != summary {
		t.Errorf("%s differs from stdout:\n%s", app.SummaryFile, b)
	}

	var lookups int
	for _, form := range fake.ElastiCacheCalls("DescribeReplicationGroups") {
		if form.Get("ReplicationGroupId") == "rg-valkey" {
			lookups++
		}
	}
	if lookups < 2 { // the endpoint's lookup, then the poller's discovery
		t.Errorf("%d DescribeReplicationGroups calls for rg-valkey, want the lookup and the poller's", lookups)
	}

	logs := p.stderr.String()
	for line := range strings.Lines(logs) {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
	for _, want := range []string{`"msg":"endpoint found"`, `"msg":"outage started"`, `"msg":"outage ended"`, `"msg":"integrity: acknowledged writes lost"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, f.Name()))
		if strings.Contains(string(b), password) {
			t.Errorf("%s holds the password", f.Name())
		}
	}
	if strings.Contains(logs+summary, password) {
		t.Error("the password is in the output")
	}
}

// TestMonitorLookupErrors: a cluster id ElastiCache does not know, or one
// that needs a token not given, is bad input (2); an API that cannot be
// reached is a failure (1).
func TestMonitorLookupErrors(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg-auth", AuthToken: true,
		NodeGroups: []awsfake.NodeGroup{{ID: "0001", PrimaryEndpoint: awsfake.Endpoint{Address: "127.0.0.1", Port: 1}}}})
	failing := awsfake.New(t)
	failing.FailElastiCache(func(string) *awsfake.Error { return &awsfake.Error{Status: 500, Code: "InternalFailure"} })
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		want     string
	}{
		{"not found", fake.Env(), []string{"-c", "nope"}, exitUsage,
			`ecbench monitor: -c/--cluster-id: "nope": no replication group or cache cluster with this id in region us-east-1`},
		{"token needed", fake.Env(), []string{"-c", "rg-auth"}, exitUsage,
			`ecbench monitor: -c/--cluster-id: "rg-auth" requires an AUTH token (AuthTokenEnabled): give --password-env NAME or --password-file FILE`},
		{"API failing", failing.Env(), []string{"-c", "rg"}, exitFailed,
			`ecbench monitor: cannot look up the endpoint of "rg" in region us-east-1: describe replication group "rg": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startMonitor(t, tt.env, append(tt.args, "-o", t.TempDir())...)
			if code := p.wait(t, 10*time.Second); code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(p.stderr.String(), tt.want) {
				t.Errorf("stderr:\n%s\nwant it to contain\n%s", p.stderr.String(), tt.want)
			}
		})
	}
}
