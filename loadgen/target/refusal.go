package target

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
)

// refusalPeek bounds the read that looks for a refusal after a write
// failed: the refusal, when there is one, is already in the socket's
// buffer, so the read returns at once; only a failure that is no refusal
// waits this long, once, on a connection that is broken anyway.
const refusalPeek = 10 * time.Millisecond

// dialWatched dials addr, with TLS when cfg is set, and returns the
// connection watched for the server's refusal of it (watchRefusal). A TLS
// handshake that fails is marked result.ErrTLSHandshake: class tls even
// when the server cut it short with a bare EOF, as Redis and Valkey do at
// maxclients over TLS. As with tls.Dialer, the dialer's Timeout bounds the
// dial and the handshake together, and an empty ServerName is the host of
// addr, so that each cluster node is verified under its own name.
func dialWatched(ctx context.Context, d *net.Dialer, cfg *tls.Config, network, addr string) (net.Conn, error) {
	if d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil || cfg == nil {
		if err != nil {
			return nil, err
		}
		return watchRefusal(c), nil
	}
	if cfg.ServerName == "" {
		host, _, serr := net.SplitHostPort(addr)
		if serr != nil {
			host = addr
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%w: %w", result.ErrTLSHandshake, err)
	}
	return watchRefusal(tc), nil
}

// refusalConn is a fresh connection watched for the server's refusal of
// it. A server at its maxclients limit accepts a connection, writes
// "-ERR max number of clients reached" and closes it. go-redis reads that
// as the reply to the CLIENT SETINFO it sends first, whose errors it
// ignores, and the next command's write then fails with a broken pipe: the
// request would be classed conn_reset. So the first bytes the server sends
// are looked at: a refusal marks the connection, and every later failure on
// it wraps result.ErrMaxClients (class max_clients). When a write fails
// before the server has sent anything, what it sent is read back first.
// A refusal read as the reply to a command of the workload is an error
// reply, which result.Classify knows already. The cost is an atomic load
// per read and write, and one look at the first reply.
type refusalConn struct {
	net.Conn
	state atomic.Uint32 // unheard, spoke or refused
}

// The states of a refusalConn.
const (
	unheard uint32 = iota // the server has sent nothing yet
	spoke                 // it sent something else: a failure now is no refusal at accept
	refused               // it sent the client-limit refusal
)

// refusalReply is how Redis and Valkey refuse a connection at maxclients.
const refusalReply = "-ERR max number of clients reached"

// watchRefusal wraps a connection just dialled (and, with TLS, just
// handshaken) so that the server's refusal of it is classed as one. A
// plain TCP connection keeps its syscall.Conn, which go-redis' pool uses to
// check an idle connection before it reuses it; a TLS one has none, as
// before (go-redis does not look under TLS on purpose).
func watchRefusal(c net.Conn) net.Conn {
	r := &refusalConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		return refusalSyscallConn{r, sc}
	}
	return r
}

// refusalSyscallConn is a refusalConn over a connection with a file
// descriptor.
type refusalSyscallConn struct {
	*refusalConn
	sc syscall.Conn
}

func (c refusalSyscallConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }

func (c *refusalConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.state.Load() == unheard {
		c.heard(b[:n])
	}
	if err != nil && c.state.Load() == refused {
		err = fmt.Errorf("%w (%w)", result.ErrMaxClients, err)
	}
	return n, err
}

func (c *refusalConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if err == nil {
		return n, nil
	}
	if c.state.Load() == unheard && brokenPipe(err) {
		c.readBack()
	}
	if c.state.Load() == refused {
		err = fmt.Errorf("%w (%w)", result.ErrMaxClients, err)
	}
	return n, err
}

// heard looks at the first bytes the server sent.
func (c *refusalConn) heard(b []byte) {
	if strings.HasPrefix(string(b), refusalReply) {
		c.state.Store(refused)
	} else {
		c.state.Store(spoke)
	}
}

// readBack reads what the server sent before it closed the connection
// under a write.
func (c *refusalConn) readBack() {
	if c.Conn.SetReadDeadline(time.Now().Add(refusalPeek)) != nil {
		return
	}
	var buf [len(refusalReply) + 2]byte
	if n, _ := c.Conn.Read(buf[:]); n > 0 {
		c.heard(buf[:n])
	}
}

// brokenPipe reports whether a write failed because the server closed the
// connection.
func brokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}
