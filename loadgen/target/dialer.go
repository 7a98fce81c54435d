package target

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
)

// redialInterval is how often, while dials to an address fail, one real
// dial is let through to see whether the server is back. It bounds how late
// connections follow a restarted server (the first dial after it listens
// comes at most this long after, given requests that need one), and it
// bounds the dials sent to an address that is down: 50 a second, however
// high the request rate.
const redialInterval = 20 * time.Millisecond

// keepAlive is go-redis' own default TCP keep-alive policy (its dialer is
// replaced, its policy kept): probe after 30 s idle, give up after 3 probes
// 5 s apart.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 5 * time.Second, Count: 3}

// dialer dials for every go-redis pool of a target, in place of go-redis'
// default dialer and of its pool's back-off.
//
// go-redis' pool counts failed dials, and once PoolSize of them have failed
// it dials no more: every request fails at once with the last dial error,
// and a goroutine re-dials once a second until one succeeds. So after a
// restart requests resumed up to a second after the server accepted again,
// an outage was overstated by as much, and requests that were never sent
// were counted as refused connections.
//
// So this dialer never returns an error to the pool, which never trips. A
// dial that fails returns a deadConn instead, whose first read or write
// fails with the dial's error: the request that takes it fails as before,
// with its class (conn_refused, timeout, tls...), and the pool discards
// it. While dials to an address fail, one real dial every redialInterval
// goes through; the others fail at once with result.ErrDialBackoff
// (result.ClassBackoff: not sent). The first dial that succeeds ends the
// back-off for every pool of the address.
type dialer struct {
	net      net.Dialer
	tls      *tls.Config   // nil: plain TCP
	interval time.Duration // redialInterval; tests lengthen it

	mu    sync.Mutex
	addrs map[string]*dialState // bounded by the addresses of the target's nodes

	// What the dialer did, for tests: real dials that failed, and dials
	// refused by the back-off.
	failed, backedOff atomic.Uint64
}

// dialState is the back-off state of one address.
type dialState struct {
	failing atomic.Bool
	// next is when (unix nanos) the next real dial may go through while
	// failing; whoever moves it on owns that dial.
	next    atomic.Int64
	lastErr atomic.Pointer[error] // the last real dial's error, for messages
}

func newDialer(timeout time.Duration, tlsCfg *tls.Config) *dialer {
	return &dialer{
		net:      net.Dialer{Timeout: timeout, KeepAliveConfig: keepAlive},
		tls:      tlsCfg,
		interval: redialInterval,
		addrs:    map[string]*dialState{},
	}
}

func (d *dialer) state(addr string) *dialState {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.addrs[addr]
	if s == nil {
		s = &dialState{}
		d.addrs[addr] = s
	}
	return s
}

// dial is a go-redis Options.Dialer with the back-off. It never returns an
// error.
func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	s := d.state(addr)
	if s.failing.Load() && !s.claim(time.Now(), d.interval) {
		d.backedOff.Add(1)
		err := fmt.Errorf("dial %s %s: %w", network, addr, result.ErrDialBackoff)
		if last := s.lastErr.Load(); last != nil {
			// Quoted, not wrapped: this request met no refused connection.
			err = fmt.Errorf("%w (last dial: %v)", err, *last)
		}
		return deadConn{err: err, network: network, addr: addr}, nil
	}
	return d.attempt(ctx, s, network, addr)
}

// dialAlways is dial without the back-off, for the monitor's own client:
// a health check or an INFO poll (one dial per check at most) must try the
// server itself, or it would report the back-off instead of the server's
// state. Its dials end and start the back-off like any other. It never
// returns an error.
func (d *dialer) dialAlways(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.attempt(ctx, d.state(addr), network, addr)
}

// attempt dials addr for real and updates its back-off state.
func (d *dialer) attempt(ctx context.Context, s *dialState, network, addr string) (net.Conn, error) {
	c, err := d.dialNow(ctx, network, addr)
	if err == nil {
		s.failing.Store(false)
		return c, nil
	}
	// A dial that ecbench itself gave up (its pool closed, the request
	// cancelled) says nothing about the server.
	if !errors.Is(err, context.Canceled) {
		d.failed.Add(1)
		s.lastErr.Store(&err)
		if !s.failing.Swap(true) {
			s.next.Store(time.Now().Add(d.interval).UnixNano())
		}
	}
	return deadConn{err: err, network: network, addr: addr}, nil
}

// claim reports whether the caller may dial for real now, while failing:
// the first caller after next does, and moves next on by interval.
func (s *dialState) claim(now time.Time, interval time.Duration) bool {
	n := s.next.Load()
	if now.UnixNano() < n {
		return false
	}
	return s.next.CompareAndSwap(n, now.Add(interval).UnixNano())
}

