package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
)

// fakeValkeyGroup starts a fake AWS endpoint that knows the replication
// group rg-valkey (a primary and a replica) and publishes the latest
// EngineCPUUtilization of both nodes and CurrConnections of the primary.
func fakeValkeyGroup(t *testing.T) *awsfake.Server {
	fake := awsfake.New(t)
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg-valkey", Engine: "valkey", NodeGroups: []awsfake.NodeGroup{{
		ID: "0001",
		Members: []awsfake.Member{
			{CacheCluster: "rg-valkey-001", Node: "0001"},
			{CacheCluster: "rg-valkey-002", Node: "0001"},
		},
	}}})
	fake.SetValue("rg-valkey-001", "EngineCPUUtilization", "Average", 12.5)
	fake.SetValue("rg-valkey-002", "EngineCPUUtilization", "Average", 3.25)
	fake.SetValue("rg-valkey-001", "CurrConnections", "Average", 51)
	return fake
}

// TestCloudWatchPolledThroughAWSEnv runs the real ecbench in a child process
// configured for AWS only through the standard environment variables
// (endpoint, static credentials, region): its first polling round discovers
// the group's nodes and exports the fake's datapoints with the target's
// labels, and every call passes the fake's signature check.
func TestCloudWatchPolledThroughAWSEnv(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	fake := fakeValkeyGroup(t)
	start := time.Now()
	// No region in the config: AWS_REGION gives it.
	p := startProcess(t, fmt.Sprintf(`
targets:
  - {name: valkey, engine: valkey, addrs: [%q], cloudwatch: {replication_group: rg-valkey}}
workloads:
  - {name: kv, ops: {get: 1}, rate: {type: constant, rate: 50}}
cloudwatch:
  enabled: true
  poll_interval: 10s
  metrics: [EngineCPUUtilization, CurrConnections]
  statistics: [Average]
`, vs.Addr), fake.Env()...)

	lastSuccess := func() float64 {
		return value(scrape(t, p.addr), "ecbench_cloudwatch_last_success_timestamp_seconds", labels("target", "valkey"))
	}
	eventually(t, 10*time.Second, "a successful CloudWatch round:\n"+p.stderr.String(), func() bool { return lastSuccess() > 0 })
	end := time.Now()

	mfs := scrape(t, p.addr)
	scraped := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return slices.Collect(maps.Values(mfs)), nil })
	got := metrictest.Values(t, scraped, "ecbench_cloudwatch_value")
	want := map[string]float64{
		"cluster=rg-valkey-001,engine=valkey,metric=EngineCPUUtilization,node=0001,stat=Average,target=valkey,": 12.5,
		"cluster=rg-valkey-002,engine=valkey,metric=EngineCPUUtilization,node=0001,stat=Average,target=valkey,": 3.25,
		"cluster=rg-valkey-001,engine=valkey,metric=CurrConnections,node=0001,stat=Average,target=valkey,":      51,
	}
	if !maps.Equal(got, want) {
		t.Errorf("ecbench_cloudwatch_value:\n%v\nwant\n%v", got, want)
	}
	if last := lastSuccess(); last < float64(start.Unix()) || last > float64(end.Unix()+1) {
		t.Errorf("last success %v, want within [%d, %d]", last, start.Unix(), end.Unix()+1)
	}
	// The fake dates each datapoint two periods before the window's end,
	// which is the round's time aligned down to the minute.
	for k, at := range metrictest.Values(t, scraped, "ecbench_cloudwatch_value_timestamp_seconds") {
		if int64(at)%60 != 0 || at < float64(start.Add(-4*time.Minute).Unix()) || at > float64(end.Unix()) {
			t.Errorf("ecbench_cloudwatch_value_timestamp_seconds{%s} = %v", k, at)
		}
	}
	if n := value(mfs, "ecbench_cloudwatch_errors_total", nil); n != 0 {
		t.Errorf("ecbench_cloudwatch_errors_total sums to %v, want 0", n)
	}

	var ec []string
	for _, form := range fake.ElastiCacheCalls("") {
		ec = append(ec, form.Encode())
	}
	if want := []string{"Action=DescribeReplicationGroups&ReplicationGroupId=rg-valkey&Version=2015-02-02"}; !slices.Equal(ec, want) {
		t.Errorf("ElastiCache calls %q, want %q", ec, want)
	}
	calls := fake.MetricDataCalls()
	if len(calls) == 0 {
		t.Fatal("no GetMetricData call")
	}
	wantQueries := []string{
		"AWS/ElastiCache CurrConnections Average 60 CacheClusterId=rg-valkey-001,CacheNodeId=0001",
		"AWS/ElastiCache CurrConnections Average 60 CacheClusterId=rg-valkey-002,CacheNodeId=0001",
		"AWS/ElastiCache EngineCPUUtilization Average 60 CacheClusterId=rg-valkey-001,CacheNodeId=0001",
		"AWS/ElastiCache EngineCPUUtilization Average 60 CacheClusterId=rg-valkey-002,CacheNodeId=0001",
	}
	for i, c := range calls { // one round, or two if the test ran past the poll interval
		var qs []string
		for _, q := range c.Queries {
			qs = append(qs, fmt.Sprintf("%s %s %s %d %s", q.Namespace, q.Metric, q.Stat, q.Period, strings.Join(q.Dims, ",")))
		}
		slices.Sort(qs)
		if !slices.Equal(qs, wantQueries) || c.NextToken != "" {
			t.Errorf("GetMetricData call %d: NextToken %q, queries\n%s\nwant\n%s", i, c.NextToken, strings.Join(qs, "\n"), strings.Join(wantQueries, "\n"))
		}
	}
}

// TestCloudWatchDisabledMakesNoAWSCalls runs ecbench with the AWS
// environment pointing at the fake and a target naming a replication group,
// but polling off: no request reaches the fake and no ecbench_cloudwatch_*
// series exists.
func TestCloudWatchDisabledMakesNoAWSCalls(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	fake := fakeValkeyGroup(t)
	p := startProcess(t, fmt.Sprintf(`
targets:
  - {name: valkey, engine: valkey, addrs: [%q], cloudwatch: {replication_group: rg-valkey}}
workloads:
  - {name: kv, ops: {get: 1}, rate: {type: constant, rate: 50}}
cloudwatch: {enabled: false, poll_interval: 10s}
`, vs.Addr), fake.Env()...)

	eventually(t, 10*time.Second, "requests served:\n"+p.stderr.String(), func() bool {
		return value(scrape(t, p.addr), "ecbench_ops_total", labels("target", "valkey")) > 0
	})
	// A poller would have made its first round when the daemon started.
	time.Sleep(500 * time.Millisecond)
	if n := fake.Requests(); n != 0 {
		t.Errorf("the fake received %d requests with CloudWatch polling off", n)
	}
	for name := range scrape(t, p.addr) {
		if strings.HasPrefix(name, "ecbench_cloudwatch_") {
			t.Errorf("%s exported with CloudWatch polling off", name)
		}
	}
}
