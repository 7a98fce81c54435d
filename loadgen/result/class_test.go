package result_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
)

// A classCase provokes one error from a real server of engine e.
type classCase struct {
	name    string
	want    result.Class
	provoke func(t *testing.T, e servertest.Engine) error
}

// Every case runs against both engines; each starts its own server(s).
var standaloneCases = []classCase{
	{"miss is not an error", result.ClassNone, func(t *testing.T, e servertest.Engine) error {
		return servertest.Start(t, e).Client().Get(ctx(t), "absent").Err()
	}},
	{"WRONGTYPE", result.ClassWrongType, func(t *testing.T, e servertest.Engine) error {
		c := servertest.Start(t, e).Client()
		must(t, c.LPush(ctx(t), "list", "x").Err())
		return c.Get(ctx(t), "list").Err()
	}},
	{"NOAUTH without a password", result.ClassAuth, func(t *testing.T, e servertest.Engine) error {
		return servertest.Start(t, e, "requirepass", "s3cret").Client().Get(ctx(t), "k").Err()
	}},
	{"WRONGPASS", result.ClassAuth, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e, "requirepass", "s3cret")
		return s.Client(func(o *redis.Options) { o.Password = "wrong" }).Get(ctx(t), "k").Err()
	}},
	{"NOPERM", result.ClassAuth, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		must(t, s.Client().Do(ctx(t), "ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all", "-get").Err())
		c := s.Client(func(o *redis.Options) { o.Username, o.Password = "app", "pw" })
		return c.Get(ctx(t), "k").Err()
	}},
	{"READONLY write to a replica", result.ClassReadonly, func(t *testing.T, e servertest.Engine) error {
		p := servertest.Start(t, e)
		r := servertest.Start(t, e, "replicaof", "127.0.0.1 "+strconv.Itoa(p.Port))
		return r.Client().Set(ctx(t), "k", "v", 0).Err()
	}},
	{"MASTERDOWN stale replica", result.ClassMasterDown, func(t *testing.T, e servertest.Engine) error {
		// Configured at run time: a stale replica answers even PING with
		// MASTERDOWN, which the start-up readiness check would not accept.
		c := servertest.Start(t, e).Client()
		must(t, c.ConfigSet(ctx(t), "replica-serve-stale-data", "no").Err())
		must(t, c.Do(ctx(t), "REPLICAOF", "127.0.0.1", servertest.FreePort(t)).Err()) // nothing listens there
		return c.Get(ctx(t), "k").Err()
	}},
	{"OOM", result.ClassOOM, func(t *testing.T, e servertest.Engine) error {
		c := servertest.Start(t, e, "maxmemory", "1mb", "maxmemory-policy", "noeviction").Client()
		big := strings.Repeat("x", 512<<10)
		for i := range 20 { // the first writes may fit under the limit
			if err := c.Set(ctx(t), "big:"+strconv.Itoa(i), big, 0).Err(); err != nil {
				return err
			}
		}
		t.Fatal("20 writes of 512KiB under maxmemory 1mb all succeeded")
		return nil
	}},
	{"BUSY script", result.ClassBusy, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e, "busy-reply-threshold", "50")
		runner := s.Client(func(o *redis.Options) { o.ReadTimeout = 10 * time.Second })
		done := goErr(func() error { return runner.Eval(ctx(t), "while true do end", nil).Err() })
		c := s.Client()
		err := pollErr(t, func() error { return c.Ping(ctx(t)).Err() })
		must(t, c.Do(ctx(t), "SCRIPT", "KILL").Err())
		<-done
		return err
	}},
	{"LOADING", result.ClassLoading, func(t *testing.T, e servertest.Engine) error {
		// Loading 5000 keys at 100µs each takes 0.5s, with the event loop
		// answering other clients (LOADING) every 1KiB read.
		s := servertest.Start(t, e, "enable-debug-command", "yes",
			"key-load-delay", "100", "loading-process-events-interval-bytes", "1024")
		c := s.Client()
		must(t, c.Do(ctx(t), "DEBUG", "POPULATE", 5000).Err())
		loader := s.Client(func(o *redis.Options) { o.ReadTimeout = 10 * time.Second })
		must(t, loader.Ping(ctx(t)).Err()) // connect before the reload starts
		must(t, c.Ping(ctx(t)).Err())
		done := goErr(func() error { return loader.Do(ctx(t), "DEBUG", "RELOAD").Err() })
		err := pollErr(t, func() error { return c.Get(ctx(t), "key:1").Err() })
		must(t, <-done)
		return err
	}},
	{"timeout during CLIENT PAUSE", result.ClassTimeout, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		c := s.Client(func(o *redis.Options) { o.ReadTimeout = 100 * time.Millisecond })
		must(t, c.Ping(ctx(t)).Err())
		s.Pause(ctx(t), 500*time.Millisecond)
		return c.Get(ctx(t), "k").Err()
	}},
	{"timeout during DEBUG SLEEP", result.ClassTimeout, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e, "enable-debug-command", "yes")
		c := s.Client(func(o *redis.Options) { o.ReadTimeout = 100 * time.Millisecond })
		must(t, c.Ping(ctx(t)).Err())
		sleeper := s.Client(func(o *redis.Options) { o.ReadTimeout = 5 * time.Second })
		must(t, sleeper.Ping(ctx(t)).Err())
		done := goErr(func() error { return sleeper.Do(ctx(t), "DEBUG", "SLEEP", "0.5").Err() })
		time.Sleep(50 * time.Millisecond) // let DEBUG SLEEP reach the server first
		err := c.Get(ctx(t), "k").Err()
		must(t, <-done)
		return err
	}},
	{"timeout from the context deadline", result.ClassTimeout, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		c := s.Client(func(o *redis.Options) { o.ContextTimeoutEnabled = true })
		must(t, c.Ping(ctx(t)).Err())
		s.Pause(ctx(t), 500*time.Millisecond)
		dctx, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
		defer cancel()
		return c.Get(dctx, "k").Err()
	}},
	{"conn_refused", result.ClassConnRefused, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		s.Kill()
		return s.Client(func(o *redis.Options) { o.DialerRetries = 1 }).Get(ctx(t), "k").Err()
	}},
	{"conn_reset by CLIENT KILL mid-request", result.ClassConnReset, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		c := s.Client()
		done := goErr(func() error { return c.BLPop(ctx(t), 5*time.Second, "queue").Err() })
		id := waitBlocked(t, s.Client(), "blpop")
		must(t, s.Client().Do(ctx(t), "CLIENT", "KILL", "ID", id).Err())
		return <-done
	}},
	{"conn_reset by server killed mid-request", result.ClassConnReset, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		c := s.Client()
		done := goErr(func() error { return c.BLPop(ctx(t), 5*time.Second, "queue").Err() })
		waitBlocked(t, s.Client(), "blpop")
		s.Kill()
		return <-done
	}},
	{"pool_timeout", result.ClassPoolTimeout, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		c := s.Client(func(o *redis.Options) { o.PoolSize, o.PoolTimeout = 1, 50*time.Millisecond })
		done := goErr(func() error { return c.BLPop(ctx(t), 5*time.Second, "queue").Err() })
		waitBlocked(t, s.Client(), "blpop")
		err := c.Get(ctx(t), "k").Err()
		must(t, s.Client().LPush(ctx(t), "queue", "x").Err())
		must(t, <-done)
		return err
	}},
	{"canceled before sending", result.ClassCanceled, func(t *testing.T, e servertest.Engine) error {
		c := servertest.Start(t, e).Client()
		must(t, c.Ping(ctx(t)).Err())
		cctx, cancel := context.WithCancel(ctx(t))
		cancel()
		return c.Get(cctx, "k").Err()
	}},
	{"canceled while waiting for a connection", result.ClassCanceled, func(t *testing.T, e servertest.Engine) error {
		s := servertest.Start(t, e)
		c := s.Client(func(o *redis.Options) { o.PoolSize, o.PoolTimeout = 1, 5*time.Second })
		done := goErr(func() error { return c.BLPop(ctx(t), 5*time.Second, "queue").Err() })
		waitBlocked(t, s.Client(), "blpop")
		cctx, cancel := context.WithCancel(ctx(t))
		time.AfterFunc(50*time.Millisecond, cancel)
		err := c.Get(cctx, "k").Err()
		must(t, s.Client().LPush(ctx(t), "queue", "x").Err())
		must(t, <-done)
		return err
	}},
	{"unknown command is other", result.ClassOther, func(t *testing.T, e servertest.Engine) error {
		return servertest.Start(t, e).Client().Do(ctx(t), "NOSUCHCOMMAND").Err()
	}},
}

