package target_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/redis/go-redis/v9"
)

func TestCluster(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			nodes := servertest.StartCluster(t, e, 3)
			// One seed only: the client must discover the other two nodes.
			tg := newTarget(t, target.Options{Name: "c", Mode: target.Cluster, Addrs: []string{nodes[1].Addr}, DeclaredEngine: e})
			if _, ok := tg.Client().(*redis.ClusterClient); !ok {
				t.Fatalf("Client() is %T, want *redis.ClusterClient", tg.Client())
			}
			ctx := testCtx(t, 20*time.Second)

			in, err := tg.Detect(ctx)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			want := target.Info{Engine: e, Version: binaryVersion(t, e), Mode: "cluster", Role: "primary"}
			if in != want {
				t.Errorf("Detect = %+v, want %+v", in, want)
			}
			// The poller reads every node, not only the seed, in address order.
			polls, err := tg.PollInfo(ctx)
			if err != nil || len(polls) != len(nodes) {
				t.Fatalf("PollInfo: %d polls, %v; want %d", len(polls), err, len(nodes))
			}
			addrs := map[string]bool{}
			for i, p := range polls {
				if !p.Primary() || p.Sections["server"]["run_id"] == "" || i > 0 && polls[i-1].Node >= p.Node {
					t.Errorf("poll %d of node %s: primary %v, run_id %q, err %v (in address order)", i, p.Node, p.Primary(), p.Sections["server"]["run_id"], p.Err)
				}
				addrs[p.Node] = true
			}
			for _, s := range nodes {
				if !addrs[s.Addr] {
					t.Errorf("node %s not polled (polled %v)", s.Addr, addrs)
				}
			}

			// 300 keys land on all three nodes' slots; every one not owned by
			// the seed is sent after a MOVED or from the learnt slot map.
			const n = 300
			c := tg.Client()
			for i := range n {
				if err := c.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
					t.Fatalf("SET key:%d: %v", i, err)
				}
			}
			for i := range n {
				got, err := c.Get(ctx, fmt.Sprintf("key:%d", i)).Int()
				if err != nil || got != i {
					t.Fatalf("GET key:%d = %d, %v; want %d", i, got, err, i)
				}
			}
			// Each node holds some of the keys: the data really is spread.
			for _, s := range nodes {
				size, err := s.Client().DBSize(ctx).Result()
				if err != nil {
					t.Fatal(err)
				}
				if size == 0 {
					t.Errorf("node %s holds no keys", s.Addr)
				}
			}
			if err := tg.Client().Ping(ctx).Err(); err != nil {
				t.Errorf("PING: %v", err)
			}
			// Monitor follows the cluster through a node failure, and caches
			// the pool statistics after each check so that reading them
			// never reloads the topology.
			ch := monitored(t, tg)
			expect(t, ch, target.EventUp)
			for deadline := time.Now().Add(5 * time.Second); tg.PoolStats().TotalConns < 3; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("PoolStats().TotalConns = %d, want >= 3 (one per node)", tg.PoolStats().TotalConns)
				}
			}
			nodes[2].Kill()
			expectDown(t, ch)
			nodes[2].Restart()
			servertest.WaitClusterOK(t, nodes...)
			up := expectUp(t, ch)
			if up.Info != want {
				t.Errorf("after recovery: %+v, want %+v", up.Info, want)
			}
		})
	}
}
