package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// The budget: what the generator holds in the worst case under a config,
// and the checks that refuse a config whose worst case is over
// limits.max_memory before anything is sent. Each figure is the
// generator's side; the server gets the same values in flight.
//
//	per runner    bound × RequestBytes          bound: max_inflight (given or derived), or the workers
//	              RequestBytes = pipeline × largest command + InFlightBytes(pipeline)
//	fixed         integrity ledgers and read batches, per target
//	              every runner's value buffer and name tables, and drop ring (open loop)
//	              one workload's preload (bench: one at a time)
//	in flight     closed-loop workers (held the whole run)
//	              + open-loop runners, together at most the shared cap
//	shared cap    limits.max_inflight_bytes, or max_memory − fixed
//
// So a config is refused when a runner alone could hold more than
// max_memory, when what it holds before any open-loop request does, when
// an explicit cap does not fit beside it, or when one request is larger
// than the cap leaves it (it could never be sent).

// Budget is a config's worst case, as check computes it; every figure is
// in bytes.
type Budget struct {
	MaxMemory int64
	// InflightCap is the cap that every runner's in-flight requests share
	// (runner.Budget): limits.max_inflight_bytes, or what max_memory
	// leaves after Fixed (at least 0).
	InflightCap int64
	// Fixed is what the generator holds whatever the load: Probes (the
	// integrity ledgers and read batches), Buffers (every runner's value
	// buffer, name tables and drop ring) and Preload (the largest
	// workload's, on all its targets at once).
	Fixed, Probes, Buffers, Preload int64
	// ClosedLoop is what closed-loop workers' requests hold, the whole run,
	// out of the cap; OpenLoop what every open-loop runner at its bound
	// would hold together, which the cap holds to InflightCap − ClosedLoop.
	ClosedLoop, OpenLoop int64
	Runners              []RunnerBudget
}

// RunnerBudget is one runner's worst case in flight: Bound requests of
// RequestBytes each.
type RunnerBudget struct {
	Workload     int    // index into Config.Workloads
	Target       string // target name
	OpenLoop     bool
	Bound        int  // max_inflight (open loop) or workers (closed loop)
	Derived      bool // Bound is max_inflight derived by MaxInFlight
	RequestBytes int64
}

// InFlight is the most the runner's requests hold at once.
func (r RunnerBudget) InFlight() int64 { return int64(r.Bound) * r.RequestBytes }

// Total is the worst case of the whole generator: Fixed, and the requests
// in flight as far as the cap lets them.
func (b Budget) Total() int64 {
	return b.Fixed + min(b.ClosedLoop+b.OpenLoop, max(b.InflightCap, b.ClosedLoop))
}

// Budget computes the config's worst case. Bounds are the larger of the
// daemon's (scenario phases counted) and the bench's.
func (c *Config) Budget() Budget {
	b := Budget{MaxMemory: int64(c.Limits.MaxMemory)}
	if ic := c.Probes.Integrity; ic.Enabled {
		b.Probes = int64(len(c.Targets)) * (probe.IntegrityMemory(ic.Keys) + probe.IntegrityBatchBytes(ic.ValueSize))
	}
	for i := range c.Workloads {
		w := &c.Workloads[i]
		stream := workload.StreamMemory(w.sizes()) + w.replayReaders()
		targets := 0
		for _, t := range c.Targets {
			if !w.RunsOn(t.Name) {
				continue
			}
			targets++
			r := RunnerBudget{Workload: i, Target: t.Name, OpenLoop: w.Rate.OpenLoop(), RequestBytes: w.RequestBytes()}
			b.Buffers += stream
			if r.OpenLoop {
				daemon, _, _ := c.MaxInFlight(i, t.Name, true)
				bench, _, _ := c.MaxInFlight(i, t.Name, false)
				r.Bound, r.Derived = max(daemon, bench), w.MaxInflight == 0
				b.OpenLoop += r.InFlight()
				b.Buffers += runner.DropRingBytes
			} else {
				r.Bound = w.Rate.Workers()
				b.ClosedLoop += r.InFlight()
			}
			b.Runners = append(b.Runners, r)
		}
		if w.Preload {
			b.Preload = max(b.Preload, int64(targets)*workload.PreloadMemory(w.sizes()))
		}
	}
	b.Fixed = b.Probes + b.Buffers + b.Preload
	b.InflightCap = int64(c.Limits.MaxInflightBytes)
	if b.InflightCap == 0 {
		b.InflightCap = max(b.MaxMemory-b.Fixed, 0)
	}
	return b
}

