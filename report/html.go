package report

import (
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HTML writes m as one self-contained page: inline CSS, charts as inline
// SVG, nothing loaded from anywhere, no script. It leads with the answer:
// the decision lines, the thresholds and the warnings, then the forest
// plot of every op and quantity, both on the first screen; then the
// servers' side and cost, each workload's charts in a collapsed section
// (its decision in the summary line), the full table and the metadata.
func HTML(w io.Writer, m *Model) error {
	svgs := map[string]template.HTML{}
	for _, f := range m.figures() {
		s, err := inlineSVG(f)
		if err != nil {
			return err
		}
		// Trusted: drawn here by gonum from numbers; every label in it is
		// escaped by vgsvg.
		svgs[f.figureID()] = template.HTML(s) //nolint:gosec
	}
	err := page.Execute(w, pageData{Model: m, SVG: svgs, CSS: template.CSS(pageCSS())}) //nolint:gosec // pageCSS is a constant and the palette
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// pageData is what the page template reads.
type pageData struct {
	*Model
	SVG map[string]template.HTML
	CSS template.CSS
}

// Overall is the run's decision line, nil without one.
func (d pageData) Overall() *Decision {
	if n := len(d.Table.Decisions); n > 0 && d.Table.Decisions[n-1].Workload == "" {
		return &d.Table.Decisions[n-1]
	}
	return nil
}

// WorkloadDecisions are the workloads' decision lines.
func (d pageData) WorkloadDecisions() []Decision {
	var out []Decision
	for _, x := range d.Table.Decisions {
		if x.Workload != "" {
			out = append(out, x)
		}
	}
	return out
}

// Mark is the class of a decision's mark: the faster engine's colour, or
// the kind's.
func (d pageData) Mark(x Decision) string {
	if x.Kind == "faster" {
		for _, e := range d.Forest.Engines {
			if e.Target == x.Faster && e.Target != "" {
				return fmt.Sprintf("mark c%d", e.Color%len(palette))
			}
		}
	}
	return "mark k-" + strings.ReplaceAll(x.Kind, " ", "-")
}

// tableRow is a row of the full table, with how many rows its op cells
// span (0: covered by the row above).
type tableRow struct {
	Row
	Span int
}

// TableRows are the full table's rows, an op's workload and op cells
// spanning its rows.
func (d pageData) TableRows() []tableRow {
	rows := d.Table.Rows
	out := make([]tableRow, len(rows))
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].Workload == rows[i].Workload && rows[j].Op == rows[i].Op {
			out[j].Row = rows[j]
			j++
		}
		out[i].Span = j - i
		i = j
	}
	return out
}

// efficiencyGroup is one workload's rows of the server-side table.
type efficiencyGroup struct {
	Workload string
	Rows     []EfficiencyRow
}

// EfficiencyGroups are the server-side rows, by workload.
func (d pageData) EfficiencyGroups() []efficiencyGroup {
	var out []efficiencyGroup
	for _, r := range d.Table.Efficiency {
		if n := len(out); n == 0 || out[n-1].Workload != r.Workload {
			out = append(out, efficiencyGroup{Workload: r.Workload})
		}
		out[len(out)-1].Rows = append(out[len(out)-1].Rows, r)
	}
	return out
}

// pageCSS is the page's style: the palette's colours for the engines'
// marks, a sans-serif font, tables whose cells do not wrap.
func pageCSS() string {
	var b strings.Builder
	b.WriteString(baseCSS)
	for i, c := range palette {
		fmt.Fprintf(&b, ".c%d { background: rgb(%d,%d,%d); }\n", i, c.R, c.G, c.B)
	}
	return b.String()
}

