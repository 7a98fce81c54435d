package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestThresholds checks bench.thresholds: valid ones load, each bad one is
// reported at its index with the bad value and what is allowed, and the
// environment can set them.
func TestThresholds(t *testing.T) {
	t.Parallel()
	const head = `
targets:
  - {name: redis, engine: redis, addrs: ["127.0.0.1:6379"]}
  - {name: fast, addrs: ["127.0.0.1:6380"]}
workloads:
  - {name: kv, type: kv, ops: {get: 1, set: 1}}
bench:
  thresholds: `
	for _, tt := range []struct {
		name, list string
		env        []string
		want       []string // problems; none: loads
	}{
		{"valid", `["p99<2ms", "kv.get.valkey.p99<=1ms", "fast.error_rate<0.1%", "ratio.throughput>0.95", "kv.*.dropped<=0%"]`, nil, nil},
		{"empty", `[]`, nil, nil},
		{"syntax", `["p99<2ms", "p98<2ms", "error_rate<1"]`, nil, []string{
			`bench.thresholds[1]: "p98<2ms": unknown quantity "p98"; quantities: throughput, mean, p50, p95, p99, p99.9, max, error_rate, dropped; thresholds are [WORKLOAD.OP.][TARGET.|ratio.]QUANTITY{<,<=,>,>=}LIMIT`,
			`bench.thresholds[2]: "error_rate<1": limit "1": error_rate is a percentage from 0% to 100%, with %: such as 0.1%; thresholds are`,
		}},
		{"names", `["list.lpush.p99<2ms", "kv.lpush.p99<2ms", "slow.p99<2ms"]`, nil, []string{
			`bench.thresholds[0]: "list.lpush.p99<2ms": no workload "list"; workloads: kv`,
			`bench.thresholds[1]: "kv.lpush.p99<2ms": workload kv has no op "lpush"; its ops: get, set`,
			`bench.thresholds[2]: "slow.p99<2ms": no target "slow"; targets: fast, redis, or an engine: redis, valkey`,
		}},
		{"not a list", `"p99<2ms"`, nil, []string{`bench.thresholds: must be a list`}},
		{"from the environment", `[]`, []string{"ECBENCH_BENCH_THRESHOLDS=p99<2ms,p99<2"}, []string{
			`bench.thresholds[1]: "p99<2": limit "2": a latency needs a unit: 2ms, 2s or 2us`, `(from ECBENCH_BENCH_THRESHOLDS)`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(head+tt.list+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path, nil, tt.env)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got := len(cfg.ParsedThresholds()); got != len(cfg.Bench.Thresholds) {
					t.Errorf("%d thresholds parsed of %d", got, len(cfg.Bench.Thresholds))
				}
				for i, th := range cfg.ParsedThresholds() {
					if want := "bench.thresholds[" + string(rune('0'+i)) + "]"; th.Source != want {
						t.Errorf("source %q, want %q", th.Source, want)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("loads")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
