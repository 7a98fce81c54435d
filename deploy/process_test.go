package deploy

import (
	"bytes"
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

// process is a real child process that lives until the test ends.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// startProcess starts bin with args and env in its own process group, and
// stops it when the test ends: SIGTERM, then SIGKILL after 5s. Its output is
// logged if the test failed.
func startProcess(t *testing.T, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output (tail):\n%s", name, p.out.Tail(4000))
		}
	})
	return p
}

func (p *process) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitHTTP polls url until it answers 200, the process exits, or timeout.
func (p *process) waitHTTP(client *http.Client, url string, timeout time.Duration) error {
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
		if p.exited() {
			return fmt.Errorf("%s exited before %s answered: %w", p.name, url, errExited)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s did not answer 200 within %v (last error %v)", p.name, url, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var errExited = errors.New("process exited")

// serve starts a process listening on a free loopback port (launch starts
// it for an address) and waits until path answers 200 there. A process that
// exits first is retried on another port: the free port may have been taken
// in between.
func serve(t *testing.T, client *http.Client, path string, timeout time.Duration, launch func(addr string) *process) (*process, string) {
	t.Helper()
	var err error
	for range 3 {
		addr := fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t))
		p := launch(addr)
		if err = p.waitHTTP(client, "http://"+addr+path, timeout); err == nil {
			return p, addr
		}
		if !errors.Is(err, errExited) {
			break
		}
		t.Logf("%v; retrying on another port:\n%s", err, p.out.Tail(2000))
	}
	t.Fatalf("%v", err)
	return nil, ""
}

// syncBuffer collects a process' output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Tail returns the last n bytes written.
func (b *syncBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// cleanEnv is this process' environment without ecbench's config overrides,
// so that a developer's ECBENCH_* variables do not leak into the test.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ECBENCH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