// dialNow dials addr for real (refusal.go: with TLS when configured, each
// cluster node verified under its own name, and the connection watched for
// a server that refuses it at maxclients).
func (d *dialer) dialNow(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := dialWatched(ctx, &d.net, d.tls, network, addr)
	if err != nil {
		return nil, err
	}
	return coarseDeadlines(c), nil
}

// deadConn is a dial that failed, handed to go-redis' pool as a connection
// so that the pool's own back-off never trips (see dialer). Its first use
// fails with the dial's error; go-redis then discards it.
type deadConn struct {
	err           error
	network, addr string
}

var _ net.Conn = deadConn{}

func (c deadConn) Read([]byte) (int, error)       { return 0, c.err }
func (c deadConn) Write([]byte) (int, error)      { return 0, c.err }
func (deadConn) Close() error                     { return nil }
func (c deadConn) LocalAddr() net.Addr            { return deadAddr{c.network, ""} }
func (c deadConn) RemoteAddr() net.Addr           { return deadAddr{c.network, c.addr} }
func (deadConn) SetDeadline(time.Time) error      { return nil }
func (deadConn) SetReadDeadline(time.Time) error  { return nil }
func (deadConn) SetWriteDeadline(time.Time) error { return nil }
func (a deadAddr) Network() string                { return a.network }
func (a deadAddr) String() string                 { return a.addr }

// deadAddr is a deadConn's address: the one that was dialled.
type deadAddr struct{ network, addr string }

// deadlineSlack is how much later than asked a connection's read or write
// deadline may fire (coarseDeadlineConn).
const deadlineSlack = time.Millisecond

// coarseDeadlineConn arms a socket deadline only when the one already armed
// would fire too early: a deadline asked for at t is served by any armed
// deadline in [t, t+deadlineSlack], and a new one is armed at t+deadlineSlack.
//
// Why (docs/performance.md): go-redis sets a read and a write deadline on
// every command, now + the timeout, and each moves a runtime timer:
// callgrind counted 1,750 of the ~9,150 user-space instructions per
// command at pipeline 1 in deadlines, timers and the clock reads they
// need, 1,190 with this. A worker's connection sends a command every few
// hundred microseconds, so the deadline it asks for has moved by less than
// the slack since one was last armed, and most commands arm none. A
// timeout of T fires within [T, T+1ms], never early: the lateness Go's own
// timers have when the runtime is idle (about 1 ms, see the runner's
// pacer), on timeouts of seconds (go-redis's default read timeout is 3 s).
// Its error and class are those of any passed deadline.
//
// A zero deadline (none: go-redis' idle check clears them) is always
// passed on. refusalConn (beneath) sets a read deadline of its own only
// after a write failed, on a connection go-redis then discards.
type coarseDeadlineConn struct {
	net.Conn
	// The armed deadlines in unix nanos; 0: none. go-redis uses a
	// connection from one goroutine at a time; atomics cost nothing here
	// and keep the wrapper safe if that ever changes.
	read, write atomic.Int64
}

// coarseDeadlines wraps c, keeping its syscall.Conn (go-redis checks an
// idle connection with a MSG_PEEK read through it).
func coarseDeadlines(c net.Conn) net.Conn {
	cd := &coarseDeadlineConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		return coarseDeadlineSyscallConn{cd, sc}
	}
	return cd
}

// coarseDeadlineSyscallConn is a coarseDeadlineConn over a connection with
// a file descriptor.
type coarseDeadlineSyscallConn struct {
	*coarseDeadlineConn
	sc syscall.Conn
}

func (c coarseDeadlineSyscallConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }

// deadlineFor returns the deadline to arm for one asked for at t, given
// the one armed (unix nanos, 0: none); ok is false when the armed one
// serves t already. A zero t (no deadline) is always armed.
func deadlineFor(armed int64, t time.Time) (at time.Time, ok bool) {
	if t.IsZero() {
		return t, true
	}
	want := t.UnixNano()
	if armed != 0 && armed >= want && armed-want <= int64(deadlineSlack) {
		return time.Time{}, false
	}
	return time.Unix(0, want+int64(deadlineSlack)), true
}

// armedAt is what to remember of a deadline just set (0: none, or unknown
// after a failure).
func armedAt(at time.Time, err error) int64 {
	if err != nil || at.IsZero() {
		return 0
	}
	return at.UnixNano()
}

func (c *coarseDeadlineConn) SetReadDeadline(t time.Time) error {
	at, ok := deadlineFor(c.read.Load(), t)
	if !ok {
		return nil
	}
	err := c.Conn.SetReadDeadline(at)
	c.read.Store(armedAt(at, err))
	return err
}

func (c *coarseDeadlineConn) SetWriteDeadline(t time.Time) error {
	at, ok := deadlineFor(c.write.Load(), t)
	if !ok {
		return nil
	}
	err := c.Conn.SetWriteDeadline(at)
	c.write.Store(armedAt(at, err))
	return err
}

func (c *coarseDeadlineConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}
