package cloudwatch

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/metrictest"
)

// TestFailover follows a node replacement: DescribeReplicationGroups is
// called once per discovery interval, and when it answers different
// members the old node's series go and the new node's appear.
func TestFailover(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	fake.SetReplicationGroup(group("rg", "redis", Node{"rg-001", "0001"}, Node{"rg-002", "0001"}, Node{"rg-003", "0001"}))
	fake.SetMetricData(steady)
	e := newEnv(t, fake, Options{
		Sources:    []Source{{Target: "t", ReplicationGroup: "rg"}},
		Metrics:    []string{"IsMaster", "ReplicationLag"},
		Statistics: []string{"Maximum"},
	})
	ctx := t.Context()
	e.p.step(ctx)
	if got := clusters(t, e); !slices.Equal(got, []string{"rg-001", "rg-002", "rg-003"}) {
		t.Fatalf("clusters %v", got)
	}
	// rg-002 fails and is replaced by rg-004, which becomes the primary.
	fake.SetReplicationGroup(group("rg", "redis", Node{"rg-004", "0001"}, Node{"rg-001", "0001"}, Node{"rg-003", "0001"}))
	e.clock.Add(time.Minute)
	e.p.step(ctx) // within the discovery interval: no Describe call
	if n := len(fake.ElastiCacheCalls("")); n != 1 {
		t.Errorf("%d Describe calls within the discovery interval, want 1", n)
	}
	e.clock.Add(DefaultDiscoveryInterval)
	e.p.step(ctx)
	if n := len(fake.ElastiCacheCalls("")); n != 2 {
		t.Errorf("%d Describe calls, want 2", n)
	}
	if got := clusters(t, e); !slices.Equal(got, []string{"rg-001", "rg-003", "rg-004"}) {
		t.Errorf("clusters after the replacement %v, want rg-001 rg-003 rg-004", got)
	}
	calls := fake.MetricDataCalls()
	for _, q := range calls[len(calls)-1].Queries {
		if q.Dim("CacheClusterId") == "rg-002" {
			t.Errorf("the round after the replacement still asks for rg-002")
		}
	}
	if !e.log.has("cloudwatch: node list changed") {
		t.Error("no log of the node list change")
	}
}

// clusters returns the distinct cluster labels exported.
func clusters(t *testing.T, e *env) []string {
	var cs []string
	for k := range metrictest.Values(t, e.reg, "ecbench_cloudwatch_value") {
		cs = append(cs, metrictest.ParseKey(k)["cluster"])
	}
	slices.Sort(cs)
	return slices.Compact(cs)
}

// TestDiscoveryFailure keeps polling the last known nodes while discovery
// fails, counts the failure by reason, holds back the target's last success
// and retries discovery every round until it succeeds.
func TestDiscoveryFailure(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	fake.SetReplicationGroup(group("rg", "", Node{"rg-001", "0001"}, Node{"rg-002", "0001"}))
	fake.SetMetricData(steady)
	e := newEnv(t, fake, Options{
		Sources: []Source{
			{Target: "rg", ReplicationGroup: "rg"},
			{Target: "fixed", Nodes: []Node{{"f-001", "0001"}}},
		},
		Metrics: []string{"CurrConnections"},
	})
	ctx := t.Context()
	e.p.step(ctx)
	fake.FailElastiCache(func(string) *awsfake.Error { return &awsfake.Error{Status: 400, Code: "Throttling"} })
	e.clock.Add(DefaultDiscoveryInterval)
	e.p.step(ctx)
	fake.RemoveReplicationGroup("rg")
	fake.FailElastiCache(nil)
	e.clock.Add(time.Minute)
	e.p.step(ctx)

	if n := len(fake.ElastiCacheCalls("")); n != 3 {
		t.Errorf("%d Describe calls, want 3 (a failed discovery is retried next round)", n)
	}
	for reason, want := range map[string]float64{reasonThrottled: 1, reasonNotFound: 1, reasonOther: 0} {
		if got := testutil.ToFloat64(e.p.errors.WithLabelValues(apiDescribeReplicationGroups, reason)); got != want {
			t.Errorf("errors_total{DescribeReplicationGroups,%s} = %v, want %v", reason, got, want)
		}
	}
	if got := clusters(t, e); !slices.Equal(got, []string{"f-001", "rg-001", "rg-002"}) {
		t.Errorf("clusters %v: the last known nodes must stay", got)
	}
	if n := len(fake.MetricDataCalls()[len(fake.MetricDataCalls())-1].Queries); n != 3 {
		t.Errorf("last round asked %d queries, want 3", n)
	}
	last := metrictest.Values(t, e.reg, "ecbench_cloudwatch_last_success_timestamp_seconds")
	if want := float64(t0.Unix()); last["target=rg,"] != want {
		t.Errorf("last success of rg %v, want the first round's %v", last["target=rg,"], want)
	}
	if want := float64(e.clock.Now().Unix()); last["target=fixed,"] != want {
		t.Errorf("last success of fixed %v, want %v", last["target=fixed,"], want)
	}

	fake.SetReplicationGroup(group("rg", "", Node{"rg-001", "0001"}))
	e.clock.Add(time.Minute)
	e.p.step(ctx)
	if got := clusters(t, e); !slices.Equal(got, []string{"f-001", "rg-001"}) {
		t.Errorf("clusters after recovery %v", got)
	}
	if v := metrictest.Values(t, e.reg, "ecbench_cloudwatch_last_success_timestamp_seconds")["target=rg,"]; v != float64(e.clock.Now().Unix()) {
		t.Errorf("last success of rg %v after recovery", v)
	}
}

