package deploy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// cloudWatchPollInterval is the shortest poll interval ecbench's config
// accepts. The first round runs when ecbench starts; within the test's data
// window every generator makes at least one more.
const cloudWatchPollInterval = 10 * time.Second

// fakeElastiCache is the AWS side of the end-to-end test: a fake CloudWatch
// and ElastiCache endpoint that knows one replication group per ecbench
// target, a primary and a replica each, with a datapoint for every metric
// ecbench polls by default (ReplicationLag on the replica only, as
// ElastiCache publishes it), and that throttles the first GetMetricData call
// once armed.
type fakeElastiCache struct {
	*awsfake.Server
	targets   []string
	values    map[string]float64 // by `target|cluster|metric`, the Average statistic
	armed     atomic.Bool
	throttled atomic.Bool
}

// replicationGroup names the fake's replication group of an ecbench target.
func replicationGroup(target string) string { return "rg-" + target }

// startFakeElastiCache starts the fake for targets, the engine of each
// target by its name.
func startFakeElastiCache(t *testing.T, targets map[string]string) *fakeElastiCache {
	t.Helper()
	f := &fakeElastiCache{Server: awsfake.New(t), targets: slices.Sorted(maps.Keys(targets)), values: map[string]float64{}}
	for ti, target := range f.targets {
		rg := replicationGroup(target)
		members := []awsfake.Member{{CacheCluster: rg + "-001", Node: "0001"}, {CacheCluster: rg + "-002", Node: "0001"}}
		f.SetReplicationGroup(awsfake.ReplicationGroup{ID: rg, Engine: targets[target], NodeGroups: []awsfake.NodeGroup{{ID: "0001", Members: members}}})
		for mi, m := range members {
			primary := mi == 0
			for k, metric := range cloudwatch.DefaultMetrics() {
				v := float64(100*(ti+1) + 10*mi + k) // distinct per target, node and metric
				switch {
				case metric == "IsMaster" && primary:
					v = 1
				case metric == "IsMaster":
					v = 0
				case metric == "ReplicationLag" && primary:
					continue
				}
				f.SetValue(m.CacheCluster, metric, "Average", v)
				f.values[strings.Join([]string{target, m.CacheCluster, metric}, "|")] = v
			}
		}
	}
	f.FailGetMetricData(func(int, awsfake.MetricDataRequest) *awsfake.Error {
		if f.armed.Load() && f.throttled.CompareAndSwap(false, true) {
			return &awsfake.Error{Status: 400, Code: "Throttling", Message: "Rate exceeded"}
		}
		return nil
	})
	return f
}

// env is what an ecbench process needs to poll the fake: CloudWatch polling
// on, at the shortest interval, and the AWS SDK pointed at the fake. The
// targets name their replication groups in ecbenchEnv.
func (f *fakeElastiCache) env() []string {
	return append([]string{
		"ECBENCH_CLOUDWATCH_ENABLED=true",
		"ECBENCH_CLOUDWATCH_POLL_INTERVAL=" + cloudWatchPollInterval.String(),
	}, f.Env()...)
}

// throttleNextCall makes the next GetMetricData call fail as throttled, so
// that the error panels have an error to show: ecbench counts it, backs off
// and resumes the round.
func (f *fakeElastiCache) throttleNextCall() { f.armed.Store(true) }

// checkCloudWatch requires what the ElastiCache dashboard is built on: every
// datapoint of the fake reached Prometheus through ecbench with its target,
// node, metric and statistic, and nothing else did; every target had a
// successful polling round during the data window; and the one throttled
// call was counted as such, with no other error.
func checkCloudWatch(t *testing.T, ctx context.Context, papi promAPI, f *fakeElastiCache, start, end time.Time) {
	if !f.throttled.Load() {
		t.Errorf("no GetMetricData call reached the fake in the %v data window, so none was throttled; the poll interval is %v", end.Sub(start), cloudWatchPollInterval)
	}
	vec, err := papi.query(ctx, `max by (target, cluster, metric, stat) (ecbench_cloudwatch_value)`, end)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range vec {
		if s.Metric["stat"] != "Average" {
			t.Errorf("series %v: statistic %q, want Average only", s.Metric, s.Metric["stat"])
		}
		got[strings.Join([]string{string(s.Metric["target"]), string(s.Metric["cluster"]), string(s.Metric["metric"])}, "|")] = float64(s.Value)
	}
	if !maps.Equal(got, f.values) {
		for _, k := range slices.Sorted(maps.Keys(f.values)) {
			if g, ok := got[k]; !ok || g != f.values[k] {
				t.Errorf("ecbench_cloudwatch_value %s: got %v (present %t), the fake published %v", k, g, ok, f.values[k])
			}
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if _, ok := f.values[k]; !ok {
				t.Errorf("ecbench_cloudwatch_value %s = %v: the fake published no such datapoint", k, got[k])
			}
		}
	}

	want := map[string]bool{}
	for _, target := range f.targets {
		want[target] = true
	}
	vec, err = papi.query(ctx, `max by (target) (ecbench_cloudwatch_last_success_timestamp_seconds)`, end)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range vec {
		target := string(s.Metric["target"])
		if !want[target] {
			t.Errorf("last success for unknown target %q", target)
		}
		if last := float64(s.Value); last < float64(start.Unix()) {
			t.Errorf("target %s: last successful CloudWatch round at %v, before the data window began (%v)", target, time.Unix(int64(last), 0), start)
		}
		delete(want, target)
	}
	if len(want) > 0 {
		t.Errorf("no ecbench_cloudwatch_last_success_timestamp_seconds for %v", slices.Sorted(maps.Keys(want)))
	}

	vec, err = papi.query(ctx, `sum by (api, reason) (ecbench_cloudwatch_errors_total) > 0`, end)
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, s := range vec {
		errs = append(errs, fmt.Sprintf("%s %s %v", s.Metric["api"], s.Metric["reason"], s.Value))
	}
	if want := []string{"GetMetricData throttled 1"}; !slices.Equal(errs, want) {
		t.Errorf("ecbench_cloudwatch_errors_total: %q, want %q (the one throttled call)", errs, want)
	}
}