// clusterCases share one 3-node cluster per engine and run one after the
// other, since some change a slot's migration state.
var clusterCases = []struct {
	name    string
	want    result.Class
	provoke func(t *testing.T, nodes []*servertest.Server) error
}{
	{"MOVED to a plain client", result.ClassMoved, func(t *testing.T, nodes []*servertest.Server) error {
		key := keyOwnedBy(t, nodes, 1, "moved")
		return nodes[0].Client().Get(ctx(t), key).Err()
	}},
	{"ASK during a slot migration", result.ClassAsk, func(t *testing.T, nodes []*servertest.Server) error {
		key := keyOwnedBy(t, nodes, 0, "ask")
		migrating(t, nodes, key)
		return nodes[0].Client().Get(ctx(t), key).Err()
	}},
	{"TRYAGAIN multi-key during a slot migration", result.ClassTryAgain, func(t *testing.T, nodes []*servertest.Server) error {
		tag := keyOwnedBy(t, nodes, 0, "tryagain")
		c := nodes[0].Client()
		must(t, c.Set(ctx(t), "{"+tag+"}present", "v", 0).Err())
		migrating(t, nodes, tag)
		return c.MGet(ctx(t), "{"+tag+"}present", "{"+tag+"}absent").Err()
	}},
	{"CROSSSLOT through the cluster client", result.ClassCrossSlot, func(t *testing.T, nodes []*servertest.Server) error {
		a, b := keyOwnedBy(t, nodes, 0, "x"), keyOwnedBy(t, nodes, 1, "y")
		return servertest.ClusterClient(t, nodes).Do(ctx(t), "SUNION", a, b).Err()
	}},
	{"cluster client follows MOVED", result.ClassNone, func(t *testing.T, nodes []*servertest.Server) error {
		cc := servertest.ClusterClient(t, nodes)
		key := keyOwnedBy(t, nodes, 2, "followed")
		must(t, cc.Set(ctx(t), key, "v", 0).Err())
		return cc.Get(ctx(t), key).Err()
	}},
}