// TestDiscovery reads node lists from each kind of Describe answer.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		setup  func(t *testing.T, f *awsfake.Server)
		source Source
		nodes  []Node
		engine string
	}{
		{
			name: "cluster mode disabled",
			setup: func(_ *testing.T, f *awsfake.Server) {
				f.SetReplicationGroup(group("rg", "redis", Node{"rg-002", "0001"}, Node{"rg-001", "0001"}))
			},
			source: Source{ReplicationGroup: "rg"},
			nodes:  []Node{{"rg-001", "0001"}, {"rg-002", "0001"}},
			engine: "redis",
		},
		{
			name: "member clusters only",
			setup: func(_ *testing.T, f *awsfake.Server) {
				g := group("rg", "", Node{"rg-001", "0001"})
				g.MemberClustersOnly = true
				f.SetReplicationGroup(g)
			},
			source: Source{ReplicationGroup: "rg"},
			nodes:  []Node{{"rg-001", "0001"}},
		},
		{
			name: "cluster mode enabled, a full AWS answer",
			setup: func(t *testing.T, f *awsfake.Server) {
				answer, err := os.ReadFile("testdata/describe-replication-groups-cluster-mode.xml")
				if err != nil {
					t.Fatal(err)
				}
				f.SetReplicationGroupXML("bench-cm", answer)
			},
			source: Source{ReplicationGroup: "bench-cm"},
			nodes: []Node{
				{"bench-cm-0001-001", "0001"}, {"bench-cm-0001-002", "0001"},
				{"bench-cm-0002-001", "0001"}, {"bench-cm-0002-002", "0001"},
			},
			engine: "valkey",
		},
		{
			name: "cache clusters",
			setup: func(_ *testing.T, f *awsfake.Server) {
				f.SetCacheCluster(awsfake.CacheCluster{ID: "c1", Engine: "redis", Nodes: []string{"0001"}})
				f.SetCacheCluster(awsfake.CacheCluster{ID: "c2", Engine: "redis", Nodes: []string{"0002", "0001"}})
			},
			source: Source{CacheClusters: []string{"c2", "c1"}},
			nodes:  []Node{{"c1", "0001"}, {"c2", "0001"}, {"c2", "0002"}},
			engine: "redis",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fake := awsfake.New(t)
			c.setup(t, fake)
			c.source.Target = "t"
			e := newEnv(t, fake, Options{Sources: []Source{c.source}})
			e.p.discoverDue(t.Context(), t0)
			if got := e.p.sources[0].nodes; !slices.Equal(got, c.nodes) {
				t.Errorf("nodes %v, want %v", got, c.nodes)
			}
			if got := e.p.engines["t"]; got != c.engine {
				t.Errorf("engine %q, want %q", got, c.engine)
			}
		})
	}
}
