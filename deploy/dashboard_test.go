package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// maxSchemaVersion keeps the dashboards loadable by Grafana 10 and later.
const maxSchemaVersion = 39

// panelTypes are the panel types the dashboards may use: core panels only,
// no plugins to install.
var panelTypes = []string{"row", "timeseries", "stat", "heatmap", "table", "text", "gauge", "bargauge", "state-timeline"}

// TestDashboards lints every dashboard: valid JSON, unique uids and panel
// ids, a tidy grid, datasources by the uids the provisioning defines (one per
// panel), template variables defined before use and formatted for their
// matcher, every metric and label an expression names present in ecbench's
// exposition (the CloudWatch poller's included), CloudWatch metric names
// that ecbench polls, and queries of Grafana's CloudWatch datasource that
// are well formed and sit in collapsed rows.
func TestDashboards(t *testing.T) {
	t.Parallel()
	datasources := map[string]string{} // uid -> type
	for _, ds := range readDatasources(t).Datasources {
		datasources[ds.UID] = ds.Type
	}
	expo := exposition(t)
	uids := map[string]string{}
	for _, d := range loadDashboards(t) {
		if prev, ok := uids[d.UID]; ok || d.UID == "" {
			t.Errorf("%s: uid %q empty or also used by %s", d.file, d.UID, prev)
		}
		uids[d.UID] = d.file
		t.Run(d.file, func(t *testing.T) {
			t.Parallel()
			lintDashboard(t, d, datasources, expo)
		})
	}
}

