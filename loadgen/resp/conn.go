package resp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// Conn is one connection that speaks RESP2 to a server, handshake done:
// the socket, its reply reader and the timeouts of the go-redis client it
// stands in for. It is used by one goroutine at a time; Close and the
// deadline setters may be called from another (to cut a read short).
type Conn struct {
	net.Conn
	R *bufio.Reader
	// ReadTimeout and WriteTimeout are as in go-redis' normalized Options:
	// < 0 leaves the socket's deadline alone, 0 means none, > 0 is how long
	// after the request starts the read or the write times out.
	ReadTimeout, WriteTimeout time.Duration
}

// DefaultReadBuffer is the reply reader's size when NewConn is given none:
// go-redis' default ReadBufferSize, so that both paths read a large reply
// in the same number of syscalls.
const DefaultReadBuffer = 32 << 10

// NewConn returns nc with a reply reader of readBuffer bytes (< 1:
// DefaultReadBuffer) and the given timeouts.
func NewConn(nc net.Conn, readBuffer int, readTimeout, writeTimeout time.Duration) *Conn {
	if readBuffer < 1 {
		readBuffer = DefaultReadBuffer
	}
	return &Conn{Conn: nc, R: bufio.NewReaderSize(nc, readBuffer), ReadTimeout: readTimeout, WriteTimeout: writeTimeout}
}

// A Dialer opens connections that have done the handshake their target
// needs (AUTH, SELECT, ...), for the runner's raw path.
type Dialer interface {
	Dial(ctx context.Context) (*Conn, error)
}

// ArmDeadlines sets the write and read deadlines of a request that starts
// at now, as go-redis sets them around a command or a pipeline: now plus
// the timeout, or ctx's deadline when that comes first (go-redis'
// ContextTimeoutEnabled, which package target sets), nothing for a
// timeout < 0. Under a target's coarse deadlines (package target) a
// deadline that has moved by less than a millisecond since it was last
// armed costs an atomic load, no syscall and no timer.
func (c *Conn) ArmDeadlines(ctx context.Context, now time.Time) error {
	if c.WriteTimeout < 0 && c.ReadTimeout < 0 {
		return nil
	}
	limit, limited := ctx.Deadline() // once: a walk up the context's parents
	if c.WriteTimeout >= 0 {
		if err := c.SetWriteDeadline(deadline(limit, limited, now, c.WriteTimeout)); err != nil {
			return err
		}
	}
	if c.ReadTimeout >= 0 {
		return c.SetReadDeadline(deadline(limit, limited, now, c.ReadTimeout))
	}
	return nil
}

// deadline is go-redis' pool.Conn.deadline: now + timeout, bounded by the
// context's deadline (limit, if limited); the zero time (none) for a
// timeout of 0 without one.
func deadline(limit time.Time, limited bool, now time.Time, timeout time.Duration) time.Time {
	var at time.Time
	if timeout > 0 {
		at = now.Add(timeout)
	}
	if limited && (timeout == 0 || limit.Before(at)) {
		return limit
	}
	return at
}

// ReadReply reads the next reply (see the package function).
func (c *Conn) ReadReply(rep *Reply) error { return ReadReply(c.R, rep) }

// PoolLimits are the pool settings of the go-redis client a Dialer's
// connections stand in for (its normalized Options), for the open loop's
// raw path, so that both paths hold as many connections, wait as long for
// a free one, and replace them as often.
type PoolLimits struct {
	Size           int           // connections at most (PoolSize)
	Timeout        time.Duration // how long a request waits for a free one (PoolTimeout)
	MaxLifetime    time.Duration // 0: none (ConnMaxLifetime)
	LifetimeJitter time.Duration // ± on MaxLifetime (ConnMaxLifetimeJitter)
	MaxIdle        time.Duration // 0: none (ConnMaxIdleTime)
}

// ErrUnexpectedRead is CheckIdle's error for an idle connection with bytes
// to read: a reply nobody asked for, so its place in the stream is lost.
var ErrUnexpectedRead = errors.New("resp: unexpected bytes on an idle connection")

// CheckIdle is go-redis' health check of an idle connection (its
// connCheck): a peek at the socket that finds it open with nothing to
// read, or the peer's close (io.EOF), or bytes nobody asked for
// (ErrUnexpectedRead). A connection without a file descriptor (TLS, a
// failed dial) passes, as in go-redis, which does not look under TLS. It
// clears the read deadline: the last request's may have passed while the
// connection was idle, and a peek under it fails without looking.
func (c *Conn) CheckIdle() error {
	if c.R.Buffered() > 0 {
		return ErrUnexpectedRead
	}
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	var peekErr error
	if err := raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n == 0 && err == nil:
			peekErr = io.EOF
		case n > 0:
			peekErr = ErrUnexpectedRead
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
		default:
			peekErr = err
		}
		return true
	}); err != nil {
		return err
	}
	return peekErr
}
