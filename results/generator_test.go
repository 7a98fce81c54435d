package results_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/results"
)

// TestGeneratorAttribution checks who each method blames, case by case.
func TestGeneratorAttribution(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name      string
		g         results.Generator
		bound     bool
		stall     bool
		flowDrops uint64
	}{
		{"kept up", results.Generator{MaxScheduleLag: 2 * ms, MaxReplyGap: 3 * ms, DropsBounded: true}, false, false, 0},
		{"generator late", results.Generator{MaxScheduleLag: 80 * ms, MaxReplyGap: 80 * ms, DropsBounded: true}, true, false, 0},
		{"server stalled, no drops", results.Generator{MaxScheduleLag: ms, MaxReplyGap: time.Second, DropsBounded: true}, false, true, 0},
		{"server stalled, drops in the stall", results.Generator{MaxScheduleLag: ms, MaxReplyGap: time.Second, Dropped: 980, StallDrops: 980, DropsBounded: true}, false, true, 0},
		{"stall and a late generator", results.Generator{MaxScheduleLag: 60 * ms, MaxReplyGap: time.Second, DropsBounded: true}, true, true, 0},
		{"a generator pause is not a stall", results.Generator{MaxScheduleLag: 300 * ms, MaxReplyGap: 350 * ms, DropsBounded: true}, true, false, 0},
		{"gap under StallGap", results.Generator{MaxScheduleLag: 0, MaxReplyGap: 99 * ms, DropsBounded: true}, false, false, 0},
		{"bound too small, replies flowing", results.Generator{MaxScheduleLag: ms, MaxReplyGap: 20 * ms, Dropped: 500, DropsBounded: true}, false, false, 500},
		{"both kinds of drops", results.Generator{MaxReplyGap: time.Second, Dropped: 500, StallDrops: 400, DropsBounded: true}, false, true, 100},
		{"old file: drops without bounds", results.Generator{MaxScheduleLag: ms, Dropped: 746}, true, false, 0},
		{"old file: no drops", results.Generator{MaxScheduleLag: ms}, false, false, 0},
		// Saturated CPUs: on time, but replies read late; drops while
		// replies flowed are the generator's, not the bound's.
		{"CPUs saturated a tenth of the time", results.Generator{MaxScheduleLag: ms, Dropped: 50, DropsBounded: true, CPUs: 1, CPUBusy: 0.8, CPUSaturated: 0.1}, true, false, 0},
		{"CPUs busy, rarely saturated", results.Generator{MaxScheduleLag: ms, Dropped: 50, DropsBounded: true, CPUs: 2, CPUBusy: 0.85, CPUSaturated: 0.05}, false, false, 50},
		{"CPUs saturated and a server stall", results.Generator{MaxScheduleLag: ms, MaxReplyGap: time.Second, DropsBounded: true, CPUs: 1, CPUSaturated: 0.5}, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Bound(); got != tt.bound {
				t.Errorf("Bound() = %v, want %v", got, tt.bound)
			}
			gap, stall := tt.g.ServerStall()
			if stall != tt.stall || gap != tt.g.MaxReplyGap {
				t.Errorf("ServerStall() = %v, %v; want %v, %v", gap, stall, tt.g.MaxReplyGap, tt.stall)
			}
			drops, limited := tt.g.InFlightLimited()
			if drops != tt.flowDrops || limited != (tt.flowDrops > 0) {
				t.Errorf("InFlightLimited() = %d, %v; want %d", drops, limited, tt.flowDrops)
			}
		})
	}
}