func lintDashboard(t *testing.T, d *dashboard, datasources map[string]string, expo map[string]family) {
	if d.Title == "" {
		t.Error("no title")
	}
	if d.SchemaVersion == 0 || d.SchemaVersion > maxSchemaVersion {
		t.Errorf("schemaVersion %d, want 1..%d", d.SchemaVersion, maxSchemaVersion)
	}
	// A datasource is named by a datasource variable, whose default is a
	// provisioned datasource of the same type (TestDashboardConventions
	// requires the variable; a fixed uid is accepted here too).
	used := map[string]bool{}
	checkDS := func(where string, ref *dsRef) {
		if ref == nil {
			t.Errorf("%s: no datasource; name one so that Grafana's default datasource does not matter", where)
			return
		}
		uid := ref.UID
		if refs := varRefs(uid); len(refs) == 1 {
			used[refs[0]] = true
			v, ok := d.variable(refs[0])
			if !ok || v.Type != "datasource" {
				t.Errorf("%s: datasource %q is not a datasource variable", where, uid)
				return
			}
			if v.Query() != ref.Type {
				t.Errorf("%s: datasource %q of type %q, but $%s lists datasources of type %q", where, uid, ref.Type, v.Name, v.Query())
			}
			uid = v.currentValue()
		}
		if typ, ok := datasources[uid]; !ok {
			t.Errorf("%s: datasource uid %q is not provisioned (have %v)", where, uid, datasources)
		} else if ref.Type != typ {
			t.Errorf("%s: datasource %q has type %q, provisioned as %q", where, uid, ref.Type, typ)
		}
	}
	for i, a := range d.Annotations.List {
		where := fmt.Sprintf("annotation %d %q", i, a.Name)
		if a.BuiltIn == 1 || (a.Datasource != nil && a.Datasource.Type == "grafana") {
			continue
		}
		checkDS(where, a.Datasource)
		if strings.TrimSpace(a.Expr) == "" {
			t.Errorf("%s: no expr", where)
		}
		for _, ref := range varRefs(a.Expr) {
			used[ref] = true
		}
		lintExpr(t, where, a.Expr, d, expo)
	}

	// Template variables: datasource variables of a provisioned type, and
	// label_values queries on Prometheus, each using only the variables
	// defined before it.
	defined := map[string]bool{}
	for _, v := range d.Templating.List {
		where := "variable " + v.Name
		if defined[v.Name] {
			t.Errorf("%s: defined twice", where)
		}
		if v.Type == "datasource" {
			if typ, ok := datasources[v.currentValue()]; !ok || typ != v.Query() {
				t.Errorf("%s: lists datasources of type %q with default %q, want a provisioned one of that type (have %v)", where, v.Query(), v.currentValue(), datasources)
			}
			defined[v.Name] = true
			continue
		}
		checkDS(where, v.Datasource)
		q := v.Query()
		if v.Type != "query" || !labelValuesQuery.MatchString(q) {
			t.Errorf("%s: want a query variable with label_values(...), got type %q query %q", where, v.Type, q)
		}
		if v.Definition != "" && v.Definition != q {
			t.Errorf("%s: definition %q differs from query %q", where, v.Definition, q)
		}
		for _, ref := range varRefs(q) {
			used[ref] = true
			if !defined[ref] {
				t.Errorf("%s: query uses $%s, which is not defined before it", where, ref)
			}
		}
		if m := labelValuesQuery.FindStringSubmatch(q); m != nil {
			lintExpr(t, where, m[1], d, expo) // the selector; label_values is Grafana's, not PromQL
		}
		defined[v.Name] = true
	}

	// Panels. A collapsed row's panels are out of the grid until it is
	// expanded: they may not overlap each other, but may overlap what
	// follows the row.
	collapsed := d.inCollapsedRow()
	ids := map[int]string{}
	for _, grid := range d.grids() {
		for i, p := range grid {
			for _, q := range grid[:i] {
				if overlap(p.GridPos, q.GridPos) {
					t.Errorf("panel %d %q: gridPos %+v overlaps panel %d %q %+v", p.ID, p.Title, p.GridPos, q.ID, q.Title, q.GridPos)
				}
			}
		}
	}
	for _, p := range d.allPanels() {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: id must be > 0", where)
		} else if prev, ok := ids[p.ID]; ok {
			t.Errorf("%s: id also used by %q", where, prev)
		}
		ids[p.ID] = p.Title
		if !slices.Contains(panelTypes, p.Type) {
			t.Errorf("%s: type %q, want one of %v", where, p.Type, panelTypes)
		}
		g := p.GridPos
		if g.W < 1 || g.H < 1 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", where, g)
		}
		for _, ref := range varRefs(p.Title) {
			used[ref] = true
			if _, ok := d.variable(ref); !ok {
				t.Errorf("%s: title uses undefined $%s", where, ref)
			}
		}
		if p.Repeat != "" {
			used[p.Repeat] = true
			if v, ok := d.variable(p.Repeat); !ok || !(v.Multi || v.IncludeAll) {
				t.Errorf("%s: repeats by %q, which is not a multi-value variable", where, p.Repeat)
			}
		}
		if p.Type == "row" || p.Type == "text" {
			continue
		}
		if p.Title == "" {
			t.Errorf("panel %d: no title", p.ID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no queries", where)
		}
		checkDS(where, p.Datasource)
		typ, err := p.datasourceType()
		if err != nil {
			t.Errorf("%s: %v; a panel queries one datasource", where, err)
		}
		if typ == "cloudwatch" && !collapsed[p.ID] {
			t.Errorf("%s: queries CloudWatch outside a collapsed row; Grafana would make billed GetMetricData calls whenever the dashboard is open", where)
		}
		refIDs := map[string]bool{}
		for _, tg := range p.Targets {
			tw := fmt.Sprintf("%s query %s", where, tg.RefID)
			if tg.RefID == "" || refIDs[tg.RefID] {
				t.Errorf("%s: refId empty or repeated", tw)
			}
			refIDs[tg.RefID] = true
			ds := tg.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			checkDS(tw, ds)
			if ds != nil && ds.Type == "cloudwatch" {
				for _, ref := range lintCloudWatchQuery(t, tw, tg.cloudWatchQuery, d) {
					used[ref] = true
				}
				continue
			}
			if ds == nil || ds.Type != "prometheus" {
				continue
			}
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: empty expr", tw)
			}
			for _, ref := range varRefs(tg.Expr) {
				used[ref] = true
			}
			lintExpr(t, tw, tg.Expr, d, expo)
			for _, ref := range varRefs(tg.LegendFormat) {
				t.Errorf("%s: legend uses $%s; legends take {{label}}", tw, ref)
			}
			if p.Type == "heatmap" && (tg.Format != "heatmap" || !strings.Contains(tg.Expr, "by (le)")) {
				t.Errorf("%s: a heatmap of classic buckets needs format \"heatmap\" and sum by (le), got format %q", tw, tg.Format)
			}
		}
	}
	for _, v := range d.Templating.List {
		if !used[v.Name] {
			t.Errorf("variable %s is defined but not used", v.Name)
		}
	}
}

