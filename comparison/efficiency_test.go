package comparison

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ecbench/ecbench/results"
)

func TestCostOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name                string
		price, rps          float64
		perBillion, perUnit float64 // NaN: none
	}{
		// 100/s is 360,000 requests an hour: at 0.36 an hour, 1e-6 each.
		{"round", 0.36, 100, 1000, 1e6},
		// cache.r7g.large at 0.2195 USD/h serving 20,000/s: 72M an hour.
		{"example", 0.2195, 20_000, 0.2195 / 72e6 * 1e9, 72e6 / 0.2195},
		{"twice the price", 0.439, 20_000, 2 * 0.2195 / 72e6 * 1e9, 72e6 / 0.439},
		{"twice the throughput", 0.2195, 40_000, 0.2195 / 144e6 * 1e9, 144e6 / 0.2195},
		{"no price", 0, 20_000, math.NaN(), math.NaN()},
		{"no requests", 0.2195, 0, math.NaN(), math.NaN()},
		{"negative price", -1, 20_000, math.NaN(), math.NaN()},
		{"infinite rate", 0.2195, math.Inf(1), math.NaN(), math.NaN()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, u, ok := CostOf(tt.price, tt.rps)
			if want := !math.IsNaN(tt.perBillion); ok != want {
				t.Fatalf("ok %v, want %v", ok, want)
			}
			near := func(got, want float64) bool {
				return math.IsNaN(want) && math.IsNaN(got) || math.Abs(got-want) <= 1e-12*want
			}
			if !near(b, tt.perBillion) || !near(u, tt.perUnit) {
				t.Errorf("CostOf(%v, %v) = %v per billion, %v per unit; want %v, %v", tt.price, tt.rps, b, u, tt.perBillion, tt.perUnit)
			}
		})
	}
}

// serverSpec is how one engine's server behaves in withServers: bytes per
// key preloaded, CPU seconds and bytes in and out per command.
type serverSpec struct {
	perKey, cpu, in, out float64
}

// withServers gives run's targets prices and, per target and workload,
// the INFO snapshots of a 1,000-key preload taking spec.perKey bytes a key
// and of a measured phase of exactly the series' commands (ok, miss,
// errors), each costing spec's CPU and bytes, beside ecbench's own INFO
// commands, which do not count.
func withServers(run *results.Run, prices [2]float64, currencies [2]string, specs [2]serverSpec) *results.Run {
	for i := range run.Targets {
		run.Targets[i].PricePerHour, run.Targets[i].Currency = prices[i], currencies[i]
	}
	at := run.Meta.Start
	for i, t := range run.Targets {
		spec := specs[i]
		var workloads []string
		commands := map[string]uint64{}
		for _, s := range run.Series {
			if s.Target != t.Name {
				continue
			}
			if _, seen := commands[s.Workload]; !seen {
				workloads = append(workloads, s.Workload)
			}
			commands[s.Workload] += s.OK + s.Miss + s.Errors
		}
		for _, w := range workloads {
			n := commands[w]
			snap := func(sec int, used, keys, cmds uint64) *results.ServerSnapshot {
				return &results.ServerSnapshot{At: at.Add(time.Duration(sec) * time.Second), Nodes: 1, Engine: t.Engine, Version: t.Version,
					RunIDs: []string{t.Name}, UsedMemory: used, UsedMemoryRSS: 2 * used, Keys: keys,
					KeyspaceHits: cmds * 9 / 10, KeyspaceMisses: cmds / 10,
					CPUUser: spec.cpu * float64(cmds), NetInputBytes: uint64(spec.in * float64(cmds)), NetOutputBytes: uint64(spec.out * float64(cmds)),
					Calls: map[string]uint64{"get": cmds, "info": uint64(8 * sec)}}
			}
			base := uint64(1 << 20)
			run.Servers = append(run.Servers, results.Server{Target: t.Name, Workload: w, Kind: "kv", PreloadKeys: 1000, PreloadElements: 1000,
				BeforePreload: snap(0, base, 0, 0),
				AfterPreload:  snap(1, base+uint64(spec.perKey*1000), 1000, 0),
				BeforeMeasure: snap(2, base+uint64(spec.perKey*1000), 1000, 0),
				AfterMeasure:  snap(12, base+uint64(spec.perKey*1000), 1000, n),
			})
		}
	}
	return run
}

