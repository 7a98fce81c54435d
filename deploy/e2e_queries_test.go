package deploy

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// Running a dashboard's queries as Grafana would: variables resolved with
// label_values against the real Prometheus, every choice a user can make,
// Grafana's value formatting and global variables.

// scope is one choice of every template variable: values formatted for
// PromQL as Grafana formats them, and each variable's options (for panels
// that repeat by a variable).
type scope struct {
	desc    string
	vals    map[string]string
	options map[string][]string
}

func (s scope) with(name, label, value string, options []string) scope {
	n := scope{desc: strings.TrimSpace(s.desc + " " + name + "=" + label), vals: map[string]string{}, options: map[string][]string{}}
	for k, v := range s.vals {
		n.vals[k] = v
	}
	for k, v := range s.options {
		n.options[k] = v
	}
	n.vals[name] = value
	n.options[name] = options
	return n
}

// promRegexEscape escapes a value for a =~ matcher inside a PromQL string, as
// Grafana does for multi-value and All variables.
func promRegexEscape(v string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(v), `\`, `\\`)
}

// scopes resolves the dashboard's variables in order against Prometheus,
// with label_values over the test's time range as Grafana would, and returns
// every combination a user can pick: each value of a single-value variable
// (and All, if offered); a multi-value variable at its default, All.
func scopes(t *testing.T, ctx context.Context, papi promAPI, d *dashboard, start, end time.Time) []scope {
	t.Helper()
	out := []scope{{vals: map[string]string{}, options: map[string][]string{}}}
	for _, v := range d.Templating.List {
		if v.Type == "datasource" {
			continue // its default is the provisioned datasource, which is the test's Prometheus
		}
		var next []scope
		for _, s := range out {
			q, missing := interpolate(v.Query(), s.vals)
			if len(missing) > 0 {
				t.Fatalf("variable %s: query %q uses undefined %v", v.Name, v.Query(), missing)
			}
			m := labelValuesQuery.FindStringSubmatch(q)
			if m == nil {
				t.Fatalf("variable %s: %q is not label_values(...)", v.Name, q)
			}
			lv, err := papi.labelValues(ctx, m[2], m[1], start, end)
			if err != nil {
				t.Fatalf("variable %s: label values for %q: %v", v.Name, q, err)
			}
			if len(lv) == 0 {
				t.Errorf("variable %s: %q has no values (%s)", v.Name, q, s.desc)
				continue
			}
			opts := make([]string, len(lv))
			escaped := make([]string, len(lv))
			for i, x := range lv {
				opts[i] = x
				escaped[i] = promRegexEscape(x)
			}
			all := "(" + strings.Join(escaped, "|") + ")"
			if v.AllValue != nil && *v.AllValue != "" {
				all = *v.AllValue
			}
			switch {
			case v.Multi:
				next = append(next, s.with(v.Name, "All", all, opts))
			default:
				for i, o := range opts {
					val := o
					if v.IncludeAll {
						val = escaped[i]
					}
					next = append(next, s.with(v.Name, o, val, opts))
				}
				if v.IncludeAll {
					next = append(next, s.with(v.Name, "All", all, opts))
				}
			}
		}
		out = next
	}
	return out
}

// promQuery is one query as Grafana would send it.
type promQuery struct {
	where   string
	expr    string
	instant bool
	legend  string
}

// cloudWatchPanels is how many panels of each dashboard query Grafana's
// CloudWatch datasource. The end-to-end test cannot run them (there is no
// CloudWatch behind Grafana here; TestDashboards lints their queries), so it
// skips exactly this many, by name, and runs every other panel.
var cloudWatchPanels = map[string]int{"elasticache.json": 9}

// checkDashboardQueries runs every Prometheus query of every panel, for
// every choice of the variables, and requires data. Panels that query
// CloudWatch are skipped, and counted against cloudWatchPanels; every other
// panel must have had its queries run.
func checkDashboardQueries(t *testing.T, ctx context.Context, papi promAPI, d *dashboard, start, end time.Time) {
	step := time.Second
	rateInterval := max(step+scrapeInterval, 4*scrapeInterval) // Grafana's $__rate_interval
	rng := end.Sub(start).Truncate(time.Second)
	builtins := map[string]string{
		"__rate_interval": model.Duration(rateInterval).String(),
		"__interval":      model.Duration(step).String(),
		"__interval_ms":   strconv.FormatInt(step.Milliseconds(), 10),
		"__range":         model.Duration(rng).String(),
		"__range_s":       strconv.FormatInt(int64(rng.Seconds()), 10),
		"__range_ms":      strconv.FormatInt(rng.Milliseconds(), 10),
	}

	var promPanels []panel
	var skipped []string
	for _, p := range d.allPanels() {
		if p.Type == "row" || p.Type == "text" {
			continue
		}
		switch typ, err := p.datasourceType(); {
		case err != nil:
			t.Errorf("%s panel %d %q: %v", d.file, p.ID, p.Title, err)
		case typ == "prometheus":
			promPanels = append(promPanels, p)
		case typ == "cloudwatch":
			skipped = append(skipped, fmt.Sprintf("%d %q", p.ID, p.Title))
		default:
			t.Errorf("%s panel %d %q: datasource type %q, which this test can neither run nor skip", d.file, p.ID, p.Title, typ)
		}
	}
	if len(skipped) != cloudWatchPanels[d.file] {
		t.Errorf("%s: %d panels query CloudWatch (%s), want %d: update cloudWatchPanels if that is intended",
			d.file, len(skipped), strings.Join(skipped, ", "), cloudWatchPanels[d.file])
	}
	if len(skipped) > 0 {
		t.Logf("%s: not run, as they query CloudWatch: %s", d.file, strings.Join(skipped, ", "))
	}

	var queries []promQuery
	seen := map[string]bool{}
	evaluated := map[int]bool{} // panel ids with queries run
	panels, exprs, annotations := 0, 0, 0
	for _, s := range scopes(t, ctx, papi, d, start, end) {
		// Annotations: Grafana runs them as range queries over the
		// dashboard's time range.
		for _, a := range d.Annotations.List {
			if a.BuiltIn == 1 || a.Datasource == nil || a.Datasource.Type != "prometheus" || !a.Enable {
				continue
			}
			vals := maps.Clone(builtins)
			maps.Copy(vals, s.vals)
			expr, missing := interpolate(a.Expr, vals)
			if len(missing) > 0 {
				t.Errorf("%s annotation %q: no value for %v", d.file, a.Name, missing)
				continue
			}
			if key := "annotation|" + expr; !seen[key] {
				seen[key] = true
				annotations++
				queries = append(queries, promQuery{where: fmt.Sprintf("%s annotation %q [%s]", d.file, a.Name, s.desc), expr: expr})
			}
		}
		for _, p := range promPanels {
			repeats := []scope{s}
			if p.Repeat != "" {
				repeats = nil
				for _, o := range s.options[p.Repeat] {
					repeats = append(repeats, s.with(p.Repeat, o, promRegexEscape(o), s.options[p.Repeat]))
				}
			}
			for _, tg := range p.Targets {
				if tg.Hide {
					continue
				}
				for _, rs := range repeats {
					vals := map[string]string{}
					for k, v := range builtins {
						vals[k] = v
					}
					for k, v := range rs.vals {
						vals[k] = v
					}
					expr, missing := interpolate(tg.Expr, vals)
					if len(missing) > 0 {
						t.Errorf("%s panel %d %q query %s: no value for %v", d.file, p.ID, p.Title, tg.RefID, missing)
						continue
					}
					evaluated[p.ID] = true
					key := fmt.Sprintf("%t|%s|%s", tg.Instant, tg.LegendFormat, expr)
					if seen[key] {
						continue
					}
					seen[key] = true
					queries = append(queries, promQuery{
						where:   fmt.Sprintf("%s panel %d %q query %s [%s]", d.file, p.ID, p.Title, tg.RefID, rs.desc),
						expr:    expr,
						instant: tg.Instant,
						legend:  tg.LegendFormat,
					})
				}
			}
		}
	}
	for _, p := range d.allPanels() {
		if p.Type != "row" {
			panels++
			exprs += len(p.Targets)
		}
	}
	if len(queries) == 0 {
		t.Fatalf("%s: no Prometheus queries", d.file)
	}
	for _, p := range promPanels {
		if !evaluated[p.ID] {
			t.Errorf("%s panel %d %q: no query was run", d.file, p.ID, p.Title)
		}
	}
	failures := 0
	for _, q := range queries {
		if err := runQuery(ctx, papi, q, start, end, step); err != nil {
			failures++
			if failures <= 40 {
				t.Errorf("%s:\n\t%s\n\t%v", q.where, q.expr, err)
			}
		}
	}
	if failures > 40 {
		t.Errorf("... and %d more failing queries", failures-40)
	}
	t.Logf("%s: %d panels (%d run, %d CloudWatch skipped), %d expressions, %d annotation queries, %d distinct queries after substitution, %d failed",
		d.file, panels, len(promPanels), len(skipped), exprs, annotations, len(queries), failures)
}

// runQuery runs one query (instant at end, or range over [start, end]) and
// checks that it returns at least one series with a finite value, that the
// legend's labels exist on every series and tell the series apart, and that
// no series is split by generator unless the legend shows the generator.
func runQuery(ctx context.Context, papi promAPI, q promQuery, start, end time.Time, step time.Duration) error {
	var series []model.Metric
	finite := false
	if q.instant {
		vec, err := papi.query(ctx, q.expr, end)
		if err != nil {
			return err
		}
		for _, s := range vec {
			series = append(series, s.Metric)
			finite = finite || isFinite(float64(s.Value))
		}
	} else {
		mat, err := papi.queryRange(ctx, q.expr, start, end, step)
		if err != nil {
			return err
		}
		for _, s := range mat {
			series = append(series, s.Metric)
			for _, p := range s.Values {
				finite = finite || isFinite(float64(p.Value))
			}
		}
	}
	if len(series) == 0 {
		return fmt.Errorf("no series")
	}
	if !finite {
		return fmt.Errorf("%d series, but every value is NaN or infinite", len(series))
	}
	legends := map[string]model.Metric{}
	for _, m := range series {
		labels := map[string]string{}
		for k, v := range m {
			labels[string(k)] = string(v)
		}
		for _, l := range legendLabels(q.legend) {
			if _, ok := labels[l]; !ok {
				return fmt.Errorf("legend %q: series %v has no label %q", q.legend, m, l)
			}
		}
		if _, ok := labels["instance"]; ok && !slices.Contains(legendLabels(q.legend), "instance") {
			return fmt.Errorf("series %v is per generator (instance): aggregate over instance, or show {{instance}} in the legend", m)
		}
		if q.legend != "" {
			l := renderLegend(q.legend, labels)
			if prev, ok := legends[l]; ok {
				return fmt.Errorf("legend %q renders %q for both %v and %v", q.legend, l, prev, m)
			}
			legends[l] = m
		}
	}
	return nil
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
