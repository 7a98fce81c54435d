package deploy

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// Dashboards and CloudWatch: the metric names they may use, and the queries
// of Grafana's CloudWatch datasource, which no test can run.

// cloudWatchMetrics are the CloudWatch metrics ecbench polls by default, for
// node-based and serverless caches: the ones the dashboards may name.
var cloudWatchMetrics = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range append(cloudwatch.DefaultMetrics(), cloudwatch.DefaultServerlessMetrics()...) {
		m[n] = true
	}
	return m
}()

// cloudWatchStatistics are the statistics GetMetricData accepts, besides
// percentiles such as p99.
var (
	cloudWatchStatistics = []string{"Average", "Minimum", "Maximum", "Sum", "SampleCount"}
	cloudWatchPercentile = regexp.MustCompile(`^p(100|[0-9]{1,2}(\.[0-9]+)?)$`)
)

// lintCloudWatchQuery checks a query of Grafana's CloudWatch datasource,
// which the end-to-end test cannot run: a metric search in the builder (not
// code or Metrics Insights, which no test could check) of an AWS/ElastiCache
// metric that ecbench polls by default, with a statistic GetMetricData
// accepts, a period of whole minutes, and the node named by dimensions
// whose cache id comes from a variable defined in the dashboard. It returns
// the variables the query uses.
func lintCloudWatchQuery(t *testing.T, where string, q cloudWatchQuery, d *dashboard) []string {
	t.Helper()
	if q.QueryMode != "Metrics" || q.MetricQueryType != 0 || q.MetricEditorMode != 0 || q.Expression != "" {
		t.Errorf("%s: want a metric search in the builder (queryMode Metrics, metricQueryType 0, metricEditorMode 0, no expression), got %q, %d, %d, %q",
			where, q.QueryMode, q.MetricQueryType, q.MetricEditorMode, q.Expression)
	}
	if q.Namespace != "AWS/ElastiCache" {
		t.Errorf("%s: namespace %q, want AWS/ElastiCache", where, q.Namespace)
	}
	node := slices.Contains(cloudwatch.DefaultMetrics(), q.MetricName)
	serverless := slices.Contains(cloudwatch.DefaultServerlessMetrics(), q.MetricName)
	if !node && !serverless {
		t.Errorf("%s: metric %q is not one ecbench polls by default (%v)", where, q.MetricName, slices.Sorted(maps.Keys(cloudWatchMetrics)))
	}
	if !slices.Contains(cloudWatchStatistics, q.Statistic) && !cloudWatchPercentile.MatchString(q.Statistic) {
		t.Errorf("%s: statistic %q, want one of %v or a percentile such as p99", where, q.Statistic, cloudWatchStatistics)
	}
	if p, err := strconv.Atoi(q.Period); err != nil || p <= 0 || p%60 != 0 {
		t.Errorf("%s: period %q, want whole minutes in seconds such as \"60\": ElastiCache publishes once a minute", where, q.Period)
	}
	refs := varRefs(q.Region)
	if q.Region != "default" && len(refs) == 0 {
		t.Errorf("%s: region %q, want default (the datasource's defaultRegion) or a variable", where, q.Region)
	}
	// A node: CacheClusterId (with CacheNodeId) for node-based caches,
	// clusterId for serverless ones.
	allowed := map[string]bool{}
	if node || !serverless {
		allowed["CacheClusterId"], allowed["CacheNodeId"] = true, true
	}
	if serverless || !node {
		allowed["clusterId"] = true
	}
	id := ""
	for _, name := range []string{"CacheClusterId", "clusterId"} {
		if _, ok := q.Dimensions[name]; ok && allowed[name] {
			id = name
		}
	}
	if id == "" {
		t.Errorf("%s: dimensions %v name no cache: want one of %v", where, slices.Sorted(maps.Keys(q.Dimensions)), slices.Sorted(maps.Keys(allowed)))
	}
	for _, name := range slices.Sorted(maps.Keys(q.Dimensions)) {
		if !allowed[name] {
			t.Errorf("%s: dimension %s is not one of %s's %v", where, name, q.MetricName, slices.Sorted(maps.Keys(allowed)))
		}
		vals, err := q.dimensionValues(name)
		if err != nil || len(vals) == 0 {
			t.Errorf("%s: dimension %s has no value (%v)", where, name, err)
		}
		var vr []string
		for _, v := range vals {
			vr = append(vr, varRefs(v)...)
		}
		if name == id && len(vr) == 0 {
			t.Errorf("%s: dimension %s is %v; take it from a variable, so that the panel follows the dashboard's selection", where, name, vals)
		}
		refs = append(refs, vr...)
	}
	for _, ref := range refs {
		if _, ok := d.variable(ref); !ok {
			t.Errorf("%s: uses undefined variable $%s", where, ref)
		}
	}
	return refs
}

// TestElastiCacheDashboardCoversMetrics: the ElastiCache dashboard shows
// every metric ecbench polls by default for node-based caches, from
// Prometheus and again straight from CloudWatch.
func TestElastiCacheDashboardCoversMetrics(t *testing.T) {
	t.Parallel()
	var d *dashboard
	for _, x := range loadDashboards(t) {
		if x.file == "elasticache.json" {
			d = x
		}
	}
	if d == nil {
		t.Fatal("no elasticache.json in deploy/grafana/dashboards")
	}
	fromProm, fromCW := map[string]bool{}, map[string]bool{}
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			for _, m := range labelMatchers(tg.Expr) {
				if strings.HasPrefix(m.metric, "ecbench_cloudwatch_value") && m.label == "metric" {
					for _, n := range strings.Split(m.value, "|") {
						fromProm[n] = true
					}
				}
			}
			fromCW[tg.MetricName] = true
		}
	}
	for _, m := range cloudwatch.DefaultMetrics() {
		if !fromProm[m] {
			t.Errorf("no Prometheus panel shows %s", m)
		}
		if !fromCW[m] {
			t.Errorf("no CloudWatch-datasource panel shows %s", m)
		}
	}
}
