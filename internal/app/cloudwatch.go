package app

import (
	"context"
	"fmt"

	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// cloudWatch builds the poller of ElastiCache's own metrics for the
// targets that name an ElastiCache resource, with clients from the AWS
// default chain; nil when polling is off.
func (p *Plan) cloudWatch(ctx context.Context) (*cloudwatch.Poller, error) {
	if !p.cfg.CloudWatch.Enabled {
		return nil, nil
	}
	cw, ec, err := cloudwatch.NewClients(ctx, p.cfg.CloudWatch.Region)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch: %w", err)
	}
	return p.newPoller(cw, ec)
}

// newPoller is cloudWatch with the SDK clients given.
func (p *Plan) newPoller(cw cwsdk.GetMetricDataAPIClient, ec cloudwatch.DescribeAPI) (*cloudwatch.Poller, error) {
	cfg := p.cfg
	c := cfg.CloudWatch
	o := cloudwatch.Options{
		Metrics: c.Metrics, ServerlessMetrics: c.ServerlessMetrics, Statistics: c.Statistics,
		Period: c.Period, PollInterval: c.PollInterval, Lookback: c.Lookback, DiscoveryInterval: c.DiscoveryInterval,
		CloudWatch: cw, ElastiCache: ec,
		Log: zapEvents{p.log.Named("cloudwatch").Sugar()},
	}
	for _, tc := range cfg.Targets {
		if !tc.CloudWatch.Set() {
			continue
		}
		src := cloudwatch.Source{
			Target: tc.Name, Engine: p.byName[tc.Name].Engine,
			ReplicationGroup: tc.CloudWatch.ReplicationGroup, CacheClusters: tc.CloudWatch.CacheClusters,
			ServerlessCache: tc.CloudWatch.ServerlessCache,
		}
		for _, n := range tc.CloudWatch.Nodes {
			src.Nodes = append(src.Nodes, cloudwatch.Node{CacheCluster: n.CacheCluster, Node: n.Node})
		}
		o.Sources = append(o.Sources, src)
	}
	return cloudwatch.New(p.reg, o)
}

// zapEvents adapts zap to the poller's event logger.
type zapEvents struct{ log *zap.SugaredLogger }

func (z zapEvents) Info(msg string, kv ...any) { z.log.Infow(msg, kv...) }
func (z zapEvents) Warn(msg string, kv ...any) { z.log.Warnw(msg, kv...) }
