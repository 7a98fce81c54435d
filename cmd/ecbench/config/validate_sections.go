package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The sections beside targets and workloads: scenario, probes, CloudWatch
// and bench.

func (v validator) scenario(cfg *Config) {
	workloads := map[string]*Workload{}
	for i := range cfg.Workloads {
		workloads[cfg.Workloads[i].Name] = &cfg.Workloads[i]
	}
	names := newNames(len(cfg.Workloads), func(i int) string { return cfg.Workloads[i].Name }, maxWorkloads, false)
	scenario, _ := v.raw["scenario"].(map[string]any)
	phases, _ := scenario["phases"].([]any)
	seen := map[string]int{}
	for i := range cfg.Scenario.Phases {
		ph := &cfg.Scenario.Phases[i]
		p := indexPath("scenario.phases", i)
		v.name(p+".name", ph.Name)
		// A phase's name is the label value of ecbench_phase_info and
		// what the report shades: two phases of one name are one.
		v.unique("scenario.phases", i, ph.Name, seen)
		v.positive(p+".duration", ph.Duration)
		v.multiplier(p+".rate_multiplier", ph.RateMultiplier)
		var praw map[string]any
		if i < len(phases) {
			praw, _ = phases[i].(map[string]any)
		}
		wraws, _ := praw["workloads"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(ph.Workloads)) {
			pw := ph.Workloads[name]
			wp := keyPath(p+".workloads", name)
			w, known := workloads[name]
			switch {
			case !known:
				v.add(wp, fmt.Sprintf("unknown workload %s; workloads are: %s", quote(name), names.list))
				continue
			case !w.Rate.OpenLoop():
				v.add(wp, "workload "+quote(name)+" is closed loop: it has no rate to scale or replace")
				continue
			case (pw.RateMultiplier == nil) == (pw.Rate == nil):
				v.add(wp, "set one of rate_multiplier or rate")
			}
			if pw.RateMultiplier != nil {
				v.multiplier(wp+".rate_multiplier", *pw.RateMultiplier)
			}
			if pw.Rate != nil {
				rraw, _ := wraws[name].(map[string]any)
				rr, _ := rraw["rate"].(map[string]any)
				v.rate(wp+".rate", pw.Rate, rr)
				if !pw.Rate.OpenLoop() {
					v.add(wp+".rate.type", fmt.Sprintf("must be an open-loop schedule in a phase (%s), got %s",
						strings.Join(rateTypeNames(openLoop), ", "), quote(pw.Rate.Type)))
				}
			}
		}
		for j, a := range ph.Actions {
			ap := indexPath(p+".actions", j)
			if !v.oneOf(ap+".type", a.Type, ActionFailover) {
				continue
			}
			if a.ReplicationGroup == "" {
				v.add(ap+".replication_group", "required: the replication group to fail over")
			}
			if a.Timeout < 0 {
				v.add(ap+".timeout", "must be >= 0 (0: 15m), got "+describe(a.Timeout))
			}
		}
	}
	v.interval("failover.poll_interval", cfg.Failover.PollInterval)
}

func (v validator) multiplier(p string, m float64) {
	if !(m >= 0) || m > maxMultiplier {
		v.add(p, "must be >= 0 (1 runs the workload as configured, 0 pauses it), got "+formatFloat(m))
	}
}

func (v validator) probes(p string, pr Probes) {
	a := pr.Availability
	v.interval(p+".availability.interval", a.Interval)
	v.positive(p+".availability.timeout", a.Timeout)
	i := pr.Integrity
	ip := p + ".integrity"
	v.positive(ip+".timeout", i.Timeout)
	v.between(ip+".value_size", i.ValueSize, 48, maxValueSize)
	if !(i.Sample > 0 && i.Sample <= 1) {
		v.add(ip+".sample", "must be > 0 and <= 1 (the share of writes read back), got "+formatFloat(i.Sample))
	}
	if v.interval(ip+".interval", i.Interval) && v.positive(ip+".verify_delay", i.VerifyDelay) {
		// A record must be read back before the ring comes round to its key.
		if need := int(i.VerifyDelay/i.Interval) + 1; i.Keys <= need {
			v.add(ip+".keys", fmt.Sprintf("must be > verify_delay/interval = %d (a record is read back before its key is rewritten), got %d", need-1, i.Keys))
		}
	}
	v.between(ip+".keys", i.Keys, 1, maxKeyCount)
	switch {
	case !(i.SweepRate > 0 && i.SweepRate <= maxSweepRate):
		v.add(ip+".sweep_rate", fmt.Sprintf("must be > 0 and <= %d (writes read again per second), got %s", maxSweepRate, formatFloat(i.SweepRate)))
	case i.Interval >= minInterval && i.Sample > 0 && i.Sample <= 1:
		// A sweep slower than the checked writes arrive never comes round.
		if perSecond := i.Sample / i.Interval.Seconds(); i.SweepRate <= perSecond {
			v.add(ip+".sweep_rate", fmt.Sprintf("must be > sample/interval = %s (the checked writes per second), got %s", formatFloat(perSecond), formatFloat(i.SweepRate)))
		}
	}
}

