package results_test

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ecbench/ecbench/results"
)

// snapshotAt is a snapshot of server "r1" at second sec, with the memory,
// keys and counters given.
func snapshotAt(sec int, used, clients, keys uint64, cpu float64, calls map[string]uint64) *results.ServerSnapshot {
	var total uint64
	for _, n := range calls {
		total += n
	}
	return &results.ServerSnapshot{At: time.Unix(int64(sec), 0), Nodes: 1, Engine: "valkey", Version: "8.0.1", RunIDs: []string{"r1"},
		UsedMemory: used, UsedMemoryRSS: used * 2, ClientsMemory: clients, Keys: keys,
		CommandsProcessed: total, KeyspaceHits: calls["get"] * 9 / 10, KeyspaceMisses: calls["get"] / 10,
		CPUSys: cpu / 4, CPUUser: cpu * 3 / 4, NetInputBytes: 50 * total, NetOutputBytes: 10 * total, Calls: calls}
}

// kvServer is a kv workload's record: 1,000 keys preloaded taking 100 kB
// (and 20 kB of client buffers that do not count), then 2,000 gets in 10 s
// and 0.01 s of CPU, beside 8 INFO and 2 CLIENT SETINFO of ecbench's own.
func kvServer() results.Server {
	return results.Server{Target: "valkey", Workload: "kv", Kind: "kv", PreloadKeys: 1000, PreloadElements: 1000,
		BeforePreload: snapshotAt(0, 1_000_000, 0, 0, 1, map[string]uint64{"info": 8}),
		AfterPreload:  snapshotAt(1, 1_120_000, 20_000, 1000, 1.5, map[string]uint64{"info": 16, "set": 1000}),
		BeforeMeasure: snapshotAt(5, 1_100_000, 0, 1000, 2, map[string]uint64{"info": 24, "set": 1000}),
		AfterMeasure:  snapshotAt(15, 1_100_000, 0, 1000, 2.01, map[string]uint64{"info": 32, "set": 1000, "get": 2000, "client|setinfo": 2}),
	}
}

