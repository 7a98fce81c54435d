package report

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/results"
)

// seriesKey names one op of one workload on one target.
type seriesKey struct{ target, workload, op string }

func keyOf(m model.Metric) seriesKey {
	return seriesKey{string(m["target"]), string(m["workload"]), string(m["op"])}
}

// converter fills a Prometheus' Run from query results.
type converter struct {
	p      *Prometheus
	qr     *querier
	series map[seriesKey]*results.Series
	rows   map[seriesKey]map[int64]*results.Interval
}

// The per-step latency quantities: histogram_quantile of the step's bucket
// rates. Quantile 1 is the upper bound of the highest bucket with requests:
// the step's maximum at bucket resolution.
var stepQuantiles = []struct {
	q   string
	set func(*results.Interval, float64)
}{
	{"0.5", func(iv *results.Interval, v float64) { iv.P50 = v }},
	{"0.95", func(iv *results.Interval, v float64) { iv.P95 = v }},
	{"0.99", func(iv *results.Interval, v float64) { iv.P99 = v }},
	{"0.999", func(iv *results.Interval, v float64) { iv.P999 = v }},
	{"1", func(iv *results.Interval, v float64) { iv.Max = v }},
}

// run makes the queries and converts their results. Every query aggregates
// by target, not by (target, engine): a target upgraded in place from Redis
// OSS to Valkey inside the window stays one line, named after its latest
// engine.
func (c *converter) run(ctx context.Context) error {
	c.rows = map[seriesKey]map[int64]*results.Interval{}
	w := promDuration(c.p.RateWindow)
	window := promDuration(c.qr.to.Sub(c.qr.from))
	step := c.p.Query.Step.Seconds()

	engines, err := c.qr.rangeQuery(ctx, "count by (target, engine) (last_over_time(ecbench_ops_total["+w+"]))")
	if err != nil {
		return err
	}
	identities, err := c.qr.rangeQuery(ctx, "max by (target, engine, version, mode, role) (last_over_time(ecbench_target_info["+w+"]))")
	if err != nil {
		return err
	}
	c.targets(engines, identities)

	ops, err := c.qr.rangeQuery(ctx, "sum by (target, workload, op, outcome) (rate(ecbench_ops_total["+w+"]))")
	if err != nil {
		return err
	}
	for _, s := range ops {
		k := keyOf(s.Metric)
		for _, sp := range s.Values {
			n := uint64(math.Round(float64(sp.Value) * step))
			iv := c.row(k, sp.Timestamp)
			switch s.Metric["outcome"] {
			case "ok":
				iv.OK += n
			case "miss":
				iv.Miss += n
			case "error":
				iv.Errors += n
			case "dropped":
				iv.Dropped += n
			}
		}
	}
	for _, sq := range stepQuantiles {
		m, err := c.qr.rangeQuery(ctx, "histogram_quantile("+sq.q+", sum by (target, workload, op, le) (rate(ecbench_op_latency_seconds_bucket["+w+"])))")
		if err != nil {
			return err
		}
		c.latency(m, sq.set)
	}
	mean, err := c.qr.rangeQuery(ctx, "sum by (target, workload, op) (rate(ecbench_op_latency_seconds_sum["+w+"]))"+
		" / sum by (target, workload, op) (rate(ecbench_op_latency_seconds_count["+w+"]))")
	if err != nil {
		return err
	}
	c.latency(mean, func(iv *results.Interval, v float64) { iv.Mean = v })

	buckets, err := c.qr.overWindow(ctx, "sum by (target, workload, op, le) (increase(ecbench_op_latency_seconds_bucket["+window+"]))")
	if err != nil {
		return err
	}
	classes, err := c.qr.overWindow(ctx, "sum by (target, workload, op, class) (increase(ecbench_op_errors_total["+window+"])) > 0")
	if err != nil {
		return err
	}
	lag, err := c.qr.overWindow(ctx, "max by (target, workload) (max_over_time(ecbench_schedule_lag_seconds["+window+"]))")
	if err != nil {
		return err
	}
	inflight, err := c.qr.overWindow(ctx, "max by (target, workload) (max_over_time(ecbench_max_inflight_ops["+window+"]))")
	if err != nil {
		return err
	}
	if err := c.finish(buckets, classes); err != nil {
		return err
	}
	if err := c.generators(ctx, lag, inflight); err != nil {
		return err
	}

	phases, err := c.qr.rangeQuery(ctx, "max by (phase) (last_over_time(ecbench_phase_info["+w+"])) == 1")
	if err != nil {
		return err
	}
	c.p.Phases = c.qr.phases(phases)
	c.p.cloudwatch, err = c.qr.rangeQuery(ctx, "max by (target, engine, cluster, node, metric, stat) (last_over_time(ecbench_cloudwatch_value["+w+"]))")
	return err
}

