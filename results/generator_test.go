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
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"max_reply_gap":"1.003s"`, `"stall_drops":25`, `"drops_bounded":true`} {
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
