package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The conventions Grafana users expect of a dashboard: what Grafana's
// dashboard linter (github.com/grafana/dashboard-linter, which cannot be
// installed here) checks, and ecbench's own additions. TestDashboards checks
// that the dashboards are valid; these check that they are built the way
// people who run many dashboards on one Prometheus need them.

// The datasource variables, named and labelled as the linter wants them for a
// dashboard with a Prometheus and a CloudWatch datasource.
var datasourceVariables = map[string]struct{ name, label string }{
	"prometheus": {"prometheus_datasource", "Prometheus data source"},
	"cloudwatch": {"cloudwatch_datasource", "Cloudwatch data source"},
}

// engineColours is the one colour of each engine's series on every
// dashboard (shades of it when an engine has several series in a panel).
// Grafana matches an override by the series' display name, not by a label,
// so the legends name the engine in parentheses.
var engineColours = []struct{ engine, colour string }{{"redis", "red"}, {"valkey", "blue"}}

// grafanaUnits are the unit ids the dashboards may use: Grafana's (see
// packages/grafana-data/src/valueFormats/categories.ts), those a reader of
// these dashboards needs.
var grafanaUnits = []string{
	"none", "short", "percent", "percentunit", "bool",
	"s", "ms", "µs", "ns", "dtdurations", "dateTimeAsIso", "dateTimeFromNow",
	"bytes", "decbytes", "Bps", "binBps",
	"ops", "reqps", "rps", "wps", "cps", "iops",
	"currencyUSD",
}

// rangeWindows are the only ranges a query may select: Grafana's rate
// interval (at least four scrapes, and following the zoom), or the whole
// time range in an instant query ("over the time range").
var rangeWindows = []string{"$__rate_interval", "$__range"}

// TestDashboardConventions requires of every dashboard: provisioned
// read-only; a datasource variable for each datasource type its panels
// query, used by every panel, query and annotation; job and instance
// variables (multi-value, All as .+) that every selector of every query,
// variable and annotation matches on; variables refreshed on a change of
// the time range; a title, a description and a unit on every panel; rate
// windows of $__rate_interval (or $__range in an instant query); counters
// only through rate, irate or increase; and one colour per engine: every
// time series panel split by target names the engine in its legends as
// "(engine)" and colours it by field overrides, the same on every dashboard.
func TestDashboardConventions(t *testing.T) {
	t.Parallel()
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			t.Parallel()
			checkConventions(t, d)
		})
	}
	for _, p := range readProviders(t).Providers {
		if p.AllowUIUpdates {
			t.Errorf("dashboard provider %s: allowUiUpdates is true; provisioned dashboards are read-only (their JSON in deploy/grafana/dashboards is the source)", p.Name)
		}
	}
}

