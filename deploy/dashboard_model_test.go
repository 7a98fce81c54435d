package deploy

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The parts of Grafana's dashboard JSON that the tests read.

type dashboard struct {
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	SchemaVersion int        `json:"schemaVersion"`
	Editable      bool       `json:"editable"`
	Panels        []panel    `json:"panels"`
	Templating    templating `json:"templating"`
	Annotations   struct {
		List []annotation `json:"list"`
	} `json:"annotations"`

	file string
}

// annotation is an annotation query: Grafana's own (builtIn), or a
// Prometheus query whose series become events, at the series' value when
// useValueForTime is set (a timestamp in milliseconds).
type annotation struct {
	Name            string `json:"name"`
	BuiltIn         int    `json:"builtIn"`
	Datasource      *dsRef `json:"datasource"`
	Enable          bool   `json:"enable"`
	Expr            string `json:"expr"`
	TitleFormat     string `json:"titleFormat"`
	TextFormat      string `json:"textFormat"`
	TagKeys         string `json:"tagKeys"`
	UseValueForTime bool   `json:"useValueForTime"`
}

type templating struct {
	List []variable `json:"list"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *dsRef      `json:"datasource"`
	GridPos     gridPos     `json:"gridPos"`
	Repeat      string      `json:"repeat"`
	Collapsed   bool        `json:"collapsed"`
	Panels      []panel     `json:"panels"` // a collapsed row's panels
	Targets     []target    `json:"targets"`
	FieldConfig fieldConfig `json:"fieldConfig"`
	Options     struct {
		YAxis struct {
			Unit string `json:"unit"`
		} `json:"yAxis"` // a heatmap's
	} `json:"options"`
}

// fieldConfig is a panel's field options: defaults and overrides by matcher.
type fieldConfig struct {
	Defaults struct {
		Unit     string          `json:"unit"`
		Mappings json.RawMessage `json:"mappings"`
	} `json:"defaults"`
	Overrides []fieldOverride `json:"overrides"`
}

type fieldOverride struct {
	Matcher struct {
		ID      string `json:"id"`
		Options any    `json:"options"`
	} `json:"matcher"`
	Properties []struct {
		ID    string `json:"id"`
		Value any    `json:"value"`
	} `json:"properties"`
}

type target struct {
	RefID        string `json:"refId"`
	Datasource   *dsRef `json:"datasource"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	Format       string `json:"format"`
	Instant      bool   `json:"instant"`
	Hide         bool   `json:"hide"`

	cloudWatchQuery
}

// cloudWatchQuery is a query of Grafana's CloudWatch datasource, in the
// metric search builder.
type cloudWatchQuery struct {
	QueryMode        string                     `json:"queryMode"`        // Metrics (not Logs)
	MetricQueryType  int                        `json:"metricQueryType"`  // 0: metric search; 1: Metrics Insights
	MetricEditorMode int                        `json:"metricEditorMode"` // 0: builder; 1: code
	Expression       string                     `json:"expression"`       // a math expression (code mode)
	Region           string                     `json:"region"`
	Namespace        string                     `json:"namespace"`
	MetricName       string                     `json:"metricName"`
	Dimensions       map[string]json.RawMessage `json:"dimensions"` // a value or a list of values each
	Statistic        string                     `json:"statistic"`
	Period           string                     `json:"period"`
}

// dimensionValues returns the values of a CloudWatch query's dimension,
// written as a string or a list of strings.
func (q cloudWatchQuery) dimensionValues(name string) ([]string, error) {
	raw, ok := q.Dimensions[name]
	if !ok {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("dimension %s: %s is neither a string nor a list of strings", name, raw)
	}
	return many, nil
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Refresh    int             `json:"refresh"`
	Current    json.RawMessage `json:"current"`
	Datasource *dsRef          `json:"datasource"`
	RawQuery   json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   *string         `json:"allValue"`
	Regex      string          `json:"regex"`
}

// Query is the variable's query: a string, or {"query": "..."} as newer
// Grafana versions write it.
func (v variable) Query() string {
	var s string
	if json.Unmarshal(v.RawQuery, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.RawQuery, &o)
	return o.Query
}

// currentValue is the variable's default: its current value as the
// dashboard is saved (a datasource variable's: a datasource uid).
func (v variable) currentValue() string {
	var c struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(v.Current, &c) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(c.Value, &s) == nil {
		return s
	}
	var ss []string
	if json.Unmarshal(c.Value, &ss) == nil && len(ss) == 1 {
		return ss[0]
	}
	return ""
}

