package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/runner"
)

// twoLocal are the targets of the budget cases: one runner per workload
// on each.
const twoLocal = "targets: [{name: redis, addrs: ['127.0.0.1:6379']}, {name: valkey, addrs: ['127.0.0.1:6380']}]\n"

// loadYAML loads a config written into a temporary file, and says how
// long Load took.
func loadYAML(t *testing.T, yaml string) (*Config, error, time.Duration) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cfg, err := Load(path, nil, nil)
	return cfg, err, time.Since(start)
}

// TestBudgetRefusals: each config that would bomb the generator or the
// server is refused by Load, which check, run and bench all call, within a
// second, with the fields that make its figure. The first four are the
// issue's: 512 MiB values at pipeline 1000; hashes of 1,024 fields of
// 1 MiB (once preloaded in one HSET of 1 GiB, read whole by hgetall); an
// integrity ledger of 10^9 keys; 100,000 requests in flight of 10.5 KiB
// each.
func TestBudgetRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string // after twoLocal
		want string // the whole error
	}{
		{"512 MiB values × pipeline 1000", `workloads: [{name: kv, values: {size: 536870912}, pipeline: 1000, max_inflight: 10}]`,
			"limits.max_memory: must be at least the 1.001 GiB the generator holds before any open-loop request (value buffers, name tables and drop rings 1.0 GiB (the most: workloads[0].values.size, 512 MiB per target)), got 1 GiB\n" +
				"workloads[0]: workload kv: up to 4.9 TiB in flight per target (get: values.size 512 MiB × pipeline 1000 × max_inflight 10, and 400.7 KiB a request in the generator); limits.max_memory is 1 GiB"},
		{"hashes of 1 GiB read whole", `workloads: [{name: h, type: hash, elements: {count: 1024, size: 1048576}}]`,
			"workloads[0]: workload h: up to 2.0 GiB in flight on target redis (hgetall: 2 × elements.count 1024 × elements.size 1 MiB × pipeline 1 × max_inflight 1 (derived from the peak rate and read_timeout), and 10.5 KiB a request in the generator); limits.max_memory is 1 GiB"},
		{"an integrity ledger of 10^9 keys", "workloads: [{name: kv}]\nprobes: {integrity: {enabled: true, keys: 1e9}}",
			"probes.integrity.keys: the integrity probes hold up to 16.8 GiB (a ledger of keys 1000000000 × 9 bytes and read batches of 72 KiB (value_size 128), on each of 2 targets); limits.max_memory is 1 GiB"},
		{"100,000 requests in flight", `workloads: [{name: kv, max_inflight: 100000}]`,
			"workloads[0]: workload kv: up to 1.01 GiB in flight per target (get: values.size 32 × pipeline 1 × max_inflight 100000, and 10.5 KiB a request in the generator); limits.max_memory is 1 GiB"},
		{"mget batches of the largest values", `workloads: [{name: kv, values: {min_size: 1, max_size: 1048576}, ops: {mget: 1}, mget_batch: 1000, max_inflight: 2}]`,
			"workloads[0]: workload kv: up to 2.0 GiB in flight per target (mget: values.max_size 1 MiB × mget_batch 1000 × pipeline 1 × max_inflight 2, and 10.5 KiB a request in the generator); limits.max_memory is 1 GiB"},
		{"range reads", `workloads: [{name: l, type: list, elements: {size: 1048576}, range: 10000, ops: {lrange: 1}, max_inflight: 1000}]`,
			"workloads[0]: workload l: up to 9.5 TiB in flight per target (lrange: range 10000 × elements.size 1 MiB × pipeline 1 × max_inflight 1000, and 10.5 KiB a request in the generator); limits.max_memory is 1 GiB"},
		{"closed-loop workers", `workloads: [{name: kv, values: {size: 1000000}, rate: {type: closed, workers: 600}}]`,
			"limits.max_memory: must be at least the 1.1 GiB the generator holds before any open-loop request (value buffers, name tables and drop rings 1.9 MiB, closed-loop workers 1.1 GiB (the most: workloads[0], get: values.size 1000000 × pipeline 1 × rate.workers 600, and 10.5 KiB a request in the generator)), got 1 GiB"},
		{"one request over the cap", "workloads: [{name: kv, values: {size: 1000000}, mget_batch: 1000, ops: {mget: 1}, max_inflight: 1}]\nlimits: {max_memory: 2GiB, max_inflight_bytes: 512MiB}",
			"workloads[0]: workload kv: one request holds 953.7 MiB (mget: values.size 1000000 × mget_batch 1000 × pipeline 1, and 10.5 KiB in the generator), more than the 512 MiB the shared in-flight cap leaves open-loop requests (limits.max_inflight_bytes 512 MiB): it could never be sent"},
		{"an explicit cap beside the ledgers", "workloads: [{name: kv}]\nlimits: {max_memory: 2GiB, max_inflight_bytes: 2GiB}\nprobes: {integrity: {enabled: true, keys: 1e7}}",
			"limits.max_inflight_bytes: must be at most the 1.8 GiB that limits.max_memory 2 GiB leaves beside the 172.8 MiB the generator holds whatever the load (integrity probes 171.8 MiB (probes.integrity.keys 10000000), value buffers, name tables and drop rings 1.0 MiB), or 0 for that much; got 2 GiB"},
		{"an explicit cap below the closed loops", "workloads: [{name: kv, rate: {type: closed, workers: 200}}]\nlimits: {max_inflight_bytes: 1MiB}",
			"limits.max_inflight_bytes: must be at least the 4.1 MiB that closed-loop workers hold (closed-loop workers 4.1 MiB (the most: workloads[0], get: values.size 32 × pipeline 1 × rate.workers 200, and 10.5 KiB a request in the generator)), got 1 MiB"},
		{"a smaller max_memory", "workloads: [{name: kv, max_inflight: 5000}]\nlimits: {max_memory: 32MiB}",
			"workloads[0]: workload kv: up to 51.6 MiB in flight per target (get: values.size 32 × pipeline 1 × max_inflight 5000, and 10.5 KiB a request in the generator); limits.max_memory is 32 MiB"},
		{"max_memory out of range", "workloads: [{name: kv}]\nlimits: {max_memory: 1MiB, max_inflight_bytes: 2TiB}",
			"limits.max_inflight_bytes: must be 0 (what limits.max_memory leaves) or between 1MiB and limits.max_memory (1MiB), got \"2TiB\"\n" +
				"limits.max_memory: must be between 16MiB and 1TiB, got \"1MiB\""},
		{"sizes that are not sizes", "workloads: [{name: kv}]\nlimits: {max_memory: 12 parsecs, max_inflight_bytes: 1.5B}",
			"limits.max_inflight_bytes: must be a whole number of bytes, got \"1.5B\"\n" +
				`limits.max_memory: must be a size such as "512MiB" or "1GiB" (KiB, MiB, GiB, TiB, kB, MB, GB, TB, B), or a number of bytes, got "12 parsecs"`},
		{"a negative size", "workloads: [{name: kv}]\nlimits: {max_memory: -1}",
			`limits.max_memory: must be a size such as "512MiB" or "1GiB" (KiB, MiB, GiB, TiB, kB, MB, GB, TB, B), or a number of bytes, got -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err, took := loadYAML(t, twoLocal+tt.yaml+"\n")
			if err == nil || err.Error() != tt.want {
				t.Errorf("got\n%v\nwant\n%s", err, tt.want)
			}
			if took > time.Second {
				t.Errorf("refused in %v, want under a second", took)
			}
		})
	}
}

// TestBudgetAccepted: configs within the budget load, with the worst case
// check reports.
func TestBudgetAccepted(t *testing.T) {
	t.Parallel()
	get32 := runner.RequestBytes(1, 64)
	tests := []struct {
		name string
		yaml string
		// want figures of the Budget
		openLoop, closedLoop, probes int64
	}{
		{"the defaults: 1,500 requests per target", `workloads: [{name: kv}]`, 2 * 1500 * get32, 0, 0},
		// Preloaded in chunks of 1 MiB: no single command of 1 GiB, and
		// no op reads a hash whole.
		{"hashes of 1 GiB, read a field at a time", `workloads: [{name: h, type: hash, elements: {count: 1024, size: 1048576}, ops: {hget: 1, hset: 1}}]`,
			2 * 126 * runner.RequestBytes(1, 1<<20+6+32), 0, 0},
		{"a closed loop", `workloads: [{name: kv, rate: {type: closed, workers: 50}}]`, 0, 2 * 50 * get32, 0},
		{"the integrity probe", "workloads: [{name: kv}]\nprobes: {integrity: {enabled: true}}", 2 * 1500 * get32, 0,
			2 * (probe.IntegrityMemory(10_000) + probe.IntegrityBatchBytes(128))},
		{"a high rate held by the per-runner budget", `workloads: [{name: kv, rate: {type: constant, rate: 1000000}}]`,
			2 * int64(runner.InFlightBudget/get32) * get32, 0, 0},
		{"a larger max_memory", "workloads: [{name: kv, max_inflight: 100000}]\nlimits: {max_memory: 4GiB}", 2 * 100_000 * get32, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err, _ := loadYAML(t, twoLocal+tt.yaml+"\n")
			if err != nil {
				t.Fatal(err)
			}
			b := cfg.Budget()
			if b.OpenLoop != tt.openLoop || b.ClosedLoop != tt.closedLoop || b.Probes != tt.probes {
				t.Errorf("open loop %d, closed loop %d, probes %d; want %d, %d, %d", b.OpenLoop, b.ClosedLoop, b.Probes, tt.openLoop, tt.closedLoop, tt.probes)
			}
			if b.Total() > b.MaxMemory || b.InflightCap != b.MaxMemory-b.Fixed {
				t.Errorf("total %d over max_memory %d, or cap %d is not max_memory - fixed %d", b.Total(), b.MaxMemory, b.InflightCap, b.Fixed)
			}
			if s := b.String(); !strings.HasPrefix(s, "worst case ") || !strings.Contains(s, "shared cap ") {
				t.Errorf("String() = %q", s)
			}
		})
	}
}

// TestDefaultRequestBytes: ~10.7 KB a request in flight
// at pipeline 1, as measured, and a 32-byte value on top.
func TestDefaultRequestBytes(t *testing.T) {
	t.Parallel()
	cfg, err, _ := loadYAML(t, twoLocal+"workloads: [{name: kv}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Workloads[0].RequestBytes(), int64(10_752+64); got != want {
		t.Errorf("RequestBytes() = %d, want %d", got, want)
	}
}
