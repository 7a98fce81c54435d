package cloudwatch

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/metrictest"
)

// TestRun runs the real loop on real timers with a short poll interval:
// two throttled calls, then data. Scrapes run alongside (for the race
// detector), and Run returns promptly when cancelled.
func TestRun(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	fake.SetReplicationGroup(group("rg", "valkey", Node{"rg-001", "0001"}, Node{"rg-002", "0001"}))
	fake.SetMetricData(steady)
	fake.FailGetMetricData(func(call int, _ awsfake.MetricDataRequest) *awsfake.Error {
		if call <= 2 {
			return &awsfake.Error{Status: 400, Code: "Throttling"}
		}
		return nil
	})
	e := newEnv(t, fake, Options{
		Sources:      []Source{{Target: "t", ReplicationGroup: "rg"}},
		PollInterval: 40 * time.Millisecond,
		Now:          time.Now,
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.p.Run(ctx)
	}()
	var scrapes sync.WaitGroup
	scrapes.Go(func() {
		for ctx.Err() == nil {
			testutil.CollectAndCount(e.reg)
			time.Sleep(time.Millisecond)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v := metrictest.Values(t, e.reg, "ecbench_cloudwatch_last_success_timestamp_seconds")["target=t,"]; v > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no successful round within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(metrictest.Values(t, e.reg, "ecbench_cloudwatch_value")); n != 2*len(DefaultMetrics()) {
		t.Errorf("%d series, want %d", n, 2*len(DefaultMetrics()))
	}
	if got := testutil.ToFloat64(e.p.errors.WithLabelValues(apiGetMetricData, reasonThrottled)); got != 2 {
		t.Errorf("errors_total{throttled} = %v, want 2", got)
	}
	// A few more rounds happen on the poll interval.
	calls := len(fake.MetricDataCalls())
	time.Sleep(200 * time.Millisecond)
	if n := len(fake.MetricDataCalls()) - calls; n < 2 || n > 6 {
		t.Errorf("%d rounds in 200ms at a 40ms poll interval", n)
	}
	stopped := time.Now()
	cancel()
	<-done
	scrapes.Wait()
	if d := time.Since(stopped); d > time.Second {
		t.Errorf("Run took %v to return", d)
	}
}

// TestRunCancelsInFlightCall cancels Run while GetMetricData hangs.
func TestRunCancelsInFlightCall(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	arrived := make(chan struct{}, 1)
	fake.BeforeMetricData(func(r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	e := newEnv(t, fake, Options{Sources: []Source{{Target: "t", ServerlessCache: "sls"}}, Now: time.Now})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.p.Run(ctx)
	}()
	<-arrived
	stopped := time.Now()
	cancel()
	<-done
	if d := time.Since(stopped); d > time.Second {
		t.Errorf("Run took %v to return", d)
	}
	for _, r := range reasons { // cancellation is not an error
		if got := testutil.ToFloat64(e.p.errors.WithLabelValues(apiGetMetricData, r)); got != 0 {
			t.Errorf("errors_total{%s} = %v after a cancel", r, got)
		}
	}
}

// TestErrorReasons classifies the errors the real SDK returns for real
// error answers of both protocols.
func TestErrorReasons(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		cw   bool // a CloudWatch error; else ElastiCache
		err  awsfake.Error
		want string
	}{
		{"cw Throttling", true, awsfake.Error{Status: 400, Code: "Throttling"}, reasonThrottled},
		{"cw query-compatible throttling", true, awsfake.Error{Status: 400, Code: "com.amazon.coral.availability#ThrottlingException", QueryError: "Throttling;Sender"}, reasonThrottled},
		{"cw 429", true, awsfake.Error{Status: 429, Code: "com.amazonaws.cloudwatch#SomethingNew"}, reasonThrottled},
		{"cw access denied", true, awsfake.Error{Status: 403, Code: "AccessDeniedException", QueryError: "AccessDenied;Sender"}, reasonAccessDenied},
		{"cw bad token", true, awsfake.Error{Status: 403, Code: "UnrecognizedClientException"}, reasonAccessDenied},
		{"cw invalid", true, awsfake.Error{Status: 400, Code: "com.amazonaws.cloudwatch#InvalidParameterValueException", QueryError: "InvalidParameterValue;Sender"}, reasonInvalid},
		{"cw server", true, awsfake.Error{Status: 500, Code: "com.amazonaws.cloudwatch#InternalServiceFault", QueryError: "InternalServiceError;Receiver"}, reasonServer},
		{"cw unavailable", true, awsfake.Error{Status: 503, Code: "ServiceUnavailable"}, reasonServer},
		{"cw hangup", true, awsfake.Error{Hangup: true}, reasonNetwork},
		{"ec Throttling", false, awsfake.Error{Status: 400, Code: "Throttling"}, reasonThrottled},
		{"ec group not found", false, awsfake.Error{Status: 404, Code: "ReplicationGroupNotFoundFault"}, reasonNotFound},
		{"ec access denied", false, awsfake.Error{Status: 403, Code: "AccessDenied"}, reasonAccessDenied},
		{"ec invalid", false, awsfake.Error{Status: 400, Code: "InvalidParameterValue"}, reasonInvalid},
		{"ec unknown 4xx", false, awsfake.Error{Status: 400, Code: "SomethingNew"}, reasonInvalid},
		{"ec hangup", false, awsfake.Error{Hangup: true}, reasonNetwork},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fake := awsfake.New(t)
			fake.FailGetMetricData(func(int, awsfake.MetricDataRequest) *awsfake.Error { return &c.err })
			fake.FailElastiCache(func(string) *awsfake.Error { return &c.err })
			cw, ec := fake.Clients(t)
			var err error
			if c.cw {
				_, err = cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
					StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
					MetricDataQueries: buildTestQueries(),
				})
			} else {
				_, err = ec.DescribeReplicationGroups(t.Context(), &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("rg")})
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := classify(err); got != c.want {
				t.Errorf("classify(%v) = %q, want %q", err, got, c.want)
			}
		})
	}
	if got := classify(errors.New("boom")); got != reasonOther {
		t.Errorf("classify(plain error) = %q", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 0)
	defer cancel()
	<-ctx.Done()
	if got := classify(ctx.Err()); got != reasonNetwork {
		t.Errorf("classify(deadline) = %q, want network", got)
	}
}

func buildTestQueries() []types.MetricDataQuery {
	p := &Poller{o: Options{Metrics: []string{"CurrConnections"}, Statistics: []string{"Average"}, Period: time.Minute},
		sources: []*source{{Source: Source{Target: "t"}, nodes: []Node{{"c", "0001"}}}}}
	return p.buildBatches()[0].queries
}

// TestNew checks option validation against exact messages, and
// registration.
func TestNew(t *testing.T) {
	t.Parallel()
	cw, ec := awsfake.New(t).Clients(t)
	ok := Options{Sources: []Source{{Target: "t", ReplicationGroup: "rg"}}, CloudWatch: cw, ElastiCache: ec}
	for _, c := range []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"no sources", func(o *Options) { o.Sources = nil }, "sources: at least one source is required"},
		{"no target", func(o *Options) { o.Sources[0].Target = "" }, "sources[0].target: required"},
		{"duplicate target", func(o *Options) { o.Sources = append(o.Sources, Source{Target: "t", ServerlessCache: "s"}) },
			`sources[1].target: duplicate target "t"`},
		{"two resources", func(o *Options) { o.Sources[0].ServerlessCache = "s" },
			"sources[0]: name exactly one of replication_group, cache_clusters, nodes or serverless_cache, got 2"},
		{"no resource", func(o *Options) { o.Sources[0].ReplicationGroup = "" },
			"sources[0]: name exactly one of replication_group, cache_clusters, nodes or serverless_cache, got 0"},
		{"empty cache cluster", func(o *Options) { o.Sources[0] = Source{Target: "t", CacheClusters: []string{"c", ""}} },
			"sources[0].cache_clusters[1]: must not be empty"},
		{"incomplete node", func(o *Options) { o.Sources[0] = Source{Target: "t", Nodes: []Node{{CacheCluster: "c"}}} },
			`sources[0].nodes[0].node: required: the node id, such as "0001"`},
		{"bad metric", func(o *Options) { o.Metrics = []string{"CPU Utilization"} },
			`metrics[0]: must be a CloudWatch metric name such as EngineCPUUtilization, got "CPU Utilization"`},
		{"duplicate metric", func(o *Options) { o.ServerlessMetrics = []string{"A", "A"} }, `serverless_metrics[1]: duplicate metric "A"`},
		{"bad statistic", func(o *Options) { o.Statistics = []string{"Median"} },
			`statistics[0]: must be one of Average, Minimum, Maximum, Sum, SampleCount or a percentile such as p99, got "Median"`},
		{"duplicate statistic", func(o *Options) { o.Statistics = []string{"p99", "p99"} }, `statistics[1]: duplicate statistic "p99"`},
		{"period", func(o *Options) { o.Period = 90 * time.Second },
			"period: must be a positive multiple of 60s (ElastiCache publishes per minute), got 1m30s"},
		{"poll interval", func(o *Options) { o.PollInterval = -time.Second }, "poll_interval: must be > 0, got -1s"},
		{"lookback", func(o *Options) { o.Period, o.Lookback = 5*time.Minute, time.Minute }, "lookback: must be >= period (5m0s), got 1m0s"},
		{"discovery interval", func(o *Options) { o.DiscoveryInterval = -1 }, "discovery_interval: must be > 0, got -1ns"},
		{"no cloudwatch", func(o *Options) { o.CloudWatch = nil }, "cloudwatch: a GetMetricData client is required"},
		{"no elasticache", func(o *Options) { o.ElastiCache = nil },
			"elasticache: a Describe client is required to discover the nodes of replication groups and cache clusters"},
		{"two problems", func(o *Options) { o.Sources[0].Target = ""; o.Period = -time.Minute },
			"sources[0].target: required; period: must be a positive multiple of 60s (ElastiCache publishes per minute), got -1m0s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := ok
			o.Sources = append([]Source(nil), ok.Sources...)
			c.edit(&o)
			_, err := New(prometheus.NewRegistry(), o)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("err %v, want ErrInvalidOptions", err)
			}
			if got := strings.TrimPrefix(err.Error(), "cloudwatch: invalid options: "); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	t.Run("explicit nodes need no ElastiCache client", func(t *testing.T) {
		t.Parallel()
		o := Options{Sources: []Source{{Target: "t", Nodes: []Node{{"c", "0001"}}}, {Target: "s", ServerlessCache: "s"}}, CloudWatch: cw}
		if _, err := New(prometheus.NewRegistry(), o); err != nil {
			t.Error(err)
		}
	})
	t.Run("registering twice fails and leaves the registry as it was", func(t *testing.T) {
		t.Parallel()
		reg := prometheus.NewRegistry()
		if _, err := New(reg, ok); err != nil {
			t.Fatal(err)
		}
		before := testutil.CollectAndCount(reg)
		if _, err := New(reg, ok); err == nil || !strings.HasPrefix(err.Error(), "cloudwatch: register: ") {
			t.Errorf("second New: %v", err)
		}
		if after := testutil.CollectAndCount(reg); after != before {
			t.Errorf("registry changed from %d to %d series", before, after)
		}
	})
}

func TestAlignDown(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		t    time.Time
		d    time.Duration
		want time.Time
	}{
		{t0, time.Minute, time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)},
		{t0, 5 * time.Minute, time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)},
		{t0.Add(-31 * time.Second), 5 * time.Minute, time.Date(2026, 5, 4, 11, 55, 0, 0, time.UTC)},
		{time.Unix(1000, 999), 7 * time.Minute, time.Unix(840, 0).UTC()}, // epoch multiples, not hour ones
	} {
		if got := alignDown(c.t, c.d); !got.Equal(c.want) {
			t.Errorf("alignDown(%v, %v) = %v, want %v", c.t, c.d, got, c.want)
		}
	}
}
