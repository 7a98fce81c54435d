package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// A workload's own checks, and those between workloads.

func (v validator) workload(p string, w *Workload, raw map[string]any, targets names) {
	v.name(p+".name", w.Name)

	known := "no targets are defined"
	if len(targets.set) > 0 {
		known = "targets are: " + targets.list
	}
	seen := map[string]int{}
	for j, name := range w.Targets {
		tp := indexPath(p+".targets", j)
		if k, dup := seen[name]; dup {
			v.add(tp, fmt.Sprintf("duplicate target %s (also targets[%d])", quote(name), k))
			continue
		}
		seen[name] = j
		if !targets.set[name] {
			v.add(tp, fmt.Sprintf("unknown target %s; %s", quote(name), known))
		}
	}

	if w.Type == workload.KindReplay {
		v.replay(p, w, raw)
		return
	}
	k := w.Keys
	v.between(p+".keys.count", k.Count, 1, maxKeyCount)
	v.oneOf(p+".keys.distribution", string(k.Distribution), strs(distributions)...)
	switch {
	case k.Distribution == workload.Zipfian && !(k.ZipfExponent > 0):
		v.add(p+".keys.zipf_exponent", "must be > 0, got "+formatFloat(k.ZipfExponent))
	case k.Distribution != workload.Zipfian && k.ZipfExponent != 0:
		v.add(p+".keys.zipf_exponent", fmt.Sprintf("not used by distribution %s; used by %s", quote(string(k.Distribution)), workload.Zipfian))
	}

	v.values(p+".values", w.Values, raw)

	if v.oneOf(p+".type", string(w.Type), workloadTypes()...) {
		v.ops(p, w)
		v.structure(p, w)
	}
	if v.positive(p+".ttl", w.TTL) && w.TTL < minTTL {
		v.add(p+".ttl", fmt.Sprintf("must be >= %v, got %s", minTTL, describe(w.TTL)))
	}
	v.between(p+".mget_batch", w.MGetBatch, 1, maxMGetBatch)
	v.between(p+".pipeline", w.Pipeline, 1, maxPipeline)
	if w.MaxInflight < 0 || w.MaxInflight > maxInflight {
		// 0 is derived by the plan (runner.MaxInFlightFor): enough to ride
		// out a stall of each target's read_timeout at the peak rate.
		v.add(p+".max_inflight", fmt.Sprintf("must be 0 (derived from the peak rate and each target's read_timeout) or between 1 and %d, got %d",
			maxInflight, w.MaxInflight))
	}

	rraw, _ := raw["rate"].(map[string]any)
	v.rate(p+".rate", &w.Rate, rraw)
}

// ops checks the op mix against the ops of the workload's type.
func (v validator) ops(p string, w *Workload) {
	allowed := workload.OpNamesFor(w.Type)
	for _, name := range slices.Sorted(maps.Keys(w.Ops)) {
		op := keyPath(p+".ops", name)
		if !slices.Contains(allowed, name) {
			v.add(op, fmt.Sprintf("not an op of type %s; allowed: %s", w.Type, strings.Join(allowed, ", ")))
			continue
		}
		v.between(op, w.Ops[name], 0, maxWeight)
	}
	if len(w.Ops.Weights(w.Type)) == 0 && !v.brokenUnder(p+".ops") {
		v.add(p+".ops", "at least one weight must be > 0")
	}
}

// clusterOps checks that the ops that span several keys do not run on a
// cluster-mode target.
func (v validator) clusterOps(p string, w *Workload, targets []Target) {
	if !slices.Contains(workload.Kinds(), w.Type) {
		return
	}
	allowed := workload.OpNamesFor(w.Type)
	for _, name := range slices.Sorted(maps.Keys(w.Ops)) {
		if w.Ops[name] <= 0 || !workload.MultiKey(name) || !slices.Contains(allowed, name) {
			continue
		}
		for _, t := range targets {
			if t.Mode == target.Cluster && w.RunsOn(t.Name) {
				v.add(keyPath(p+".ops", name), fmt.Sprintf("not supported on cluster-mode targets (keys span hash slots); target %s is cluster", quote(t.Name)))
			}
		}
	}
}

