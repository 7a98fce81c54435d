package threshold

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/engine"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want Threshold // Text and Source aside
	}{
		{"p99<2ms", Threshold{Quantity: P99, Cmp: Less, Limit: 0.002}},
		{" p99 <= 2ms ", Threshold{Quantity: P99, Cmp: LessEqual, Limit: 0.002}},
		{"valkey.p99<500us", Threshold{Target: "valkey", Quantity: P99, Cmp: Less, Limit: 0.0005}},
		{"kv.get.p99<1.5s", Threshold{Workload: "kv", Op: "get", Quantity: P99, Cmp: Less, Limit: 1.5}},
		{"kv.*.aof-always.p99.9<10ms", Threshold{Workload: "kv", Op: "*", Target: "aof-always", Quantity: P999, Cmp: Less, Limit: 0.01}},
		{"p999<10ms", Threshold{Quantity: P999, Cmp: Less, Limit: 0.01}},
		{"error_rate<0.1%", Threshold{Quantity: ErrorRate, Cmp: Less, Limit: 0.001}},
		{"set.sadd.error_rate<=100%", Threshold{Workload: "set", Op: "sadd", Quantity: ErrorRate, Cmp: LessEqual, Limit: 1}},
		{"dropped<=0.1%", Threshold{Quantity: Dropped, Cmp: LessEqual, Limit: 0.001}},
		{"throughput>=10000", Threshold{Quantity: Throughput, Cmp: GreaterEqual, Limit: 10000}},
		{"ratio.p99<1.05", Threshold{Target: Ratio, Quantity: P99, Cmp: Less, Limit: 1.05}},
		{"kv.get.ratio.throughput>0.95", Threshold{Workload: "kv", Op: "get", Target: Ratio, Quantity: Throughput, Cmp: Greater, Limit: 0.95}},
		{"*.*.*.mean<1ms", Threshold{Workload: "*", Op: "*", Target: "*", Quantity: Mean, Cmp: Less, Limit: 0.001}},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Text = strings.TrimSpace(tt.in)
			if math.Abs(got.Limit-tt.want.Limit) > 1e-15 {
				t.Errorf("limit %v, want %v", got.Limit, tt.want.Limit)
			}
			got.Limit = tt.want.Limit
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseErrors: every error says what is wrong, with the bad value and
// what is allowed.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", `invalid threshold "": no comparison; want [WORKLOAD.OP.]`},
		{"p99", `invalid threshold "p99": no comparison`},
		{"p99=2ms", `invalid threshold "p99=2ms": the comparison must be one of <, <=, >, >=`},
		{"p99==2ms", `the comparison must be one of <, <=, >, >=`},
		{"p99<2ms<3ms", `the comparison must be one of <, <=, >, >=`},
		{"p99!=2ms", `the comparison must be one of <, <=, >, >=`},
		{"p98<2ms", `invalid threshold "p98<2ms": unknown quantity "p98"; quantities: throughput, mean, p50, p95, p99, p99.9, max, error_rate, dropped`},
		{"<2ms", `no quantity before the comparison`},
		{"p99<2", `limit "2": a latency needs a unit: 2ms, 2s or 2us`},
		{"p99<-2ms", `limit "-2ms": a latency must be a duration > 0 with its unit`},
		{"p99<0s", `a latency must be a duration > 0`},
		{"p99<", `limit "": missing`},
		{"error_rate<0.1", `limit "0.1": error_rate is a percentage from 0% to 100%, with %: such as 0.1%`},
		{"dropped<101%", `dropped is a percentage from 0% to 100%`},
		{"error_rate<x%", `error_rate is a percentage`},
		{"throughput>10k", `throughput is a plain number of operations per second >= 0`},
		{"ratio.p99<0", `a ratio must be a plain number > 0, such as 1.05`},
		{"ratio.p99<1.05x", `a ratio must be a plain number > 0`},
		{"ratio.error_rate<1.1", `error_rate has no ratio (error rates and drops are compared as differences); ratio quantities: throughput, mean, p50, p95, p99, p99.9, max`},
		{"a.b.c.d.p99<2ms", `4 name parts before p99; want [WORKLOAD.OP.]`},
		{"kv..p99<2ms", `"" is not a name`},
		{"k v.p99<2ms", `"k v" is not a name`},
		{"1kv.get.p99<2ms", `"1kv" is not a name`},
		{".p99<2ms", `"" is not a name`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.in)
			if err == nil || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestHolds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in    string
		value float64
		holds bool
	}{
		{"p99<2ms", 0.0019, true},
		{"p99<2ms", 0.002, false},
		{"p99<=2ms", 0.002, true},
		{"throughput>100", 100, false},
		{"throughput>=100", 100, true},
		{"error_rate<1%", 0.02, false},
	} {
		th, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Holds(tt.value); got != tt.holds {
			t.Errorf("%s holds for %v: %v, want %v", tt.in, tt.value, got, tt.holds)
		}
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	n := Names{
		Targets:   map[string]engine.Engine{"redis": engine.Redis, "fast": engine.Valkey, "slow": engine.Valkey},
		Workloads: map[string][]string{"kv": {"get", "set"}, "set": {"sadd"}},
	}
	for _, tt := range []struct {
		in      string
		err     string
		targets []string // of redis, fast, slow, those it selects
	}{
		{"p99<2ms", "", []string{"redis", "fast", "slow"}},
		{"valkey.p99<2ms", "", []string{"fast", "slow"}},
		{"fast.p99<2ms", "", []string{"fast"}},
		{"redis.p99<2ms", "", []string{"redis"}},
		{"kv.*.p99<2ms", "", []string{"redis", "fast", "slow"}},
		{"*.sadd.p99<2ms", "", []string{"redis", "fast", "slow"}},
		{"ratio.p99<1.1", "", nil},
		{"list.get.p99<2ms", `no workload "list"; workloads: kv, set`, nil},
		{"kv.sadd.p99<2ms", `workload kv has no op "sadd"; its ops: get, set`, nil},
		{"*.lpush.p99<2ms", `no workload has op "lpush"`, nil},
		{"other.p99<2ms", `no target "other"; targets: fast, redis, slow, or an engine: redis, valkey`, nil},
	} {
		th, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		err = th.Check(n)
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: Check error %v, want %q", tt.in, err, tt.err)
			continue
		}
		var got []string
		for _, name := range []string{"redis", "fast", "slow"} {
			if th.SelectsTarget(n, name) {
				got = append(got, name)
			}
		}
		if tt.err == "" && strings.Join(got, ",") != strings.Join(tt.targets, ",") {
			t.Errorf("%s selects %v, want %v", tt.in, got, tt.targets)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		th    string
		value float64
		want  string
	}{
		{"p99<2ms", 0.0031234, "3.12ms"},
		{"p99<2ms", 0.00085, "850µs"},
		{"p99<2ms", 1.25, "1.25s"},
		{"p99<2ms", 1234.5, "1234s"},
		{"error_rate<1%", 1, "100%"},
		{"error_rate<1%", 0.0012345, "0.123%"},
		{"error_rate<1%", 0, "0%"},
		{"throughput>1", 11691.4, "11691 ops/s"},
		{"ratio.p99<1.05", 1.0712, "1.071"},
	} {
		th, _ := Parse(tt.th)
		if got := th.Format(tt.value); got != tt.want {
			t.Errorf("%s: Format(%v) = %q, want %q", tt.th, tt.value, got, tt.want)
		}
	}
}

