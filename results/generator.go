package results

import (
	"encoding/json"
	"fmt"
	"time"
)

// Generator is how the load generator of one (target, workload) runner fared
// while measuring, and who held the load back when something did:
//
//   - the generator itself (Bound): it fell behind its schedule. Its
//     numbers understate the engine.
//   - the server (ServerStall): it stopped answering while requests were in
//     flight. Its latency (with the lower bounds of what it made the runner
//     drop) is the engine's own.
//   - the in-flight bound (InFlightLimited): requests were dropped while
//     replies were flowing, because rate × latency exceeded max_inflight.
//     The engine answered, slower than the bound allows at this rate; the
//     drops' lower bounds are in its latency.
type Generator struct {
	Target         string
	Workload       string
	MaxScheduleLag time.Duration // the longest a request waited past its due time to be dispatched
	// The schedule lag's distribution over every request (LagRecorder);
	// zero for a closed loop and in files written before it was recorded.
	ScheduleLagP50, ScheduleLagP99, ScheduleLagP999 time.Duration
	Dropped                                         uint64 // requests not sent: the in-flight bound was reached
	MaxInFlight                                     int64  // the in-flight bound (closed loop: the worker count)
	// OpenLoop: requests followed a rate schedule, the same for every
	// target, so the throughput is what the schedule offered, less what
	// was dropped or failed, not a measure of the engine.
	OpenLoop bool

	// MaxReplyGap is the longest time requests were in flight and the
	// server answered none of them (a timeout is no answer); zero in files
	// written before it was measured.
	MaxReplyGap time.Duration
	// StallDrops counts the Dropped requests that were dropped during a
	// reply gap of at least StallGap: the server had stopped answering.
	// The others were dropped while replies were flowing.
	StallDrops uint64
	// DropsBounded: the runner recorded every dropped request's latency
	// lower bound (result.Result.Done), so drops do not hide from the
	// latency, and StallDrops is known. False in files written before.
	DropsBounded bool

	// The generator's own CPU over the measured phase (loadgen/cpuuse),
	// one process for every runner of the phase: CPUs it could use at
	// once, its busy share of the CPU time they had for it, the share of
	// the phase spent in saturated seconds, and the host's steal over the
	// phase and in its worst second. CPUs is 0 in files written before it
	// was measured.
	CPUs                    int
	CPUBusy, CPUSaturated   float64
	HostSteal, HostStealMax float64
	HostStealKnown          bool
}

// SaturationLag is the schedule lag past which the generator, not the
// engine, set the pace: past it the numbers describe ecbench, not the
// engine.
const SaturationLag = 50 * time.Millisecond

// StallGap is the shortest reply gap that is a stall of the server; it is
// the runner's own threshold (runner.StallGap), by which it counts
// StallDrops.
const StallGap = 100 * time.Millisecond

// CPUBoundShare is the share of a measured phase in saturated seconds
// (busy at cpuuse.Saturated or more) from which the generator's CPU, not
// the engine, set the pace: a tenth of the time is a burst's high phase or
// a GC-heavy stretch, enough to shape a p99.
const CPUBoundShare = 0.1

// CPUBound reports whether the generator's CPUs were saturated for at
// least CPUBoundShare of the measured phase. It then dispatches on time
// (its schedule lag need not show anything) but reads replies late: its
// latency and its drops hold its own queueing, not only the engine's. A
// server that stops leaves the generator idle, so this never blames the
// generator for a stalled server.
func (g Generator) CPUBound() bool {
	return g.CPUs > 0 && g.CPUSaturated >= CPUBoundShare
}

// CPUSummary says how busy the generator's CPUs were over the phase, for
// a warning or a report: "98% of its 1 CPU, saturated 90% of the time,
// the host's steal 22%" (the steal where known and at least 0.5%).
func (g Generator) CPUSummary() string {
	cpus := "CPUs"
	if g.CPUs == 1 {
		cpus = "CPU"
	}
	t := fmt.Sprintf("%.0f%% of its %d %s, saturated %.0f%% of the time", g.CPUBusy*100, g.CPUs, cpus, g.CPUSaturated*100)
	if g.HostStealKnown && g.HostSteal >= 0.005 {
		t += fmt.Sprintf(", the host's steal %.0f%%", g.HostSteal*100)
	}
	return t
}