// String summarises the budget in one line, for check: "worst case 110.7
// MiB of limits.max_memory 1 GiB: requests in flight 108.7 MiB (open loop
// up to 108.7 MiB; shared cap 1022.0 MiB), buffers 2.0 MiB".
func (b Budget) String() string {
	inflight := []string{}
	if b.OpenLoop > 0 {
		inflight = append(inflight, "open loop up to "+formatBytes(b.OpenLoop))
	}
	if b.ClosedLoop > 0 {
		inflight = append(inflight, "closed loop "+formatBytes(b.ClosedLoop))
	}
	parts := []string{fmt.Sprintf("requests in flight %s (%s; shared cap %s)",
		formatBytes(b.Total()-b.Fixed), strings.Join(inflight, ", "), formatBytes(b.InflightCap))}
	for _, p := range []struct {
		name  string
		bytes int64
	}{{"integrity probes", b.Probes}, {"buffers", b.Buffers}, {"a preload", b.Preload}} {
		if p.bytes > 0 {
			parts = append(parts, p.name+" "+formatBytes(p.bytes))
		}
	}
	return fmt.Sprintf("worst case %s of limits.max_memory %s: %s", formatBytes(b.Total()), formatBytes(b.MaxMemory), strings.Join(parts, ", "))
}

// budget checks the config's worst case against limits.max_memory. It
// runs only on a config that is otherwise valid: its figures depend on
// every size and rate being in range.
func (v validator) budget(c *Config) {
	b := c.Budget()
	limit := "; limits.max_memory is " + formatBytes(b.MaxMemory)

	// A runner alone: the worst target of each workload.
	worst := map[int]RunnerBudget{}
	for _, r := range b.Runners {
		if w, seen := worst[r.Workload]; !seen || r.InFlight() > w.InFlight() {
			worst[r.Workload] = r
		}
	}
	reported := map[int]bool{}
	for i := range c.Workloads {
		if r, ok := worst[i]; ok && r.InFlight() > b.MaxMemory {
			reported[i] = true
			v.add(indexPath("workloads", i), fmt.Sprintf("workload %s: up to %s in flight %s (%s)%s",
				c.Workloads[i].Name, formatAbove(r.InFlight(), b.MaxMemory), c.where(r), c.inFlightFactors(r), limit))
		}
	}

	ic := c.Probes.Integrity
	if b.Probes > b.MaxMemory {
		v.add("probes.integrity.keys", fmt.Sprintf("the integrity probes hold up to %s (a ledger of keys %d × %s and read batches of %s (value_size %s), on each of %d targets)%s",
			formatAbove(b.Probes, b.MaxMemory), ic.Keys, formatBytes(probe.IntegrityMemory(1)), formatBytes(probe.IntegrityBatchBytes(ic.ValueSize)),
			formatSizeField(ic.ValueSize), len(c.Targets), limit))
		return // the rest would say it again
	}
	held := b.Fixed + b.ClosedLoop
	if held > b.MaxMemory {
		v.add("limits.max_memory", fmt.Sprintf("must be at least the %s the generator holds before any open-loop request (%s), got %s",
			formatAbove(held, b.MaxMemory), c.heldParts(b), formatBytes(b.MaxMemory)))
		return
	}
	if c.Limits.MaxInflightBytes != 0 {
		switch capped := int64(c.Limits.MaxInflightBytes); {
		case b.Fixed+capped > b.MaxMemory:
			v.add("limits.max_inflight_bytes", fmt.Sprintf("must be at most the %s that limits.max_memory %s leaves beside the %s the generator holds whatever the load (%s), or 0 for that much; got %s",
				formatBytes(b.MaxMemory-b.Fixed), formatBytes(b.MaxMemory), formatBytes(b.Fixed), c.heldParts(Budget{Probes: b.Probes, Buffers: b.Buffers, Preload: b.Preload}), formatBytes(capped)))
			return
		case capped < b.ClosedLoop:
			v.add("limits.max_inflight_bytes", fmt.Sprintf("must be at least the %s that closed-loop workers hold (%s), got %s",
				formatAbove(b.ClosedLoop, capped), c.heldParts(Budget{ClosedLoop: b.ClosedLoop, Runners: b.Runners}), formatBytes(capped)))
			return
		}
	}
	// One open-loop request over what the cap leaves could never be sent.
	room := b.InflightCap - b.ClosedLoop
	for i := range c.Workloads {
		w := &c.Workloads[i]
		if !w.Rate.OpenLoop() || !c.runsAnywhere(w) || reported[i] {
			continue
		}
		if rb := w.RequestBytes(); rb > room {
			v.add(indexPath("workloads", i), fmt.Sprintf("workload %s: one request holds %s (%s), more than the %s the shared in-flight cap leaves open-loop requests (%s): it could never be sent",
				w.Name, formatAbove(rb, room), c.requestFactors(w), formatBytes(room), c.capSource(b)))
		}
	}
}

// runsAnywhere reports whether w runs against any target.
func (c *Config) runsAnywhere(w *Workload) bool {
	for _, t := range c.Targets {
		if w.RunsOn(t.Name) {
			return true
		}
	}
	return false
}

// where says which runners of a workload a figure is for: every target's
// alike, unless the bound was derived from a target's read_timeout.
func (c *Config) where(r RunnerBudget) string {
	if r.Derived {
		return "on target " + r.Target
	}
	return "per target"
}

