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
// SVG, nothing loaded from anywhere.
func HTML(w io.Writer, m *Model) error {
	svgs := map[string]template.HTML{}
	for _, c := range m.Charts() {
		if len(c.Lines) == 0 {
			continue
		}
		s, err := inlineSVG(c)
		if err != nil {
			return err
		}
		// Trusted: drawn here by gonum from numbers; every label in it is
		// escaped by vgsvg.
		svgs[c.ID] = template.HTML(s) //nolint:gosec
	}
	err := page.Execute(w, struct {
		*Model
		SVG map[string]template.HTML
	}{m, svgs})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// chartArgs is what the "chart" template needs.
type chartArgs struct {
	Chart *Chart
	SVG   template.HTML
}

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
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-top: 1.5em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.untrusted td { color: #999; }
tr.first td { border-top: 2px solid #aaa; }
.warning { background: #fff4e0; border-left: 4px solid #e69f00; padding: 0.5em 1em; }
figure { margin: 1em 0; } figure svg { width: 100%; height: auto; max-width: 60em; overflow: visible; }
/* the charts are laid out with Go's font metrics; a browser's wider fallback font must not clip legends */
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.nodata { color: #888; font-style: italic; }
.note { color: #555; font-size: 0.9em; }
nav a { margin-right: 1em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<nav><a href="#summary">Summary</a>{{range .Workloads}}<a href="#workload-{{.Throughput.ID}}">{{.Name}}</a>{{end}}{{if .Servers}}<a href="#servers">Servers (CloudWatch)</a>{{end}}<a href="#metadata">Run metadata</a></nav>

<h2 id="summary">Summary</h2>
{{range .Warnings}}<p class="warning">warning: {{.}}</p>
{{end}}
{{with .Table}}
{{range .Warnings}}<p class="warning">warning: {{.}}</p>
{{end}}
{{if .Rows}}
<table>
<thead><tr><th>workload</th><th>op</th><th>quantity</th><th>{{.Baseline}}</th><th>{{.Candidate}}</th><th>{{.Ratio}}</th><th>95% CI</th><th>verdict</th></tr></thead>
<tbody>
{{range $i, $r := .Rows}}<tr class="{{if not $r.Trusted}}untrusted{{end}}{{if eq $r.Quantity "throughput (ops/s)"}} first{{end}}"><td>{{$r.Workload}}</td><td>{{$r.Op}}</td><td>{{$r.Quantity}}</td><td class="num">{{$r.Baseline}}</td><td class="num">{{$r.Candidate}}</td><td class="num">{{$r.Ratio}}</td><td class="num">{{$r.CI}}</td><td>{{$r.Verdict}}</td></tr>
{{end}}</tbody>
</table>
{{else}}<p class="nodata">no results</p>
{{end}}
{{with .Note}}<p>{{.}}</p>{{end}}
{{if .Efficiency}}
<h3 id="efficiency">Server side and cost</h3>
<p class="note">{{.EfficiencyTitle}}</p>
<table>
<thead><tr><th>workload</th><th>server</th><th>{{.Baseline}}</th><th>{{.Candidate}}</th><th>{{.Ratio}}</th></tr></thead>
<tbody>
{{range .Efficiency}}<tr><td>{{.Workload}}</td><td>{{.Quantity}}</td><td class="num">{{.Baseline}}</td><td class="num">{{.Candidate}}</td><td class="num">{{.Ratio}}</td></tr>
{{end}}</tbody>
</table>
{{range .EfficiencyNotes}}<p class="note">note: {{.}}</p>
{{end}}
{{end}}
{{end}}

{{range .Workloads}}
<h2 id="workload-{{.Throughput.ID}}">Workload {{.Name}}</h2>
{{template "chart" (chart $.SVG .Throughput)}}
{{template "chart" (chart $.SVG .Errors)}}
{{range .Ops}}
<h3>{{.Name}}</h3>
{{template "chart" (chart $.SVG .Latency)}}
{{template "chart" (chart $.SVG .Spectrum)}}
{{end}}
{{with .OmittedOps}}<p class="note">No charts for {{join . ", "}}: fewer requests than the ops above (--max-ops); the summary table has every op.</p>
{{end}}
{{end}}

{{with .Servers}}
<h2 id="servers">Servers (CloudWatch)</h2>
<p class="note">ElastiCache's own metrics for each target's nodes, as ecbench polled them from CloudWatch (published once a minute).</p>
{{range .}}{{template "chart" (chart $.SVG .)}}
{{end}}
{{end}}

<h2 id="metadata">Run metadata</h2>
{{with .Meta}}
<table>
{{range .Fields}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
{{if $.Phases}}
<h3>Scenario phases</h3>
<table>
<thead><tr><th>phase</th><th>from (UTC)</th><th>to (UTC)</th></tr></thead>
<tbody>
{{range $.Phases}}<tr><td>{{.Name}}</td><td>{{utc .From}}</td><td>{{utc .To}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Targets}}
<h3>Targets</h3>
<table>
<thead><tr><th>name</th><th>engine</th><th>version</th><th>mode</th><th>role</th></tr></thead>
<tbody>
{{range .Targets}}<tr><td>{{.Name}}</td><td>{{.Engine}}</td><td>{{.Version}}</td><td>{{.Mode}}</td><td>{{.Role}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Generator}}
<h3>Load generator</h3>
<ul>
{{range .Generator}}<li>{{.}}</li>
{{end}}</ul>
{{end}}
{{if .Config}}
<h3>Configuration (secrets redacted)</h3>
<pre>{{.Config}}</pre>
{{end}}
{{end}}
</body>
</html>
{{define "chart"}}<figure id="{{.Chart.ID}}">
{{if .SVG}}{{.SVG}}{{else}}<p class="nodata">{{.Chart.Title}}: no data</p>{{end}}
</figure>{{end}}
`))

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
