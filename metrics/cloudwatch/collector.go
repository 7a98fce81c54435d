package cloudwatch

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/loadgen/engine"
)

var _ prometheus.Collector = (*collector)(nil)

// collector exports the poller's snapshot. It reads memory only: a scrape
// never waits for AWS.
type collector struct {
	p                 *Poller
	value, at, lastOK *prometheus.Desc
	engine            map[string]func() engine.Engine // by target; nil entries allowed
}

func newCollector(p *Poller) *collector {
	labels := []string{"target", "engine", "cluster", "node", "metric", "stat"}
	c := &collector{
		p: p,
		value: prometheus.NewDesc("ecbench_cloudwatch_value",
			"Latest CloudWatch datapoint of an AWS/ElastiCache metric and statistic, in the metric's CloudWatch unit. cluster and node are the CacheClusterId and CacheNodeId dimensions (for a serverless cache: its name, and node is empty).",
			labels, nil),
		at: prometheus.NewDesc("ecbench_cloudwatch_value_timestamp_seconds",
			"Start of the CloudWatch period of the datapoint in ecbench_cloudwatch_value, in seconds since the Unix epoch; its age is time() minus this minus the period.",
			labels, nil),
		lastOK: prometheus.NewDesc("ecbench_cloudwatch_last_success_timestamp_seconds",
			"When the last polling round in which every GetMetricData call and node discovery for the target succeeded ended, in seconds since the Unix epoch; 0 until one has.",
			[]string{"target"}, nil),
		engine: map[string]func() engine.Engine{},
	}
	for _, s := range p.sources {
		c.engine[s.Target] = s.Engine
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.value
	ch <- c.at
	ch <- c.lastOK
}

type sample struct {
	k seriesKey
	v point
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	p := c.p
	p.mu.Lock()
	samples := make([]sample, 0, len(p.values))
	for k, v := range p.values {
		samples = append(samples, sample{k, v})
	}
	engines := make(map[string]string, len(c.engine))
	for t := range c.engine {
		engines[t] = p.engines[t]
	}
	lastOK := make([]float64, len(p.sources))
	for i, s := range p.sources {
		if t, ok := p.lastOK[s.Target]; ok {
			lastOK[i] = seconds(t)
		}
	}
	p.mu.Unlock()

	// The target's engine comes first: it follows an in-place upgrade as
	// soon as the target reports it, and matches ecbench's other series.
	for t, f := range c.engine {
		if f != nil {
			if e := f(); e != "" {
				engines[t] = string(e)
			}
		}
		// Neither the target nor ElastiCache names one: an empty label
		// value would look like a missing label.
		if engines[t] == "" {
			engines[t] = engine.Unknown.Label()
		}
	}
	for _, s := range samples {
		lv := []string{s.k.target, engines[s.k.target], s.k.cluster, s.k.node, s.k.metric, s.k.stat}
		ch <- prometheus.MustNewConstMetric(c.value, prometheus.GaugeValue, s.v.value, lv...)
		ch <- prometheus.MustNewConstMetric(c.at, prometheus.GaugeValue, seconds(s.v.at), lv...)
	}
	for i, s := range p.sources {
		ch <- prometheus.MustNewConstMetric(c.lastOK, prometheus.GaugeValue, lastOK[i], s.Target)
	}
}