// Bound reports whether the generator itself was the bottleneck of this
// runner: its CPUs were saturated (CPUBound), or it fell behind its
// schedule by more than SaturationLag. The
// dispatcher never waits for the in-flight bound (a request due when it is
// reached is dropped at once), so its lag is its own shortfall: CPU, GC,
// scheduling on the generator's host.
//
// Drops are not the generator's shortfall when their lower bounds were
// recorded (DropsBounded): they are the server's stall (ServerStall) or a
// bound too small for the engine's latency at this rate (InFlightLimited),
// and the latency shows them. In files written before, drops are missing
// from the latency, and any drop makes Bound true, as it did then.
func (g Generator) Bound() bool {
	return g.CPUBound() || g.MaxScheduleLag > SaturationLag || g.Dropped > 0 && !g.DropsBounded
}

// ServerStall reports whether the server stopped answering: requests were
// in flight and none was answered for MaxReplyGap, at least StallGap
// longer than the generator's own worst lag. A generator that pauses
// (a long GC, a starved host) reads no replies meanwhile either; a gap it
// can explain is not blamed on the server.
func (g Generator) ServerStall() (time.Duration, bool) {
	return g.MaxReplyGap, g.MaxReplyGap >= StallGap && g.MaxReplyGap-g.MaxScheduleLag >= StallGap
}

// InFlightLimited reports the requests dropped while replies were flowing:
// in flight at the bound with the server answering, because rate × latency
// exceeded max_inflight. Neither the generator's shortfall nor a stall: the
// engine answered slower than the bound allows at this rate, and the drops'
// lower bounds are in its latency; a larger max_inflight would measure
// their full latency. Zero and false unless DropsBounded, and when the
// generator was CPUBound: it read the replies late, so the latency that
// filled the bound was partly its own.
func (g Generator) InFlightLimited() (drops uint64, limited bool) {
	if !g.DropsBounded || g.CPUBound() || g.Dropped <= g.StallDrops {
		return 0, false
	}
	return g.Dropped - g.StallDrops, true
}

// Merge adds o, a report of the same (target, workload) from another run,
// to g: the worst lag and reply gap, the sum of drops, the largest bound.
// The lag quantiles are not mergeable and are kept from g. Merged drops
// are bounded only if both runs' were.
func (g *Generator) Merge(o Generator) {
	g.MaxScheduleLag = max(g.MaxScheduleLag, o.MaxScheduleLag)
	g.Dropped += o.Dropped
	g.MaxInFlight = max(g.MaxInFlight, o.MaxInFlight)
	g.OpenLoop = g.OpenLoop && o.OpenLoop
	g.MaxReplyGap = max(g.MaxReplyGap, o.MaxReplyGap)
	g.StallDrops += o.StallDrops
	g.DropsBounded = g.DropsBounded && o.DropsBounded
	g.MergeCPU(o)
}

// MergeCPU keeps the CPUs, busy and saturated share of the worse of g and
// o: a generator saturated in one of the merged runs (or one of the
// processes that ran a workload) was the bottleneck there. The steal is
// the most either saw. One without the figures (an older file) adds
// nothing.
func (g *Generator) MergeCPU(o Generator) {
	if o.CPUs > 0 && (g.CPUs == 0 || o.CPUSaturated > g.CPUSaturated || o.CPUSaturated == g.CPUSaturated && o.CPUBusy > g.CPUBusy) {
		g.CPUs, g.CPUBusy, g.CPUSaturated = o.CPUs, o.CPUBusy, o.CPUSaturated
	}
	g.HostSteal = max(g.HostSteal, o.HostSteal)
	g.HostStealMax = max(g.HostStealMax, o.HostStealMax)
	g.HostStealKnown = g.HostStealKnown || o.HostStealKnown
}