func checkConventions(t *testing.T, d *dashboard) {
	if d.Editable {
		t.Error("editable is true; a provisioned dashboard is edited in its JSON file")
	}

	// Datasource variables: one per datasource type the panels query.
	types := map[string]bool{"prometheus": true}
	for _, p := range d.allPanels() {
		if typ, err := p.datasourceType(); err == nil && typ != "" {
			types[typ] = true
		}
	}
	dsVar := map[string]string{} // type -> ${name}
	for typ := range types {
		want, ok := datasourceVariables[typ]
		if !ok {
			t.Errorf("panels query datasources of type %q, which has no datasource variable convention here", typ)
			continue
		}
		v, ok := d.variable(want.name)
		switch {
		case !ok:
			t.Errorf("no datasource variable %s for the %s panels", want.name, typ)
		case v.Type != "datasource" || v.Query() != typ:
			t.Errorf("variable %s: type %q query %q, want a datasource variable of type %q", v.Name, v.Type, v.Query(), typ)
		case v.Label != want.label:
			t.Errorf("variable %s: label %q, want %q", v.Name, v.Label, want.label)
		}
		dsVar[typ] = "${" + want.name + "}"
	}
	if len(d.Templating.List) == 0 || d.Templating.List[0].Name != datasourceVariables["prometheus"].name {
		t.Errorf("the first variable must be %s: the job and instance variables and Grafana's linter look for it first", datasourceVariables["prometheus"].name)
	}
	checkRef := func(where string, ref *dsRef) {
		if ref == nil {
			return // TestDashboards reports it
		}
		if want, ok := dsVar[ref.Type]; ok && ref.UID != want {
			t.Errorf("%s: datasource %q, want the variable %s", where, ref.UID, want)
		}
	}

	// Job and instance: every query selects on them.
	for _, name := range []string{"job", "instance"} {
		v, ok := d.variable(name)
		if !ok {
			t.Errorf("no %s variable: two unrelated ecbench jobs in one Prometheus would be summed together", name)
			continue
		}
		if v.Type != "query" || !v.Multi || !v.IncludeAll || v.AllValue == nil || *v.AllValue != ".+" {
			t.Errorf("variable %s: type %q multi %t includeAll %t allValue %v, want a multi-value query variable with All as .+",
				name, v.Type, v.Multi, v.IncludeAll, v.AllValue)
		}
		if want := strings.ToUpper(name[:1]) + name[1:]; v.Label != want {
			t.Errorf("variable %s: label %q, want %q", name, v.Label, want)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		where := "variable " + v.Name
		checkRef(where, v.Datasource)
		if v.Refresh != 2 {
			t.Errorf("%s: refresh %d, want 2 (on time range change): the values of another time range are not this one's", where, v.Refresh)
		}
		m := labelValuesQuery.FindStringSubmatch(v.Query())
		if m == nil {
			continue // TestDashboards reports it
		}
		needs := []string{"job", "instance"}
		switch v.Name {
		case "job":
			needs = nil
		case "instance":
			needs = []string{"job"}
		}
		checkSelectors(t, where, m[1], needs, queryVariable)
	}

	// Panels.
	for _, p := range d.allPanels() {
		if p.Type == "row" {
			continue
		}
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s: no description", where)
		}
		if p.Type == "text" {
			continue
		}
		if u := p.FieldConfig.Defaults.Unit; !slices.Contains(grafanaUnits, u) {
			t.Errorf("%s: unit %q, want one of %v", where, u, grafanaUnits)
		}
		if p.Type == "heatmap" && !slices.Contains(grafanaUnits, p.Options.YAxis.Unit) {
			t.Errorf("%s: y axis unit %q, want one of %v", where, p.Options.YAxis.Unit, grafanaUnits)
		}
		checkRef(where, p.Datasource)
		engineLegend := false
		for _, tg := range p.Targets {
			tw := fmt.Sprintf("%s query %s", where, tg.RefID)
			ds := tg.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			checkRef(tw, ds)
			if ds == nil || ds.Type != "prometheus" {
				continue
			}
			checkSelectors(t, tw, tg.Expr, []string{"job", "instance"}, kindOf(tg.Instant))
			legend := legendLabels(tg.LegendFormat)
			if p.Type == "timeseries" && slices.Contains(legend, "target") && !strings.Contains(tg.LegendFormat, "({{engine}})") {
				t.Errorf("%s: legend %q splits by target without naming the engine as ({{engine}}), so the engine's colour cannot apply", tw, tg.LegendFormat)
			}
			engineLegend = engineLegend || strings.Contains(tg.LegendFormat, "({{engine}})")
		}
		if p.Type == "timeseries" && engineLegend {
			checkEngineColours(t, where, p)
		}
	}

	for i, a := range d.Annotations.List {
		if a.BuiltIn == 1 || a.Datasource == nil || a.Datasource.Type == "grafana" {
			continue
		}
		where := fmt.Sprintf("annotation %d %q", i, a.Name)
		checkRef(where, a.Datasource)
		if a.Datasource.Type == "prometheus" {
			checkSelectors(t, where, a.Expr, []string{"job", "instance"}, rangeQuery)
		}
	}
}

// queryKind is how Grafana runs an expression.
type queryKind int