// FuzzParse: Parse never panics, what it accepts has a canonical form that
// parses to the same threshold, and what it rejects wraps ErrSyntax.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"p99<2ms", "valkey.p99<=500us", "kv.get.ratio.throughput>0.95", "error_rate<0.1%",
		"dropped<=100%", "throughput>=1e4", "kv.*.*.p99.9<1h", "p999<1.5s", "ratio.max<2", "p99<2", "a.b.c.d.p99<1ms", "<", "p99<<1ms"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q): error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		again, err := Parse(th.String())
		if err != nil {
			t.Fatalf("Parse(%q) accepted, but its canonical form %q: %v", s, th.String(), err)
		}
		same := again.Workload == orEmpty(th.Workload, th.Op) && again.Op == orEmpty(th.Op, th.Workload) &&
			again.Target == th.Target && again.Quantity == th.Quantity && again.Cmp == th.Cmp
		if !same || math.Abs(again.Limit-th.Limit) > 1e-9*math.Max(1, math.Abs(th.Limit)) {
			t.Fatalf("Parse(%q) = %+v; its canonical form %q parses to %+v", s, th, th.String(), again)
		}
	})
}

// orEmpty is part, which String writes as "*" when the other part is set.
func orEmpty(part, other string) string {
	if part == "" && other != "" {
		return All
	}
	return part
}
