package deploy

import (
	"bufio"
	"bytes"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// deliberatelyUnused are the ecbench series that no dashboard panel,
// variable, annotation or rule reads, each with the reason. Everything else
// the README's metrics table lists, and everything ecbench exposes, must be
// read somewhere: a series nobody can see is a promise the dashboards do not
// keep.
var deliberatelyUnused = map[string]string{
	"ecbench_replay_commands_total":        replayAccounting,
	"ecbench_replay_skipped_total":         replayAccounting,
	"ecbench_replay_malformed_lines_total": replayAccounting,
	"ecbench_replay_clamped_total":         replayAccounting,
	"ecbench_replay_passes_total":          replayAccounting,
}

// replayAccounting is why the ecbench_replay_* series are on no panel: they
// count the trace, not an engine (each line once, whichever targets replay
// it), so they cannot tell Redis from Valkey, which is what the dashboards
// compare. What a replay could not send is shown where the run is judged:
// bench's and compare's warnings, run.json's replays and the daemon's log.
const replayAccounting = "a replay's accounting of its trace, the same for every engine: shown in bench and compare warnings, run.json and the daemon's log"

// TestEverySeriesShown requires every ecbench series named in the README's
// metrics table (a `name_*` row stands for every exposed series it matches)
// and every ecbench series of the exposition to be read by at least one
// dashboard query, variable or annotation or one recording or alerting rule,
// or to be in deliberatelyUnused with a reason; and deliberatelyUnused to
// hold nothing else. A histogram is read when its _bucket, _sum or _count
// series is.
func TestEverySeriesShown(t *testing.T) {
	t.Parallel()
	expo := exposition(t)
	exposed := map[string]bool{} // base names: a histogram without its suffixes
	for name, f := range expo {
		if strings.HasPrefix(name, "ecbench_") {
			exposed[seriesBase(name, f.typ)] = true
		}
	}
	table := readmeMetrics(t)
	if len(table) == 0 {
		t.Fatal("no ecbench_ series in the README's metrics table")
	}
	demanded := map[string]string{} // name -> where it is demanded from
	for _, name := range table {
		if prefix, ok := strings.CutSuffix(name, "*"); ok {
			n := 0
			for e := range exposed {
				if strings.HasPrefix(e, prefix) {
					demanded[e] = "the README's " + name
					n++
				}
			}
			if n == 0 {
				t.Errorf("the README's metrics table lists %s, which matches no series ecbench exposes", name)
			}
			continue
		}
		demanded[name] = "the README's metrics table"
	}
	for e := range exposed {
		if _, ok := demanded[e]; !ok {
			demanded[e] = "ecbench's exposition (and missing from the README's metrics table)"
		}
	}

	used := usedSeries(t)
	isUsed := func(name string) bool {
		return used[name] || used[name+"_bucket"] || used[name+"_sum"] || used[name+"_count"]
	}
	for _, name := range slices.Sorted(maps.Keys(demanded)) {
		_, excused := deliberatelyUnused[name]
		switch {
		case isUsed(name) && excused:
			t.Errorf("%s is in deliberatelyUnused but is read by a dashboard or rule: take it off the list", name)
		case !isUsed(name) && !excused:
			t.Errorf("%s (from %s) is read by no dashboard panel, variable, annotation or rule: show it, or add it to deliberatelyUnused with the reason", name, demanded[name])
		}
	}
	for name, reason := range deliberatelyUnused {
		if _, ok := demanded[name]; !ok {
			t.Errorf("deliberatelyUnused lists %s, which neither the README nor ecbench's exposition has", name)
		}
		if strings.TrimSpace(reason) == "" {
			t.Errorf("deliberatelyUnused lists %s without a reason", name)
		}
	}
}

// seriesBase is a series' family name: a histogram's or summary's without
// its _bucket, _sum or _count suffix.
func seriesBase(name string, typ dto.MetricType) string {
	if typ != dto.MetricType_HISTOGRAM && typ != dto.MetricType_SUMMARY && typ != dto.MetricType_GAUGE_HISTOGRAM {
		return name
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			return base
		}
	}
	return name
}

// readmeSeries finds the series names in a metrics table cell.
var readmeSeries = regexp.MustCompile("`(ecbench_[a-z0-9_]+\\*?)`")

// readmeMetrics returns the ecbench series named in the first column of the
// README's metrics table (the first table after the "## Metrics" heading),
// in order; a name ending in * stands for every series with its prefix.
func readmeMetrics(t *testing.T) []string {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, repoPath(t, "README.md"))))
	var out []string
	inSection, inTable := false, false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "## "):
			if inSection {
				return out
			}
			inSection = strings.HasPrefix(line, "## Metrics")
		case !inSection:
		case strings.HasPrefix(line, "|"):
			inTable = true
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for _, m := range readmeSeries.FindAllStringSubmatch(cells[0], -1) {
				out = append(out, m[1])
			}
		case inTable:
			return out // the table ended
		}
	}
	return out
}

// usedSeries returns every series name that a dashboard query, variable or
// annotation, or a rule, selects.
func usedSeries(t *testing.T) map[string]bool {
	t.Helper()
	var exprs []string
	for _, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			if m := labelValuesQuery.FindStringSubmatch(v.Query()); m != nil {
				exprs = append(exprs, m[1])
			}
		}
		for _, a := range d.Annotations.List {
			exprs = append(exprs, a.Expr)
		}
		for _, p := range d.allPanels() {
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
	}
	for _, f := range ruleFiles(t) {
		for _, g := range readRules(t, f).Groups {
			for _, r := range g.Rules {
				exprs = append(exprs, r.Expr)
			}
		}
	}
	used := map[string]bool{}
	for _, e := range exprs {
		if strings.TrimSpace(e) == "" {
			continue
		}
		sels, err := promSelectors(e)
		if err != nil {
			t.Errorf("%q: %v", e, err)
			continue
		}
		for _, s := range sels {
			used[s.metric] = true
		}
	}
	return used
}
