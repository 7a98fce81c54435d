package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/resp"
)

// RawDialer returns the dialer of the runner's raw path (package resp) for
// this target, or nil when that path cannot serve it in go-redis' place:
//
//   - a cluster target: its requests follow MOVED and ASK and its
//     connections are per node, which only go-redis' cluster client does;
//   - a RESP3 target (Options.Protocol 3): its replies have types (maps,
//     doubles, pushes) that package resp does not read;
//   - a client with options the raw handshake does not do (credentials
//     providers, an OnConnect hook, a limiter): package target sets none,
//     and this keeps it honest if that changes.
//
// Its connections are dialled by the target's own dialer, the one its
// go-redis client uses (dialer.go: the same back-off, coarse deadlines,
// TLS and maxclients watch), so that a refused, backed-off, timed-out or
// refused-at-maxclients request has the error and class it has on the
// go-redis path. Each then does the handshake go-redis does for the
// target's options (baseClient.initConn), and has its read and write
// timeouts.
func (t *Target) RawDialer() resp.Dialer {
	c, ok := t.client.(*redis.Client)
	if !ok {
		return nil
	}
	o := c.Options() // normalized by go-redis: its defaults filled in
	if o.Protocol != 2 || o.CredentialsProvider != nil || o.CredentialsProviderContext != nil ||
		o.StreamingCredentialsProvider != nil || o.OnConnect != nil || o.Limiter != nil {
		return nil
	}
	return &rawDialer{
		dial:         t.dialer.dial,
		name:         t.opts.Name,
		network:      o.Network,
		addr:         o.Addr,
		username:     o.Username,
		password:     o.Password,
		db:           o.DB,
		clientName:   o.ClientName,
		identity:     !o.DisableIdentity && !o.DisableIndentity, //nolint:staticcheck // go-redis still honours the misspelt field
		libName:      o.IdentitySuffix,
		readBuffer:   o.ReadBufferSize,
		readTimeout:  o.ReadTimeout,
		writeTimeout: o.WriteTimeout,
	}
}

// rawDialer dials a standalone target for the raw path. It holds the
// target's password, as its go-redis client does, and never prints it.
type rawDialer struct {
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	name          string
	network, addr string
	username      string
	password      string
	db            int
	clientName    string
	identity      bool   // CLIENT SETINFO, as go-redis sends it
	libName       string // go-redis' IdentitySuffix
	readBuffer    int
	readTimeout   time.Duration
	writeTimeout  time.Duration
}

var _ resp.Dialer = (*rawDialer)(nil)

// String describes the dialer without its password.
func (d *rawDialer) String() string {
	return fmt.Sprintf("raw dialer of %s (%s %s)", d.name, d.network, d.addr)
}

// GoString keeps %#v from printing the password too.
func (d *rawDialer) GoString() string { return d.String() }

// Dial connects and does the handshake. Its errors are those go-redis
// gives a command on a connection that failed the same way (its
// initPooledConn unwraps the handshake's error once); none holds the
// password.
func (d *rawDialer) Dial(ctx context.Context) (*resp.Conn, error) {
	nc, err := d.dial(ctx, d.network, d.addr) // never fails: a failed dial fails its first write
	if err != nil {
		return nil, err
	}
	c := resp.NewConn(nc, d.readBuffer, d.readTimeout, d.writeTimeout)
	// A cancelled ctx (the runner's requests, after its drain) cuts the
	// handshake short, as it cuts a request.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := d.handshake(ctx, c); err != nil {
		_ = nc.Close()
		if u := errors.Unwrap(err); u != nil {
			err = u
		}
		return nil, err
	}
	return c, nil
}

