package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecbench/ecbench/results"
)

func buildMeta(run *results.Run) Meta {
	rm := run.Meta
	m := Meta{Targets: run.Targets}
	add := func(k, v string) {
		if v != "" {
			m.Fields = append(m.Fields, [2]string{k, v})
		}
	}
	add("tool", strings.TrimSpace(rm.Tool+" "+rm.Version))
	add("go", rm.GoVersion)
	add("host", rm.Host)
	add("command", strings.Join(rm.Command, " "))
	if !rm.Start.IsZero() {
		add("start", rm.Start.UTC().Format(time.RFC3339))
	}
	if !rm.End.IsZero() {
		add("end", rm.End.UTC().Format(time.RFC3339))
	}
	add("warm-up", rm.Warmup.String())
	add("measured duration", rm.Duration.String())
	add("workloads", map[bool]string{false: "at once", true: "one after another"}[rm.Sequential])
	if len(rm.MergedStarts) > 0 {
		starts := make([]string, len(rm.MergedStarts))
		for i, s := range rm.MergedStarts {
			starts[i] = s.UTC().Format(time.RFC3339)
		}
		add("merged runs", fmt.Sprintf("%d, started %s", len(starts), strings.Join(starts, ", ")))
	}
	for _, g := range run.Generator {
		m.Generator = append(m.Generator, generatorLine(g))
	}
	if rm.Config != nil {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // the page escapes; keep "<" readable
		enc.SetIndent("", "  ")
		if enc.Encode(redact(rm.Config)) == nil {
			m.Config = strings.TrimSuffix(b.String(), "\n")
		}
	}
	return m
}

// secretWords mark configuration keys whose values never reach the page.
// The caller redacts the configuration already; this is a second fence,
// since a report is made to be passed around.
var secretWords = []string{"password", "passwd", "secret", "token", "credential", "auth"}

// redact returns a generic JSON copy of v with the values of secret keys
// replaced.
func redact(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var g any
	if json.Unmarshal(b, &g) != nil {
		return nil
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				lk := strings.ToLower(k)
				if slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(lk, w) }) {
					if e != nil && e != "" {
						x[k] = "[redacted]"
					}
					continue
				}
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	return walk(g)
}

// generatorLine is one runner's line in the page's run section: how the
// generator fared, and its CPU where it was measured.
func generatorLine(g results.Generator) string {
	line := fmt.Sprintf("%s on %s: max schedule lag %v, dropped %d, in-flight bound %d",
		g.Workload, g.Target, g.MaxScheduleLag, g.Dropped, g.MaxInFlight)
	if g.CPUs > 0 {
		line += "; ecbench's CPU: " + g.CPUSummary()
	}
	return line
}
