package target_test

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

// rawGet dials with d, sends GET key and reads its reply, as the
// runner's raw path does for one request; the error is the dial's, the
// socket's or the server's error reply.
func rawGet(ctx context.Context, d resp.Dialer, key string) (*resp.Conn, resp.Reply, error) {
	c, err := d.Dial(ctx)
	if err != nil {
		return nil, resp.Reply{}, err
	}
	rep, err := rawDo(ctx, c, "get", key)
	return c, rep, err
}

// rawDo sends one command of words on c and reads its reply; an error
// reply is returned as the error.
func rawDo(ctx context.Context, c *resp.Conn, words ...string) (resp.Reply, error) {
	buf := resp.AppendArray(nil, len(words))
	for _, w := range words {
		buf = resp.AppendString(buf, w)
	}
	var rep resp.Reply
	if err := c.ArmDeadlines(ctx, time.Now()); err != nil {
		return rep, err
	}
	if _, err := c.Write(buf); err != nil {
		return rep, err
	}
	if err := c.ReadReply(&rep); err != nil {
		return rep, err
	}
	return rep, rep.Err
}

// TestRawDialerNil checks which targets the raw path does not serve.
func TestRawDialerNil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    target.Options
		raw  bool
	}{
		{"standalone", target.Options{Addrs: []string{"127.0.0.1:1"}}, true},
		{"standalone RESP2 said", target.Options{Addrs: []string{"127.0.0.1:1"}, Protocol: 2}, true},
		{"standalone over TLS", target.Options{Addrs: []string{"127.0.0.1:1"}, TLS: target.TLS{Enabled: true, InsecureSkipVerify: true}}, true},
		{"RESP3", target.Options{Addrs: []string{"127.0.0.1:1"}, Protocol: 3}, false},
		{"cluster", target.Options{Addrs: []string{"127.0.0.1:1"}, Mode: target.Cluster}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newTarget(t, tc.o).RawDialer()
			if got := d != nil; got != tc.raw {
				t.Errorf("RawDialer() = %v, want a dialer: %v", d, tc.raw)
			}
		})
	}
}

// TestRawHandshake checks that a raw connection is set up as the target's
// go-redis connections are: same user, database, protocol and library
// identity in the server's CLIENT INFO, and the target's timeouts; and
// that bad credentials fail as they fail on go-redis, class auth, with no
// password in any error or description.
func TestRawHandshake(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e, "requirepass", rightPassword)
			admin := s.Client(func(o *redis.Options) { o.Password = rightPassword })
			ctx := testCtx(t, 10*time.Second)
			if err := admin.Do(ctx, "ACL", "SETUSER", "app", "on", ">"+rightPassword, "~*", "+@all").Err(); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name      string
				user, pwd string
				db        int
				wantErr   bool
			}{
				{"requirepass", "", rightPassword, 0, false},
				{"ACL user, database 3", "app", rightPassword, 3, false},
				{"wrong password", "", wrongPassword, 0, true},
				{"wrong password of a user", "app", wrongPassword, 2, true},
				{"no password", "", "", 0, true},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tg := newTarget(t, target.Options{Name: "raw", Addrs: []string{s.Addr}, Username: tc.user, Password: tc.pwd, DB: tc.db,
						ReadTimeout: 1500 * time.Millisecond, WriteTimeout: 700 * time.Millisecond})
					d := tg.RawDialer()
					noSecret(t, "RawDialer", fmt.Sprintf("%v %+v %#v %s", d, d, d, d))
					ctx := testCtx(t, 5*time.Second)
					goErr := tg.Client().Get(ctx, "k").Err()
					c, rep, rawErr := rawGet(ctx, d, "k")
					if tc.wantErr {
						if rawErr == nil {
							t.Fatal("raw GET succeeded with bad credentials")
						}
						if g, w := result.Classify(rawErr), result.Classify(goErr); g != w || g != result.ClassAuth {
							t.Errorf("raw error %v is class %v; go-redis %v is %v; want both auth", rawErr, g, goErr, w)
						}
						noSecret(t, "raw error", fmt.Sprintf("%v %+v %#v", rawErr, rawErr, rawErr))
						return
					}
					if rawErr != nil || rep.Kind != resp.KindNil || goErr != redis.Nil {
						t.Fatalf("GET of a missing key: raw %v, go-redis %v", rawErr, goErr)
					}
					defer c.Close()
					if c.ReadTimeout != 1500*time.Millisecond || c.WriteTimeout != 700*time.Millisecond {
						t.Errorf("raw connection timeouts read %v write %v, want the target's", c.ReadTimeout, c.WriteTimeout)
					}
					rawInfo := rawClientInfo(t, ctx, c)
					goInfo, err := tg.Client().ClientInfo(ctx).Result()
					if err != nil {
						t.Fatal(err)
					}
					want := fmt.Sprintf("db=%d user=%s resp=%d lib-name=%s lib-ver=%s", goInfo.DB, goInfo.User, goInfo.Resp, goInfo.LibName, goInfo.LibVer)
					if rawInfo != want {
						t.Errorf("raw connection's CLIENT INFO %q, go-redis connection's %q", rawInfo, want)
					}
					if goInfo.DB != tc.db {
						t.Errorf("go-redis connection %+v: want database %d", goInfo, tc.db)
					}
				})
			}
		})
	}
}

