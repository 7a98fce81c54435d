package comparison

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/results"
)

// TestDecisions checks the decision lines of synthetic runs recorded as a
// bench records them (fixed seeds): a faster engine, no difference, an
// inconclusive run, a failing engine, an open-loop run, a generator that was
// the bottleneck, and one engine only.
func TestDecisions(t *testing.T) {
	t.Parallel()
	// A change and its interval, after its sign: "8.2% [+5.1, +11.4]".
	pct := `\d+\.\d% \[[-+]\d+\.\d, [-+]\d+\.\d\]`
	for _, tt := range []struct {
		name     string
		run      func() *results.Run
		kind     Kind
		lines    []string // regular expressions, one per decision line, in order
		faster   string
		crossed  bool
		warnings string
	}{
		{"valkey faster", synthetic{seconds: 20, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 1, engines: faster(1.2)}.run,
			Faster, []string{
				// The second op does not fit in 100 columns.
				`^kv: valkey faster: get throughput \+` + pct + `, p99 -` + pct + `; 1 more op$`,
				`^overall: valkey faster in 1 of 1 workload$`}, "valkey", false, ""},
		{"redis faster", synthetic{seconds: 20, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 1, engines: faster(1 / 1.2)}.run,
			Faster, []string{
				// From the faster engine's side: more throughput, lower p99.
				`^kv: redis faster: get throughput \+` + pct + `, p99 -` + pct + `; 1 more op$`,
				`^overall: redis faster in 1 of 1 workload$`}, "redis", false, ""},
		{"no difference", synthetic{seconds: 30, workloads: kvOnly, shared: 0.02, own: 0.005, seed: 2, engines: same}.run,
			NoDifference, []string{`^kv: no difference beyond ±[0-4]\.\d%$`, `^overall: no difference in 1 of 1 workload$`}, "", false, ""},
		{"inconclusive", synthetic{seconds: 5, workloads: kvOnly, shared: 0.1, own: 0.3, seed: 3, engines: same}.run,
			Inconclusive, []string{`^kv: inconclusive: ±5% needs ≈ \d+ (s|min) at this noise$`, `^overall: inconclusive in 1 of 1 workload$`}, "", false, ""},
		{"inconclusive, the trace ended the run", func() *results.Run {
			run := synthetic{seconds: 5, workloads: kvOnly, shared: 0.1, own: 0.3, seed: 3, engines: same}.run()
			run.Replays = []results.Replay{{Workload: "kv", Commands: 100, Passes: 1, Ended: true}}
			return run
		}, Inconclusive, []string{`^kv: inconclusive: ±5% needs ≈ \d+ (s|min) at this noise; the trace's end ended the run: loop it \(replay.loop: true\) or replay a longer trace$`},
			"", false, ""},
		{"too short", func() *results.Run { return shortRun(1) },
			Inconclusive, []string{`^kv: inconclusive: too few intervals for a confidence interval$`}, "", false, ""},
		{"failing", synthetic{seconds: 10, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 4,
			engines: [2]syntheticEngine{{rate: 2000, latency: 0.0005, failing: "set"}, {rate: 2000, latency: 0.0005}}}.run,
			Failing, []string{`^kv: redis: 100% of set failed \(oom\)$`, `^overall: redis failing in 1 of 1 workload$`}, "", true, ""},
		{"open loop", synthetic{seconds: 10, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 5, engines: faster(1.3), openLoop: true, dropped: 0.02}.run,
			Faster, []string{
				// No throughput evidence: both were offered the same load.
				`^kv: valkey faster: get p99 -` + pct + `; set p99 -` + pct + `; of the offered load redis answered 100%, valkey 98%$`},
			"valkey", true, ""},
		{"generator-bound", func() *results.Run { return e2etest.SyntheticRun(1.2, 7) },
			Untrusted, []string{`^kv: not trustworthy: the load generator was the bottleneck \(see the warnings\)$`, `^overall: not trustworthy in 1 of 1 workload$`},
			"", false, "kv on valkey: generator-bound"},
		{"generator-bound while failing", func() *results.Run {
			// A generator that fell behind exhausts its own pool: its
			// failures do not describe the engine either.
			run := synthetic{seconds: 10, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 4,
				engines: [2]syntheticEngine{{rate: 2000, latency: 0.0005, failing: "set"}, {rate: 2000, latency: 0.0005}}}.run()
			run.Generator = []results.Generator{{Target: "redis", Workload: "kv", MaxScheduleLag: 3 * time.Second, DropsBounded: true}}
			return run
		}, Untrusted, []string{`^kv: not trustworthy: the load generator was the bottleneck \(see the warnings\)$`},
			"", true, "kv on redis: generator-bound"},
		{"one engine", func() *results.Run {
			run := e2etest.SyntheticRun(1, 0)
			run.Targets, run.Series = run.Targets[:1], run.Series[:1]
			return run
		}, OneEngine, []string{`^kv: only redis ran it$`}, "", false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Of(tt.run())
			if err := c.Check(nil); err != nil {
				t.Fatal(err)
			}
			lines := c.DecisionLines()
			for i, re := range tt.lines {
				if i >= len(lines) || !regexp.MustCompile(re).MatchString(lines[i]) {
					t.Errorf("decision line %d does not match %s; lines:\n%s", i, re, strings.Join(lines, "\n"))
				}
			}
			if w := c.Workloads[0]; w.Kind != tt.kind || w.Faster != tt.faster {
				t.Errorf("workload decision %s %q, want %s %q", w.Kind, w.Faster, tt.kind, tt.faster)
			}
			if c.Crossed() != tt.crossed {
				t.Errorf("thresholds crossed %v, want %v: %v", c.Crossed(), tt.crossed, c.ThresholdLines())
			}
			if tt.warnings != "" && !strings.Contains(strings.Join(c.Warnings, "\n"), tt.warnings) {
				t.Errorf("warnings %q lack %q", c.Warnings, tt.warnings)
			}
		})
	}
}