func TestClassifyRealReplies(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			for _, tt := range standaloneCases {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					check(t, tt.want, tt.provoke(t, e))
				})
			}
			t.Run("cluster", func(t *testing.T) {
				t.Parallel()
				nodes := servertest.StartCluster(t, e, 3)
				for _, tt := range clusterCases {
					t.Run(tt.name, func(t *testing.T) { check(t, tt.want, tt.provoke(t, nodes)) })
				}
			})
			t.Run("CLUSTERDOWN slot not served", func(t *testing.T) {
				t.Parallel()
				s := servertest.Start(t, e, "cluster-enabled", "yes", "cluster-config-file", "nodes.conf",
					"cluster-port", strconv.Itoa(servertest.FreePort(t)))
				check(t, result.ClassClusterDown, s.Client().Get(ctx(t), "k").Err())
			})
		})
	}
}

func check(t *testing.T, want result.Class, err error) {
	t.Helper()
	if got := result.Classify(err); got != want {
		t.Fatalf("Classify(%v) [%T] = %q, want %q", err, err, got, want)
	}
	// Callers wrap errors (a target adds its name): the class must survive.
	if err != nil {
		if got := result.Classify(fmt.Errorf("target %q: %w", "t", err)); got != want {
			t.Errorf("Classify(wrapped %v) = %q, want %q", err, got, want)
		}
	}
}

