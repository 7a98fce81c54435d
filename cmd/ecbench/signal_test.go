package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
)

// daemonProcess is the real ecbench main running in a child process (the
// test binary re-executed), so that signals and exit codes are real.
type daemonProcess struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

func startProcess(t *testing.T, yaml string, env ...string) *daemonProcess {
	t.Helper()
	p := &daemonProcess{
		addr:   fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t)),
		stderr: &syncBuffer{},
		exited: make(chan struct{}),
	}
	p.cmd = exec.Command(os.Args[0], "run", "--config", writeConfig(t, yaml), "--listen", p.addr, "--log-level", "debug")
	p.cmd.Env = append(append(os.Environ(), beMain+"=1"), env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	eventually(t, 10*time.Second, "the daemon's metrics server", func() bool {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return p
}

func (p *daemonProcess) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatalf("signal %v: %v", s, err)
	}
}

// wait returns the exit code once the process exits within d.
func (p *daemonProcess) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("still running %v later; log:\n%s", d, p.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait: %v", p.err)
	}
	return 0
}

func (p *daemonProcess) metricsText(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSignalStopsWithSecretsKept runs against servers that require a
// password (Redis: requirepass; Valkey: an ACL user), plus a target with the
// wrong password: auth failures are counted by class, SIGTERM stops within
// 5s with a final summary, and no password appears in logs or metrics.
func TestSignalStopsWithSecretsKept(t *testing.T) {
	t.Parallel()
	const (
		redisPW  = "redis-pw-Qx81vTq"
		valkeyPW = "valkey-pw-Zr55nMw"
		wrongPW  = "wrong-pw-Hk20pLa"
	)
	rs := servertest.Start(t, servertest.Redis, "requirepass", redisPW)
	vs := servertest.Start(t, servertest.Valkey)
	acl := vs.Client().Do(context.Background(), "ACL", "SETUSER", "ecbench", "on", ">"+valkeyPW, "~*", "+@all")
	if err := acl.Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	pwFile := filepath.Join(t.TempDir(), "valkey-password")
	if err := os.WriteFile(pwFile, []byte(valkeyPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, fmt.Sprintf(`
summary_interval: 1s
targets:
  - {name: redis, engine: redis, addrs: [%q], password_env: TEST_REDIS_PW}
  - {name: valkey, engine: valkey, addrs: [%q], username: ecbench, password_file: %q}
  - {name: wrongpw, addrs: [%q], password_env: TEST_WRONG_PW}
workloads:
  - {name: kv, ops: {get: 1, set: 1}, rate: {type: constant, rate: 200}}
`, rs.Addr, vs.Addr, pwFile, rs.Addr), "TEST_REDIS_PW="+redisPW, "TEST_WRONG_PW="+wrongPW)

	eventually(t, 10*time.Second, "ok ops on both engines and auth errors on the wrong password", func() bool {
		mfs := scrape(t, p.addr)
		return value(mfs, "ecbench_ops_total", labels("target", "redis", "engine", "redis", "outcome", "ok")) > 0 &&
			value(mfs, "ecbench_ops_total", labels("target", "valkey", "engine", "valkey", "outcome", "ok")) > 0 &&
			value(mfs, "ecbench_op_errors_total", labels("target", "wrongpw", "class", "auth")) > 0
	})
	if code := status(t, "http://"+p.addr+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with a target that never answered; want 503", code)
	}
	exposition := p.metricsText(t)

	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 5*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	logs := p.stderr.String()
	mustContain(t, "log", logs, `"msg":"stopping: signal received`, `"msg":"final summary"`, `"msg":"ecbench stopped"`,
		`"msg":"target down","target":"wrongpw"`, `"class":"auth"`)
	for _, secret := range []string{redisPW, valkeyPW, wrongPW} {
		if strings.Contains(logs, secret) {
			t.Errorf("a password appears in the log:\n%s", logs)
		}
		if strings.Contains(exposition, secret) {
			t.Errorf("a password appears in /metrics")
		}
	}
}

// TestSecondSignalExitsAtOnce pauses the server so that requests hang: the
// first SIGINT waits for them up to the shutdown timeout, a second exits at
// once; and a single signal still stops within the shutdown timeout. The
// target's declared engine is wrong, which is logged as a warning.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	for _, twice := range []bool{true, false} {
		t.Run(fmt.Sprintf("twice=%v", twice), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, servertest.Valkey)
			p := startProcess(t, fmt.Sprintf(`
shutdown_timeout: 3s
targets:
  - {name: valkey, engine: redis, addrs: [%q], read_timeout: 20s, write_timeout: 20s}
workloads:
  - {name: kv, ops: {get: 1}, rate: {type: constant, rate: 200}}
`, s.Addr))
			eventually(t, 10*time.Second, "requests served:\n"+p.stderr.String(), func() bool {
				return value(scrape(t, p.addr), "ecbench_ops_total", labels("outcome", "miss")) > 0
			})
			// The declared engine is wrong on purpose: a warning, and the
			// detected engine is the label.
			mustContain(t, "log", p.stderr.String(), `"msg":"declared engine differs from the detected one; using the detected engine","target":"valkey","declared":"redis","detected":"valkey"`)
			if v := value(scrape(t, p.addr), "ecbench_target_up", labels("target", "valkey", "engine", "valkey")); v != 1 {
				t.Errorf("ecbench_target_up{engine=valkey} = %v, want 1", v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.Pause(ctx, 15*time.Second)
			eventually(t, 5*time.Second, "requests stuck in flight", func() bool {
				return value(scrape(t, p.addr), "ecbench_inflight_ops", nil) > 10
			})
			p.signal(t, syscall.SIGINT)
			eventually(t, 2*time.Second, "the first signal noticed", func() bool {
				return strings.Contains(p.stderr.String(), "stopping: signal received")
			})
			if !twice {
				start := time.Now()
				if code := p.wait(t, 5*time.Second); code != 0 {
					t.Errorf("exit code %d, want 0", code)
				}
				if took := time.Since(start); took < 2*time.Second {
					t.Errorf("stopped after %v: in-flight requests were not given the shutdown timeout", took)
				}
				// The requests in flight when the shutdown timeout ends are
				// cut off and counted canceled: by the runner's own
				// connections on the raw path, by closing the clients on
				// go-redis' ("requests still in flight after the shutdown
				// timeout").
				mustContain(t, "log", p.stderr.String(), `"msg":"final summary"`, `"top_error":"canceled"`)
				return
			}
			p.signal(t, syscall.SIGINT)
			if code := p.wait(t, time.Second); code != 1 {
				t.Errorf("exit code %d after a second signal, want 1", code)
			}
			mustContain(t, "log", p.stderr.String(), "exiting at once: second signal")
		})
	}
}