// maxSweepRate bounds probes.integrity.sweep_rate: a million reads a second
// is a load test of its own, not a probe.
const maxSweepRate = 1_000_000

// cloudWatchStatistics are the statistics GetMetricData accepts besides
// percentiles (p0.0-p100).
var cloudWatchStatistics = []string{"Average", "Minimum", "Maximum", "Sum", "SampleCount"}

var percentileRE = regexp.MustCompile(`^p(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$`)

func (v validator) cloudWatch(cfg *Config) {
	c := cfg.CloudWatch
	const p = "cloudwatch"
	if v.positive(p+".period", c.Period) && c.Period%time.Minute != 0 {
		v.add(p+".period", "must be a multiple of 60s (ElastiCache publishes per minute), got "+describe(c.Period))
	}
	if v.positive(p+".poll_interval", c.PollInterval) && c.PollInterval < 10*time.Second {
		v.add(p+".poll_interval", "must be >= 10s (each poll is billed per metric), got "+describe(c.PollInterval))
	}
	if v.positive(p+".lookback", c.Lookback) && c.Lookback < c.Period {
		v.add(p+".lookback", fmt.Sprintf("must be >= period (%v), got %s", c.Period, describe(c.Lookback)))
	}
	v.interval(p+".discovery_interval", c.DiscoveryInterval)
	if len(c.Statistics) == 0 {
		v.add(p+".statistics", "at least one statistic is required: "+strings.Join(cloudWatchStatistics, ", ")+" or a percentile such as p99")
	}
	for i, st := range c.Statistics {
		if !slices.Contains(cloudWatchStatistics, st) && !percentileRE.MatchString(st) {
			v.add(indexPath(p+".statistics", i), fmt.Sprintf("must be one of %s or a percentile such as p99; got %s", strings.Join(cloudWatchStatistics, ", "), quote(st)))
		}
	}
	for key, names := range map[string][]string{"metrics": c.Metrics, "serverless_metrics": c.ServerlessMetrics} {
		for i, m := range names {
			if !cloudWatchNameRE.MatchString(m) {
				v.add(indexPath(p+"."+key, i), "must be a CloudWatch metric name such as EngineCPUUtilization, got "+quote(m))
			}
		}
	}
	polled := 0
	for i, t := range cfg.Targets {
		tp := indexPath("targets", i) + ".cloudwatch"
		tc := t.CloudWatch
		named := 0
		for _, set := range []bool{tc.ReplicationGroup != "", len(tc.CacheClusters) > 0, len(tc.Nodes) > 0, tc.ServerlessCache != ""} {
			if set {
				named++
			}
		}
		if named > 1 {
			v.add(tp, "name one of replication_group, cache_clusters, nodes or serverless_cache, not several")
		}
		if named > 0 {
			polled++
		}
		for j, n := range tc.Nodes {
			np := indexPath(tp+".nodes", j)
			if n.CacheCluster == "" {
				v.add(np+".cache_cluster", "required: the cache cluster id of the node")
			}
			if n.Node == "" {
				v.add(np+".node", `required: the node id, such as "0001"`)
			}
		}
	}
	if c.Enabled && polled == 0 {
		v.add(p+".enabled", "no target names an ElastiCache resource: set targets[].cloudwatch.replication_group (or cache_clusters, nodes, serverless_cache)")
	}
}

func (v validator) bench(p string, b Bench) {
	v.between(p+".requests", b.Requests, 0, maxRequests)
	if b.Requests == 0 {
		v.positive(p+".duration", b.Duration)
	} else if b.Duration < 0 {
		v.add(p+".duration", "must be >= 0, got "+describe(b.Duration))
	}
	if b.Warmup < 0 {
		v.add(p+".warmup", "must be >= 0, got "+describe(b.Warmup))
	}
	if b.Results == "" {
		v.add(p+".results", "must name a directory, got \"\"")
	}
}