// generatorJSON is Generator's JSON shape: durations as Go duration strings.
type generatorJSON struct {
	Target         string `json:"target"`
	Workload       string `json:"workload"`
	MaxScheduleLag string `json:"max_schedule_lag"`
	LagP50         string `json:"schedule_lag_p50,omitempty"`
	LagP99         string `json:"schedule_lag_p99,omitempty"`
	LagP999        string `json:"schedule_lag_p999,omitempty"`
	Dropped        uint64 `json:"dropped"`
	MaxInFlight    int64  `json:"max_inflight"`
	OpenLoop       bool   `json:"open_loop,omitempty"`
	MaxReplyGap    string `json:"max_reply_gap,omitempty"`
	StallDrops     uint64 `json:"stall_drops,omitempty"`
	DropsBounded   bool   `json:"drops_bounded,omitempty"`
	// The generator's CPU (absent in files written before it was measured).
	CPU *generatorCPUJSON `json:"cpu,omitempty"`
}

type generatorCPUJSON struct {
	CPUs      int      `json:"cpus"`
	Busy      float64  `json:"busy"`
	Saturated float64  `json:"saturated_share"`
	Steal     *float64 `json:"host_steal,omitempty"` // absent: unknown (not Linux)
	StealMax  *float64 `json:"host_steal_max,omitempty"`
}

// MarshalJSON writes durations as Go duration strings.
func (g Generator) MarshalJSON() ([]byte, error) {
	j := generatorJSON{
		Target: g.Target, Workload: g.Workload, MaxScheduleLag: g.MaxScheduleLag.String(),
		LagP50: g.ScheduleLagP50.String(), LagP99: g.ScheduleLagP99.String(), LagP999: g.ScheduleLagP999.String(),
		Dropped: g.Dropped, MaxInFlight: g.MaxInFlight, OpenLoop: g.OpenLoop,
		StallDrops: g.StallDrops, DropsBounded: g.DropsBounded,
	}
	if g.MaxReplyGap != 0 {
		j.MaxReplyGap = g.MaxReplyGap.String()
	}
	if g.CPUs > 0 {
		j.CPU = &generatorCPUJSON{CPUs: g.CPUs, Busy: g.CPUBusy, Saturated: g.CPUSaturated}
		if g.HostStealKnown {
			j.CPU.Steal, j.CPU.StealMax = &g.HostSteal, &g.HostStealMax
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads durations as Go duration strings. Fields added after
// the first version may be absent: they are zero.
func (g *Generator) UnmarshalJSON(b []byte) error {
	var j generatorJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	lag, err := time.ParseDuration(j.MaxScheduleLag)
	if err != nil {
		return fmt.Errorf("generator.max_schedule_lag: %w", err)
	}
	*g = Generator{Target: j.Target, Workload: j.Workload, MaxScheduleLag: lag, Dropped: j.Dropped, MaxInFlight: j.MaxInFlight,
		OpenLoop: j.OpenLoop, StallDrops: j.StallDrops, DropsBounded: j.DropsBounded}
	if c := j.CPU; c != nil {
		if c.CPUs < 1 || c.Busy < 0 || c.Busy > 1 || c.Saturated < 0 || c.Saturated > 1 {
			return fmt.Errorf("generator.cpu: cpus must be ≥ 1 and busy and saturated_share in [0, 1], got cpus %d, busy %v, saturated_share %v",
				c.CPUs, c.Busy, c.Saturated)
		}
		g.CPUs, g.CPUBusy, g.CPUSaturated = c.CPUs, c.Busy, c.Saturated
		if c.Steal != nil {
			g.HostSteal, g.HostStealKnown = *c.Steal, true
		}
		if c.StealMax != nil {
			g.HostStealMax = *c.StealMax
		}
	}
	for _, q := range []struct {
		name, value string
		into        *time.Duration
	}{
		{"schedule_lag_p50", j.LagP50, &g.ScheduleLagP50},
		{"schedule_lag_p99", j.LagP99, &g.ScheduleLagP99},
		{"schedule_lag_p999", j.LagP999, &g.ScheduleLagP999},
		{"max_reply_gap", j.MaxReplyGap, &g.MaxReplyGap},
	} {
		if q.value == "" { // written before it was kept
			continue
		}
		if *q.into, err = time.ParseDuration(q.value); err != nil {
			return fmt.Errorf("generator.%s: %w", q.name, err)
		}
	}
	return nil
}
