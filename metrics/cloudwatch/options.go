package cloudwatch

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Source names the ElastiCache resource behind one ecbench target. Set
// exactly one of ReplicationGroup, CacheClusters, Nodes and ServerlessCache.
type Source struct {
	Target string               // the ecbench target name: the target label
	Engine func() engine.Engine // the target's engine label now; called on every scrape, so it must be cheap; nil or "": the engine ElastiCache reports, else "unknown"

	ReplicationGroup string   // its member nodes are discovered with DescribeReplicationGroups
	CacheClusters    []string // their nodes are discovered with DescribeCacheClusters
	Nodes            []Node   // polled as given, never discovered
	ServerlessCache  string   // the serverless cache name (CloudWatch dimension clusterId)
}

// Node is one node of a node-based cache: the CloudWatch dimensions
// CacheClusterId (a member cluster such as "rg-001" or "rg-0001-001", not the
// replication group id) and CacheNodeId (such as "0001").
type Node struct {
	CacheCluster string
	Node         string
}

// Options configures a Poller. Zero durations and empty lists take the
// defaults documented on each field.
type Options struct {
	Sources []Source

	Metrics           []string // node-based metric names; default DefaultMetrics()
	ServerlessMetrics []string // serverless metric names; default DefaultServerlessMetrics()
	Statistics        []string // Average, Minimum, Maximum, Sum, SampleCount or a percentile such as p99; default Average

	Period            time.Duration // datapoint period, a multiple of 60s; default 60s
	PollInterval      time.Duration // time between GetMetricData rounds; default 60s
	Lookback          time.Duration // how far back each round asks, >= Period; default 10m
	DiscoveryInterval time.Duration // time between node list refreshes; default 5m

	CloudWatch  cloudwatch.GetMetricDataAPIClient // required; see NewClients
	ElastiCache DescribeAPI                       // required if a source names a replication group or cache clusters

	Now func() time.Time // the clock behind query windows, round schedules and health timestamps; default time.Now
	Log Logger           // receives node list changes, failures and backoffs; default: discarded
}

// Logger receives the poller's events as a message and key-value pairs.
// *slog.Logger implements it; zap's SugaredLogger needs a two-line adapter
// (Infow, Warnw).
type Logger interface {
	Info(msg string, kv ...any)
	Warn(msg string, kv ...any)
}

var _ Logger = (*slog.Logger)(nil)

// Defaults.
const (
	DefaultPeriod            = time.Minute
	DefaultPollInterval      = time.Minute
	DefaultLookback          = 10 * time.Minute
	DefaultDiscoveryInterval = 5 * time.Minute
)

// DefaultMetrics returns the metrics polled for node-based clusters unless
// Options.Metrics says otherwise: host and engine load, memory, connections,
// traffic, hit ratio, evictions, replication and per-command latency.
// ReplicationLag exists only for replicas; IsMaster is 1 on the primary.
func DefaultMetrics() []string {
	return []string{
		"EngineCPUUtilization", "CPUUtilization",
		"DatabaseMemoryUsagePercentage", "FreeableMemory",
		"CurrConnections", "NewConnections",
		"NetworkBytesIn", "NetworkBytesOut",
		"CacheHits", "CacheMisses", "Evictions",
		"ReplicationLag", "IsMaster",
		"GetTypeCmdsLatency", "SetTypeCmdsLatency",
		"SuccessfulReadRequestLatency", "SuccessfulWriteRequestLatency",
	}
}

// DefaultServerlessMetrics returns the metrics polled for serverless caches
// unless Options.ServerlessMetrics says otherwise: capacity consumed (ECPUs,
// bytes), latency, throughput, throttling and connections.
func DefaultServerlessMetrics() []string {
	return []string{
		"ElastiCacheProcessingUnits", "BytesUsedForCache",
		"SuccessfulReadRequestLatency", "SuccessfulWriteRequestLatency",
		"TotalCmdsCount", "ThrottledCmds",
		"CacheHits", "CacheHitRate", "Evictions",
		"CurrConnections", "NewConnections",
		"NetworkBytesIn", "NetworkBytesOut",
	}
}

// DefaultStatistics returns the statistics polled unless Options.Statistics
// says otherwise.
func DefaultStatistics() []string { return []string{"Average"} }

// statistics are the statistics GetMetricData accepts besides percentiles.
var statistics = []string{"Average", "Minimum", "Maximum", "Sum", "SampleCount"}

