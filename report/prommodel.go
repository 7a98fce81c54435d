package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Build computes the page's model from what QueryPrometheus read and the
// comparison of p.Run (TableOf, which says why it may fail). Time charts
// span the whole window with clock times, shade the scenario's phases and
// break where ecbench had no samples; a Servers section holds the
// CloudWatch metrics.
func (p *Prometheus) Build(opts Options) (Model, error) {
	opts.Merged = 0
	t, err := TableOf(p.Run, opts)
	if err != nil {
		return Model{}, err
	}
	if t.Ratio != "" {
		t.Note = fmt.Sprintf("From Prometheus: latency is from each request's intended start, at the classic buckets' resolution "+
			"(interpolated within a bucket, like histogram_quantile; max is the upper bound of the highest bucket with requests). "+
			"Throughput is the mean over the %v steps with data. Ratios are %s; verdicts use 95%% confidence intervals from those steps.",
			p.Query.Step, t.Ratio)
	}
	return p.build(t, opts), nil
}

// build is Build with the table given.
func (p *Prometheus) build(table Table, opts Options) Model {
	from, to := p.Query.From.UTC(), p.Query.To.UTC()
	v := view{
		xlabel:     clockLabel(from, to),
		clock:      from,
		xmax:       to.Sub(from).Seconds(),
		spectrum:   "whole window",
		resolution: "At the classic buckets' resolution: interpolated within a bucket, like histogram_quantile.",
		paired:     true, // one window: every engine was scraped at the same steps
	}
	for _, ph := range p.Phases {
		v.spans = append(v.spans, Span{From: ph.From.Sub(from).Seconds(), To: ph.To.Sub(from).Seconds(), Label: ph.Name, Shade: ph.Shade})
	}
	b := newBuilder(p.Run, table)
	m := b.build(table, opts, v)
	m.Title = fmt.Sprintf("ecbench report — Prometheus, %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	m.Subtitle = b.subtitle(fmt.Sprintf("a %v window in steps of %v", to.Sub(from), p.Query.Step))
	m.Warnings = slices.Clone(p.Warnings)
	m.Phases = slices.Clone(p.Phases)
	m.Servers = p.serverCharts(b, v)
	m.Meta = p.meta()
	return m
}

// clockLabel names a clock axis: the time zone and the day(s).
func clockLabel(from, to time.Time) string {
	day := from.Format("2006-01-02")
	if end := to.Add(-time.Nanosecond).Format("2006-01-02"); end != day {
		day += " to " + end
	}
	return "time (UTC), " + day
}

// cloudWatchOrder puts the metrics people look at first first; any other
// follows in name order.
var cloudWatchOrder = []string{
	"EngineCPUUtilization", "CPUUtilization", "DatabaseMemoryUsagePercentage", "FreeableMemory",
	"CurrConnections", "NewConnections", "NetworkBytesIn", "NetworkBytesOut",
}

// maxLines is the most lines a chart has: beyond three, lines of one
// colour can no longer be told apart by their dashes.
const maxLines = 3

// serverCharts makes the charts of the CloudWatch metrics, one line per
// (target, node, statistic), coloured by target like every other chart
// and dashed apart within it: one chart per metric when it has at most
// maxLines lines, else one per target, in groups of maxLines lines.
func (p *Prometheus) serverCharts(bld *builder, v view) []Chart {
	byMetric := map[string]model.Matrix{}
	for _, s := range p.cloudwatch {
		metric := string(s.Metric["metric"])
		byMetric[metric] = append(byMetric[metric], s)
	}
	metrics := make([]string, 0, len(byMetric))
	for m := range byMetric {
		metrics = append(metrics, m)
	}
	rank := func(m string) int {
		if i := slices.Index(cloudWatchOrder, m); i >= 0 {
			return i
		}
		return len(cloudWatchOrder)
	}
	slices.SortFunc(metrics, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })

	step := p.Query.Step.Seconds()
	label := func(s *model.SampleStream) string {
		m := s.Metric
		return fmt.Sprintf("%s node %s %s", bld.name(string(m["target"])), m["node"], m["stat"])
	}
	color := func(s *model.SampleStream) int { return bld.color(string(s.Metric["target"])) }
	line := func(s *model.SampleStream, dash int) Line {
		l := newLineOf(step)
		for _, sp := range s.Values {
			l.add(float64(p.x(sp.Timestamp)), round(float64(sp.Value)))
		}
		return Line{Label: label(s), Color: color(s), Dash: dash, Points: l.points()}
	}
	var charts []Chart
	for _, metric := range metrics {
		ss := byMetric[metric]
		slices.SortFunc(ss, func(a, b *model.SampleStream) int {
			return cmp.Or(cmp.Compare(color(a), color(b)), cmp.Compare(label(a), label(b)))
		})
		id, title := "cloudwatch-"+slugify(metric), "CloudWatch: "+metric
		if len(ss) <= maxLines {
			c := v.timeChart(id, title, cloudWatchUnit(metric), false)
			dash := map[string]int{} // per target: its nodes and statistics dashed apart
			for _, s := range ss {
				target := string(s.Metric["target"])
				c.Lines = appendLine(c.Lines, line(s, dash[target]))
				dash[target]++
			}
			charts = append(charts, c)
			continue
		}
		var byTarget [][]*model.SampleStream
		for _, s := range ss {
			if n := len(byTarget); n == 0 || byTarget[n-1][0].Metric["target"] != s.Metric["target"] {
				byTarget = append(byTarget, nil)
			}
			byTarget[len(byTarget)-1] = append(byTarget[len(byTarget)-1], s)
		}
		for _, ts := range byTarget {
			target := string(ts[0].Metric["target"])
			for part := 0; part*maxLines < len(ts); part++ {
				group := ts[part*maxLines : min(len(ts), (part+1)*maxLines)]
				cid, ctitle := id+"-"+slugify(target), title+" — "+bld.name(target)
				if len(ts) > maxLines {
					cid += fmt.Sprintf("-%d", part+1)
					ctitle += fmt.Sprintf(" (%d of %d)", part+1, (len(ts)+maxLines-1)/maxLines)
				}
				c := v.timeChart(cid, ctitle, cloudWatchUnit(metric), false)
				for d, s := range group {
					c.Lines = appendLine(c.Lines, line(s, d))
				}
				charts = append(charts, c)
			}
		}
	}
	return charts
}

