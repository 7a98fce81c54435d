package comparison

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// allRun is a run of the workloads and ops of `bench -t all`, valkey 10%
// faster, made once (Of only reads it), of 500 requests/s per op: few
// enough that the race detector's tests stay quick.
var allRun = sync.OnceValue(func() *results.Run {
	return synthetic{seconds: 10, workloads: allWorkloads, shared: 0.1, own: 0.05, seed: 6,
		engines: [2]syntheticEngine{{rate: 500, latency: 0.0005}, {rate: 550, latency: 0.0005 / 1.1}}}.run()
})

// TestCompactText: the default output of a -t all run is short and fits in
// 100 columns; --detail is the table of one row per quantity.
func TestCompactText(t *testing.T) {
	t.Parallel()
	c := Of(allRun())
	if err := c.Check(nil); err != nil {
		t.Fatal(err)
	}
	var compact, detail bytes.Buffer
	if err := Write(&compact, c, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&detail, c, Options{Detail: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(compact.String(), "\n"), "\n")
	widest := 0
	for _, l := range lines {
		widest = max(widest, utf8.RuneCountInString(l))
	}
	t.Logf("compact: %d lines, %d columns; detail: %d lines", len(lines), widest, strings.Count(detail.String(), "\n"))
	if widest > 100 {
		t.Errorf("compact output %d columns wide, want ≤ 100:\n%s", widest, compact.String())
	}
	// 6 decision lines (up to 3 of them wrapped in two), a blank, a legend,
	// a header, 5 workload rows, 32 ops, a blank and the note (3 lines).
	if want := 6 + 1 + 1 + 1 + 5 + 32 + 1 + 3; len(lines) < want || len(lines) > want+3 {
		t.Errorf("compact output %d lines, want %d to %d:\n%s", len(lines), want, want+3, compact.String())
	}
	for _, want := range []string{"overall: valkey faster in 5 of 5 workloads", "\nzset:\n", "\n zrangebyscore ", "redis (redis 7.2.4)", "valkey/redis", "95% CI", "--detail"} {
		if !strings.Contains(compact.String(), want) {
			t.Errorf("compact output lacks %q:\n%s", want, compact.String())
		}
	}
	for _, want := range []string{"throughput (ops/s)", "p99.9", "error rate", "dropped", "overall: valkey faster"} {
		if !strings.Contains(detail.String(), want) {
			t.Errorf("detail output lacks %q", want)
		}
	}
	if strings.Contains(detail.String(), "--detail") {
		t.Error("the detail output tells about --detail")
	}
}

// TestFailingRowText: a failing op says so across the Δ columns, and a
// crossed threshold gets a line after the decisions.
func TestFailingRowText(t *testing.T) {
	t.Parallel()
	c := Of(synthetic{seconds: 10, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 4,
		engines: [2]syntheticEngine{{rate: 2000, latency: 0.0005}, {rate: 2000, latency: 0.0005, failing: "set"}}}.run())
	if err := c.Check(nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_ = Write(&out, c, Options{})
	lines := strings.Split(out.String(), "\n")
	if lines[2] != "threshold crossed: error_rate<=1% (default): kv/set valkey 100%" {
		t.Errorf("line 3 %q, want the crossed default threshold:\n%s", lines[2], out.String())
	}
	var set string
	for _, l := range lines {
		if strings.HasPrefix(l, " set ") {
			set = l
		}
	}
	if !strings.HasSuffix(set, "0 100  valkey: 100% of set failed (oom)") {
		t.Errorf("set row %q", set)
	}
}

// TestJSONDocument: the document's keys are stable (a golden list of every
// key path and its JSON type) and its values are in base units.
func TestJSONDocument(t *testing.T) {
	t.Parallel()
	c := Of(withServers(combine(
		synthetic{seconds: 10, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 4,
			engines: [2]syntheticEngine{{rate: 2000, latency: 0.0005}, {rate: 2000, latency: 0.0005, failing: "set"}}}.run(),
		synthetic{seconds: 10, workloads: []syntheticWorkload{{"hash", []string{"hget"}}}, shared: 0.1, own: 0.02, seed: 1, engines: faster(1.2)}.run()),
		examplePrice, usd, serverSpecs))
	// kv.get: identical engines, so its ratio interval straddles 1: undecided.
	ths := []threshold.Threshold{mustParse("p99<1ms"), mustParse("ratio.p99<1.05"), mustParse("kv.get.ratio.p99<1")}
	for i := range ths {
		ths[i].Source = "--threshold"
	}
	if err := c.Check(ths); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Write(&out, c, Options{Format: "json", Dirs: []string{"results/x"}}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	var paths []string
	keyPaths("", doc, &paths)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	got := strings.Join(paths, "\n") + "\n"
	golden := filepath.Join("testdata", "document-keys.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the document's keys changed (go test -update rewrites %s; bump DocumentSchema for a change that is not an addition):\n%s", golden, got)
	}

	var d Document
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	get := d.Workloads[0].Ops[0]
	redis := get.Engines[0]
	if p99 := *redis.P99Seconds; !(p99 > 0.0005 && p99 < 0.005) {
		t.Errorf("p99 %v: not in seconds", p99)
	}
	set := d.Workloads[0].Ops[1]
	if v := set.Engines[1]; *v.ErrorRate != 1 || v.P99Seconds != nil || v.ErrorClasses["oom"] == 0 {
		t.Errorf("failing engine %+v", v)
	}
	if !d.ThresholdsCrossed || d.Workloads[0].Decision.Kind != "failing" || !slices.Contains(set.ThresholdsCrossed, "error_rate<=1%") {
		t.Errorf("crossed %v, decision %+v, set crossed %v", d.ThresholdsCrossed, d.Workloads[0].Decision, set.ThresholdsCrossed)
	}
	if d.Schema != DocumentSchema || d.Ratio != "valkey/redis" || d.Results[0] != "results/x" {
		t.Errorf("head %+v", d)
	}
	// The server side in base units: bytes, seconds; the cost per billion
	// requests at the measured throughput.
	eff, cost := d.Workloads[1].Efficiency, d.Workloads[1].Cost
	if eff == nil || !eff.MeasuredOnce || len(eff.Engines) != 2 || *eff.Engines[0].MemoryPerKeyBytes != 100 ||
		math.Abs(*eff.Engines[1].CPUSecondsPerCommand-3e-6) > 1e-12 || *eff.Ratios.MemoryPerKey != 0.8 || eff.Engines[0].CommandsSource != "commandstats" {
		t.Errorf("efficiency %+v", eff)
	}
	if e := cost.Engines[0]; cost == nil || e.Currency != "USD" || math.Abs(*e.CostPerBillionRequests-e.PricePerHour/(e.RequestsPerSecond*3600)*1e9) > 1e-9 || cost.Ratio == nil {
		t.Errorf("cost %+v", cost)
	}
}

// keyPaths lists every key path of v with its JSON type, null as number
// (every nullable value is one): "workloads[].ops[].op string".
func keyPaths(prefix string, v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if prefix != "" {
			*out = append(*out, prefix+" object")
		}
		for k, x := range v {
			if strings.HasSuffix(prefix, "error_classes") {
				k = "CLASS" // keys that are data
			}
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			keyPaths(p, x, out)
		}
	case []any:
		*out = append(*out, prefix+" array")
		for _, x := range v {
			keyPaths(prefix+"[]", x, out)
		}
	case nil: // every nullable value is a number
		*out = append(*out, prefix+" number")
	case float64:
		*out = append(*out, prefix+" number")
	case string:
		*out = append(*out, prefix+" string")
	case bool:
		*out = append(*out, prefix+" boolean")
	}
}

// TestCSV: one header row, one row per op, every numeric cell a number in
// base units (no units in the cells, they are in the header).
func TestCSV(t *testing.T) {
	t.Parallel()
	c := Of(allRun())
	_ = c.Check([]threshold.Threshold{mustParse("p99<0.9ms")})
	var out bytes.Buffer
	if err := Write(&out, c, Options{Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+32 {
		t.Fatalf("%d rows, want a header and 32 ops", len(recs))
	}
	header := recs[0]
	for _, want := range []string{"workload", "op", "redis_throughput_ops_per_second", "valkey_p99_seconds", "redis_error_rate", "ratio_p999_high", "error_rate_diff", "thresholds_crossed"} {
		if !slices.Contains(header, want) {
			t.Errorf("header lacks %s: %v", want, header)
		}
	}
	text := map[string]bool{"workload": true, "op": true, "open_loop": true, "trusted": true, "decision": true, "verdict": true, "thresholds_crossed": true}
	crossed := 0
	for _, r := range recs[1:] {
		for i, cell := range r {
			if text[header[i]] {
				continue
			}
			if _, err := strconv.ParseFloat(cell, 64); err != nil && cell != "" {
				t.Errorf("%s/%s %s: %q is not a number", r[0], r[1], header[i], cell)
			}
		}
		if r[len(r)-1] != "" {
			crossed++
		}
		p99, _ := strconv.ParseFloat(r[slices.Index(header, "redis_p99_seconds")], 64)
		if !(p99 > 1e-4 && p99 < 1e-2) {
			t.Errorf("%s/%s: redis p99 %v is not in seconds", r[0], r[1], p99)
		}
	}
	if crossed == 0 {
		t.Error("no op marked with the crossed p99<0.9ms")
	}
}

// TestMarkdown: decisions as a list, then the compact table.
func TestMarkdown(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	_ = Write(&out, Of(allRun()), Options{Format: "markdown"})
	md := out.String()
	for _, want := range []string{"- kv: ", "- overall: valkey faster in 5 of 5 workloads\n", "| workload | op | redis ops/s | valkey ops/s |", "| zset | zrangebyscore | "} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if n := strings.Count(md, "\n| "); n != 2+32 {
		t.Errorf("%d table rows, want a header, its line and 32 ops", n)
	}
}