// handshake is go-redis' initConn for the options a target sets, in the
// same round trips:
//
//  1. HELLO 2 [AUTH user password] [SETNAME name]; on an error reply (a
//     server without HELLO, or one refusing the connection), AUTH
//     [user] password when there is a password;
//  2. SELECT db and CLIENT SETNAME name, pipelined, when set;
//  3. CLIENT SETINFO LIB-NAME and LIB-VER, pipelined, whose error replies
//     (servers before 7.2) are ignored.
func (d *rawDialer) handshake(ctx context.Context, c *resp.Conn) error {
	var buf []byte
	buf = resp.AppendArray(buf, helloWords(d.password, d.clientName))
	buf = resp.AppendString(buf, "hello")
	buf = resp.AppendInt(buf, 2)
	if d.password != "" {
		user := d.username
		if user == "" {
			user = "default"
		}
		buf = resp.AppendString(buf, "auth")
		buf = resp.AppendString(buf, user)
		buf = resp.AppendString(buf, d.password)
	}
	if d.clientName != "" {
		buf = resp.AppendString(buf, "setname")
		buf = resp.AppendString(buf, d.clientName)
	}
	replies, err := exchange(ctx, c, buf, 1)
	if err != nil {
		return err
	}
	if hello := replies[0]; hello.Kind == resp.KindError && d.password != "" {
		buf = buf[:0]
		if d.username != "" {
			buf = resp.AppendArray(buf, 3)
			buf = resp.AppendString(buf, "auth")
			buf = resp.AppendString(buf, d.username)
		} else {
			buf = resp.AppendArray(buf, 2)
			buf = resp.AppendString(buf, "auth")
		}
		buf = resp.AppendString(buf, d.password)
		if err := firstError(exchange(ctx, c, buf, 1)); err != nil {
			return fmt.Errorf("failed to authenticate: %w", err)
		}
	}

	buf, n := buf[:0], 0
	if d.db > 0 {
		buf = resp.AppendArray(buf, 2)
		buf = resp.AppendString(buf, "select")
		buf = resp.AppendInt(buf, int64(d.db))
		n++
	}
	if d.clientName != "" {
		buf = resp.AppendArray(buf, 3)
		buf = resp.AppendString(buf, "client")
		buf = resp.AppendString(buf, "setname")
		buf = resp.AppendString(buf, d.clientName)
		n++
	}
	if n > 0 {
		if err := firstError(exchange(ctx, c, buf, n)); err != nil {
			return fmt.Errorf("failed to initialize connection options: %w", err)
		}
	}

	if d.identity {
		buf = resp.AppendArray(buf[:0], 4)
		buf = resp.AppendString(buf, "client")
		buf = resp.AppendString(buf, "setinfo")
		buf = resp.AppendString(buf, "LIB-NAME")
		buf = resp.AppendString(buf, "go-redis("+d.libName+","+strings.ReplaceAll(runtime.Version(), " ", "-")+")")
		buf = resp.AppendArray(buf, 4)
		buf = resp.AppendString(buf, "client")
		buf = resp.AppendString(buf, "setinfo")
		buf = resp.AppendString(buf, "LIB-VER")
		buf = resp.AppendString(buf, redis.Version())
		if _, err := exchange(ctx, c, buf, 2); err != nil {
			return err // only a transport error: error replies are ignored
		}
	}
	return nil
}

// helloWords is how many words HELLO has.
func helloWords(password, clientName string) int {
	n := 2
	if password != "" {
		n += 3
	}
	if clientName != "" {
		n += 2
	}
	return n
}

// exchange writes cmds and reads n replies, with the connection's
// timeouts. Its error is a transport or protocol error; error replies are
// replies.
func exchange(ctx context.Context, c *resp.Conn, cmds []byte, n int) ([]resp.Reply, error) {
	if err := c.ArmDeadlines(ctx, time.Now()); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the deadlines just armed may have replaced the AfterFunc's
	}
	if _, err := c.Write(cmds); err != nil {
		return nil, err
	}
	replies := make([]resp.Reply, n)
	for i := range replies {
		if err := c.ReadReply(&replies[i]); err != nil {
			return nil, err
		}
	}
	return replies, nil
}

// firstError is the first error of an exchange, a transport error or an
// error reply, as go-redis' Pipelined returns it.
func firstError(replies []resp.Reply, err error) error {
	if err != nil {
		return err
	}
	for _, r := range replies {
		if r.Kind == resp.KindError {
			return r.Err
		}
	}
	return nil
}

// RawPoolLimits are the pool settings of the target's go-redis client
// (normalized: its defaults filled in), for the open loop's raw path; the
// zero PoolLimits when RawDialer is nil.
func (t *Target) RawPoolLimits() resp.PoolLimits {
	c, ok := t.client.(*redis.Client)
	if !ok || t.RawDialer() == nil {
		return resp.PoolLimits{}
	}
	o := c.Options()
	return resp.PoolLimits{
		Size:           o.PoolSize,
		Timeout:        o.PoolTimeout,
		MaxLifetime:    o.ConnMaxLifetime,
		LifetimeJitter: o.ConnMaxLifetimeJitter,
		MaxIdle:        o.ConnMaxIdleTime,
	}
}