// x is a sample's position on a chart: seconds since the window's start.
func (p *Prometheus) x(ts model.Time) int64 { return secondsSince(p.Query.From, ts) }

// cloudWatchUnit is a metric's y label, with its unit where the name tells.
func cloudWatchUnit(metric string) string {
	switch {
	case strings.HasSuffix(metric, "Utilization"), strings.HasSuffix(metric, "Percentage"), strings.HasSuffix(metric, "HitRate"):
		return metric + " (%)"
	case strings.Contains(metric, "Bytes"), strings.Contains(metric, "Memory"), metric == "SwapUsage":
		return metric + " (bytes)"
	case strings.HasSuffix(metric, "Latency"):
		return metric + " (µs)"
	case metric == "ReplicationLag":
		return metric + " (s)"
	}
	return metric
}

// meta describes the source: the server, window, step and how rates were
// taken, ecbench's versions and generators, and the targets.
func (p *Prometheus) meta() Meta {
	q := p.Query
	window := q.To.Sub(q.From)
	m := Meta{Targets: p.Identities}
	add := func(k, v string) {
		if v != "" {
			m.Fields = append(m.Fields, [2]string{k, v})
		}
	}
	add("source", "Prometheus "+q.Source)
	add("window", fmt.Sprintf("%s to %s (%v)", q.From.UTC().Format(time.RFC3339), q.To.UTC().Format(time.RFC3339), window))
	add("step", fmt.Sprintf("%v (%d points per line at most)", q.Step, int(window/q.Step)+1))
	add("scrape interval", fmt.Sprintf("%v (the median spacing of ecbench_build_info's samples)", p.ScrapeInterval))
	add("rate window", fmt.Sprintf("%v (rates per point: the larger of the step and four scrape intervals)", p.RateWindow))
	add("ecbench", strings.Join(p.Versions, ", "))
	if n := len(p.Generators); n > 0 {
		add("generators", fmt.Sprintf("%d: %s (counters and histograms summed over them)", n, strings.Join(p.Generators, ", ")))
	}
	for _, g := range p.Run.Generator {
		m.Generator = append(m.Generator, generatorLine(g))
	}
	return m
}