// TestGeneratorJSON checks the round trip of every field, and that files
// written before the reply gap was measured still read, with zeros.
func TestGeneratorJSON(t *testing.T) {
	g := results.Generator{
		Target: "a", Workload: "w", MaxScheduleLag: 2 * time.Millisecond,
		ScheduleLagP50: time.Microsecond, ScheduleLagP99: 3 * time.Microsecond, ScheduleLagP999: 9 * time.Microsecond,
		Dropped: 30, MaxInFlight: 1500, OpenLoop: true,
		MaxReplyGap: 1003 * time.Millisecond, StallDrops: 25, DropsBounded: true,
		CPUs: 2, CPUBusy: 0.5, CPUSaturated: 0.25, HostSteal: 0.125, HostStealMax: 0.5, HostStealKnown: true,
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"max_reply_gap":"1.003s"`, `"stall_drops":25`, `"drops_bounded":true`,
		`"cpu":{"cpus":2,"busy":0.5,"saturated_share":0.25,"host_steal":0.125,"host_steal_max":0.5}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var back results.Generator
	if err := json.Unmarshal(b, &back); err != nil || back != g {
		t.Errorf("round trip: %+v, %v; want %+v", back, err, g)
	}

	old := `{"target":"a","workload":"w","max_schedule_lag":"2ms","dropped":3,"max_inflight":256,"open_loop":true}`
	back = results.Generator{}
	want := results.Generator{Target: "a", Workload: "w", MaxScheduleLag: 2 * time.Millisecond, Dropped: 3, MaxInFlight: 256, OpenLoop: true}
	if err := json.Unmarshal([]byte(old), &back); err != nil || back != want {
		t.Errorf("old file: %+v, %v; want %+v", back, err, want)
	}
	if b, _ := json.Marshal(results.Generator{MaxScheduleLag: time.Millisecond}); strings.Contains(string(b), "reply_gap") ||
		strings.Contains(string(b), "stall_drops") || strings.Contains(string(b), "drops_bounded") {
		t.Errorf("zero new fields are written: %s", b)
	}
	err = json.Unmarshal([]byte(`{"target":"a","workload":"w","max_schedule_lag":"2ms","max_reply_gap":"long"}`), &back)
	if err == nil || !strings.Contains(err.Error(), "generator.max_reply_gap") {
		t.Errorf("bad max_reply_gap: error %v, want one naming generator.max_reply_gap", err)
	}
	// Off Linux the steal is unknown: absent, and read back as unknown.
	noSteal := results.Generator{MaxScheduleLag: time.Millisecond, CPUs: 1, CPUBusy: 0.3}
	b, _ = json.Marshal(noSteal)
	back = results.Generator{}
	if strings.Contains(string(b), "steal") || json.Unmarshal(b, &back) != nil || back != noSteal {
		t.Errorf("unknown steal: %s read back as %+v", b, back)
	}
	err = json.Unmarshal([]byte(`{"target":"a","workload":"w","max_schedule_lag":"2ms","cpu":{"cpus":1,"busy":1.5,"saturated_share":0}}`), &back)
	if err == nil || !strings.Contains(err.Error(), "generator.cpu: cpus must be ≥ 1 and busy and saturated_share in [0, 1], got cpus 1, busy 1.5") {
		t.Errorf("busy 1.5: error %v, want one naming generator.cpu and the value", err)
	}
}

// TestGeneratorMergeCPU checks that merged runs keep the worse run's CPU
// figures: a generator saturated in one run was the bottleneck there.
func TestGeneratorMergeCPU(t *testing.T) {
	quiet := results.Generator{CPUs: 2, CPUBusy: 0.4, HostSteal: 0.01, HostStealMax: 0.02, HostStealKnown: true}
	hot := results.Generator{CPUs: 1, CPUBusy: 0.95, CPUSaturated: 0.6, HostSteal: 0.2, HostStealMax: 0.4, HostStealKnown: true}
	old := results.Generator{} // written before the CPU was measured
	for _, tc := range []struct {
		name string
		a, b results.Generator
		want results.Generator
	}{
		{"quiet then hot", quiet, hot, hot},
		{"hot then quiet", hot, quiet, hot},
		{"old then quiet", old, quiet, quiet},
		{"quiet then old", quiet, old, quiet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.a
			g.Merge(tc.b)
			if g.CPUs != tc.want.CPUs || g.CPUBusy != tc.want.CPUBusy || g.CPUSaturated != tc.want.CPUSaturated ||
				g.HostSteal != tc.want.HostSteal || g.HostStealMax != tc.want.HostStealMax || g.HostStealKnown != tc.want.HostStealKnown {
				t.Errorf("merged %+v, want the CPU figures of %+v", g, tc.want)
			}
		})
	}
}

func TestGeneratorMerge(t *testing.T) {
	a := results.Generator{Target: "a", Workload: "w", MaxScheduleLag: 3 * time.Millisecond, Dropped: 10, MaxInFlight: 256, OpenLoop: true,
		MaxReplyGap: time.Second, StallDrops: 8, DropsBounded: true}
	b := results.Generator{Target: "a", Workload: "w", MaxScheduleLag: 7 * time.Millisecond, Dropped: 5, MaxInFlight: 1500, OpenLoop: true,
		MaxReplyGap: 200 * time.Millisecond, StallDrops: 5, DropsBounded: true}
	a.Merge(b)
	want := results.Generator{Target: "a", Workload: "w", MaxScheduleLag: 7 * time.Millisecond, Dropped: 15, MaxInFlight: 1500, OpenLoop: true,
		MaxReplyGap: time.Second, StallDrops: 13, DropsBounded: true}
	if a != want {
		t.Errorf("merged %+v, want %+v", a, want)
	}
	a.Merge(results.Generator{Dropped: 1}) // an old run: its drops have no bounds
	if a.DropsBounded {
		t.Error("merged with an old run, drops still count as bounded")
	}
}
