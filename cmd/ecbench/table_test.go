package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/results"
)

func TestEscapeGlob(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ecbench:kv:": "ecbench:kv:",
		`a*b?c[d]e\f`: `a\*b\?c\[d\]e\\f`,
	} {
		if got := escapeGlob(in); got != want {
			t.Errorf("escapeGlob(%q) = %q, want %q", in, got, want)
		}
	}
}

// syntheticRun has two engines with per-second throughput and latency;
// valkey's generator dropped requests when dropped is set.
func syntheticRun(valkeyFactor float64, dropped uint64) *results.Run {
	series := func(target, engine string, tput float64) results.Series {
		s := results.Series{Target: target, Engine: engine, Workload: "kv", Op: "get", IntervalSeconds: 1, Seconds: 30}
		for i := range 30 {
			jitter := 1 + 0.01*float64(i%3-1)
			n := uint64(tput * jitter)
			s.OK += n
			lat := 0.001 / (tput / 1000) * jitter
			s.Intervals = append(s.Intervals, results.Interval{T: int64(i), OK: n, Mean: lat, P50: lat, P95: lat, P99: lat, P999: lat, Max: lat})
		}
		return s
	}
	run := &results.Run{
		Targets: []results.Target{{Name: "redis", Engine: "redis", Version: "7.0.15"}, {Name: "valkey", Engine: "valkey", Version: "8.0.1"}},
		Series:  []results.Series{series("redis", "redis", 1000), series("valkey", "valkey", 1000*valkeyFactor)},
	}
	if dropped > 0 {
		run.Generator = []results.Generator{{Target: "valkey", Workload: "kv", Dropped: dropped, MaxScheduleLag: 80 * time.Millisecond}}
	}
	return run
}

func TestComparisonVerdicts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		run     *results.Run
		verdict string // of the throughput row
		warning string
	}{
		{"valkey 20% faster", syntheticRun(1.2, 0), "valkey faster", ""},
		{"redis 20% faster", syntheticRun(1/1.2, 0), "redis faster", ""},
		{"same", syntheticRun(1, 0), "no significant difference", ""},
		{"one engine, two settings", sameEngineRun(), "aof-always faster", ""},
		{"generator-bound", syntheticRun(1.2, 7), "not trustworthy: generator-bound", "warning: kv on valkey: generator-bound (dropped 7, max schedule lag 80ms)"},
		{"too short", shortRun(1), "not enough data (< 6 one-second samples)", ""},
		{"too few Prometheus steps", shortRun(15), "not enough data (< 6 15-second samples)", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := buildComparison(tt.run)
			if got := c.rows[0].verdict; c.rows[0].quantity != "throughput (ops/s)" || got != tt.verdict {
				t.Errorf("throughput row %+v, want verdict %q", c.rows[0], tt.verdict)
			}
			var out bytes.Buffer
			if err := printComparison(&out, tt.run, "text"); err != nil {
				t.Fatal(err)
			}
			if tt.warning != "" && !strings.Contains(out.String(), tt.warning) {
				t.Errorf("no warning %q in\n%s", tt.warning, out.String())
			}
			var md bytes.Buffer
			_ = printComparison(&md, tt.run, "markdown")
			a, b := pickEngines(tt.run.Targets)
			header := fmt.Sprintf("| workload | op | quantity | %s | %s | %s/%s | 95%% CI | verdict |\n| --- |", targetTitle(a), targetTitle(b), b.Name, a.Name)
			if !strings.HasPrefix(md.String(), header) {
				t.Errorf("markdown:\n%s", md.String())
			}
		})
	}
}

// shortRun has 4 intervals of the given length per engine: too few for a
// verdict.
func shortRun(seconds float64) *results.Run {
	run := syntheticRun(1.2, 0)
	for i := range run.Series {
		run.Series[i].Intervals = run.Series[i].Intervals[:4]
		run.Series[i].IntervalSeconds = seconds
	}
	return run
}

// sameEngineRun compares two targets of one engine: the first is the
// baseline, whatever the order of engines.
func sameEngineRun() *results.Run {
	run := syntheticRun(1.2, 0)
	run.Targets = []results.Target{{Name: "off", Engine: "valkey", Version: "8.0.1"}, {Name: "aof-always", Engine: "valkey", Version: "8.0.1"}}
	run.Series[0].Target, run.Series[0].Engine = "off", "valkey"
	run.Series[1].Target = "aof-always"
	return run
}
