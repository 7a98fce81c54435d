package cloudwatch

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// callTimeout bounds each AWS call, so a hung connection delays one round,
// not every round after it.
const callTimeout = 30 * time.Second

// Poller polls CloudWatch for ElastiCache's own metrics and keeps the latest
// datapoint of each series in memory for scrapes. Create it with New and
// start it with Run.
type Poller struct {
	o       Options
	sources []*source
	running atomic.Bool

	// State of the Run goroutine, which alone touches it.
	batches    []batch
	stale      bool // node lists changed: rebuild batches
	next       int  // the batch the current round continues with; 0 between rounds
	roundStart time.Time
	failed     map[string]bool // targets with a failed call in the current round
	throttles  int             // throttled calls since the last unthrottled one

	mu      sync.Mutex // guards the snapshot below, which scrapes read
	values  map[seriesKey]point
	lastOK  map[string]time.Time // by target
	engines map[string]string    // by target, as ElastiCache reports it

	errors   *prometheus.CounterVec
	requests *prometheus.CounterVec
	queries  prometheus.Counter
}

// source is a configured Source and its current node list.
type source struct {
	Source
	nodes         []Node    // sorted; ServerlessCache: one with Node ""
	nextDiscovery time.Time // zero: due
}

func (s *source) discovered() bool { return s.ReplicationGroup != "" || len(s.CacheClusters) > 0 }

// New validates o, fills in its defaults and registers the poller's metrics
// with reg. It makes no AWS call: Run does.
func New(reg prometheus.Registerer, o Options) (*Poller, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	p := &Poller{
		o:       o,
		failed:  map[string]bool{},
		values:  map[seriesKey]point{},
		lastOK:  map[string]time.Time{},
		engines: map[string]string{},
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_cloudwatch_errors_total",
			Help: "Failed CloudWatch and ElastiCache API calls (after the SDK's retries) and failed GetMetricData results, by API and reason (throttled, access_denied, not_found, invalid, network, server, other).",
		}, []string{"api", "reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_cloudwatch_requests_total",
			Help: "CloudWatch and ElastiCache API calls made, by API; each page of a GetMetricData answer is a call.",
		}, []string{"api"}),
		queries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ecbench_cloudwatch_metric_queries_total",
			Help: "Metric queries sent in GetMetricData calls. CloudWatch bills GetMetricData per metric requested, so this bounds the bill.",
		}),
	}
	apis := []string{apiGetMetricData}
	for _, s := range o.Sources {
		src := &source{Source: s}
		switch {
		case s.ServerlessCache != "":
			src.nodes = []Node{{CacheCluster: s.ServerlessCache}}
		case len(s.Nodes) > 0:
			src.nodes = sortNodes(s.Nodes)
		case s.ReplicationGroup != "":
			apis = append(apis, apiDescribeReplicationGroups)
		default:
			apis = append(apis, apiDescribeCacheClusters)
		}
		p.sources = append(p.sources, src)
	}
	p.stale = true
	// Every series exists from the start, so rate() and alerts see the
	// first error.
	slices.Sort(apis)
	for _, api := range slices.Compact(apis) {
		p.requests.WithLabelValues(api)
		for _, r := range reasons {
			p.errors.WithLabelValues(api, r)
		}
	}
	cs := []prometheus.Collector{newCollector(p), p.errors, p.requests, p.queries}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] { // leave reg as it was
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("cloudwatch: register: %w", err)
		}
	}
	return p, nil
}

// sortNodes returns the distinct nodes of ns in order.
func sortNodes(ns []Node) []Node {
	ns = slices.Clone(ns)
	slices.SortFunc(ns, compareNodes)
	return slices.Compact(ns)
}

func compareNodes(a, b Node) int {
	return cmp.Or(cmp.Compare(a.CacheCluster, b.CacheCluster), cmp.Compare(a.Node, b.Node))
}

// Run discovers nodes and polls until ctx is done, then returns promptly
// (an AWS call in flight is cancelled). Call it once.
func (p *Poller) Run(ctx context.Context) {
	if !p.running.CompareAndSwap(false, true) {
		panic("cloudwatch: Poller.Run called twice")
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(p.step(ctx))
	}
}

