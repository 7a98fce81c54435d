package cloudwatch

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/loadgen/engine"
)

// fourTargets sets up one target of each kind: a replication group, a cache
// cluster, an explicit node and a serverless cache.
func fourTargets(t *testing.T) (*env, *atomic.Value) {
	fake := awsfake.New(t)
	fake.SetReplicationGroup(group("rg-valkey", "valkey", Node{"rg-valkey-001", "0001"}, Node{"rg-valkey-002", "0001"}))
	fake.SetCacheCluster(awsfake.CacheCluster{ID: "legacy-redis", Engine: "redis", Nodes: []string{"0001"}})
	fake.SetMetricData(func(q awsfake.Query, _, end time.Time) awsfake.Series {
		var v float64
		switch q.Metric + "/" + q.Stat {
		case "EngineCPUUtilization/Average":
			v = 12.5
		case "EngineCPUUtilization/Maximum":
			v = 20
		case "IsMaster/Average", "IsMaster/Maximum":
			if strings.HasSuffix(q.Dim("CacheClusterId"), "-001") {
				v = 1
			}
		case "ElastiCacheProcessingUnits/Average":
			v = 1500
		case "ElastiCacheProcessingUnits/Maximum":
			v = 2500.5
		}
		if q.Dim("CacheClusterId") == "rg-valkey-002" {
			v += 0.25
		}
		latest := end.Add(-2 * time.Minute)
		return awsfake.Series{Points: []awsfake.Datapoint{{At: latest.Add(-time.Minute), Value: -1}, {At: latest, Value: v}}}
	})
	var primary atomic.Value
	primary.Store("valkey")
	e := newEnv(t, fake, Options{
		Sources: []Source{
			{Target: "primary", Engine: func() engine.Engine { return engine.Engine(primary.Load().(string)) }, ReplicationGroup: "rg-valkey"},
			{Target: "legacy", CacheClusters: []string{"legacy-redis"}},
			{Target: "pinned", Nodes: []Node{{"pinned-001", "0001"}}},
			{Target: "sls", Engine: fixedEngine(""), ServerlessCache: "sls-cache"},
		},
		Metrics:           []string{"EngineCPUUtilization", "IsMaster"},
		ServerlessMetrics: []string{"ElastiCacheProcessingUnits"},
		Statistics:        []string{"Average", "Maximum"},
	})
	return e, &primary
}