// row returns the interval of k's series at the step of ts, made on first
// use. Its T counts steps from the window's start, as a results row counts
// rows of IntervalSeconds (the step) from time zero: T·step is the
// step's time in seconds since the window's start. Range queries return
// points at from + k·step exactly.
func (c *converter) row(k seriesKey, ts model.Time) *results.Interval {
	t := int64(math.Round(float64(c.qr.x(ts)) / c.p.Query.Step.Seconds()))
	rows := c.rows[k]
	if rows == nil {
		rows = map[int64]*results.Interval{}
		c.rows[k] = rows
	}
	iv := rows[t]
	if iv == nil {
		iv = &results.Interval{T: t}
		rows[t] = iv
	}
	return iv
}

// latency sets a latency quantity of the intervals from m, skipping steps
// without requests (histogram_quantile gives NaN for them).
func (c *converter) latency(m model.Matrix, set func(*results.Interval, float64)) {
	for _, s := range m {
		k := keyOf(s.Metric)
		for _, sp := range s.Values {
			v := float64(sp.Value)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			set(c.row(k, sp.Timestamp), v)
		}
	}
}

// targets sets the run's targets (each target's latest identity) and every
// identity seen. A target without ecbench_target_info (it never answered)
// has only its engine label.
func (c *converter) targets(engines, identities model.Matrix) {
	type seen struct {
		t    results.Target
		last model.Time
	}
	latest := map[string]seen{}
	for _, s := range engines {
		name := string(s.Metric["target"])
		if n := len(s.Values); n > 0 && s.Values[n-1].Timestamp >= latest[name].last {
			latest[name] = seen{results.Target{Name: name, Engine: engine.Engine(s.Metric["engine"])}, s.Values[n-1].Timestamp}
		}
	}
	var ids []seen
	for _, s := range identities {
		n := len(s.Values)
		if n == 0 {
			continue
		}
		m := s.Metric
		ids = append(ids, seen{results.Target{Name: string(m["target"]), Engine: engine.Engine(m["engine"]),
			Version: string(m["version"]), Mode: string(m["mode"]), Role: string(m["role"])}, s.Values[n-1].Timestamp})
	}
	slices.SortStableFunc(ids, func(a, b seen) int {
		return cmp.Or(cmp.Compare(a.t.Name, b.t.Name), cmp.Compare(a.last, b.last))
	})
	for _, id := range ids { // sorted by time: the latest identity of each target wins
		c.p.Identities = append(c.p.Identities, id.t)
		latest[id.t.Name] = id
	}
	names := make([]string, 0, len(latest))
	for name := range latest {
		names = append(names, name)
	}
	slices.Sort(names)
	run := &results.Run{Schema: results.SchemaVersion, Meta: results.Meta{
		Tool: "ecbench", Version: strings.Join(c.p.Versions, ", "),
		Start: c.qr.from.UTC(), End: c.qr.to.UTC(), Duration: c.qr.to.Sub(c.qr.from),
	}}
	for _, name := range names {
		run.Targets = append(run.Targets, latest[name].t)
	}
	c.p.Run = run
}