// lintExpr checks one PromQL expression (or variable query): variables are
// defined and formatted for their matchers, and the ecbench metrics and
// labels it names exist.
func lintExpr(t *testing.T, where, expr string, d *dashboard, expo map[string]family) {
	t.Helper()
	for _, ref := range varRefs(expr) {
		if slices.Contains(builtinVars, ref) {
			continue
		}
		if _, ok := d.variable(ref); !ok {
			t.Errorf("%s: uses undefined variable $%s", where, ref)
		}
	}
	for _, name := range ecbenchMetrics(expr) {
		if _, ok := expo[name]; !ok {
			t.Errorf("%s: metric %s is not in ecbench's exposition", where, name)
		}
	}
	// Every other series too: ecbench's Go and process collectors', or
	// one that Prometheus writes itself.
	sels, err := promSelectors(expr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
	}
	for _, s := range sels {
		if _, ok := expo[s.metric]; !ok && s.metric != "" && !prometheusOwnSeries[s.metric] && !strings.Contains(s.metric, ":") && !strings.HasPrefix(s.metric, "ecbench_") {
			t.Errorf("%s: series %s is neither in ecbench's exposition nor one Prometheus writes (%v)", where, s.metric, slices.Sorted(maps.Keys(prometheusOwnSeries)))
		}
	}
	for _, m := range labelMatchers(expr) {
		if f, ok := expo[m.metric]; ok && !f.labels[m.label] {
			t.Errorf("%s: %s has no label %q", where, m.metric, m.label)
		}
		// The metric label of the CloudWatch series holds CloudWatch metric
		// names: a misspelt one would match nothing.
		if strings.HasPrefix(m.metric, "ecbench_cloudwatch_value") && m.label == "metric" && (m.op == "=" || m.op == "=~") {
			names := []string{m.value}
			if m.op == "=~" {
				names = strings.Split(m.value, "|")
			}
			for _, n := range names {
				if !cloudWatchMetrics[n] {
					t.Errorf("%s: %s%s%q: %q is not a metric ecbench polls by default (%v)", where, m.label, m.op, m.value, n, slices.Sorted(maps.Keys(cloudWatchMetrics)))
				}
			}
		}
		// A multi-value or All selection becomes a regex alternation, which
		// only =~ and !~ understand.
		for _, ref := range varRefs(m.value) {
			if v, ok := d.variable(ref); ok && (v.Multi || v.IncludeAll) && m.op != "=~" && m.op != "!~" {
				t.Errorf("%s: %s%s%q: $%s can hold several values; match it with =~", where, m.label, m.op, m.value, ref)
			}
		}
	}
}

// prometheusOwnSeries are the series Prometheus writes for every target it
// scrapes and for its alerts.
var prometheusOwnSeries = map[string]bool{
	"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true,
	"scrape_samples_post_metric_relabeling": true, "scrape_series_added": true,
	"ALERTS": true, "ALERTS_FOR_STATE": true,
}

func overlap(a, b gridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// TestDatasourceProvisioning checks the datasources the dashboards rely on:
// fixed uids, a Prometheus at the interval Prometheus scrapes at, and
// CloudWatch with the default AWS credential chain and a configurable region.
func TestDatasourceProvisioning(t *testing.T) {
	t.Parallel()
	f := readDatasources(t)
	if f.APIVersion != 1 {
		t.Errorf("apiVersion %d, want 1", f.APIVersion)
	}
	byUID := map[string]int{}
	defaults := 0
	for i, ds := range f.Datasources {
		if _, dup := byUID[ds.UID]; dup || ds.UID == "" {
			t.Errorf("datasource %s: uid %q empty or repeated", ds.Name, ds.UID)
		}
		byUID[ds.UID] = i
		if ds.IsDefault {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("%d default datasources, want 1", defaults)
	}
	prom, ok := byUID["prometheus"]
	if !ok || f.Datasources[prom].Type != "prometheus" {
		t.Fatal(`no prometheus datasource with uid "prometheus"`)
	}
	pc := readPromConfig(t, repoPath(t, "deploy", "prometheus", "prometheus.yml"))
	if got := f.Datasources[prom].JSONData["timeInterval"]; got != pc.Global.ScrapeInterval {
		t.Errorf("prometheus datasource timeInterval %v, want Prometheus' scrape_interval %s ($__rate_interval is based on it)", got, pc.Global.ScrapeInterval)
	}
	cw, ok := byUID["cloudwatch"]
	if !ok || f.Datasources[cw].Type != "cloudwatch" {
		t.Fatal(`no cloudwatch datasource with uid "cloudwatch"`)
	}
	jd := f.Datasources[cw].JSONData
	if jd["authType"] != "default" {
		t.Errorf("cloudwatch authType %v, want default (the AWS SDK chain: environment, profile or instance role)", jd["authType"])
	}
	if r, _ := jd["defaultRegion"].(string); !strings.Contains(r, "${AWS_REGION}") {
		t.Errorf("cloudwatch defaultRegion %q, want it from ${AWS_REGION}", r)
	}

	p := readProviders(t)
	if p.APIVersion != 1 || len(p.Providers) == 0 {
		t.Fatalf("dashboard providers: apiVersion %d, %d providers", p.APIVersion, len(p.Providers))
	}
	for _, prv := range p.Providers {
		if prv.Type != "file" || prv.Options.Path == "" {
			t.Errorf("provider %s: type %q path %q, want a file provider with a path", prv.Name, prv.Type, prv.Options.Path)
		}
	}
}