// TestExposition checks exact values, datapoint timestamps, health series
// and labels after one round: the latest datapoint wins, the engine label
// comes from the target, else from ElastiCache, else "unknown", and a
// serverless cache has node="".
func TestExposition(t *testing.T) {
	t.Parallel()
	e, primary := fourTargets(t)
	if wait := e.p.step(t.Context()); wait != time.Minute {
		t.Errorf("step returned %v, want the poll interval 1m0s (the fake clock stands still)", wait)
	}
	const want = `
# HELP ecbench_cloudwatch_value Latest CloudWatch datapoint of an AWS/ElastiCache metric and statistic, in the metric's CloudWatch unit. cluster and node are the CacheClusterId and CacheNodeId dimensions (for a serverless cache: its name, and node is empty).
# TYPE ecbench_cloudwatch_value gauge
ecbench_cloudwatch_value{cluster="legacy-redis",engine="redis",metric="EngineCPUUtilization",node="0001",stat="Average",target="legacy"} 12.5
ecbench_cloudwatch_value{cluster="legacy-redis",engine="redis",metric="EngineCPUUtilization",node="0001",stat="Maximum",target="legacy"} 20
ecbench_cloudwatch_value{cluster="legacy-redis",engine="redis",metric="IsMaster",node="0001",stat="Average",target="legacy"} 0
ecbench_cloudwatch_value{cluster="legacy-redis",engine="redis",metric="IsMaster",node="0001",stat="Maximum",target="legacy"} 0
ecbench_cloudwatch_value{cluster="pinned-001",engine="unknown",metric="EngineCPUUtilization",node="0001",stat="Average",target="pinned"} 12.5
ecbench_cloudwatch_value{cluster="pinned-001",engine="unknown",metric="EngineCPUUtilization",node="0001",stat="Maximum",target="pinned"} 20
ecbench_cloudwatch_value{cluster="pinned-001",engine="unknown",metric="IsMaster",node="0001",stat="Average",target="pinned"} 1
ecbench_cloudwatch_value{cluster="pinned-001",engine="unknown",metric="IsMaster",node="0001",stat="Maximum",target="pinned"} 1
ecbench_cloudwatch_value{cluster="rg-valkey-001",engine="valkey",metric="EngineCPUUtilization",node="0001",stat="Average",target="primary"} 12.5
ecbench_cloudwatch_value{cluster="rg-valkey-001",engine="valkey",metric="EngineCPUUtilization",node="0001",stat="Maximum",target="primary"} 20
ecbench_cloudwatch_value{cluster="rg-valkey-001",engine="valkey",metric="IsMaster",node="0001",stat="Average",target="primary"} 1
ecbench_cloudwatch_value{cluster="rg-valkey-001",engine="valkey",metric="IsMaster",node="0001",stat="Maximum",target="primary"} 1
ecbench_cloudwatch_value{cluster="rg-valkey-002",engine="valkey",metric="EngineCPUUtilization",node="0001",stat="Average",target="primary"} 12.75
ecbench_cloudwatch_value{cluster="rg-valkey-002",engine="valkey",metric="EngineCPUUtilization",node="0001",stat="Maximum",target="primary"} 20.25
ecbench_cloudwatch_value{cluster="rg-valkey-002",engine="valkey",metric="IsMaster",node="0001",stat="Average",target="primary"} 0.25
ecbench_cloudwatch_value{cluster="rg-valkey-002",engine="valkey",metric="IsMaster",node="0001",stat="Maximum",target="primary"} 0.25
ecbench_cloudwatch_value{cluster="sls-cache",engine="unknown",metric="ElastiCacheProcessingUnits",node="",stat="Average",target="sls"} 1500
ecbench_cloudwatch_value{cluster="sls-cache",engine="unknown",metric="ElastiCacheProcessingUnits",node="",stat="Maximum",target="sls"} 2500.5
# HELP ecbench_cloudwatch_last_success_timestamp_seconds When the last polling round in which every GetMetricData call and node discovery for the target succeeded ended, in seconds since the Unix epoch; 0 until one has.
# TYPE ecbench_cloudwatch_last_success_timestamp_seconds gauge
ecbench_cloudwatch_last_success_timestamp_seconds{target="legacy"} 1777896030
ecbench_cloudwatch_last_success_timestamp_seconds{target="pinned"} 1777896030
ecbench_cloudwatch_last_success_timestamp_seconds{target="primary"} 1777896030
ecbench_cloudwatch_last_success_timestamp_seconds{target="sls"} 1777896030
# HELP ecbench_cloudwatch_requests_total CloudWatch and ElastiCache API calls made, by API; each page of a GetMetricData answer is a call.
# TYPE ecbench_cloudwatch_requests_total counter
ecbench_cloudwatch_requests_total{api="DescribeCacheClusters"} 1
ecbench_cloudwatch_requests_total{api="DescribeReplicationGroups"} 1
ecbench_cloudwatch_requests_total{api="GetMetricData"} 1
# HELP ecbench_cloudwatch_metric_queries_total Metric queries sent in GetMetricData calls. CloudWatch bills GetMetricData per metric requested, so this bounds the bill.
# TYPE ecbench_cloudwatch_metric_queries_total counter
ecbench_cloudwatch_metric_queries_total 18
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(want),
		"ecbench_cloudwatch_value", "ecbench_cloudwatch_last_success_timestamp_seconds",
		"ecbench_cloudwatch_requests_total", "ecbench_cloudwatch_metric_queries_total"); err != nil {
		t.Error(err)
	}
	// Every datapoint is the 11:58 one, not the older 11:57 one.
	at := metrictest.Values(t, e.reg, "ecbench_cloudwatch_value_timestamp_seconds")
	if len(at) != 18 {
		t.Errorf("%d timestamp series, want 18", len(at))
	}
	for k, v := range at {
		if v != 1777895880 { // 2026-05-04T11:58:00Z
			t.Errorf("%v: timestamp %v, want 1777895880", k, v)
		}
	}
	// Every error series exists at 0 for the APIs in use.
	errs := metrictest.Values(t, e.reg, "ecbench_cloudwatch_errors_total")
	if len(errs) != 3*len(reasons) {
		t.Errorf("%d error series, want %d: %v", len(errs), 3*len(reasons), errs)
	}
	for k, v := range errs {
		if v != 0 {
			t.Errorf("%v = %v, want 0", k, v)
		}
	}
	// The engine label follows the target at scrape time.
	primary.Store("redis")
	for k := range metrictest.Values(t, e.reg, "ecbench_cloudwatch_value") {
		if strings.Contains(k, "target=primary,") && !strings.Contains(k, "engine=redis,") {
			t.Errorf("after the engine changed: %s", k)
		}
	}
}

// TestWireProtocol checks what the real SDK put on the wire and the fake
// decoded: the aligned query window, ScanBy, each query's namespace,
// dimensions, period and statistic, and the ElastiCache Query parameters.
func TestWireProtocol(t *testing.T) {
	t.Parallel()
	e, _ := fourTargets(t)
	e.p.step(t.Context())
	calls := e.fake.MetricDataCalls()
	if len(calls) != 1 {
		t.Fatalf("%d GetMetricData calls, want 1", len(calls))
	}
	c := calls[0]
	if want := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC); !c.End.Equal(want) {
		t.Errorf("EndTime %v, want %v (now aligned down to the period)", c.End, want)
	}
	if want := time.Date(2026, 5, 4, 11, 50, 0, 0, time.UTC); !c.Start.Equal(want) {
		t.Errorf("StartTime %v, want %v (EndTime minus the lookback)", c.Start, want)
	}
	if c.ScanBy != "TimestampDescending" || c.NextToken != "" {
		t.Errorf("ScanBy %q, NextToken %q", c.ScanBy, c.NextToken)
	}
	var got []string
	for i, q := range c.Queries {
		if q.ID != fmt.Sprintf("q%d", i) || q.Namespace != "AWS/ElastiCache" || q.Period != 60 {
			t.Errorf("query %d: %+v", i, q)
		}
		got = append(got, fmt.Sprintf("%s %s %s", q.Metric, q.Stat, strings.Join(q.Dims, ",")))
	}
	want := []string{
		"EngineCPUUtilization Average CacheClusterId=rg-valkey-001,CacheNodeId=0001",
		"EngineCPUUtilization Maximum CacheClusterId=rg-valkey-001,CacheNodeId=0001",
		"IsMaster Average CacheClusterId=rg-valkey-001,CacheNodeId=0001",
		"IsMaster Maximum CacheClusterId=rg-valkey-001,CacheNodeId=0001",
		"EngineCPUUtilization Average CacheClusterId=rg-valkey-002,CacheNodeId=0001",
		"EngineCPUUtilization Maximum CacheClusterId=rg-valkey-002,CacheNodeId=0001",
		"IsMaster Average CacheClusterId=rg-valkey-002,CacheNodeId=0001",
		"IsMaster Maximum CacheClusterId=rg-valkey-002,CacheNodeId=0001",
		"EngineCPUUtilization Average CacheClusterId=legacy-redis,CacheNodeId=0001",
		"EngineCPUUtilization Maximum CacheClusterId=legacy-redis,CacheNodeId=0001",
		"IsMaster Average CacheClusterId=legacy-redis,CacheNodeId=0001",
		"IsMaster Maximum CacheClusterId=legacy-redis,CacheNodeId=0001",
		"EngineCPUUtilization Average CacheClusterId=pinned-001,CacheNodeId=0001",
		"EngineCPUUtilization Maximum CacheClusterId=pinned-001,CacheNodeId=0001",
		"IsMaster Average CacheClusterId=pinned-001,CacheNodeId=0001",
		"IsMaster Maximum CacheClusterId=pinned-001,CacheNodeId=0001",
		"ElastiCacheProcessingUnits Average clusterId=sls-cache",
		"ElastiCacheProcessingUnits Maximum clusterId=sls-cache",
	}
	if !slices.Equal(got, want) {
		t.Errorf("queries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var describes []string
	for _, v := range e.fake.ElastiCacheCalls("") {
		describes = append(describes, v.Encode())
	}
	wantDescribes := []string{
		"Action=DescribeReplicationGroups&ReplicationGroupId=rg-valkey&Version=2015-02-02",
		"Action=DescribeCacheClusters&CacheClusterId=legacy-redis&ShowCacheNodeInfo=true&Version=2015-02-02",
	}
	if !slices.Equal(describes, wantDescribes) {
		t.Errorf("ElastiCache requests %q, want %q", describes, wantDescribes)
	}
}

// TestScrapeMakesNoRequests checks that gathering reads memory only.
func TestScrapeMakesNoRequests(t *testing.T) {
	t.Parallel()
	e, _ := fourTargets(t)
	e.p.step(t.Context())
	before := e.fake.Requests()
	for range 20 {
		if n := testutil.CollectAndCount(e.reg); n == 0 {
			t.Fatal("nothing gathered")
		}
	}
	if after := e.fake.Requests(); after != before {
		t.Errorf("scrapes made %d HTTP requests", after-before)
	}
}

func TestLint(t *testing.T) {
	t.Parallel()
	e, _ := fourTargets(t)
	e.p.step(t.Context())
	problems, err := testutil.GatherAndLint(e.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestBatching polls 3 targets × 10 nodes × 17 metrics × 2 statistics =
// 1020 queries: 3 calls of at most 500, every query sent once and answered.
func TestBatching(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	var sources []Source
	for _, rg := range []string{"rg-a", "rg-b", "rg-c"} {
		var nodes []Node
		for shard := 1; shard <= 5; shard++ {
			for member := 1; member <= 2; member++ {
				nodes = append(nodes, Node{fmt.Sprintf("%s-%04d-%03d", rg, shard, member), "0001"})
			}
		}
		fake.SetReplicationGroup(group(rg, "valkey", nodes...))
		sources = append(sources, Source{Target: strings.TrimPrefix(rg, "rg-"), ReplicationGroup: rg})
	}
	fake.SetMetricData(steady)
	e := newEnv(t, fake, Options{Sources: sources, Statistics: []string{"Average", "p99"}})
	e.p.step(t.Context())

	calls := fake.MetricDataCalls()
	var sizes []int
	sent := map[string]int{}
	for _, c := range calls {
		sizes = append(sizes, len(c.Queries))
		ids := map[string]bool{}
		for _, q := range c.Queries {
			if ids[q.ID] {
				t.Errorf("duplicate id %s in one call", q.ID)
			}
			ids[q.ID] = true
			sent[q.Metric+" "+q.Stat+" "+strings.Join(q.Dims, ",")]++
		}
	}
	if !slices.Equal(sizes, []int{500, 500, 20}) {
		t.Errorf("call sizes %v, want [500 500 20]", sizes)
	}
	if len(sent) != 1020 {
		t.Errorf("%d distinct queries, want 1020", len(sent))
	}
	for q, n := range sent {
		if n != 1 {
			t.Errorf("%s sent %d times", q, n)
		}
	}
	values := metrictest.Values(t, e.reg, "ecbench_cloudwatch_value")
	if len(values) != 1020 {
		t.Fatalf("%d series, want 1020", len(values))
	}
	for k, v := range values {
		l := metrictest.ParseKey(k)
		q := awsfake.Query{Metric: l["metric"], Stat: l["stat"], Dims: []string{"CacheClusterId=" + l["cluster"], "CacheNodeId=" + l["node"]}}
		if want := valueOf(q); v != want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	if got := testutil.ToFloat64(e.p.queries); got != 1020 {
		t.Errorf("metric_queries_total %v, want 1020", got)
	}
}

// TestPagination follows NextToken across pages that split results, with
// the latest datapoint on the first page (as asked, TimestampDescending) or
// on the last (a server that answers oldest first).
func TestPagination(t *testing.T) {
	t.Parallel()
	for _, ascending := range []bool{false, true} {
		t.Run(fmt.Sprintf("ascending=%v", ascending), func(t *testing.T) {
			t.Parallel()
			fake := awsfake.New(t)
			fake.SetPaging(awsfake.Paging{PageSize: 3, OldestFirst: ascending})
			fake.SetMetricData(func(q awsfake.Query, _, end time.Time) awsfake.Series {
				var s awsfake.Series
				for i := 6; i >= 2; i-- { // 5 datapoints, the latest at end-2m
					s.Points = append(s.Points, awsfake.Datapoint{At: end.Add(-time.Duration(i) * time.Minute), Value: valueOf(q) + float64(10-i)})
				}
				return s
			})
			e := newEnv(t, fake, Options{
				Sources:    []Source{{Target: "t", Nodes: []Node{{"c-001", "0001"}, {"c-002", "0001"}}}},
				Metrics:    []string{"CurrConnections", "Evictions"},
				Statistics: []string{"Average"},
			})
			e.p.step(t.Context())
			calls := fake.MetricDataCalls()
			var tokens []string
			for _, c := range calls {
				tokens = append(tokens, c.NextToken)
				if len(c.Queries) != 4 {
					t.Errorf("page with %d queries, want all 4", len(c.Queries))
				}
			}
			// 4 queries × 5 datapoints in pages of 3.
			want := []string{"", "offset-3", "offset-6", "offset-9", "offset-12", "offset-15", "offset-18"}
			if !slices.Equal(tokens, want) {
				t.Errorf("NextTokens sent %q, want %q", tokens, want)
			}
			values := metrictest.Values(t, e.reg, "ecbench_cloudwatch_value")
			at := metrictest.Values(t, e.reg, "ecbench_cloudwatch_value_timestamp_seconds")
			if len(values) != 4 {
				t.Errorf("%d series, want 4", len(values))
			}
			for k, v := range values {
				l := metrictest.ParseKey(k)
				q := awsfake.Query{Metric: l["metric"], Stat: l["stat"], Dims: []string{"CacheClusterId=" + l["cluster"], "CacheNodeId=" + l["node"]}}
				if want := valueOf(q) + 8; v != want {
					t.Errorf("%s = %v, want the latest %v", k, v, want)
				}
				if at[k] != 1777895880 {
					t.Errorf("%s at %v, want 1777895880", k, at[k])
				}
			}
			if got := testutil.ToFloat64(e.p.errors.WithLabelValues(apiGetMetricData, reasonOther)); got != 0 {
				t.Errorf("errors %v", got)
			}
		})
	}
}

// TestRepeatedToken stops following a NextToken that comes back, counts it
// as an error and keeps what the first page brought.
func TestRepeatedToken(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	fake.SetPaging(awsfake.Paging{RepeatToken: true})
	fake.SetMetricData(steady)
	e := newEnv(t, fake, Options{
		Sources: []Source{{Target: "t", Nodes: []Node{{"c-001", "0001"}}}}, Metrics: []string{"CurrConnections"},
	})
	e.p.step(t.Context())
	if n := len(fake.MetricDataCalls()); n != 2 {
		t.Errorf("%d calls, want 2 (the token repeats on the second)", n)
	}
	if got := testutil.ToFloat64(e.p.errors.WithLabelValues(apiGetMetricData, reasonOther)); got != 1 {
		t.Errorf("errors_total{reason=other} = %v, want 1", got)
	}
	if n := len(metrictest.Values(t, e.reg, "ecbench_cloudwatch_value")); n != 1 {
		t.Errorf("%d series, want 1", n)
	}
	if v := metrictest.Values(t, e.reg, "ecbench_cloudwatch_last_success_timestamp_seconds")["target=t,"]; v != 0 {
		t.Errorf("last success %v, want 0", v)
	}
}
