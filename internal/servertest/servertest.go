// Package servertest starts real redis-server and valkey-server processes on
// free loopback ports in a test's temporary directory, for tests that need a
// real engine. A missing server binary fails the test: the project's test
// command installs them, and a test never silently skips.
package servertest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Engine is the engine a server runs: loadgen's own type, so that tests
// compare it with what a target detects without conversions.
type Engine = engine.Engine

// The engines tests run against.
const (
	Redis  = engine.Redis
	Valkey = engine.Valkey
)

// Engines lists both engines, for table tests that cover each.
var Engines = []Engine{Redis, Valkey}

// Binary returns the server executable's name.
func Binary(e Engine) string { return string(e) + "-server" }

// Server is one running engine process.
type Server struct {
	Engine Engine
	Addr   string // 127.0.0.1:port
	Port   int
	Dir    string

	t    testing.TB
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start launches engine on a free loopback port with persistence off and the
// given extra directives (e.g. "requirepass", "s3cret"), waits until it answers
// PING, and stops it when the test ends.
func Start(t testing.TB, engine Engine, directives ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath(Binary(engine))
	if err != nil {
		t.Fatalf("%s not found on PATH: run the README's test command (make test), which installs it: %v", Binary(engine), err)
	}
	s := &Server{Engine: engine, Dir: t.TempDir(), t: t}
	s.args = append([]string{
		"--bind", "127.0.0.1",
		"--dir", s.Dir,
		"--save", "",
		"--appendonly", "no",
		"--protected-mode", "no",
		"--logfile", "server.log",
	}, prefixDirectives(directives)...)
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		s.Port = FreePort(t)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
		if lastErr = s.launch(bin); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("start %s: %v", Binary(engine), lastErr)
	return nil
}

// prefixDirectives turns ["requirepass", "x", "maxmemory", "1mb"] style pairs
// into command-line flags; a directive given as "--name" is passed through.
func prefixDirectives(ds []string) []string {
	out := make([]string, 0, len(ds))
	for i, d := range ds {
		if i%2 == 0 && !strings.HasPrefix(d, "--") {
			d = "--" + d
		}
		out = append(out, d)
	}
	return out
}

func (s *Server) launch(bin string) error {
	return s.launchCommand(bin, append([]string{"--port", strconv.Itoa(s.Port)}, s.args...))
}

func (s *Server) ping() error {
	c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	// +PONG, or -NOAUTH when a password is set: either way it is serving.
	if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
		return nil
	}
	return fmt.Errorf("unexpected PING reply %q", line)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "server.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Client returns a go-redis client for the server, closed when the test ends.
func (s *Server) Client(opts ...func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: s.Addr, MaxRetries: -1}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Kill stops the server at once (SIGKILL) and waits for it to exit.
func (s *Server) Kill() { s.kill() }

func (s *Server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// Stop kills the server if it is still running.
func (s *Server) Stop() { s.kill() }

// Restart starts the server again on the same port after Kill.
func (s *Server) Restart() {
	s.t.Helper()
	bin, err := exec.LookPath(Binary(s.Engine))
	if err != nil {
		s.t.Fatalf("%v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		if lastErr = s.launch(bin); lastErr == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // the port may linger briefly
	}
	s.t.Fatalf("restart %s on %s: %v", Binary(s.Engine), s.Addr, lastErr)
}

// Pause makes the server stop answering clients for d (CLIENT PAUSE ALL).
func (s *Server) Pause(ctx context.Context, d time.Duration, opts ...func(*redis.Options)) {
	s.t.Helper()
	if err := s.Client(opts...).Do(ctx, "CLIENT", "PAUSE", d.Milliseconds(), "ALL").Err(); err != nil {
		s.t.Fatalf("CLIENT PAUSE: %v", err)
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