// finish makes a Series of every op's intervals, with its whole-window
// latency histogram from the buckets' increase and its error classes.
func (c *converter) finish(buckets, classes model.Vector) error {
	byKey := map[seriesKey][]bucket{}
	for _, s := range buckets {
		le, err := strconv.ParseFloat(string(s.Metric["le"]), 64)
		if err != nil {
			return fmt.Errorf("ecbench_op_latency_seconds_bucket with le=%q: %w", s.Metric["le"], err)
		}
		k := keyOf(s.Metric)
		byKey[k] = append(byKey[k], bucket{le, float64(s.Value)})
	}
	engines := map[string]engine.Engine{}
	for _, t := range c.p.Run.Targets {
		engines[t.Name] = t.Engine
	}
	step := c.p.Query.Step.Seconds()
	keys := make([]seriesKey, 0, len(c.rows))
	for k := range c.rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		return cmp.Or(cmp.Compare(a.workload, b.workload), cmp.Compare(a.op, b.op), cmp.Compare(a.target, b.target))
	})
	for _, k := range keys {
		s := results.Series{Target: k.target, Engine: engines[k.target], Workload: k.workload, Op: k.op, IntervalSeconds: step}
		for _, iv := range c.rows[k] {
			if iv.Max <= 0 { // no request finished in the step: no latency
				iv.Mean, iv.P50, iv.P95, iv.P99, iv.P999, iv.Max = 0, 0, 0, 0, 0, 0
			}
			s.Intervals = append(s.Intervals, *iv)
			s.OK, s.Miss, s.Errors, s.Dropped = s.OK+iv.OK, s.Miss+iv.Miss, s.Errors+iv.Errors, s.Dropped+iv.Dropped
		}
		slices.SortFunc(s.Intervals, func(a, b results.Interval) int { return cmp.Compare(a.T, b.T) })
		// The steps with data: what the counts were achieved in, so that
		// the whole-window throughput is the mean of the steps' throughputs.
		s.Seconds = float64(len(s.Intervals)) * step
		h, err := bucketHistogram(byKey[k])
		if err != nil {
			return fmt.Errorf("%s/%s on %s: %w", k.workload, k.op, k.target, err)
		}
		s.Latency = h
		for _, e := range classes {
			if keyOf(e.Metric) == k {
				if s.ErrorClasses == nil {
					s.ErrorClasses = map[string]uint64{}
				}
				s.ErrorClasses[string(e.Metric["class"])] += uint64(math.Round(float64(e.Value)))
			}
		}
		c.p.Run.Series = append(c.p.Run.Series, s)
	}
	return nil
}

// generators reports, per (target, workload), how the load generator fared
// and who held the load back: its worst schedule lag and largest in-flight
// bound over the window, the requests it dropped; whether it followed a
// rate schedule (open loop: an offered rate above 0 in the window, so the
// comparison shows achieved/offered); and, from a daemon that exports them
// (one that records drops' lower bounds), the longest reply gap and the
// drops that fell in a stall of the server, and the CPU figures of the
// processes that ran it (results.Generator.CPUBound).
func (c *converter) generators(ctx context.Context, lag, inflight model.Vector) error {
	window := promDuration(c.qr.to.Sub(c.qr.from))
	offered, err := c.qr.overWindow(ctx, "max by (target, workload) (max_over_time(ecbench_offered_rate_ops_per_second["+window+"])) > 0")
	if err != nil {
		return err
	}
	// The gauge shows a stall only if a scrape fell in it; the histogram
	// has every stall, its longest at bucket resolution (the bound of the
	// highest bucket with one: at most 28% above).
	gapNow, err := c.qr.overWindow(ctx, "max by (target, workload) (max_over_time(ecbench_reply_gap_seconds["+window+"]))")
	if err != nil {
		return err
	}
	stalls, err := c.qr.overWindow(ctx, "sum by (target, workload, le) (increase(ecbench_stall_seconds_bucket["+window+"]))")
	if err != nil {
		return err
	}
	stallDrops, err := c.qr.overWindow(ctx, "sum by (target, workload) (increase(ecbench_stall_drops_total["+window+"]))")
	if err != nil {
		return err
	}

	cpu, err := c.generatorCPU(ctx, window)
	if err != nil {
		return err
	}

	type tw struct{ target, workload string }
	gens := map[tw]*results.Generator{}
	gen := func(m model.Metric) *results.Generator {
		k := tw{string(m["target"]), string(m["workload"])}
		if gens[k] == nil {
			gens[k] = &results.Generator{Target: k.target, Workload: k.workload}
		}
		return gens[k]
	}
	for _, s := range lag {
		gen(s.Metric).MaxScheduleLag = secondsDuration(float64(s.Value))
	}
	for _, s := range inflight {
		gen(s.Metric).MaxInFlight = int64(s.Value)
	}
	for _, s := range offered {
		gen(s.Metric).OpenLoop = true
	}
	for _, s := range gapNow {
		g := gen(s.Metric)
		g.MaxReplyGap = max(g.MaxReplyGap, secondsDuration(float64(s.Value)))
	}
	byRunner := map[tw][]bucket{}
	for _, s := range stalls {
		le, err := strconv.ParseFloat(string(s.Metric["le"]), 64)
		if err != nil {
			return fmt.Errorf("ecbench_stall_seconds_bucket with le=%q: %w", s.Metric["le"], err)
		}
		k := tw{string(s.Metric["target"]), string(s.Metric["workload"])}
		byRunner[k] = append(byRunner[k], bucket{le, float64(s.Value)})
	}
	for k, bs := range byRunner {
		g := gen(model.Metric{"target": model.LabelValue(k.target), "workload": model.LabelValue(k.workload)})
		g.MaxReplyGap = max(g.MaxReplyGap, secondsDuration(longestStall(bs)))
	}
	for _, s := range stallDrops {
		g := gen(s.Metric)
		g.StallDrops = uint64(math.Round(float64(s.Value)))
		g.DropsBounded = true
	}
	for _, p := range cpu {
		gen(model.Metric{"target": model.LabelValue(p.Target), "workload": model.LabelValue(p.Workload)}).MergeCPU(p)
	}
	for _, s := range c.p.Run.Series {
		if g := gens[tw{s.Target, s.Workload}]; g != nil {
			g.Dropped += s.Dropped
		}
	}
	for _, g := range gens {
		g.StallDrops = min(g.StallDrops, g.Dropped) // increase() extrapolates
		c.p.Run.Generator = append(c.p.Run.Generator, *g)
	}
	slices.SortFunc(c.p.Run.Generator, func(a, b results.Generator) int {
		return cmp.Or(cmp.Compare(a.Workload, b.Workload), cmp.Compare(a.Target, b.Target))
	})
	return nil
}