// inFlightFactors writes a runner's worst case as the fields that make it:
// "get: values.size 512 MiB × pipeline 1000 × max_inflight 10, and 400.6
// KiB a request in the generator".
func (c *Config) inFlightFactors(r RunnerBudget) string {
	w := &c.Workloads[r.Workload]
	bound := "max_inflight " + strconv.Itoa(r.Bound)
	switch {
	case !r.OpenLoop:
		bound = "rate.workers " + strconv.Itoa(r.Bound)
	case r.Derived:
		bound += " (derived from the peak rate and read_timeout)"
	}
	overhead := formatBytes(runner.InFlightBytes(w.Pipeline)) + " a request in the generator"
	payload := c.payloadFactors(w)
	if payload == "" {
		return bound + " × " + overhead
	}
	return payload + " × pipeline " + strconv.Itoa(w.Pipeline) + " × " + bound + ", and " + overhead
}

// requestFactors writes one request's bytes as the fields that make them.
func (c *Config) requestFactors(w *Workload) string {
	overhead := formatBytes(runner.InFlightBytes(w.Pipeline)) + " in the generator"
	if payload := c.payloadFactors(w); payload != "" {
		return payload + " × pipeline " + strconv.Itoa(w.Pipeline) + ", and " + overhead
	}
	return overhead
}

// payloadFactors writes the largest command of w as "op: field value ×
// field value", or "" when it carries only keys.
func (c *Config) payloadFactors(w *Workload) string {
	op, bytes := w.largestOp()
	if bytes == 0 {
		return ""
	}
	value := "values.size " + formatSizeField(w.Values.Size)
	switch {
	case len(w.Values.Sizes) > 0:
		value = "values.sizes up to " + formatSizeField(w.Values.Sizes.Largest())
	case w.Values.Ranged():
		value = "values.max_size " + formatSizeField(w.Values.MaxSize)
	}
	element := "elements.size " + formatSizeField(w.Elements.Size)
	if len(w.Elements.Sizes) > 0 {
		element = "elements.sizes up to " + formatSizeField(w.Elements.Sizes.Largest())
	}
	var f []string
	switch workload.PayloadOf(op) {
	case workload.PayloadValue:
		f = []string{value}
	case workload.PayloadBatch:
		f = []string{value, "mget_batch " + strconv.Itoa(w.MGetBatch)}
	case workload.PayloadElement:
		f = []string{element}
	case workload.PayloadRange:
		f = []string{"range " + strconv.Itoa(w.Range), element}
	case workload.PayloadAll:
		count := "elements.count " + strconv.Itoa(w.Elements.Count)
		if w.Type == workload.KindHash {
			count = "2 × " + count // hincrby's counters beside the fields
		}
		f = []string{count, element}
	}
	return op + ": " + strings.Join(f, " × ")
}

// heldParts lists the non-zero parts of what the generator holds besides
// open-loop requests, naming the fields behind the largest.
func (c *Config) heldParts(b Budget) string {
	var parts []string
	if b.Probes > 0 {
		parts = append(parts, fmt.Sprintf("integrity probes %s (probes.integrity.keys %d)", formatBytes(b.Probes), c.Probes.Integrity.Keys))
	}
	if b.Buffers > 0 {
		parts = append(parts, "value buffers, name tables and drop rings "+formatBytes(b.Buffers)+c.largestBuffer())
	}
	if b.Preload > 0 {
		parts = append(parts, "a preload "+formatBytes(b.Preload))
	}
	if b.ClosedLoop > 0 {
		most := RunnerBudget{}
		for _, r := range b.Runners {
			if !r.OpenLoop && r.InFlight() > most.InFlight() {
				most = r
			}
		}
		parts = append(parts, fmt.Sprintf("closed-loop workers %s (the most: %s, %s)", formatBytes(b.ClosedLoop),
			indexPath("workloads", most.Workload), c.inFlightFactors(most)))
	}
	return strings.Join(parts, ", ")
}

// largestBuffer names the workload whose value buffer is the largest, when
// one is over a MiB: " (the most: workloads[0].values.size 512 MiB per target)".
func (c *Config) largestBuffer() string {
	most, at := int64(0), -1
	for i := range c.Workloads {
		if m := workload.StreamMemory(c.Workloads[i].sizes()); m > most {
			most, at = m, i
		}
	}
	if at < 0 || most < 1<<20 {
		return ""
	}
	w := &c.Workloads[at]
	field := "values.size"
	switch {
	case w.Type != workload.KindKV:
		field = "elements"
	case len(w.Values.Sizes) > 0:
		field = "values.sizes"
	case w.Values.Ranged():
		field = "values.max_size"
	}
	return fmt.Sprintf(" (the most: %s.%s, %s per target)", indexPath("workloads", at), field, formatBytes(most))
}

// capSource says where the shared cap comes from.
func (c *Config) capSource(b Budget) string {
	if c.Limits.MaxInflightBytes != 0 {
		return "limits.max_inflight_bytes " + formatBytes(b.InflightCap)
	}
	return fmt.Sprintf("what limits.max_memory %s leaves beside %s held whatever the load", formatBytes(b.MaxMemory), formatBytes(b.Fixed))
}