const (
	rangeQuery    queryKind = iota // a value per step
	instantQuery                   // one value, at the end of the time range
	queryVariable                  // the series selector of label_values: no values read
)

func kindOf(instant bool) queryKind {
	if instant {
		return instantQuery
	}
	return rangeQuery
}

// checkSelectors checks every selector of a PromQL expression: it matches
// each of needs with =~"$name"; its range, if any, is one of rangeWindows
// ($__range only in an instant query); a counter is read only through rate,
// irate or increase, or as `c unless c offset $__range` (how much of c
// appeared within the range: increase cannot see a counter that was created
// with its first counts already in it).
func checkSelectors(t *testing.T, where, expr string, needs []string, kind queryKind) {
	t.Helper()
	for _, p := range selectorProblems(expr, needs, kind) {
		t.Errorf("%s: %s", where, p)
	}
}

func selectorProblems(expr string, needs []string, kind queryKind) []string {
	sels, err := promSelectors(expr)
	if err != nil {
		return []string{err.Error()}
	}
	if len(sels) == 0 {
		return []string{fmt.Sprintf("no selector in %q", expr)}
	}
	var out []string
	for i, s := range sels {
		for _, n := range needs {
			if !s.has(n, "=~", "$"+n) {
				out = append(out, fmt.Sprintf("selector %s does not match %s=~\"$%s\"", s, n, n))
			}
		}
		if s.window != "" {
			if !slices.Contains(rangeWindows, s.window) {
				out = append(out, fmt.Sprintf("selector %s: range [%s], want one of %v", s, s.window, rangeWindows))
			} else if s.window == "$__range" && kind != instantQuery {
				out = append(out, fmt.Sprintf("selector %s: [$__range] in a range query (each step would cover the whole time range); make the query instant or use $__rate_interval", s))
			}
		}
		if s.offset != "" && !slices.Contains(rangeWindows, s.offset) {
			out = append(out, fmt.Sprintf("selector %s: offset %s, want one of %v", s, s.offset, rangeWindows))
		}
		if !strings.HasSuffix(s.metric, "_total") || kind == queryVariable {
			continue
		}
		rated := s.window != "" && (s.call == "rate" || s.call == "irate" || s.call == "increase")
		appeared := (s.next == "unless" && i+1 < len(sels) && sels[i+1].metric == s.metric && sels[i+1].offset == "$__range") ||
			(s.prev == "unless" && i > 0 && sels[i-1].metric == s.metric && s.offset == "$__range")
		if !rated && !appeared {
			out = append(out, fmt.Sprintf("counter %s is read as it is (in %q); read it through rate, irate or increase", s, s.call))
		}
	}
	return out
}

