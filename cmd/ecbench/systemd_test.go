package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
)

// TestSystemdNotify runs the daemon as a Type=notify service with a
// watchdog would: READY=1 once every target answered, WATCHDOG=1 keep-alives,
// STOPPING=1 on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "sd") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()

	vs := servertest.Start(t, servertest.Valkey)
	p := startProcess(t, fmt.Sprintf(`
targets: [{name: valkey, addrs: [%q]}]
workloads: [{name: kv, rate: {type: constant, rate: 50}}]
`, vs.Addr), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=200000")

	seen := map[string]bool{}
	wait := func(state string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for !seen[state] {
			select {
			case m, ok := <-msgs:
				if !ok {
					t.Fatalf("socket closed before %s", state)
				}
				for _, line := range strings.Split(m, "\n") {
					seen[line] = true
				}
			case <-deadline:
				t.Fatalf("no %s within 5s; got %v", state, seen)
			}
		}
	}
	wait("READY=1")
	wait("WATCHDOG=1")
	p.signal(t, syscall.SIGTERM)
	wait("STOPPING=1")
	if code := p.wait(t, 5*time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
}
