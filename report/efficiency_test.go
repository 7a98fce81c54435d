package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/results"
)

// TestReportEfficiency: a run with the servers' INFO and prices gets a
// server-side and cost table after the summary, its figures marked as
// measured once; a run without them has none.
func TestReportEfficiency(t *testing.T) {
	t.Parallel()
	run := testRun(t)
	run.Targets[0].PricePerHour, run.Targets[0].Currency = 0.2195, "USD"
	run.Targets[1].PricePerHour, run.Targets[1].Currency = 0.1756, "USD"
	for i, tg := range run.Targets {
		snap := func(sec int, used, keys, gets uint64) *results.ServerSnapshot {
			return &results.ServerSnapshot{At: run.Meta.Start.Add(time.Duration(sec) * time.Second), Nodes: 1, Engine: tg.Engine,
				RunIDs: []string{tg.Name}, UsedMemory: used, UsedMemoryRSS: 2 * used, Keys: keys, KeyspaceHits: gets,
				CPUUser: float64(gets) * 4e-6 / float64(i+1), NetInputBytes: 40 * gets, Calls: map[string]uint64{"get": gets}}
		}
		run.Servers = append(run.Servers, results.Server{Target: tg.Name, Workload: "kv", Kind: "kv", PreloadKeys: 1000, PreloadElements: 1000,
			BeforePreload: snap(0, 1<<20, 0, 0), AfterPreload: snap(1, 1<<20+uint64(100_000/(i+1)), 1000, 0),
			BeforeMeasure: snap(2, 1<<20, 1000, 0), AfterMeasure: snap(8, 1<<20, 1000, 12_000)})
	}
	m := mustBuild(t, run, Options{})
	if len(m.Table.Efficiency) == 0 || !strings.Contains(m.Table.EfficiencyTitle, "measured once") {
		t.Fatalf("table %+v", m.Table)
	}
	var b bytes.Buffer
	if err := HTML(&b, &m); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<section id="efficiency">`, "<h2>Server side and cost</h2>", "<td>memory per key (B)</td>", `<td class="num">100.0</td><td class="num">50.0</td><td class="num">0.500</td>`,
		"<td>cost per billion requests (USD)</td>", "<td>server CPU per command (µs)</td>", "measured once (no interval, no verdict)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	checkNesting(t, svgElem.ReplaceAllString(page, "<svg></svg>"))

	plain := mustBuild(t, testRun(t), Options{})
	b.Reset()
	_ = HTML(&b, &plain)
	if strings.Contains(b.String(), "Server side and cost") {
		t.Error("a run without server data or prices has a server-side section")
	}
}
