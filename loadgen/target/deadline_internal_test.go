package target

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
)

func TestDeadlineFor(t *testing.T) {
	t.Parallel()
	base := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) int64 { return base.Add(d).UnixNano() }
	for _, tc := range []struct {
		name   string
		armed  int64
		asked  time.Time
		arm    bool
		wantAt time.Time
	}{
		{"none armed: arm with the slack", 0, base, true, base.Add(deadlineSlack)},
		{"armed at what is asked", at(0), base, false, time.Time{}},
		{"armed within the slack after it", at(deadlineSlack), base, false, time.Time{}},
		{"armed just past the slack", at(deadlineSlack + 1), base, true, base.Add(deadlineSlack)},
		{"armed before it: would fire early", at(-1), base, true, base.Add(deadlineSlack)},
		{"no deadline asked: always passed on", at(0), time.Time{}, true, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, arm := deadlineFor(tc.armed, tc.asked)
			if arm != tc.arm || !got.Equal(tc.wantAt) {
				t.Errorf("deadlineFor(%d, %v) = %v, %v; want %v, %v", tc.armed, tc.asked, got, arm, tc.wantAt, tc.arm)
			}
		})
	}
}

// countingConn counts the deadlines that reach a real connection.
type countingConn struct {
	net.Conn
	reads, writes int
}

func (c *countingConn) SetReadDeadline(t time.Time) error {
	c.reads++
	return c.Conn.SetReadDeadline(t)
}
func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.writes++
	return c.Conn.SetWriteDeadline(t)
}

// TestCoarseDeadlinesArmFew asks for a deadline per command, as go-redis
// does, on a connection to a real server: only about one per slack of
// wall time reaches the socket, and a command's own reads and writes still
// go through.
func TestCoarseDeadlinesArmFew(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingConn{Conn: raw}
	c := coarseDeadlines(counted)
	defer c.Close()
	if _, ok := c.(syscall.Conn); ok {
		t.Fatal("a connection without a file descriptor gained one")
	}
	const commands = 2000
	start := time.Now()
	buf := make([]byte, 64)
	for range commands {
		now := time.Now()
		if err := c.SetWriteDeadline(now.Add(3 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := c.SetReadDeadline(now.Add(3 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "+PONG\r\n" {
			t.Fatalf("read %q, %v; want +PONG", buf[:n], err)
		}
	}
	// At most one per slack elapsed, and the first; a command takes tens of
	// microseconds, so most arm nothing.
	most := int(time.Since(start)/deadlineSlack) + 1
	if counted.reads > most || counted.writes > most {
		t.Errorf("%d commands armed %d read and %d write deadlines, want at most %d each", commands, counted.reads, counted.writes, most)
	}
	if counted.reads == 0 || counted.writes == 0 {
		t.Errorf("no deadline reached the connection (%d reads, %d writes)", counted.reads, counted.writes)
	}
}

// TestCoarseDeadlinesTimeout: a target's read timeout still fires on both
// engines, no earlier than asked, with its class, when the server stops
// answering; a cleared deadline (go-redis' idle check) is cleared.
func TestCoarseDeadlinesTimeout(t *testing.T) {
	t.Parallel()
	const readTimeout = 300 * time.Millisecond
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			tg, err := New(Options{Name: "t", Addrs: []string{srv.Addr}, ReadTimeout: readTimeout, PoolSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			ctx := context.Background()
			for range 100 { // deadlines armed and kept
				if err := tg.Client().Set(ctx, "k", "v", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			srv.Freeze()
			defer srv.Thaw()
			start := time.Now()
			err = tg.Client().Get(ctx, "k").Err()
			took := time.Since(start)
			if c := result.Classify(err); c != result.ClassTimeout {
				t.Fatalf("GET of a frozen server: %v (class %s), want class timeout", err, c)
			}
			if took < readTimeout {
				t.Errorf("timed out after %v, before the read timeout %v", took, readTimeout)
			}
			// Generous: the host may be loaded; a deadline lost would hang.
			if took > readTimeout+time.Second {
				t.Errorf("timed out after %v, want about %v", took, readTimeout)
			}
		})
	}
	t.Run("cleared", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Valkey)
		raw, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c := coarseDeadlines(raw)
		defer c.Close()
		if _, ok := c.(syscall.Conn); !ok {
			t.Error("a TCP connection lost its syscall.Conn (go-redis' idle check needs it)")
		}
		if err := c.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("read past the deadline: %v, want a timeout", err)
		}
		if err := c.SetDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "+PONG\r\n" {
			t.Fatalf("after clearing the deadline: read %q, %v; want +PONG", buf[:n], err)
		}
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
