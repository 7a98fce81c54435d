package target

import (
	"context"
	"crypto/tls"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
)

// TestMaxClients fills a real server's client limit (maxclients 1) and
// sends a command on a further connection: the refusal is class
// max_clients, whether go-redis reads it as the reply to its HELLO or its
// CLIENT SETINFO, or as the command's reply, or the command's write meets
// the connection the server closed after it. Over TLS the servers drop the
// connection before the handshake ends without a word: a failed handshake,
// class tls. A connection broken otherwise is neither.
func TestMaxClients(t *testing.T) {
	t.Parallel()
	files := servertest.NewTLSFiles(t)
	tests := []struct {
		name string
		tls  bool
		opts func(*redis.Options)
		want result.Class
	}{
		{"RESP2: refused under CLIENT SETINFO", false, func(*redis.Options) {}, result.ClassMaxClients},
		{"RESP3: refused as HELLO's reply", false, func(o *redis.Options) { o.Protocol = 3 }, result.ClassMaxClients},
		{"no SETINFO: the command's write or reply", false, func(o *redis.Options) { o.DisableIdentity = true }, result.ClassMaxClients},
		{"TLS: the handshake cut short", true, func(*redis.Options) {}, result.ClassTLS},
	}
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.StartTLS(t, e, files, "maxclients", "1")
			hold := s.Client() // the one client allowed
			if err := hold.Ping(refusalCtx(t)).Err(); err != nil {
				t.Fatal(err)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					o := &redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second, Dialer: refusalDialer(nil)}
					if tt.tls {
						cfg := files.ClientConfig(t)
						o.Addr, o.Dialer = s.TLSAddr, refusalDialer(cfg)
					}
					tt.opts(o)
					c := redis.NewClient(o)
					defer c.Close()
					for i := range 5 { // a fresh dial each time: the refused connection is discarded
						err := c.Get(refusalCtx(t), "k").Err()
						if got := result.Classify(err); got != tt.want {
							t.Fatalf("attempt %d: %v [%T] is class %v, want %v", i, err, err, got, tt.want)
						}
					}
				})
			}
		})
	}
	t.Run("a connection killed after it was answered", func(t *testing.T) {
		t.Parallel()
		s := servertest.Start(t, servertest.Valkey)
		c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, PoolSize: 1, Dialer: refusalDialer(nil)})
		defer c.Close()
		ctx := refusalCtx(t)
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.Client().Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		// The pool's check may find the killed connection first and dial
		// anew; either way nothing is max_clients.
		if c := result.Classify(c.Get(ctx, "k").Err()); c == result.ClassMaxClients || c == result.ClassTLS {
			t.Errorf("a killed connection is class %v", c)
		}
	})
}

// refusalDialer dials as the target's dialer does (dialWatched), plain or
// TLS.
func refusalDialer(cfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialWatched(ctx, &net.Dialer{Timeout: time.Second}, cfg, network, addr)
	}
}

// TestWatchRefusalKeepsSyscallConn: go-redis' pool checks an idle TCP
// connection through its syscall.Conn; the wrapper must not hide it (and
// must not invent one for TLS, which go-redis leaves alone on purpose).
func TestWatchRefusalKeepsSyscallConn(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := watchRefusal(c).(syscall.Conn); !ok {
		t.Error("a watched TCP connection lost its syscall.Conn")
	}
	if _, ok := watchRefusal(tls.Client(c, &tls.Config{InsecureSkipVerify: true})).(syscall.Conn); ok {
		t.Error("a watched TLS connection has a syscall.Conn")
	}
}

// refusalCtx bounds a test's requests.
func refusalCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