// structure checks the element settings, which only structures use.
func (v validator) structure(p string, w *Workload) {
	if w.Type == workload.KindKV {
		// Zero values are what a written-out effective config holds.
		structures := slices.DeleteFunc(workload.Kinds(), func(k workload.Kind) bool { return k == workload.KindKV })
		unused := fmt.Sprintf("not used by type %s; used by %s", workload.KindKV, strings.Join(strs(structures), ", "))
		if w.Elements.Count != 0 || w.Elements.Size != 0 || len(w.Elements.Sizes) > 0 {
			v.add(p+".elements", unused)
		}
		if w.Range != 0 {
			v.add(p+".range", unused)
		}
		return
	}
	v.between(p+".elements.count", w.Elements.Count, 1, maxElements)
	switch {
	case len(w.Elements.Sizes) == 0:
		v.between(p+".elements.size", w.Elements.Size, 1, maxElementSize)
	case w.Elements.Size != 0:
		v.add(p+".elements.size", "cannot be combined with elements.sizes; set either size or sizes")
	default:
		v.sizeTable(p+".elements.sizes", w.Elements.Sizes, maxElementSize)
	}
	v.between(p+".range", w.Range, 1, maxRange)
}

func (v validator) values(p string, vs Values, raw map[string]any) {
	if len(vs.Sizes) > 0 {
		v.sizeTable(p+".sizes", vs.Sizes, maxValueSize)
		for _, k := range []string{"size", "min_size", "max_size"} {
			if has(raw, "values", k) {
				v.add(p+"."+k, "cannot be combined with sizes; set either sizes, size, or both min_size and max_size")
			}
		}
		return
	}
	if !vs.Ranged() {
		v.between(p+".size", vs.Size, 1, maxValueSize)
		return
	}
	if vs.Size != 0 {
		v.add(p+".size", "cannot be combined with min_size and max_size; set either size or both min_size and max_size")
	}
	ok := true
	for _, b := range []struct {
		key, other string
		n          int
	}{{"min_size", "max_size", vs.MinSize}, {"max_size", "min_size", vs.MaxSize}} {
		if !has(raw, "values", b.key) {
			v.add(p+"."+b.key, "required when "+b.other+" is set")
			ok = false
		} else {
			ok = v.between(p+"."+b.key, b.n, 1, maxValueSize) && ok
		}
	}
	if ok && vs.MinSize > vs.MaxSize {
		v.add(p+".min_size", fmt.Sprintf("must be <= max_size (%d), got %d", vs.MaxSize, vs.MinSize))
	}
}

// prefixes checks that no two workloads write into the same keys: one
// workload's DEL or SET would skew the other's hit rate.
func (v validator) prefixes(ws []Workload) {
	for j := range ws {
		pj := ws[j].Keys.Prefix
		if pj == "" { // defaulted from an invalid name, which is reported
			continue
		}
		for i := range j {
			pi := ws[i].Keys.Prefix
			if pi == "" {
				continue
			}
			other := indexPath("workloads", i) + ".keys.prefix"
			var msg string
			switch {
			case pi == pj:
				msg = fmt.Sprintf("%s is also %s", quote(pj), other)
			case strings.HasPrefix(pi, pj):
				msg = fmt.Sprintf("%s is a prefix of %s %s", quote(pj), other, quote(pi))
			case strings.HasPrefix(pj, pi):
				msg = fmt.Sprintf("%s starts with %s %s", quote(pj), other, quote(pi))
			default:
				continue
			}
			v.add(indexPath("workloads", j)+".keys.prefix", msg+"; key spaces must not overlap")
			break
		}
	}
}

// distributions are the key distributions, in the order messages list them.
var distributions = []workload.Distribution{workload.Uniform, workload.Zipfian, workload.Sequential}
