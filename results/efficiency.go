package results

import (
	"fmt"
	"math"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Efficiency is what one target's server spent on one workload, derived
// from its Server snapshots. Each figure is measured once per run: there
// is no interval around it. Runs > 1 (a merged run) pools the runs: sums
// of the differences over sums of the counts, never a mean of ratios. A
// figure that cannot be derived (no preload, INFO unread, a restart in
// between, nothing to divide by) is NaN, and Notes says why.
//
//	MemoryPerKey      Δ(used_memory − mem_clients_normal) / Δkeys          over the preload
//	MemoryPerElement  Δ(used_memory − mem_clients_normal) / elements written  (list, hash, set, zset)
//	CPUPerCommand     Δ(used_cpu_sys + used_cpu_user) / Commands            over the measured phase
//	NetIn/OutPerCmd   Δtotal_net_{input,output}_bytes / Commands
//	HitRatio          Δkeyspace_hits / Δ(keyspace_hits + keyspace_misses)
//
// The client buffers are left out of the memory: a preload's pipelines
// leave up to a few hundred KB of query and reply buffers that belong to
// no key. Commands is the server's own count of the workload's commands
// (WorkloadCommands), so CPU and bytes are per command the workload sent,
// whatever ecbench's own INFO reads added; their CPU and bytes are in the
// differences, a few KB per snapshot (about 2 bytes out per command over
// a phase of 2,000 commands, nothing over hundreds of thousands). CPU is
// the whole process's, idle time included: at a low open-loop rate each
// command also pays for waking the server; a closed loop measures the
// cost at load.
//
// What the figures cannot control: used_memory also moves when the
// server resizes its key-space table, which it does in the background (a
// workload preloaded right after another's keys were deleted sees the
// emptied table shrink meanwhile: ±2% per key measured for 10,000 hashes
// after 100,000 strings); RSS keeps the pages the allocator has not
// returned, so after an earlier workload it is above what this one's data
// needs. For the closest memory figures, run a workload on fresh servers.
type Efficiency struct {
	Target, Workload, Kind string
	Engine                 engine.Engine
	Version                string
	Nodes                  int // the nodes summed (cluster mode: primaries)
	Runs                   int // the runs pooled

	// The preload, from before_preload to after_preload.
	PreloadKeys, PreloadElements uint64  // what the preload wrote
	KeysAdded                    int64   // the change of the servers' key count
	MemoryAdded                  int64   // the change of used_memory − mem_clients_normal, bytes
	MemoryPerKey                 float64 // bytes
	MemoryPerElement             float64 // bytes; NaN for kv (MemoryPerKey is it)
	// After the preload (the mean over runs), bytes, and used / RSS.
	UsedMemory, RSS, UsedOverRSS float64

	// The measured phase, from before_measure to after_measure.
	Seconds           float64 // between the two snapshots
	Commands          uint64
	CommandsFromStats bool    // Commands is from commandstats (false: total_commands_processed)
	CPUSeconds        float64 // used_cpu_sys + used_cpu_user
	CPUPerCommand     float64 // seconds
	NetInPerCommand   float64 // bytes
	NetOutPerCommand  float64 // bytes
	Hits, Misses      uint64
	HitRatio          float64

	Notes []string // why figures are absent, one line each
}

// HasPreload reports whether the preload's figures were derived.
func (e Efficiency) HasPreload() bool { return !math.IsNaN(e.MemoryPerKey) }

// HasMeasure reports whether the measured phase's figures were derived.
func (e Efficiency) HasMeasure() bool { return e.Commands > 0 }

// Efficiencies derives each (target, workload)'s Efficiency from
// run.Servers, in the order they first appear: one entry per pair, its
// runs pooled. Runs of schemas 1 to 3 have no server data: nil.
func (r *Run) Efficiencies() []Efficiency {
	type key struct{ target, workload string }
	var order []key
	byKey := map[key][]Server{}
	for _, s := range r.Servers {
		k := key{s.Target, s.Workload}
		if _, seen := byKey[k]; !seen {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], s)
	}
	out := make([]Efficiency, 0, len(order))
	for _, k := range order {
		out = append(out, EfficiencyOf(byKey[k]))
	}
	return out
}