var (
	usd          = [2]string{"USD", "USD"}
	examplePrice = [2]float64{0.2195, 0.1756} // ElastiCache cache.r7g.large, Redis OSS and Valkey (examples)
	serverSpecs  = [2]serverSpec{{perKey: 100, cpu: 4e-6, in: 40, out: 20}, {perKey: 80, cpu: 3e-6, in: 40, out: 20}}
)

func TestEfficiency(t *testing.T) {
	t.Parallel()
	closed := func() *results.Run {
		return synthetic{seconds: 10, workloads: kvOnly, shared: 0.05, own: 0.02, seed: 3, engines: faster(1.25)}.run()
	}
	open := func(dropped float64) func() *results.Run {
		return func() *results.Run {
			return synthetic{seconds: 10, workloads: kvOnly, shared: 0.05, own: 0.02, seed: 3, engines: same, openLoop: true, dropped: dropped}.run()
		}
	}
	for _, tt := range []struct {
		name       string
		run        func() *results.Run
		prices     [2]float64
		currencies [2]string
		costRatio  float64 // NaN: none
		notes      []string
	}{
		// 25% more throughput at 80% of the price: 0.8/1.25 of the cost.
		{"closed loop", closed, examplePrice, usd, 0.1756 / 0.2195 / 1.25, nil},
		{"one price for both", closed, [2]float64{0.218, 0.218}, usd, 1 / 1.25, nil},
		{"currencies differ", closed, examplePrice, [2]string{"USD", "EUR"}, math.NaN(),
			[]string{"kv: no cost ratio: redis is priced in USD, valkey in EUR"}},
		{"one priced", closed, [2]float64{0.2195, 0}, usd, math.NaN(), []string{"kv: no cost ratio: valkey has no price_per_hour"}},
		{"open loop, both served", open(0), examplePrice, usd, 0.1756 / 0.2195,
			[]string{"kv: open loop: both served the offered rate, so the cost per request differs only by price; a closed-loop run measures what a node can serve"}},
		{"open loop, valkey dropped 5%", open(0.05), examplePrice, usd, 0.1756 / 0.2195 / 0.95,
			[]string{"kv: open loop: each cost is at the rate the engine answered of the offered one, not at its capacity; a closed-loop run measures what a node can serve"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Of(withServers(tt.run(), tt.prices, tt.currencies, serverSpecs))
			if len(c.Efficiency) != 1 {
				t.Fatalf("efficiency %+v, want kv's", c.Efficiency)
			}
			e := c.Efficiency[0]
			a, b := e.Engines[0], e.Engines[1]
			if a == nil || b == nil || a.MemoryPerKey != 100 || b.MemoryPerKey != 80 || math.Abs(a.CPUPerCommand-4e-6) > 1e-12 ||
				a.NetInPerCommand != 40 || a.HitRatio < 0.89 || a.HitRatio > 0.91 {
				t.Errorf("server figures %+v, %+v", a, b)
			}
			// The measured throughput's cost, within the synthetic run's
			// noise around the rates asked for (the open loop's is exact).
			if want := tt.costRatio; math.IsNaN(want) != math.IsNaN(e.CostRatio) || !math.IsNaN(want) && math.Abs(e.CostRatio/want-1) > 0.03 {
				t.Errorf("cost ratio %v, want %v", e.CostRatio, want)
			}
			if got := c.EfficiencyNotes(); strings.Join(got, "\n") != strings.Join(tt.notes, "\n") {
				t.Errorf("notes\n%q\nwant\n%q", got, tt.notes)
			}
			if p := e.Cost[0]; p.PerBillion != p.PricePerHour/(p.Throughput*3600)*1e9 {
				t.Errorf("cost %+v: per billion is not price / (throughput × 3600) × 1e9", p)
			}
		})
	}
}