// TestMixedAndOverall: ops that favour different engines make a workload
// mixed, and the overall line counts workloads without combining them.
func TestMixedAndOverall(t *testing.T) {
	t.Parallel()
	run := combine(
		synthetic{seconds: 20, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 7, engines: faster(1.2)}.run(),
		synthetic{seconds: 20, workloads: []syntheticWorkload{{"hash", []string{"hget"}}}, shared: 0.1, own: 0.02, seed: 8, engines: faster(1 / 1.2)}.run(),
		synthetic{seconds: 30, workloads: []syntheticWorkload{{"list", []string{"lpush"}}}, shared: 0.02, own: 0.005, seed: 2, engines: same}.run())
	c := Of(run)
	want := "overall: valkey faster in 1 of 3 workloads; redis faster in 1; no difference in 1"
	if got := c.Overall.Line(); got != want || c.Overall.Kind != Mixed {
		t.Errorf("overall %q (%s), want %q (mixed)", got, c.Overall.Kind, want)
	}

	// One workload whose ops disagree.
	for i := range run.Series {
		if run.Series[i].Workload == "hash" {
			run.Series[i].Workload = "kv"
		}
	}
	run.Generator = run.Generator[:4]
	c = Of(run)
	if w := c.Workloads[0]; w.Kind != Mixed || w.Text != "mixed: valkey faster in get, set; redis faster in hget" {
		t.Errorf("workload %s %q", w.Kind, w.Text)
	}
}

// TestProjection: the run length that would resolve an inconclusive
// interval grows as the square of its width.
func TestProjection(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		low, ratio, high, seconds, want float64
	}{
		// ×/÷1.1 around 1: ln 1.1/ln 1.05 (1.95) times as wide as ±5%.
		{1 / 1.1, 1, 1.1, 60, 60 * sq(ln(1.1)/ln(1.05))},
		// Centred on +4%: it excludes 1 once the log half-width is ln 1.04.
		{1.04 / 1.2, 1.04, 1.04 * 1.2, 10, 10 * sq(ln(1.2)/ln(1.04))},
	} {
		got := needSeconds(tt.ratio, tt.low, tt.high, tt.seconds)
		if d := got/tt.want - 1; d > 1e-9 || d < -1e-9 {
			t.Errorf("needSeconds(%v [%v, %v], %v s) = %v, want %v", tt.ratio, tt.low, tt.high, tt.seconds, got, tt.want)
		}
	}
	for s, want := range map[float64]string{5: "10 s", 87: "90 s", 121: "3 min", 3 * 3600: "3 h", 3.01 * 3600: "3.1 h", 5 * 86400: "5 days"} {
		if got := humanSeconds(s); got != want {
			t.Errorf("humanSeconds(%v) = %q, want %q", s, got, want)
		}
	}
}

func sq(x float64) float64 { return x * x }
func ln(x float64) float64 { return math.Log(x) }
