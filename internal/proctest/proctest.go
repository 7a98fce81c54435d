// Package proctest runs real child processes for tests. A long-lived one
// (Prometheus, an ecbench daemon) runs in its own process group, is stopped
// when the test ends, has its output kept and shown if the test failed, and,
// for a server, is started on a free loopback port and retried on another one
// if the port was taken in between. A short one (a checker such as
// systemd-analyze or promtool, bash on a script) is run to its end with Run.
package proctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
)

// Process is a real child process that lives until the test ends.
type Process struct {
	Name string
	Out  *Output // stdout and stderr

	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts bin with args and env in its own process group, and stops it
// when the test ends: SIGTERM, then SIGKILL after 5s. Its output is logged if
// the test failed.
func Start(t testing.TB, name string, env []string, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: name, Out: &Output{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.Out, p.Out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output (tail):\n%s", name, p.Out.Tail(4000))
		}
	})
	return p
}

// Stop stops the process and waits for it. It is safe to call more than
// once.
func (p *Process) Stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitHTTP polls url until it answers 200, the process exits, or timeout.
func (p *Process) WaitHTTP(client *http.Client, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if p.Exited() {
			return fmt.Errorf("%s exited before %s answered: %w", p.Name, url, ErrExited)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s did not answer 200 within %v (last error %v)", p.Name, url, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ErrExited is WaitHTTP's error when the process ended before answering.
var ErrExited = errors.New("process exited")

// Serve starts a process listening on a free loopback port (launch starts
// it for an address) and waits until path answers 200 there. A process that
// exits first is retried on another port: the free port may have been taken
// in between.
func Serve(t testing.TB, client *http.Client, path string, timeout time.Duration, launch func(addr string) *Process) (*Process, string) {
	t.Helper()
	var err error
	for range 3 {
		addr := fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t))
		p := launch(addr)
		if err = p.WaitHTTP(client, "http://"+addr+path, timeout); err == nil {
			return p, addr
		}
		if !errors.Is(err, ErrExited) {
			break
		}
		t.Logf("%v; retrying on another port:\n%s", err, p.Out.Tail(2000))
	}
	t.Fatalf("%v", err)
	return nil, ""
}

// Output collects a process' (or a logger's) output while the test reads
// it.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String returns everything written.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Tail returns the last n bytes written.
func (o *Output) Tail(n int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.buf.String()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// CleanEnv is this process' environment without ecbench's config overrides,
// so that a developer's ECBENCH_* variables do not leak into the test.
func CleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ECBENCH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Run runs the tool name, looked up on PATH, with args and stdin to its end,
// at most 20s, and returns what it wrote to stdout and stderr together. A
// tool missing from PATH fails the test: the README's test command (which
// runs scripts/install-deps.sh) installs every one the tests use, and a test
// never silently skips. systemd's tools are told to write no colour codes
// and use no pager, so that their output can be compared as text.
func Run(t testing.TB, stdin, name string, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run the README's test command (./scripts/test.sh or make test), which installs it: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = CleanEnv("SYSTEMD_LOG_COLOR=0", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