const baseCSS = `
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; font-size: 15px; line-height: 1.4; color: #222; }
body { margin: 0.8em auto 3em; max-width: 1130px; padding: 0 1em; }
h1 { font-size: 1.35em; margin: 0; }
header { margin-bottom: 0.5em; display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 1.5em; }
.subtitle { color: #555; margin: 0.1em 0 0; order: 3; flex-basis: 100%; }
nav { font-size: 0.88em; } nav a { margin-right: 0.8em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin: 1.6em 0 0.6em; }
h4 { margin: 1.2em 0 0.2em; font-size: 1em; }
ul.decisions { list-style: none; padding: 0; margin: 0.3em 0; }
ul.decisions li { margin: 0.12em 0; padding-left: 1.3em; text-indent: -1.3em; }
ul.decisions li.overall { font-size: 1.12em; font-weight: 600; margin-bottom: 0.3em; }
.mark { display: inline-block; width: 0.4em; height: 1em; margin-right: 0.55em; vertical-align: -0.15em; background: #ccc; }
.k-failing { background: rgb(180,40,0); } .k-no-difference { background: #595959; } .k-mixed { background: linear-gradient(rgb(213,94,0) 50%, rgb(0,114,178) 50%); }
.lines { list-style: none; padding: 0; margin: 0.35em 0; font-size: 0.9em; }
.lines li { margin: 0.08em 0; padding-left: 0.6em; border-left: 3px solid #bbb; }
.lines li.crossed { border-left-color: rgb(180,40,0); }
.lines li.warn { border-left-color: #e69f00; background: #fff8ec; }
figure { margin: 0.6em 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption, .note { color: #555; font-size: 0.87em; }
figure.forest { margin-top: 0.5em; }
.pair { display: flex; flex-wrap: wrap; gap: 0 16px; }
.pair figure { margin: 0.3em 0; }
details { border-top: 1px solid #ddd; padding: 0.35em 0; }
details > summary { cursor: pointer; padding: 0.15em 0; }
details > summary b { margin-right: 0.4em; }
details[open] > summary { margin-bottom: 0.4em; }
.scroll { overflow-x: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(490px, 1fr)); column-gap: 20px; align-items: start; }
.grid table { margin: 0.3em 0; font-size: 0.85em; }
.grid th, .grid td { padding: 0.15em 0.45em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; vertical-align: top; white-space: nowrap; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.untrusted td { color: #999; }
tr.first td { border-top: 2px solid #aaa; }
tr.group th { background: #e9e9e9; text-align: left; }
table.meta td { white-space: normal; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.nodata { color: #888; font-style: italic; }
`

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"chart": func(svgs map[string]template.HTML, c Chart) chartArgs { return chartArgs{&c, svgs[c.ID]} },
	"join":  strings.Join,
	"utc":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
{{with .Subtitle}}<p class="subtitle">{{.}}</p>{{end}}
<nav><a href="#decision">Decision</a>{{if .Forest.Rows}}<a href="#forest">All ratios</a>{{end}}{{if .Table.Efficiency}}<a href="#efficiency">Server side and cost</a>{{end}}{{if .Workloads}}<a href="#workloads">Workloads</a>{{end}}{{if .Servers}}<a href="#servers">Servers (CloudWatch)</a>{{end}}<a href="#table">Full table</a><a href="#metadata">Run metadata</a></nav>
</header>

<section id="decision">
{{if .Table.Decisions}}
<ul class="decisions">
{{with .Overall}}<li class="overall"><span class="{{$.Mark .}}"></span>overall: {{.Text}}</li>
{{end}}{{range .WorkloadDecisions}}<li><span class="{{$.Mark .}}"></span><b>{{.Workload}}</b>: {{.Text}}</li>
{{end}}</ul>
{{else}}<p class="nodata">no results</p>
{{end}}
{{if or .Table.ThresholdLines .Table.Warnings .Warnings .Table.Thresholds}}<ul class="lines">
{{range .Table.ThresholdLines}}<li class="crossed">{{.}}</li>
{{end}}{{with .Table.Thresholds}}{{if not $.Table.ThresholdLines}}<li>thresholds: none crossed ({{join . ", "}})</li>
{{end}}{{end}}{{range .Warnings}}<li class="warn">warning: {{.}}</li>
{{end}}{{range .Table.Warnings}}<li class="warn">warning: {{.}}</li>
{{end}}</ul>{{end}}
</section>

{{if .Forest.Rows}}<figure id="{{.Forest.ID}}" class="forest">
{{index .SVG .Forest.ID}}
<figcaption>Each point is the whole run's ratio {{.Forest.Ratio}} of one quantity of one op, its line the 95% interval the full table shows
(the decision lines widen the intervals so that they hold together). Colour: the engine significantly better on that quantity;
grey: no significant difference; hollow: no interval (too few intervals) or a generator-bound op. Max and the error rate are in the full table.</figcaption>
</figure>{{end}}

{{with .Table}}{{if .Efficiency}}
<section id="efficiency">
<h2>Server side and cost</h2>
<p class="note">{{.EfficiencyTitle}}</p>
<div class="grid">
{{range $.EfficiencyGroups}}<div class="scroll"><table>
<thead><tr class="group"><th>{{.Workload}}</th><th>{{$.Table.Baseline}}</th><th>{{$.Table.Candidate}}</th><th>{{$.Table.Ratio}}</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Quantity}}</td><td class="num">{{.Baseline}}</td><td class="num">{{.Candidate}}</td><td class="num">{{.Ratio}}</td></tr>
{{end}}</tbody>
</table></div>
{{end}}</div>
{{range .EfficiencyNotes}}<p class="note">note: {{.}}</p>
{{end}}
</section>
{{end}}{{end}}