// checkEngineColours requires the engine colour overrides on a panel whose
// legends name the engine.
func checkEngineColours(t *testing.T, where string, p panel) {
	t.Helper()
	for _, ec := range engineColours {
		pattern := `.*\(` + ec.engine + `\).*`
		found := false
		for _, o := range p.FieldConfig.Overrides {
			if o.Matcher.ID != "byRegexp" || o.Matcher.Options != pattern {
				continue
			}
			for _, prop := range o.Properties {
				c, _ := prop.Value.(map[string]any)
				if prop.ID == "color" && c["mode"] == "shades" && c["fixedColor"] == ec.colour {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: legends name the engine, but no override byRegexp %q sets color {mode: shades, fixedColor: %s}", where, pattern, ec.colour)
		}
	}
}

// dashboardRows are rows that issue 17 asked for, by dashboard and title
// prefix, and the series their panels must read between them (a histogram
// by its _bucket, _sum or _count series; a name ending in * stands for every
// series of ecbench's exposition with its prefix).
var dashboardRows = map[string][]struct {
	title  string
	series []string
}{
	"redis-vs-valkey.json": {
		{"Durability and availability", []string{
			"ecbench_target_available", "ecbench_outages_total", "ecbench_outage_seconds", "ecbench_last_outage_seconds",
			"ecbench_probe_latency_seconds", "ecbench_probe_errors_total", "ecbench_integrity_checks_total", "ecbench_target_info"}},
		{"Scenario", []string{
			"ecbench_phase_info", "ecbench_actions_total",
			"ecbench_action_requested_timestamp_seconds", "ecbench_action_completed_timestamp_seconds"}},
		// The servers' own view, from INFO: every series of it.
		{"Server side", []string{"ecbench_server_*"}},
		{"Generator", []string{
			"process_cpu_seconds_total", "process_resident_memory_bytes", "go_goroutines", "go_gc_duration_seconds",
			"scrape_duration_seconds", "ecbench_stall_drops_total", "ecbench_ops_total"}},
	},
	"elasticache.json": {
		// The core of the other dashboard's row, beside CloudWatch's figures.
		{"Server side", []string{
			"ecbench_server_main_thread_cpu_seconds_total", "ecbench_server_cpu_seconds_total", "ecbench_server_commands_processed_total",
			"ecbench_server_memory_used_bytes", "ecbench_server_memory_max_bytes", "ecbench_server_command_calls_total",
			"ecbench_server_keyspace_hits_total", "ecbench_server_keyspace_misses_total", "ecbench_server_evicted_keys_total",
			"ecbench_server_expired_keys_total", "ecbench_server_connected_clients",
			"ecbench_server_net_input_bytes_total", "ecbench_server_net_output_bytes_total", "ecbench_cloudwatch_value"}},
	},
}

// TestDashboardRows requires the rows of dashboardRows and their series, and
// on every dashboard the scenario's annotations: phase starts, and actions
// requested and completed.
func TestDashboardRows(t *testing.T) {
	t.Parallel()
	expo := exposition(t)
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			t.Parallel()
			rows := map[string][]panel{}
			var titles []string
			cur := ""
			for _, p := range d.Panels {
				if p.Type == "row" {
					cur = p.Title
					titles = append(titles, cur)
					rows[cur] = append(rows[cur], p.Panels...)
					continue
				}
				rows[cur] = append(rows[cur], p)
			}
			for _, want := range dashboardRows[d.file] {
				i := slices.IndexFunc(titles, func(s string) bool { return strings.HasPrefix(s, want.title) })
				if i < 0 {
					t.Errorf("no row %q… (rows: %q)", want.title, titles)
					continue
				}
				read := map[string]bool{}
				for _, p := range rows[titles[i]] {
					for _, tg := range p.Targets {
						sels, _ := promSelectors(tg.Expr)
						for _, s := range sels {
							read[s.metric] = true
						}
					}
				}
				for _, s := range expandSeries(t, want.series, expo) {
					if !read[s] && !read[s+"_bucket"] && !read[s+"_sum"] && !read[s+"_count"] {
						t.Errorf("row %q: no panel reads %s", titles[i], s)
					}
				}
			}
			read := map[string]bool{}
			for _, a := range d.Annotations.List {
				sels, _ := promSelectors(a.Expr)
				for _, s := range sels {
					read[s.metric] = a.Enable || read[s.metric]
				}
			}
			for _, s := range []string{"ecbench_phase_start_timestamp_seconds", "ecbench_action_requested_timestamp_seconds", "ecbench_action_completed_timestamp_seconds"} {
				if !read[s] {
					t.Errorf("no enabled annotation reads %s", s)
				}
			}
		})
	}
}

// expandSeries replaces each name ending in * with every series of the
// exposition that has its prefix, sorted; a prefix that matches nothing is
// an error.
func expandSeries(t *testing.T, names []string, expo map[string]family) []string {
	t.Helper()
	var out []string
	for _, name := range names {
		prefix, ok := strings.CutSuffix(name, "*")
		if !ok {
			out = append(out, name)
			continue
		}
		var matched []string
		for e := range expo {
			if strings.HasPrefix(e, prefix) {
				matched = append(matched, e)
			}
		}
		if len(matched) == 0 {
			t.Errorf("%s matches no series of ecbench's exposition", name)
		}
		slices.Sort(matched)
		out = append(out, matched...)
	}
	return out
}