// step does one unit of Run's work and returns how long to wait before the
// next. At the start of a round it refreshes the node lists that are due;
// then it sends the round's GetMetricData calls, one per batch of at most
// 500 queries. A throttled call ends the step early: the round resumes with
// that batch after a backoff, while the batches not yet polled keep
// exporting their last values.
//
//	round:  discover? ── batch 0 ── batch 1 ── … ── batch n ──▶ wait PollInterval from the round's start
//	                                   │ throttled
//	                                   └─ wait backoff(k), then resume at batch 1
//
// Throttling is an account-wide rate limit, so the whole poller backs off,
// rather than sending the other batches into the same limit.
func (p *Poller) step(ctx context.Context) time.Duration {
	now := p.o.Now()
	if p.next == 0 {
		p.roundStart = now
		clear(p.failed)
		p.discoverDue(ctx, now)
		if p.stale {
			p.batches = p.buildBatches()
			p.stale = false
			p.logPlan()
		}
	}
	end := alignDown(now, p.o.Period)
	start := end.Add(-p.o.Lookback)
	for p.next < len(p.batches) {
		b := &p.batches[p.next]
		err := p.fetch(ctx, b, start, end)
		if ctx.Err() != nil {
			return 0
		}
		if err != nil {
			reason := classify(err)
			p.errors.WithLabelValues(apiGetMetricData, reason).Inc()
			if reason == reasonThrottled {
				p.throttles++
				d := p.backoff(p.throttles)
				p.o.Log.Warn("cloudwatch: GetMetricData throttled, backing off",
					"batch", p.next, "batches", len(p.batches), "throttled", p.throttles, "backoff", d, "error", err)
				return d
			}
			p.o.Log.Warn("cloudwatch: GetMetricData failed",
				"batch", p.next, "reason", reason, "targets", b.targets, "error", err)
			for _, t := range b.targets {
				p.failed[t] = true
			}
		}
		p.throttles = 0
		p.next++
	}
	p.next = 0
	p.finishRound()
	wait := p.roundStart.Add(p.o.PollInterval).Sub(p.o.Now())
	return max(wait, 0)
}

// logPlan logs what a round asks for and what that adds up to, since
// CloudWatch bills GetMetricData per metric requested.
func (p *Poller) logPlan() {
	queries := 0
	for _, b := range p.batches {
		queries += len(b.queries)
	}
	p.o.Log.Info("cloudwatch: polling plan",
		"queries_per_round", queries, "calls_per_round", len(p.batches), "poll_interval", p.o.PollInterval,
		"metrics_requested_per_30_days", int64(float64(queries)*float64(30*24*time.Hour)/float64(p.o.PollInterval)))
}

// finishRound records the success of every target that has nodes and no
// failed call in the round just finished.
func (p *Poller) finishRound() {
	now := p.o.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sources {
		if len(s.nodes) > 0 && !p.failed[s.Target] {
			p.lastOK[s.Target] = now
		}
	}
}

// backoff returns the delay after the k-th throttled call in a row (k >= 1):
// exponential from a quarter of the poll interval, capped at four poll
// intervals, with "equal jitter" (uniform in [d/2, d]) so that several
// ecbench daemons throttled together do not retry together.
//
//	k:  1     2    3    4    5 …
//	d:  P/4   P/2  P    2P   4P (cap)
func (p *Poller) backoff(k int) time.Duration {
	base, ceiling := p.o.PollInterval/4, 4*p.o.PollInterval
	d := ceiling
	if k <= 4 { // base << 4 == ceiling
		d = base << (k - 1)
	}
	d = max(d, time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

// alignDown returns t rounded down to a multiple of d since the Unix epoch,
// so query windows and datapoint periods line up with CloudWatch's.
func alignDown(t time.Time, d time.Duration) time.Time {
	s := int64(d / time.Second)
	u := t.Unix()
	return time.Unix(u-u%s, 0).In(t.Location())
}