func TestEfficiencyOf(t *testing.T) {
	t.Parallel()
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for _, tt := range []struct {
		name   string
		change func(s *results.Server)
		check  func(t *testing.T, e results.Efficiency)
	}{
		{"kv", func(*results.Server) {}, func(t *testing.T, e results.Efficiency) {
			// 2,000 gets: 2,000 × 60 bytes in (the snapshot counts 50 per
			// command of every kind, 2,010 of them), 0.01 s of CPU.
			if e.MemoryPerKey != 100 || !math.IsNaN(e.MemoryPerElement) || e.KeysAdded != 1000 || e.Commands != 2000 || !e.CommandsFromStats ||
				!near(e.CPUPerCommand, 0.01/2000) || !near(e.NetInPerCommand, 50*2010/2000.0) || e.HitRatio != 0.9 || e.Seconds != 10 ||
				e.UsedMemory != 1_120_000 || e.UsedOverRSS != 0.5 || len(e.Notes) != 0 {
				t.Errorf("%+v", e)
			}
		}},
		{"hash", func(s *results.Server) { s.Kind, s.PreloadElements = "hash", 16_000 }, func(t *testing.T, e results.Efficiency) {
			if e.MemoryPerKey != 100 || e.MemoryPerElement != 100_000.0/16_000 {
				t.Errorf("per key %v, per element %v; want 100 and 6.25", e.MemoryPerKey, e.MemoryPerElement)
			}
		}},
		{"no preload", func(s *results.Server) {
			s.PreloadKeys, s.PreloadElements, s.BeforePreload, s.AfterPreload = 0, 0, nil, nil
		}, func(t *testing.T, e results.Efficiency) {
			if e.HasPreload() || !math.IsNaN(e.UsedMemory) || !e.HasMeasure() || !slices.Equal(e.Notes, []string{"no preload: no memory per key"}) {
				t.Errorf("%+v", e)
			}
		}},
		{"INFO unread after the measured phase", func(s *results.Server) { s.AfterMeasure = nil }, func(t *testing.T, e results.Efficiency) {
			if !e.HasPreload() || e.HasMeasure() || !math.IsNaN(e.CPUPerCommand) || !math.IsNaN(e.HitRatio) || len(e.Notes) != 1 {
				t.Errorf("%+v", e)
			}
		}},
		{"restart during the measured phase", func(s *results.Server) { s.AfterMeasure.RunIDs = []string{"r2"} }, func(t *testing.T, e results.Efficiency) {
			if e.HasMeasure() || e.Notes[0] != "the server restarted during the measured phase: no CPU, bytes or hits per command" {
				t.Errorf("%+v", e)
			}
		}},
		{"restart during the preload", func(s *results.Server) { s.AfterPreload.RunIDs = []string{"r2"} }, func(t *testing.T, e results.Efficiency) {
			if e.HasPreload() || !e.HasMeasure() || len(e.Notes) != 1 {
				t.Errorf("%+v", e)
			}
		}},
		{"without commandstats", func(s *results.Server) { s.BeforeMeasure.Calls = nil }, func(t *testing.T, e results.Efficiency) {
			// total_commands_processed: ecbench's own commands included.
			if e.Commands != 2010 || e.CommandsFromStats {
				t.Errorf("commands %d (from stats %v), want 2010 from total_commands_processed", e.Commands, e.CommandsFromStats)
			}
		}},
		{"reads without keys", func(s *results.Server) {
			s.AfterMeasure.KeyspaceHits, s.AfterMeasure.KeyspaceMisses = s.BeforeMeasure.KeyspaceHits, s.BeforeMeasure.KeyspaceMisses
		}, func(t *testing.T, e results.Efficiency) {
			if !math.IsNaN(e.HitRatio) {
				t.Errorf("hit ratio %v without reads, want NaN", e.HitRatio)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := kvServer()
			tt.change(&s)
			tt.check(t, results.EfficiencyOf([]results.Server{s}))
		})
	}
}

// TestEfficiencyPooled: merged runs pool their differences (sums over
// sums), and schema 3 runs merge with schema 4 ones, bringing none.
func TestEfficiencyPooled(t *testing.T) {
	t.Parallel()
	a, b := kvServer(), kvServer()
	// The second run's preload took 140 kB for its 1,000 keys, its
	// measured phase 0.03 s for 2,000 gets.
	b.AfterPreload.UsedMemory += 40_000
	b.AfterMeasure.CPUUser += 0.02
	run := func(schema int, servers ...results.Server) *results.Run {
		return &results.Run{Schema: schema, Meta: results.Meta{Start: time.Unix(int64(len(servers)), 0)}, Servers: servers}
	}
	m, err := results.Merge(run(4, a), run(3), run(4, b))
	if err != nil {
		t.Fatal(err)
	}
	if m.Schema != 4 || len(m.Servers) != 2 {
		t.Fatalf("merged schema %d with %d server records, want 4 and 2", m.Schema, len(m.Servers))
	}
	es := m.Efficiencies()
	if len(es) != 1 {
		t.Fatalf("efficiencies %+v", es)
	}
	e := es[0]
	if e.Runs != 2 || e.MemoryPerKey != 120 || e.Commands != 4000 || math.Abs(e.CPUPerCommand-0.04/4000) > 1e-15 || e.Seconds != 20 {
		t.Errorf("pooled %+v: want 2 runs, 120 B per key, 4000 commands, 10 µs each, 20 s", e)
	}
	// The merged run shares nothing with its inputs.
	m.Servers[0].AfterMeasure.Calls["get"] = 1
	m.Servers[0].AfterMeasure.RunIDs[0] = "x"
	if want := kvServer(); !reflect.DeepEqual(a, want) {
		t.Errorf("Merge changed its input: %+v", a.AfterMeasure)
	}
}

func TestWorkloadCommands(t *testing.T) {
	t.Parallel()
	from := map[string]uint64{"info": 8, "get": 10, "hello": 1}
	to := map[string]uint64{"info": 16, "get": 30, "set": 5, "hello": 3, "client|setinfo": 4, "cluster|slots": 2, "ping": 1}
	n, ok := results.WorkloadCommands(&results.ServerSnapshot{Calls: from}, &results.ServerSnapshot{Calls: to})
	if n != 25 || !ok {
		t.Errorf("got %d (%v), want 25 from commandstats: 20 gets and 5 sets", n, ok)
	}
}