// datasourceType returns the type of the datasource every query of the panel
// uses (a query's own datasource, else the panel's), or an error if they
// differ or one has none.
func (p panel) datasourceType() (string, error) {
	typ := ""
	for i, tg := range p.Targets {
		ds := tg.Datasource
		if ds == nil {
			ds = p.Datasource
		}
		if ds == nil {
			return "", fmt.Errorf("query %s has no datasource", tg.RefID)
		}
		if i > 0 && ds.Type != typ {
			return "", fmt.Errorf("queries of datasource types %q and %q in one panel", typ, ds.Type)
		}
		typ = ds.Type
	}
	return typ, nil
}

// allPanels returns every panel, rows' nested panels included, rows too.
func (d *dashboard) allPanels() []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// grids returns the panels that share a grid: the dashboard's own (rows
// included), and the panels of each collapsed row.
func (d *dashboard) grids() [][]panel {
	out := [][]panel{d.Panels}
	for _, p := range d.Panels {
		if p.Type == "row" && p.Collapsed {
			out = append(out, p.Panels)
		}
	}
	return out
}

// inCollapsedRow returns the ids of the panels inside collapsed rows, which
// Grafana queries only once the row is expanded.
func (d *dashboard) inCollapsedRow() map[int]bool {
	out := map[int]bool{}
	for _, p := range d.Panels {
		if p.Type == "row" && p.Collapsed {
			for _, c := range p.Panels {
				out[c.ID] = true
			}
		}
	}
	return out
}

func (d *dashboard) variable(name string) (variable, bool) {
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return variable{}, false
}

// loadDashboards reads every dashboard JSON file under deploy/grafana/dashboards.
func loadDashboards(t testing.TB) []*dashboard {
	t.Helper()
	files, err := filepath.Glob(repoPath(t, "deploy", "grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in deploy/grafana/dashboards: %v", err)
	}
	var out []*dashboard
	for _, f := range files {
		d := &dashboard{file: filepath.Base(f)}
		if err := json.Unmarshal(readFile(t, f), d); err != nil {
			t.Fatalf("%s: invalid JSON: %v", d.file, err)
		}
		out = append(out, d)
	}
	return out
}

// Grafana's variable syntaxes: $name, ${name}, ${name:format}, [[name]].
var varRef = regexp.MustCompile(`\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]`)

// varRefs returns the names of the variables s refers to.
func varRefs(s string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(s, -1) {
		for _, name := range m[1:] {
			if name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// builtinVars are Grafana's global variables that the tests can substitute.
var builtinVars = []string{"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"}

// interpolate substitutes variables in s the way Grafana does for a
// Prometheus query: values are already formatted (a regex alternation for a
// multi-value or All selection).
func interpolate(s string, values map[string]string) (string, []string) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	return out, missing
}

// legendLabels returns the label names a legend format refers to ({{name}}).
var legendRef = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

func legendLabels(format string) []string {
	var out []string
	for _, m := range legendRef.FindAllStringSubmatch(format, -1) {
		out = append(out, m[1])
	}
	return out
}

// renderLegend renders a legend format for a series' labels, as Grafana does
// (a missing label renders empty).
func renderLegend(format string, labels map[string]string) string {
	return legendRef.ReplaceAllStringFunc(format, func(ref string) string {
		return labels[legendRef.FindStringSubmatch(ref)[1]]
	})
}

// labelValuesQuery parses label_values(selector, label) or
// label_values(label).
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)\s*$`)

// promIdent matches PromQL identifiers (metric names, recording rule names,
// functions, label names).
var promIdent = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// ecbenchMetrics returns the ecbench metric names an expression uses.
func ecbenchMetrics(expr string) []string {
	var out []string
	for _, id := range promIdent.FindAllString(stripStrings(expr), -1) {
		if strings.HasPrefix(id, "ecbench_") && !strings.Contains(id, ":") && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// stripStrings blanks out PromQL string literals, so that label values are
// not mistaken for identifiers.
var promString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")

func stripStrings(expr string) string { return promString.ReplaceAllString(expr, `""`) }

// selectors finds metric{matchers} in an expression.
var selector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}`)

// matcher is one label matcher: name, operator, quoted value.
var matcher = regexp.MustCompile(`(\w+)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")`)

type labelMatcher struct {
	metric, label, op, value string
}

func labelMatchers(expr string) []labelMatcher {
	var out []labelMatcher
	for _, s := range selector.FindAllStringSubmatch(expr, -1) {
		for _, m := range matcher.FindAllStringSubmatch(s[2], -1) {
			out = append(out, labelMatcher{metric: s[1], label: m[1], op: m[2], value: strings.Trim(m[3], `"`)})
		}
	}
	return out
}