// TestEfficiencyText: the server block follows the table, says its
// figures are measured once, and fits in 100 columns; a run without
// server data or prices has none.
func TestEfficiencyText(t *testing.T) {
	t.Parallel()
	run := withServers(synthetic{seconds: 10, workloads: allWorkloads, shared: 0.05, own: 0.02, seed: 5, engines: faster(1.1)}.run(),
		examplePrice, [2]string{"USD", "EUR"}, serverSpecs)
	var out bytes.Buffer
	if err := Write(&out, Of(run), Options{}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"Server side, from INFO: each figure measured once (no interval, no verdict).\n",
		"redis      valkey  valkey/redis\n", "\nzset:\n keys added by preload", " server CPU per command (µs)  ", "0.2195 USD", "0.1756 EUR", "/EUR",
		"note: kv, list, hash, set, zset: no cost ratio: redis is priced in USD, valkey in EUR",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "zrangebyscore"), strings.Index(text, "Server side"); i < 0 || j < i {
		t.Errorf("the server block is not after the table:\n%s", text)
	}
	for _, l := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	var md bytes.Buffer
	_ = Write(&md, Of(run), Options{Format: "markdown"})
	if !strings.Contains(md.String(), "| kv | memory per key (B) | 100.0 | 80.0 | 0.800 |") {
		t.Errorf("markdown lacks the server rows:\n%s", md.String())
	}

	var plain bytes.Buffer
	_ = Write(&plain, Of(synthetic{seconds: 10, workloads: kvOnly, shared: 0.05, own: 0.02, seed: 5, engines: same}.run()), Options{})
	if strings.Contains(plain.String(), "Server side") {
		t.Errorf("a run without server data shows a server block:\n%s", plain.String())
	}
}

// TestEfficiencySchema3: a run.json of schema 3, written before servers
// were read, still compares: the decisions and rows as before, no server
// block, efficiency and cost null in JSON.
func TestEfficiencySchema3(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "results", "testdata", "run-v3.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.RunFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := Of(run)
	if len(c.Ops) != 1 || len(c.Rows) == 0 || len(c.Efficiency) != 0 {
		t.Fatalf("ops %d, rows %d, efficiency %+v; want the op compared, no efficiency", len(c.Ops), len(c.Rows), c.Efficiency)
	}
	var text, js bytes.Buffer
	if err := Write(&text, c, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "Server side") || !strings.Contains(text.String(), "cache:") {
		t.Errorf("schema-3 output:\n%s", text.String())
	}
	if err := Write(&js, c, Options{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var d Document
	if err := json.Unmarshal(js.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if w := d.Workloads[0]; w.Efficiency != nil || w.Cost != nil {
		t.Errorf("schema-3 workload has efficiency %+v, cost %+v", w.Efficiency, w.Cost)
	}
}

// TestEfficiencyNotes: a note both engines share is said once, one of an
// engine alone names it, and workloads that share a note share its line.
func TestEfficiencyNotes(t *testing.T) {
	t.Parallel()
	run := withServers(synthetic{seconds: 10, workloads: allWorkloads[:2], shared: 0.05, own: 0.02, seed: 5, engines: same}.run(),
		[2]float64{}, [2]string{}, serverSpecs)
	for i := range run.Servers {
		s := &run.Servers[i]
		s.PreloadKeys, s.PreloadElements, s.BeforePreload, s.AfterPreload = 0, 0, nil, nil
		if s.Target == "valkey" && s.Workload == "list" {
			s.AfterMeasure = nil
		}
	}
	want := []string{
		"kv, list: no preload: no memory per key",
		"list: valkey: INFO unread around the measured phase: no CPU, bytes or hits per command",
	}
	if got := Of(run).EfficiencyNotes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes\n%q\nwant\n%q", got, want)
	}
}