// rawClientInfo reads CLIENT INFO on c and returns the fields the
// handshake sets. The raw reader discards a bulk string's value, so the
// reply is read off the connection's buffer by hand.
func rawClientInfo(t *testing.T, ctx context.Context, c *resp.Conn) string {
	t.Helper()
	if err := c.ArmDeadlines(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(resp.AppendString(resp.AppendString(resp.AppendArray(nil, 2), "client"), "info")); err != nil {
		t.Fatal(err)
	}
	head, err := c.R.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		t.Fatalf("CLIENT INFO: %q, %v", head, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(c.R, body); err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, kv := range strings.Fields(string(body)) {
		k, v, _ := strings.Cut(kv, "=")
		fields[k] = v
	}
	return fmt.Sprintf("db=%s user=%s resp=%s lib-name=%s lib-ver=%s", fields["db"], fields["user"], fields["resp"], fields["lib-name"], fields["lib-ver"])
}

// TestRawDialerFailures checks that the raw path's dials fail as the
// go-redis client's do, since they share the target's dialer: refused
// while the server is down, then refused by the back-off without a dial,
// a timeout on a frozen server, and class max_clients at the server's
// client limit.
func TestRawDialerFailures(t *testing.T) {
	t.Parallel()
	t.Run("down, back-off, back", func(t *testing.T) {
		t.Parallel()
		s := servertest.Start(t, servertest.Valkey)
		tg := newTarget(t, target.Options{Name: "down", Addrs: []string{s.Addr}})
		d := tg.RawDialer()
		s.Kill()
		ctx := testCtx(t, 10*time.Second)
		if _, err := d.Dial(ctx); result.Classify(err) != result.ClassConnRefused {
			t.Fatalf("dial of a killed server: %v, class %v; want conn_refused", err, result.Classify(err))
		}
		// At once again: within the redial interval, refused without a dial.
		failed, _ := target.DialCounts(tg)
		_, rawErr := d.Dial(ctx)
		goErr := tg.Client().Get(ctx, "k").Err()
		if after, backedOff := target.DialCounts(tg); after != failed || backedOff < 1 {
			t.Skipf("the redial interval (%v) passed between two dials on a slow host", target.RedialInterval)
		}
		if g, w := result.Classify(rawErr), result.Classify(goErr); g != result.ClassBackoff || w != result.ClassBackoff {
			t.Errorf("second dial: raw %v (%v), go-redis %v (%v); want both backoff", rawErr, g, goErr, w)
		}
		s.Restart()
		for {
			c, rep, err := rawGet(ctx, d, "k")
			if err == nil && rep.Kind == resp.KindNil {
				_ = c.Close()
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("no answer after the restart: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("frozen", func(t *testing.T) {
		t.Parallel()
		s := servertest.Start(t, servertest.Redis)
		tg := newTarget(t, target.Options{Name: "frozen", Addrs: []string{s.Addr}, ReadTimeout: 200 * time.Millisecond})
		ctx := testCtx(t, 10*time.Second)
		c, err := tg.RawDialer().Dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s.Freeze()
		defer s.Thaw()
		if _, err := rawDo(ctx, c, "get", "k"); result.Classify(err) != result.ClassTimeout {
			t.Errorf("GET on a frozen server: %v, class %v; want timeout", err, result.Classify(err))
		}
		if _, err := tg.RawDialer().Dial(ctx); result.Classify(err) != result.ClassTimeout {
			t.Errorf("handshake with a frozen server: %v, class %v; want timeout", err, result.Classify(err))
		}
		// A handshake is cut short when its context is cancelled, well
		// before a read timeout of a minute.
		slow := newTarget(t, target.Options{Name: "frozen", Addrs: []string{s.Addr}, ReadTimeout: time.Minute})
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		if _, err := slow.RawDialer().Dial(cctx); ctx.Err() != nil || err == nil {
			t.Errorf("handshake cancelled after 100ms: %v (test context %v)", err, ctx.Err())
		}
	})
	t.Run("maxclients", func(t *testing.T) {
		t.Parallel()
		for _, e := range servertest.Engines {
			s := servertest.Start(t, e, "maxclients", "1")
			hold := s.Client()
			ctx := testCtx(t, 10*time.Second)
			if err := hold.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			tg := newTarget(t, target.Options{Name: "full", Addrs: []string{s.Addr}})
			for i := range 3 {
				_, _, rawErr := rawGet(ctx, tg.RawDialer(), "k")
				goErr := tg.Client().Get(ctx, "k").Err()
				if g, w := result.Classify(rawErr), result.Classify(goErr); g != result.ClassMaxClients || w != g {
					t.Errorf("%s attempt %d: raw %v (%v), go-redis %v (%v); want both max_clients", e, i, rawErr, g, goErr, w)
				}
			}
		}
	})
}

// TestRawDialerTLS dials a TLS port through the target's TLS config.
func TestRawDialerTLS(t *testing.T) {
	t.Parallel()
	files := servertest.NewTLSFiles(t, "cache.ecbench.test")
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.StartTLS(t, e, files)
			ctx := testCtx(t, 10*time.Second)
			good := newTarget(t, target.Options{Name: "tls", Addrs: []string{s.TLSAddr}, TLS: target.TLS{Enabled: true, CAFile: files.CAFile}})
			c, rep, err := rawGet(ctx, good.RawDialer(), "k")
			if err != nil || rep.Kind != resp.KindNil {
				t.Fatalf("GET over TLS: %+v, %v", rep, err)
			}
			_ = c.Close()
			bad := newTarget(t, target.Options{Name: "tls", Addrs: []string{s.TLSAddr}, TLS: target.TLS{Enabled: true, CAFile: files.CAFile, ServerName: "other.ecbench.test"}})
			if _, err := bad.RawDialer().Dial(ctx); result.Classify(err) != result.ClassTLS {
				t.Errorf("wrong server name: %v, class %v; want tls", err, result.Classify(err))
			}
		})
	}
}
