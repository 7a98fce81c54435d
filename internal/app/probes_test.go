package app

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ecbench/ecbench/loadgen/probe"
)

// TestIntegrityLogLines: a run of lost writes is one warning with its
// sequence range and the read that found it; a full sweep's end is one
// line with what it read and found.
func TestIntegrityLogLines(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	ranges := probe.NewRanges(integrityLogger(log, "valkey"))
	sink := probe.IntegritySinks{ranges, sweepLogger{log, "valkey"}}
	req := probe.Sweep{Kind: probe.RequestedSweep, Reason: "outage end", ID: 4}
	sink.Checked(probe.Check{Result: probe.Lost, N: 512, From: 0, To: 511, Sweep: req})
	sink.Checked(probe.Check{Result: probe.Lost, N: 88, From: 512, To: 599, Sweep: req})
	var found [5]int
	found[probe.Lost] = 600
	sink.SweepDone(probe.SweepReport{Sweep: req, Read: 700, Found: found, Complete: true, Took: 20 * time.Millisecond})
	sink.Checked(probe.Check{Result: probe.Unchecked, N: 3, From: 700, To: 702, Sweep: probe.Sweep{Kind: probe.FinalSweep, ID: 5}})
	ranges.Flush()

	want := []struct {
		level  zapcore.Level
		msg    string
		fields map[string]any
	}{
		{zapcore.WarnLevel, "integrity: acknowledged writes lost", map[string]any{
			"target": "valkey", "from_seq": uint64(0), "to_seq": uint64(599), "count": int64(600), "found_by": "requested sweep", "reason": "outage end"}},
		{zapcore.InfoLevel, "integrity: sweep done", map[string]any{
			"target": "valkey", "sweep": "requested sweep", "reason": "outage end", "read": int64(700), "lost": int64(600), "verified": int64(0),
			"complete": true, "took": 20 * time.Millisecond}},
		{zapcore.InfoLevel, "integrity: writes not checked", map[string]any{
			"target": "valkey", "from_seq": uint64(700), "to_seq": uint64(702), "count": int64(3), "found_by": "final sweep"}},
	}
	got := logs.All()
	if len(got) != len(want) {
		t.Fatalf("%d log lines, want %d: %+v", len(got), len(want), got)
	}
	for j, w := range want {
		g := got[j]
		if g.Level != w.level || g.Message != w.msg {
			t.Errorf("line %d: %v %q, want %v %q", j, g.Level, g.Message, w.level, w.msg)
		}
		fields := g.ContextMap()
		for k, v := range w.fields {
			if fields[k] != v {
				t.Errorf("line %d (%s): %s = %#v, want %#v", j, g.Message, k, fields[k], v)
			}
		}
	}
}
