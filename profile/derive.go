package profile

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// Bounds of what a workload config may hold (cmd/ecbench/config's), so
// that what the profiler writes always loads.
const (
	maxValueSize   = 512 << 20
	maxElementSize = 1 << 20
	maxElements    = 10_000_000
	maxKeyCount    = 1_000_000_000
	// weightScale is what a workload's op weights sum to, about: shares to
	// 0.01%.
	weightScale = 10_000
	// defaultElements is a structure's element count when none was
	// sampled, as config's default.
	defaultElements = 100
	// guessedKeys is a workload's key count when no key of its type was
	// sampled.
	guessedKeys = 1000
)

// Workload is one workload the profile becomes: the calls of the ops of
// one kind of keys, and what the sample says of those keys.
type Workload struct {
	Kind     workload.Kind
	Calls    uint64            // of its commands over the window
	Ops      map[string]uint64 // calls by ecbench op
	Commands map[string]uint64 // calls by server command
	Rate     float64           // calls a second, the open-loop rate
	// Keys is the keys of its type: INFO keyspace's keys times their
	// share of the sample; KeysGuessed when none was sampled.
	Keys        uint64
	KeysGuessed bool
	Sample      *TypeSample // nil when no key of its type was sampled
	// Sizes are the values' sizes (kv) or the elements' (structures),
	// bucketed; nil when none was sampled.
	Sizes []Bucket
	// Elements is a structure's element count: the mean of the sample.
	Elements int
	// TTL is set_ttl's, and TTLShare the share of the type's sampled keys
	// with one (kv).
	TTL      time.Duration
	TTLShare float64
}

// Weights returns the workload's op weights, summing to about
// weightScale; an op of less than 1/2 of 1/weightScale of the calls gets
// none.
func (w *Workload) Weights() map[string]int {
	out := map[string]int{}
	for op, n := range w.Ops {
		if wt := int(math.Round(weightScale * float64(n) / float64(w.Calls))); wt > 0 {
			out[op] = wt
		}
	}
	return out
}

// Unmapped is the calls of one command that no workload reproduces.
type Unmapped struct {
	Command string
	Calls   uint64
}

// Workloads returns the workloads of the profile, one per kind that had
// calls, kv first: the mix is measured by command, and the server does
// not say which keys a command touched, so kinds (what the commands act
// on) are what a mix can be split by; families are described beside.
func (p *Profile) Workloads() []Workload {
	byKind := map[workload.Kind]*Workload{}
	for name, n := range p.Calls {
		m, ok := commandOps[name]
		if !ok {
			continue
		}
		w := byKind[m.kind]
		if w == nil {
			w = &Workload{Kind: m.kind, Ops: map[string]uint64{}, Commands: map[string]uint64{}}
			byKind[m.kind] = w
		}
		w.Calls += n
		w.Ops[m.op] += n
		w.Commands[name] += n
	}
	var out []Workload
	for _, kind := range workload.Kinds() {
		w := byKind[kind]
		if w == nil {
			continue
		}
		p.describe(w)
		out = append(out, *w)
	}
	return out
}

// describe fills in what the sample says of w's keys.
func (p *Profile) describe(w *Workload) {
	w.Rate = min(perSecond(w.Calls, p.Window), schedule.MaxRate)
	w.Sample = p.Types[typeOfKind(w.Kind)]
	if w.Sample == nil || p.Sampled == 0 {
		w.Keys, w.KeysGuessed = guessedKeys, true
	} else {
		w.Keys = uint64(math.Round(float64(p.Keys) * float64(w.Sample.Keys) / float64(p.Sampled)))
	}
	w.Keys = min(max(w.Keys, 1), maxKeyCount)
	w.Elements = defaultElements
	if w.Sample == nil {
		return
	}
	if w.Kind == workload.KindKV {
		w.Sizes = bucketSizes(w.Sample.Lengths, maxValueSize)
		w.splitSets()
		return
	}
	w.Sizes = bucketSizes(w.Sample.Elements, maxElementSize)
	if len(w.Sample.Lengths) > 0 {
		w.Elements = min(max(int(math.Round(mean(w.Sample.Lengths))), 1), maxElements)
	}
}

// splitSets gives set_ttl the share of SETs that the share of sampled
// strings with a TTL suggests, at twice their median remaining TTL: a
// key written with TTL T and sampled at a random time has T/2 left, on
// average.
func (w *Workload) splitSets() {
	s := w.Sample
	if s.Keys > 0 {
		w.TTLShare = float64(s.WithTTL) / float64(s.Keys)
	}
	if len(s.TTLs) > 0 {
		sorted := slices.Sorted(slices.Values(s.TTLs))
		w.TTL = roundTTL(2 * quantile(sorted, 0.5))
	}
	if sets := w.Ops["set"]; sets > 0 && w.TTL > 0 {
		withTTL := uint64(math.Round(float64(sets) * w.TTLShare))
		w.Ops["set"] -= withTTL
		w.Ops["set_ttl"] += withTTL
		if w.Ops["set"] == 0 {
			delete(w.Ops, "set")
		}
	}
	if w.Ops["set_ttl"] > 0 && w.TTL == 0 {
		w.TTL = time.Minute // SETEX seen, no TTL sampled: config's default
	}
}

// roundTTL keeps two significant digits of d, at least a millisecond
// (SET PX's resolution, config's smallest ttl).
func roundTTL(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return time.Millisecond
	}
	unit := time.Duration(math.Pow(10, math.Floor(math.Log10(float64(d)))-1))
	return max(d.Round(unit), time.Millisecond).Round(time.Millisecond)
}

// Unreproduced returns the calls of commands that are neither mapped to
// an op nor connection or server commands, the most calls first.
func (p *Profile) Unreproduced() []Unmapped {
	var out []Unmapped
	for name, n := range p.Calls {
		if _, ok := commandOps[name]; !ok && !isAdmin(name) {
			out = append(out, Unmapped{name, n})
		}
	}
	slices.SortFunc(out, func(a, b Unmapped) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Command, b.Command))
	})
	return out
}

// AdminCalls returns the calls of connection and server commands (PING,
// INFO, CLIENT …): left out of the mix.
func (p *Profile) AdminCalls() (calls uint64, names []string) {
	for _, name := range slices.Sorted(maps.Keys(p.Calls)) {
		if isAdmin(name) {
			calls += p.Calls[name]
			names = append(names, name)
		}
	}
	return calls, names
}
