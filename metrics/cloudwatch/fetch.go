package cloudwatch

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

const (
	namespace         = "AWS/ElastiCache"
	maxQueriesPerCall = 500 // GetMetricData's limit
	maxPages          = 100 // per batch; a round asks for ~Lookback/Period datapoints per query, far below a page
)

// failedResults maps the result statuses that carry no data to reasons.
var failedResults = map[types.StatusCode]string{
	types.StatusCodeForbidden:     reasonAccessDenied,
	types.StatusCodeInternalError: reasonServer,
}

// seriesKey identifies one exported series, apart from the engine label,
// which is read at scrape time.
type seriesKey struct {
	target, cluster, node, metric, stat string
}

// point is the latest datapoint of a series; at is the start of its period.
type point struct {
	value float64
	at    time.Time
}

// batch is the queries of one GetMetricData call. Query i has the Id "q<i>"
// and feeds keys[i].
type batch struct {
	queries []types.MetricDataQuery
	keys    []seriesKey
	targets []string // the targets with queries in the batch
}

// buildBatches returns every query of the current node lists, in source,
// node, metric and statistic order, cut into batches of at most 500.
func (p *Poller) buildBatches() []batch {
	var bs []batch
	for _, s := range p.sources {
		metrics := p.o.Metrics
		if s.ServerlessCache != "" {
			metrics = p.o.ServerlessMetrics
		}
		for _, n := range s.nodes {
			dims := dimensions(s, n)
			for _, m := range metrics {
				for _, st := range p.o.Statistics {
					if len(bs) == 0 || len(bs[len(bs)-1].keys) == maxQueriesPerCall {
						bs = append(bs, batch{})
					}
					b := &bs[len(bs)-1]
					b.queries = append(b.queries, types.MetricDataQuery{
						Id: aws.String("q" + strconv.Itoa(len(b.keys))),
						MetricStat: &types.MetricStat{
							Metric: &types.Metric{
								Namespace:  aws.String(namespace),
								MetricName: aws.String(m),
								Dimensions: dims,
							},
							Period: aws.Int32(int32(p.o.Period / time.Second)),
							Stat:   aws.String(st),
						},
					})
					b.keys = append(b.keys, seriesKey{target: s.Target, cluster: n.CacheCluster, node: n.Node, metric: m, stat: st})
					if t := b.targets; len(t) == 0 || t[len(t)-1] != s.Target {
						b.targets = append(b.targets, s.Target)
					}
				}
			}
		}
	}
	return bs
}

// dimensions returns the CloudWatch dimensions of a node: clusterId for a
// serverless cache, CacheClusterId and CacheNodeId otherwise.
func dimensions(s *source, n Node) []types.Dimension {
	if s.ServerlessCache != "" {
		return []types.Dimension{{Name: aws.String("clusterId"), Value: aws.String(n.CacheCluster)}}
	}
	return []types.Dimension{
		{Name: aws.String("CacheClusterId"), Value: aws.String(n.CacheCluster)},
		{Name: aws.String("CacheNodeId"), Value: aws.String(n.Node)},
	}
}

// index returns the query index of a result Id.
func (b *batch) index(id string) (int, bool) {
	if len(id) < 2 || id[0] != 'q' {
		return 0, false
	}
	i, err := strconv.Atoi(id[1:])
	if err != nil || i < 0 || i >= len(b.keys) || "q"+strconv.Itoa(i) != id {
		return 0, false
	}
	return i, true
}

// fetch sends one batch over [start, end), following NextToken, and stores
// the latest datapoint of each query that has one. A query without a
// datapoint keeps its last good value, unless CloudWatch answered it
// completely and that value is older than start: then the series is gone
// (a replica's ReplicationLag after it was promoted, say). Results that
// arrived before an error are kept.
func (p *Poller) fetch(ctx context.Context, b *batch, start, end time.Time) error {
	latest := make([]point, len(b.keys))
	status := make([]types.StatusCode, len(b.keys))
	in := &cloudwatch.GetMetricDataInput{
		StartTime:         aws.Time(start),
		EndTime:           aws.Time(end),
		MetricDataQueries: b.queries,
		ScanBy:            types.ScanByTimestampDescending,
	}
	tokens := map[string]bool{}
	var err error
	for page := 0; ; page++ {
		if page == maxPages {
			err = errTooManyPages
			break
		}
		var out *cloudwatch.GetMetricDataOutput
		out, err = p.getMetricData(ctx, in)
		if err != nil {
			break
		}
		for _, r := range out.MetricDataResults {
			i, ok := b.index(aws.ToString(r.Id))
			if !ok {
				continue
			}
			// A result split over pages says PartialData on all but its last.
			status[i] = r.StatusCode
			for j := range min(len(r.Timestamps), len(r.Values)) {
				if ts := r.Timestamps[j]; !ts.IsZero() && ts.After(latest[i].at) {
					latest[i] = point{value: r.Values[j], at: ts}
				}
			}
		}
		token := aws.ToString(out.NextToken)
		if token == "" {
			break
		}
		if tokens[token] {
			err = errRepeatedToken
			break
		}
		tokens[token] = true
		in.NextToken = aws.String(token)
	}
	p.store(b, latest, status, start)
	return err
}

func (p *Poller) getMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	p.requests.WithLabelValues(apiGetMetricData).Inc()
	p.queries.Add(float64(len(in.MetricDataQueries)))
	return p.o.CloudWatch.GetMetricData(ctx, in)
}

// store applies a batch's answers to the snapshot. Results that CloudWatch
// could not compute (status Forbidden or InternalError) count as errors,
// fail their target's round and keep their last good value.
func (p *Poller) store(b *batch, latest []point, status []types.StatusCode, start time.Time) {
	first := -1
	for i, st := range status {
		reason := failedResults[st]
		if reason == "" {
			continue
		}
		p.errors.WithLabelValues(apiGetMetricData, reason).Inc()
		p.failed[b.keys[i].target] = true
		if first < 0 {
			first = i
		}
	}
	if first >= 0 {
		k := b.keys[first]
		p.o.Log.Warn("cloudwatch: GetMetricData could not compute results", "status", string(status[first]),
			"target", k.target, "cluster", k.cluster, "node", k.node, "metric", k.metric, "stat", k.stat)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, k := range b.keys {
		cur, have := p.values[k]
		switch {
		case !latest[i].at.IsZero():
			if !have || !latest[i].at.Before(cur.at) {
				p.values[k] = latest[i]
			}
		case have && status[i] == types.StatusCodeComplete && cur.at.Before(start):
			delete(p.values, k)
		}
	}
}