{{if .Workloads}}<section id="workloads">
<h2>Workloads</h2>
<p class="note">Each workload's throughput, errors and, per op, its p99 over time and its latency by percentile; open one to see them.
Latency is from each request's intended start.</p>
{{range .Workloads}}
<details id="{{.ID}}"><summary><b>{{.Name}}</b>{{with .Decision}} {{.}}{{end}}</summary>
{{template "chart" (chart $.SVG .Throughput)}}
{{range .Errors}}{{template "chart" (chart $.SVG .)}}
{{end}}{{with .NoErrors}}<p class="note">{{.}}</p>{{end}}
{{range .Ops}}
<h4>{{.Name}}</h4>
<div class="pair">
{{template "chart" (chart $.SVG .Latency)}}
{{template "chart" (chart $.SVG .Spectrum)}}
</div>
{{end}}
{{with .OmittedOps}}<p class="note">No charts for {{join . ", "}}: fewer requests than the ops above (--max-ops); the full table has every op.</p>
{{end}}
</details>
{{end}}
</section>{{end}}

{{with .Servers}}
<section id="servers">
<h2>Servers (CloudWatch)</h2>
<details><summary>ElastiCache's own metrics for each target's nodes, as ecbench polled them from CloudWatch (published once a minute)</summary>
{{range .}}{{template "chart" (chart $.SVG .)}}
{{end}}
</details>
</section>
{{end}}

<section id="table">
<h2>Full table</h2>
{{with .Table}}
{{if .Rows}}
<div class="scroll"><table>
<thead><tr><th>workload</th><th>op</th><th>quantity</th><th>{{.Baseline}}</th><th>{{.Candidate}}</th><th>{{.Ratio}}</th><th>95% CI</th><th>verdict</th></tr></thead>
<tbody>
{{range $.TableRows}}<tr class="{{if not .Trusted}}untrusted{{end}}{{if .Span}} first{{end}}">{{if .Span}}<td rowspan="{{.Span}}">{{.Workload}}</td><td rowspan="{{.Span}}">{{.Op}}</td>{{end}}<td>{{.Quantity}}</td><td class="num">{{.Baseline}}</td><td class="num">{{.Candidate}}</td><td class="num">{{.Ratio}}</td><td class="num">{{.CI}}</td><td>{{.Verdict}}</td></tr>
{{end}}</tbody>
</table></div>
{{else}}<p class="nodata">no results</p>
{{end}}
{{with .Note}}<p class="note">{{.}}</p>{{end}}
{{end}}
</section>

<section id="metadata">
<h2>Run metadata</h2>
{{with .Meta}}
<table class="meta">
{{range .Fields}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
{{if $.Phases}}
<h4>Scenario phases</h4>
<table>
<thead><tr><th>phase</th><th>from (UTC)</th><th>to (UTC)</th></tr></thead>
<tbody>
{{range $.Phases}}<tr><td>{{.Name}}</td><td>{{utc .From}}</td><td>{{utc .To}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Targets}}
<h4>Targets</h4>
<table>
<thead><tr><th>name</th><th>engine</th><th>version</th><th>mode</th><th>role</th></tr></thead>
<tbody>
{{range .Targets}}<tr><td>{{.Name}}</td><td>{{.Engine}}</td><td>{{.Version}}</td><td>{{.Mode}}</td><td>{{.Role}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Generator}}
<h4>Load generator</h4>
<ul>
{{range .Generator}}<li>{{.}}</li>
{{end}}</ul>
{{end}}
{{if .Config}}
<details><summary>Configuration (secrets redacted)</summary>
<pre>{{.Config}}</pre>
</details>
{{end}}
{{end}}
</section>
</body>
</html>
{{define "chart"}}<figure id="{{.Chart.ID}}"{{if .Chart.Small}} class="small"{{end}}>
{{if .SVG}}{{.SVG}}{{else}}<p class="nodata">{{.Chart.Title}}: no data</p>{{end}}
{{with .Chart.Note}}<figcaption>{{.}}</figcaption>{{end}}
</figure>{{end}}
`))

// chartArgs is what the "chart" template needs.
type chartArgs struct {
	Chart *Chart
	SVG   template.HTML
}

// WriteFile writes the page to path: next to its final name first, then
// renamed, so that a failed run never leaves half a report.
func WriteFile(path string, m *Model) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := HTML(f, m); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
