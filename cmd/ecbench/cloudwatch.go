package main

import (
	"context"
	"fmt"

	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// newCloudWatch builds the poller of ElastiCache's own metrics for the
// targets that name an ElastiCache resource, with clients from the AWS
// default chain; nil when polling is off.
func newCloudWatch(ctx context.Context, cfg *config.Config, targets map[string]*target.Target, reg prometheus.Registerer, log *zap.Logger) (*cloudwatch.Poller, error) {
	if !cfg.CloudWatch.Enabled {
		return nil, nil
	}
	cw, ec, err := cloudwatch.NewClients(ctx, cfg.CloudWatch.Region)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch: %w", err)
	}
	return newPoller(cfg, targets, reg, cw, ec, log)
}

// newPoller is newCloudWatch with the SDK clients given, for tests that
// point them at a fake endpoint.
func newPoller(cfg *config.Config, targets map[string]*target.Target, reg prometheus.Registerer,
	cw cwsdk.GetMetricDataAPIClient, ec cloudwatch.DescribeAPI, log *zap.Logger) (*cloudwatch.Poller, error) {
	c := cfg.CloudWatch
	o := cloudwatch.Options{
		Metrics: c.Metrics, ServerlessMetrics: c.ServerlessMetrics, Statistics: c.Statistics,
		Period: c.Period, PollInterval: c.PollInterval, Lookback: c.Lookback, DiscoveryInterval: c.DiscoveryInterval,
		CloudWatch: cw, ElastiCache: ec,
		Log: zapEvents{log.Named("cloudwatch").Sugar()},
	}
	for _, tc := range cfg.Targets {
		if !tc.CloudWatch.Set() {
			continue
		}
		src := cloudwatch.Source{
			Target: tc.Name, Engine: targets[tc.Name].Engine,
			ReplicationGroup: tc.CloudWatch.ReplicationGroup, CacheClusters: tc.CloudWatch.CacheClusters,
			ServerlessCache: tc.CloudWatch.ServerlessCache,
		}
		for _, n := range tc.CloudWatch.Nodes {
			src.Nodes = append(src.Nodes, cloudwatch.Node{CacheCluster: n.CacheCluster, Node: n.Node})
		}
		o.Sources = append(o.Sources, src)
	}
	return cloudwatch.New(reg, o)
}

// zapEvents adapts zap to the poller's event logger.
type zapEvents struct{ log *zap.SugaredLogger }

func (z zapEvents) Info(msg string, kv ...any) { z.log.Infow(msg, kv...) }
func (z zapEvents) Warn(msg string, kv ...any) { z.log.Warnw(msg, kv...) }
