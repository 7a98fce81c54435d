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

// dialErr dials addr with dial and returns the error the connection fails
// with on first use, nil if it is a live one (closed here).
func dialErr(t *testing.T, ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), addr string) error {
	t.Helper()
	c, err := dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("the dialer returned an error to go-redis: %v", err)
	}
	if dc, dead := c.(deadConn); dead {
		if _, werr := dc.Write(nil); werr != dc.err {
			t.Errorf("a dead connection's write fails with %v, want its dial error %v", werr, dc.err)
		}
		return dc.err
	}
	_ = c.Close()
	return nil
}

// TestDialerBackoff against a real server that is killed and restarted on
// the same port: one real dial per interval while it is down, the others
// refused unsent, the monitor's dials always real, and the first successful
// dial ending the back-off at once. The interval is longer than the
// product's 20 ms, so that a loaded host cannot sleep through it between
// two dials.
func TestDialerBackoff(t *testing.T) {
	t.Parallel()
	const interval = 300 * time.Millisecond
	s := servertest.Start(t, servertest.Valkey)
	d := newDialer(time.Second, nil)
	d.interval = interval
	ctx := context.Background()
	if err := dialErr(t, ctx, d.dial, s.Addr); err != nil {
		t.Fatalf("dial of a live server: %v", err)
	}
	s.Kill()

	tests := []struct {
		name string
		dial func(context.Context, string, string) (net.Conn, error)
		wait time.Duration // before the dial
		want result.Class
	}{
		{"the first failure is a real dial", d.dial, 0, result.ClassConnRefused},
		{"then the back-off refuses", d.dial, 0, result.ClassBackoff},
		{"and again", d.dial, 0, result.ClassBackoff},
		{"the monitor's dials are real", d.dialAlways, 0, result.ClassConnRefused},
		{"one real dial per interval", d.dial, interval + 10*time.Millisecond, result.ClassConnRefused},
		{"the others refused", d.dial, 0, result.ClassBackoff},
	}
	for _, tt := range tests {
		time.Sleep(tt.wait)
		err := dialErr(t, ctx, tt.dial, s.Addr)
		if got := result.Classify(err); got != tt.want {
			t.Errorf("%s: %v (class %v), want class %v", tt.name, err, got, tt.want)
		}
		if tt.want == result.ClassBackoff && errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s: a back-off error wraps ECONNREFUSED: %v", tt.name, err)
		}
	}
	if f, b := d.failed.Load(), d.backedOff.Load(); f != 3 || b != 3 {
		t.Errorf("counted %d failed and %d backed-off dials, want 3 and 3", f, b)
	}

	// A dial that ecbench cancelled says nothing about the server.
	fresh := newDialer(time.Second, nil)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := dialErr(t, cancelled, fresh.dial, s.Addr); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: %v, want context.Canceled", err)
	}
	if err := dialErr(t, ctx, fresh.dial, s.Addr); result.Classify(err) != result.ClassConnRefused {
		t.Errorf("after a cancelled dial: %v, want a real (refused) dial, not the back-off", err)
	}

	s.Restart()
	time.Sleep(interval)
	if err := dialErr(t, ctx, d.dial, s.Addr); err != nil {
		t.Fatalf("dial after the restart and an interval: %v", err)
	}
	for i := range 10 { // back-off over: every dial is real
		if err := dialErr(t, ctx, d.dial, s.Addr); err != nil {
			t.Fatalf("dial %d after the recovery: %v", i, err)
		}
	}
}