func TestClassifyNil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want result.Class
	}{
		{"nil", nil, result.ClassNone},
		{"redis.Nil", redis.Nil, result.ClassNone},
		{"wrapped redis.Nil", fmt.Errorf("get: %w", redis.Nil), result.ClassNone},
		{"closed client", redis.ErrClosed, result.ClassCanceled},
		{"plain error", errors.New("boom"), result.ClassOther},
	}
	for _, tt := range tests {
		if got := result.Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Closing the client is ecbench shutting down, not the server failing.
func TestClassifyClosedClient(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Valkey)
	c := s.Client()
	done := goErr(func() error { return c.BLPop(ctx(t), 5*time.Second, "queue").Err() })
	waitBlocked(t, s.Client(), "blpop")
	must(t, c.Close())
	check(t, result.ClassCanceled, <-done)                   // in flight: its socket closed locally
	check(t, result.ClassCanceled, c.Get(ctx(t), "k").Err()) // after: redis.ErrClosed
}

func TestClassStrings(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range result.Classes {
		s := c.String()
		if s == "" || seen[s] || !regexp.MustCompile(`^[a-z_]+$`).MatchString(s) {
			t.Errorf("class %d has label %q: empty, duplicate or not snake_case", c, s)
		}
		seen[s] = true
	}
	if result.ClassNone.String() != "" || result.Class(200).String() != "other" {
		t.Error("ClassNone must be empty and out-of-range classes other")
	}
}

// ctx is a per-test context bounding every request of a case.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func goErr(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// pollErr calls f until it fails, for up to 5s, and returns that error.
func pollErr(t *testing.T, f func() error) error {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := f(); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no error within 5s")
	return nil
}

var clientIDRE = regexp.MustCompile(`(?m)^id=(\d+) .*\bcmd=(\S+)`)

// waitBlocked waits until a client of the server is blocked in cmd and
// returns its client ID.
func waitBlocked(t *testing.T, admin *redis.Client, cmd string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		list, err := admin.ClientList(ctx(t)).Result()
		must(t, err)
		for _, m := range clientIDRE.FindAllStringSubmatch(list, -1) {
			if m[2] == cmd {
				return m[1]
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no client blocked in %s within 5s", cmd)
	return ""
}

// keyOwnedBy returns a key, starting with prefix, whose hash slot StartCluster
// gave to nodes[i].
func keyOwnedBy(t *testing.T, nodes []*servertest.Server, i int, prefix string) string {
	t.Helper()
	first, last := servertest.SlotRange(i, len(nodes))
	c := nodes[0].Client()
	for n := 0; n < 1000; n++ {
		key := prefix + strconv.Itoa(n)
		slot, err := c.ClusterKeySlot(ctx(t), key).Result()
		must(t, err)
		if int(slot) >= first && int(slot) <= last {
			return key
		}
	}
	t.Fatalf("no key %s<n> in slots %d-%d", prefix, first, last)
	return ""
}

// migrating marks key's slot on nodes[0] as migrating to nodes[1] until the
// test ends.
func migrating(t *testing.T, nodes []*servertest.Server, key string) {
	t.Helper()
	c := nodes[0].Client()
	slot, err := c.ClusterKeySlot(ctx(t), key).Result()
	must(t, err)
	must(t, c.Do(ctx(t), "CLUSTER", "SETSLOT", slot, "MIGRATING", nodes[1].NodeID(ctx(t))).Err())
	t.Cleanup(func() {
		_ = c.Do(context.Background(), "CLUSTER", "SETSLOT", slot, "STABLE").Err()
	})
}
