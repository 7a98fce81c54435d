package servertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// numSlots is the size of the Redis Cluster hash-slot space.
const numSlots = 16384

// StartCluster starts nodes primaries of engine with cluster mode on, splits
// the 16384 hash slots between them in contiguous ranges (node i owns
// [i*16384/nodes, (i+1)*16384/nodes-1]), joins them with CLUSTER MEET and
// waits until every node reports cluster_state:ok and knows all the others.
// directives are passed to every node. The servers stop when the test ends.
//
// Each node gets its own free cluster-bus port (cluster-port) rather than the
// default port+10000, which falls outside the port range for the high
// ephemeral ports FreePort tends to return.
func StartCluster(t testing.TB, engine Engine, nodes int, directives ...string) []*Server {
	t.Helper()
	if nodes < 1 {
		t.Fatalf("StartCluster: nodes must be >= 1, got %d", nodes)
	}
	servers := make([]*Server, nodes)
	busPorts := make([]int, nodes)
	for i := range servers {
		busPorts[i] = FreePort(t)
		ds := append([]string{
			"cluster-enabled", "yes",
			"cluster-config-file", "nodes.conf",
			"cluster-node-timeout", "5000",
			"cluster-port", strconv.Itoa(busPorts[i]),
		}, directives...)
		servers[i] = Start(t, engine, ds...)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, s := range servers {
		first, last := SlotRange(i, nodes)
		if err := s.Client().Do(ctx, "CLUSTER", "ADDSLOTSRANGE", first, last).Err(); err != nil {
			t.Fatalf("%s CLUSTER ADDSLOTSRANGE %d %d: %v", s.Addr, first, last, err)
		}
	}
	// Bump each node to a distinct config epoch so no epoch collision has to be
	// resolved before the cluster settles.
	for i, s := range servers {
		if err := s.Client().Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			t.Fatalf("%s CLUSTER SET-CONFIG-EPOCH: %v", s.Addr, err)
		}
	}
	seed := servers[0].Client()
	for i, s := range servers[1:] {
		if err := seed.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", s.Port, busPorts[i+1]).Err(); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", s.Addr, err)
		}
	}
	WaitClusterOK(t, servers...)
	return servers
}

// SlotRange returns the first and last hash slot StartCluster gives node i of n.
func SlotRange(i, n int) (first, last int) {
	return i * numSlots / n, (i+1)*numSlots/n - 1
}

// NodeID returns the cluster node ID of s (CLUSTER MYID).
func (s *Server) NodeID(ctx context.Context) string {
	s.t.Helper()
	id, err := s.Client().Do(ctx, "CLUSTER", "MYID").Text()
	if err != nil {
		s.t.Fatalf("%s CLUSTER MYID: %v", s.Addr, err)
	}
	return id
}

// WaitClusterOK waits up to 30s until every server reports cluster_state:ok,
// all hash slots assigned, and knows as many nodes as were given.
func WaitClusterOK(t testing.TB, servers ...*Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]string{
		"cluster_state":          "ok",
		"cluster_slots_assigned": strconv.Itoa(numSlots),
		"cluster_known_nodes":    strconv.Itoa(len(servers)),
	}
	for _, s := range servers {
		c := s.Client()
		var last string
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && clusterInfoHas(info, want) {
				break
			}
			if err != nil {
				last = err.Error()
			} else {
				last = info
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s cluster not ok within 30s; last CLUSTER INFO: %s", s.Addr, last)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func clusterInfoHas(info string, want map[string]string) bool {
	got := make(map[string]string, len(want))
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok {
			got[k] = v
		}
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// ClusterClient returns a go-redis cluster client seeded with the first
// server's address, with plain retries off, closed when the test ends.
func ClusterClient(t testing.TB, servers []*Server, opts ...func(*redis.ClusterOptions)) *redis.ClusterClient {
	t.Helper()
	o := &redis.ClusterOptions{Addrs: []string{servers[0].Addr}, MaxRetries: -1}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClusterClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}
