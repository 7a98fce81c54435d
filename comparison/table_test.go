package comparison

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/results"
)

func TestComparisonVerdicts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		run     *results.Run
		verdict string // of the throughput row
		warning string
	}{
		{"valkey 20% faster", e2etest.SyntheticRun(1.2, 0), "valkey faster", ""},
		{"redis 20% faster", e2etest.SyntheticRun(1/1.2, 0), "redis faster", ""},
		{"same", e2etest.SyntheticRun(1, 0), "no significant difference", ""},
		{"one engine, two settings", sameEngineRun(), "aof-always faster", ""},
		{"generator-bound", e2etest.SyntheticRun(1.2, 7), "not trustworthy: generator-bound", "warning: kv on valkey: generator-bound (dropped 7, max schedule lag 80ms)"},
		{"generator's CPU saturated", cpuBoundRun(), "not trustworthy: generator-bound",
			"warning: kv on valkey: generator-bound: ecbench's CPU was saturated (97% of its 2 CPUs, saturated"},
		{"too short", shortRun(1), "not enough data (< 6 one-second samples)", ""},
		{"too few Prometheus steps", shortRun(15), "not enough data (< 6 15-second samples)", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Of(tt.run)
			if got := c.Rows[0].Verdict; c.Rows[0].Quantity != "throughput (ops/s)" || got != tt.verdict {
				t.Errorf("throughput row %+v, want verdict %q", c.Rows[0], tt.verdict)
			}
			var out bytes.Buffer
			if err := Write(&out, Of(tt.run), Options{Detail: true}); err != nil {
				t.Fatal(err)
			}
			if tt.warning != "" && !strings.Contains(out.String(), tt.warning) {
				t.Errorf("no warning %q in\n%s", tt.warning, out.String())
			}
			var md bytes.Buffer
			_ = Write(&md, Of(tt.run), Options{Format: "markdown", Detail: true})
			a, b := pickEngines(tt.run.Targets)
			header := fmt.Sprintf("| workload | op | quantity | %s | %s | %s/%s | 95%% CI | verdict |\n| --- |", Title(a), Title(b), b.Name, a.Name)
			if !strings.Contains(md.String(), "\n"+header) {
				t.Errorf("markdown:\n%s", md.String())
			}
		})
	}
}

// TestCPUBoundWarning checks the whole warning of a saturated generator:
// what it measured, what it means for the numbers and what to do, and
// that its drops are not put down to max_inflight.
func TestCPUBoundWarning(t *testing.T) {
	want := "kv on valkey: generator-bound: ecbench's CPU was saturated (97% of its 2 CPUs, saturated 40% of the time, the host's steal 12%): " +
		"it read replies late, so its latency and drops hold its own queueing and understate the engine; give it more CPUs or lower the rate"
	ws := Of(cpuBoundRun()).Warnings
	if len(ws) != 1 || ws[0] != want {
		t.Errorf("warnings %q, want only %q", ws, want)
	}
}

// cpuBoundRun is a run whose generator dispatched on time, but whose CPUs
// were saturated 40% of the time while it ran valkey, dropping requests
// while replies flowed: the drops are its own, not the in-flight bound's.
func cpuBoundRun() *results.Run {
	run := e2etest.SyntheticRun(1.2, 0)
	run.Generator = []results.Generator{
		{Target: "redis", Workload: "kv", MaxScheduleLag: time.Millisecond, DropsBounded: true},
		{Target: "valkey", Workload: "kv", MaxScheduleLag: time.Millisecond, Dropped: 40, DropsBounded: true,
			CPUs: 2, CPUBusy: 0.97, CPUSaturated: 0.4, HostSteal: 0.12, HostStealMax: 0.3, HostStealKnown: true},
	}
	return run
}

// shortRun has 4 intervals of the given length per engine: too few for a
// verdict.
func shortRun(seconds float64) *results.Run {
	run := e2etest.SyntheticRun(1.2, 0)
	for i := range run.Series {
		run.Series[i].Intervals = run.Series[i].Intervals[:4]
		run.Series[i].IntervalSeconds = seconds
	}
	return run
}

// sameEngineRun compares two targets of one engine: the first is the
// baseline, whatever the order of engines.
func sameEngineRun() *results.Run {
	run := e2etest.SyntheticRun(1.2, 0)
	run.Targets = []results.Target{{Name: "off", Engine: "valkey", Version: "8.0.1"}, {Name: "aof-always", Engine: "valkey", Version: "8.0.1"}}
	run.Series[0].Target, run.Series[0].Engine = "off", "valkey"
	run.Series[1].Target = "aof-always"
	return run
}

// TestFailingEngine: an engine that fails an op's requests gets the failure
// in every verdict of the op, not a comparison of its few answers.
func TestFailingEngine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		errors, total uint64
		want          string // every verdict of the op; "" keeps the comparison
	}{
		{"every request fails", 1000, 1000, "valkey: 100% of get failed (oom)"},
		{"5% fail", 50, 1000, "valkey: 5.0% of get failed (oom)"},
		{"under the threshold", 5, 1000, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := e2etest.SyntheticRun(1, 0)
			v := &run.Series[1]
			v.Errors = v.OK * tt.errors / (tt.total - tt.errors + 1)
			if tt.errors == tt.total {
				v.Errors, v.OK = v.OK, 0
				for i := range v.Intervals {
					v.Intervals[i].Errors, v.Intervals[i].OK = v.Intervals[i].OK, 0
				}
			}
			v.ErrorClasses = map[string]uint64{"oom": v.Errors, "timeout": v.Errors / 10}
			for _, r := range Of(run).Rows {
				if r.Quantity == "error rate" {
					// Compared as a quantity of its own, failing or not.
					if want := "redis fewer errors"; tt.want != "" && r.Verdict != want {
						t.Errorf("error rate: verdict %q, want %q", r.Verdict, want)
					}
					continue
				}
				if r.Verdict == "" {
					continue
				}
				if tt.want != "" && r.Verdict != tt.want {
					t.Errorf("%s: verdict %q, want %q", r.Quantity, r.Verdict, tt.want)
				}
				if tt.want == "" && strings.Contains(r.Verdict, "failed") {
					t.Errorf("%s: verdict %q under the threshold", r.Quantity, r.Verdict)
				}
			}
		})
	}
}

// TestOpenLoopThroughput: under one rate schedule the throughput ratio is 1
// by construction; the row says how much of the offered load each engine
// answered instead of a verdict.
func TestOpenLoopThroughput(t *testing.T) {
	t.Parallel()
	run := e2etest.SyntheticRun(1, 0)
	run.Generator = []results.Generator{{Target: "redis", Workload: "kv", OpenLoop: true}, {Target: "valkey", Workload: "kv", OpenLoop: true}}
	v := &run.Series[1]
	v.Dropped = v.OK / 99 // 1% of due requests dropped
	c := Of(run)
	tp := c.Rows[0]
	if tp.Quantity != "throughput (ops/s)" || tp.HasRatio || tp.HasCI ||
		tp.Verdict != "open loop, same offered rate: redis answered 100%, valkey 99%" {
		t.Errorf("throughput row %+v", tp)
	}
	if mean := c.Rows[1]; !mean.HasCI || mean.Verdict == "" {
		t.Errorf("mean row %+v: latency is still compared", mean)
	}
	run.Generator[1].OpenLoop = false // a closed-loop candidate: compared as usual
	if tp := Of(run).Rows[0]; !tp.HasCI {
		t.Errorf("closed loop throughput row %+v has no interval", tp)
	}
}