// generatorCPU reads the generator's CPU figures over the window, which
// are per process (job, instance), for each (target, workload) runner of
// each process: one Generator per pair, in a fixed order, holding only
// Target, Workload and the CPU fields, for MergeCPU to keep the worst
// process's CPU, busy and saturated share rather than a mix of several
// (the steal: the most any of them saw). Processes that do not
// export them are left out.
func (c *converter) generatorCPU(ctx context.Context, window string) ([]results.Generator, error) {
	type process struct{ job, instance, target, workload string }
	procs := map[process]*results.Generator{}
	seconds := c.qr.to.Sub(c.qr.from).Seconds()
	for _, q := range []struct {
		expr string
		set  func(g *results.Generator, v float64)
	}{
		{"max_over_time(ecbench_generator_cpus[" + window + "])", func(g *results.Generator, v float64) { g.CPUs = int(v) }},
		{"increase(ecbench_generator_cpu_saturated_seconds_total[" + window + "])", func(g *results.Generator, v float64) {
			g.CPUSaturated = min(1, v/max(seconds, 1))
		}},
		{"avg_over_time(ecbench_generator_cpu_busy_ratio[" + window + "])", func(g *results.Generator, v float64) { g.CPUBusy = min(1, max(0, v)) }},
		{"avg_over_time(ecbench_host_cpu_steal_ratio[" + window + "])", func(g *results.Generator, v float64) { g.HostSteal, g.HostStealKnown = v, true }},
		{"max_over_time(ecbench_host_cpu_steal_ratio[" + window + "])", func(g *results.Generator, v float64) { g.HostStealMax = v }},
	} {
		// Each process's figure, on every runner it ran.
		vec, err := c.qr.overWindow(ctx, "group by (job, instance, target, workload) (max_over_time(ecbench_max_inflight_ops["+window+"]))"+
			" * on (job, instance) group_left () ("+q.expr+")")
		if err != nil {
			return nil, err
		}
		for _, s := range vec {
			k := process{string(s.Metric["job"]), string(s.Metric["instance"]), string(s.Metric["target"]), string(s.Metric["workload"])}
			if procs[k] == nil {
				procs[k] = &results.Generator{Target: k.target, Workload: k.workload}
			}
			q.set(procs[k], float64(s.Value))
		}
	}
	var out []results.Generator
	for _, k := range slices.SortedFunc(maps.Keys(procs), func(a, b process) int {
		return cmp.Or(cmp.Compare(a.job, b.job), cmp.Compare(a.instance, b.instance), cmp.Compare(a.target, b.target), cmp.Compare(a.workload, b.workload))
	}) {
		if procs[k].CPUs > 0 {
			out = append(out, *procs[k])
		}
	}
	return out, nil
}

// longestStall bounds the longest stall of a window, in seconds, from the
// increase of ecbench_stall_seconds' cumulative buckets: the lowest bound
// whose count reaches the total (+Inf's), or the highest finite bound if
// stalls went past it; 0 without stalls.
func longestStall(bs []bucket) float64 {
	slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	total := bs[len(bs)-1].count // le="+Inf" sorts last
	if total < 0.5 {
		return 0
	}
	highest := 0.0
	for _, b := range bs {
		if math.IsInf(b.le, 1) {
			break
		}
		highest = b.le
		if b.count >= total-0.5 { // increase() extrapolates every bucket alike
			return b.le
		}
	}
	return highest
}