// EfficiencyOf pools the Server records of one target and workload (one
// per run) into its Efficiency.
func EfficiencyOf(records []Server) Efficiency {
	nan := math.NaN()
	e := Efficiency{Runs: len(records), MemoryPerKey: nan, MemoryPerElement: nan, UsedMemory: nan, RSS: nan, UsedOverRSS: nan,
		CPUPerCommand: nan, NetInPerCommand: nan, NetOutPerCommand: nan, HitRatio: nan}
	if len(records) == 0 {
		return e
	}
	e.Target, e.Workload, e.Kind = records[0].Target, records[0].Workload, records[0].Kind
	note := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		for _, n := range e.Notes {
			if n == s {
				return
			}
		}
		e.Notes = append(e.Notes, s)
	}

	var preloaded uint64
	var memAdded, keysAdded int64
	var used, rss float64
	var withPreload, withAfter int
	var net [2]uint64
	var hits, misses uint64
	var cpu float64
	measured, allStats := 0, true
	for _, s := range records {
		for _, snap := range []*ServerSnapshot{s.BeforePreload, s.AfterPreload, s.BeforeMeasure, s.AfterMeasure} {
			if snap != nil && e.Engine == "" {
				e.Engine, e.Version, e.Nodes = snap.Engine, snap.Version, snap.Nodes
			}
		}
		e.PreloadKeys += s.PreloadKeys
		e.PreloadElements += s.PreloadElements
		switch {
		case s.PreloadKeys == 0:
			note("no preload: no memory per key")
		case s.BeforePreload == nil || s.AfterPreload == nil:
			note("INFO unread around the preload: no memory per key")
		case !sameServer(s.BeforePreload, s.AfterPreload):
			note("the server restarted during the preload: no memory per key")
		default:
			b, a := s.BeforePreload, s.AfterPreload
			memAdded += int64(a.UsedMemory) - int64(a.ClientsMemory) - (int64(b.UsedMemory) - int64(b.ClientsMemory))
			keysAdded += int64(a.Keys) - int64(b.Keys)
			preloaded += s.PreloadElements
			withPreload++
		}
		if a := s.AfterPreload; a != nil && s.PreloadKeys > 0 {
			used += float64(a.UsedMemory)
			rss += float64(a.UsedMemoryRSS)
			withAfter++
		}
		switch b, a := s.BeforeMeasure, s.AfterMeasure; {
		case b == nil || a == nil:
			note("INFO unread around the measured phase: no CPU, bytes or hits per command")
		case !sameServer(b, a):
			note("the server restarted during the measured phase: no CPU, bytes or hits per command")
		default:
			n, fromStats := WorkloadCommands(b, a)
			e.Commands += n
			measured++
			allStats = allStats && fromStats
			e.Seconds += a.At.Sub(b.At).Seconds()
			cpu += math.Max(0, a.CPUSys+a.CPUUser-b.CPUSys-b.CPUUser)
			net[0] += sub(a.NetInputBytes, b.NetInputBytes)
			net[1] += sub(a.NetOutputBytes, b.NetOutputBytes)
			hits += sub(a.KeyspaceHits, b.KeyspaceHits)
			misses += sub(a.KeyspaceMisses, b.KeyspaceMisses)
		}
	}
	if withPreload > 0 {
		e.KeysAdded, e.MemoryAdded = keysAdded, memAdded
		if keysAdded > 0 {
			e.MemoryPerKey = float64(memAdded) / float64(keysAdded)
		} else {
			note("the preload added no keys: no memory per key")
		}
		if e.Kind != "" && e.Kind != "kv" && preloaded > 0 {
			e.MemoryPerElement = float64(memAdded) / float64(preloaded)
		}
	}
	if withAfter > 0 {
		e.UsedMemory, e.RSS = used/float64(withAfter), rss/float64(withAfter)
		if rss > 0 {
			e.UsedOverRSS = used / rss
		}
	}
	e.CPUSeconds, e.Hits, e.Misses = cpu, hits, misses
	e.CommandsFromStats = measured > 0 && allStats
	if e.Commands > 0 {
		n := float64(e.Commands)
		e.CPUPerCommand, e.NetInPerCommand, e.NetOutPerCommand = cpu/n, float64(net[0])/n, float64(net[1])/n
	}
	if hits+misses > 0 {
		e.HitRatio = float64(hits) / float64(hits+misses)
	}
	return e
}