var (
	percentileRE = regexp.MustCompile(`^p(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$`)
	metricNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,255}$`)
)

// withDefaults returns o with every zero field set to its default; slices
// are copied so the caller may reuse its own.
func (o Options) withDefaults() Options {
	o.Sources = slices.Clone(o.Sources)
	o.Metrics = cloneOr(o.Metrics, DefaultMetrics)
	o.ServerlessMetrics = cloneOr(o.ServerlessMetrics, DefaultServerlessMetrics)
	o.Statistics = cloneOr(o.Statistics, DefaultStatistics)
	durationOr(&o.Period, DefaultPeriod)
	durationOr(&o.PollInterval, DefaultPollInterval)
	durationOr(&o.Lookback, DefaultLookback)
	durationOr(&o.DiscoveryInterval, DefaultDiscoveryInterval)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = discard{}
	}
	return o
}

func cloneOr(s []string, def func() []string) []string {
	if len(s) == 0 {
		return def()
	}
	return slices.Clone(s)
}

func durationOr(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

type discard struct{}

func (discard) Info(string, ...any) {}
func (discard) Warn(string, ...any) {}

// validate returns every problem with o (after withDefaults) at once, each
// with its path, the bad value and what is allowed.
func (o Options) validate() error {
	var ps []string
	add := func(path, format string, args ...any) {
		ps = append(ps, path+": "+fmt.Sprintf(format, args...))
	}
	if len(o.Sources) == 0 {
		add("sources", "at least one source is required")
	}
	targets := map[string]bool{}
	needEC := false
	for i, s := range o.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		if s.Target == "" {
			add(p+".target", "required")
		} else if targets[s.Target] {
			add(p+".target", "duplicate target %q", s.Target)
		}
		targets[s.Target] = true
		named := 0
		for _, set := range []bool{s.ReplicationGroup != "", len(s.CacheClusters) > 0, len(s.Nodes) > 0, s.ServerlessCache != ""} {
			if set {
				named++
			}
		}
		if named != 1 {
			add(p, "name exactly one of replication_group, cache_clusters, nodes or serverless_cache, got %d", named)
		}
		needEC = needEC || s.ReplicationGroup != "" || len(s.CacheClusters) > 0
		for j, c := range s.CacheClusters {
			if c == "" {
				add(fmt.Sprintf("%s.cache_clusters[%d]", p, j), "must not be empty")
			}
		}
		for j, n := range s.Nodes {
			np := fmt.Sprintf("%s.nodes[%d]", p, j)
			if n.CacheCluster == "" {
				add(np+".cache_cluster", "required: the cache cluster id of the node")
			}
			if n.Node == "" {
				add(np+".node", `required: the node id, such as "0001"`)
			}
		}
	}
	names("metrics", o.Metrics, add)
	names("serverless_metrics", o.ServerlessMetrics, add)
	seen := map[string]bool{}
	for i, st := range o.Statistics {
		p := fmt.Sprintf("statistics[%d]", i)
		switch {
		case !slices.Contains(statistics, st) && !percentileRE.MatchString(st):
			add(p, "must be one of %s or a percentile such as p99, got %q", strings.Join(statistics, ", "), st)
		case seen[st]:
			add(p, "duplicate statistic %q", st)
		}
		seen[st] = true
	}
	if o.Period < 0 || o.Period%time.Minute != 0 {
		add("period", "must be a positive multiple of 60s (ElastiCache publishes per minute), got %v", o.Period)
	}
	if o.PollInterval < 0 {
		add("poll_interval", "must be > 0, got %v", o.PollInterval)
	}
	if o.Lookback < o.Period {
		add("lookback", "must be >= period (%v), got %v", o.Period, o.Lookback)
	}
	if o.DiscoveryInterval < 0 {
		add("discovery_interval", "must be > 0, got %v", o.DiscoveryInterval)
	}
	if o.CloudWatch == nil {
		add("cloudwatch", "a GetMetricData client is required")
	}
	if needEC && o.ElastiCache == nil {
		add("elasticache", "a Describe client is required to discover the nodes of replication groups and cache clusters")
	}
	if len(ps) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidOptions, strings.Join(ps, "; "))
}

func names(path string, ms []string, add func(path, format string, args ...any)) {
	seen := map[string]bool{}
	for i, m := range ms {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !metricNameRE.MatchString(m):
			add(p, "must be a CloudWatch metric name such as EngineCPUUtilization, got %q", m)
		case seen[m]:
			add(p, "duplicate metric %q", m)
		}
		seen[m] = true
	}
}

// Errors.
var (
	// ErrInvalidOptions wraps every problem New finds in its Options.
	ErrInvalidOptions = errors.New("cloudwatch: invalid options")

	errNotFound      = errors.New("not in the response")
	errRepeatedToken = errors.New("GetMetricData returned the same NextToken twice")
	errTooManyPages  = fmt.Errorf("GetMetricData returned more than %d pages", maxPages)
)
