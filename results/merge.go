package results

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Merge merges runs of the same configuration (say, the same benchmark
// repeated on several days) into one run, in the order given.
//
//   - Series are matched by (target, workload, op); their engines must
//     agree. Counts and error classes are added and histograms merged
//     exactly, so the merged percentiles are those of all the samples.
//
//   - Intervals are concatenated in run order. T is shifted so that each
//     run's intervals come after the previous run's: run i's T is offset by
//     the spans of the runs before it, a run's span being the end of its
//     last interval (T+1 of its last row, over all its series). All series
//     of a run get the same offset, so seconds stay aligned across targets.
//     T of a merged run is therefore a position in the concatenation, not a
//     wall-clock offset; merging is associative.
//
//   - Meta comes from the first run, except: Start is the earliest start,
//     End the latest end, Duration the sum of the durations, and
//     MergedStarts lists every original run's start (flattening runs that
//     were merged before).
//
//   - Targets are the union by name; a name seen with two engines is an
//     error. A target's other fields come from its first appearance.
//
//   - Generator reports are merged by (target, workload): the longest
//     schedule lag, the sum of drops, the largest in-flight bound.
//
// The runs must share one schema (a schema-1 run's latency includes errors,
// so it merges with other schema-1 runs but not with later ones; the merged
// run keeps that schema) and the same Config, compared as JSON
// values (the error names the first key that differs). The merged Config
// is a generic JSON copy. The inputs are not modified; the result shares
// nothing with them.
func Merge(runs ...*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, ErrNoRuns
	}
	for i, r := range runs {
		if r == nil {
			return nil, fmt.Errorf("%w: run %d is nil", ErrMismatch, i+1)
		}
	}
	schema := runs[0].Schema
	for i, r := range runs {
		if r.Schema != schema || r.Schema < 1 || r.Schema > SchemaVersion {
			want := fmt.Sprintf("%d", SchemaVersion)
			if schema >= 1 && schema <= SchemaVersion {
				want = fmt.Sprintf("%d (run 1's)", schema)
			}
			return nil, fmt.Errorf("%w: run %d has schema %d, not %s", ErrMismatch, i+1, r.Schema, want)
		}
	}
	cfg, err := genericJSON(runs[0].Meta.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: run 1: config: %w", ErrMismatch, err)
	}
	for i, r := range runs[1:] {
		c, err := genericJSON(r.Meta.Config)
		if err != nil {
			return nil, fmt.Errorf("%w: run %d: config: %w", ErrMismatch, i+2, err)
		}
		if path, differ := jsonDiff("config", cfg, c); differ {
			return nil, fmt.Errorf("%w: run %d: %s differs from run 1's", ErrMismatch, i+2, path)
		}
	}

	out := &Run{Schema: schema, Meta: mergeMeta(runs)}
	out.Meta.Config = cfg
	if err := mergeTargets(out, runs); err != nil {
		return nil, err
	}
	if err := mergeSeries(out, runs); err != nil {
		return nil, err
	}
	mergeGenerators(out, runs)
	return out, nil
}

func mergeMeta(runs []*Run) Meta {
	m := runs[0].Meta
	m.Command = slices.Clone(m.Command)
	m.Duration = 0
	m.MergedStarts = nil
	for _, r := range runs {
		if r.Meta.Start.Before(m.Start) {
			m.Start = r.Meta.Start
		}
		if r.Meta.End.After(m.End) {
			m.End = r.Meta.End
		}
		m.Duration += r.Meta.Duration
		if len(r.Meta.MergedStarts) > 0 {
			m.MergedStarts = append(m.MergedStarts, r.Meta.MergedStarts...)
		} else {
			m.MergedStarts = append(m.MergedStarts, r.Meta.Start)
		}
	}
	return m
}

func mergeTargets(out *Run, runs []*Run) error {
	seen := make(map[string]int) // name -> index in out.Targets
	for i, r := range runs {
		for _, t := range r.Targets {
			j, ok := seen[t.Name]
			if !ok {
				seen[t.Name] = len(out.Targets)
				out.Targets = append(out.Targets, t)
				continue
			}
			if prev := out.Targets[j].Engine; prev != t.Engine {
				return fmt.Errorf("%w: run %d: target %q is engine %q, an earlier run says %q",
					ErrMismatch, i+1, t.Name, t.Engine, prev)
			}
		}
	}
	return nil
}

type seriesKey struct{ target, workload, op string }

func mergeSeries(out *Run, runs []*Run) error {
	index := make(map[seriesKey]int) // -> index in out.Series
	var offset int64
	for i, r := range runs {
		inRun := make(map[seriesKey]bool, len(r.Series))
		for _, s := range r.Series {
			key := seriesKey{s.Target, s.Workload, s.Op}
			name := s.Target + "/" + s.Workload + "/" + s.Op
			if inRun[key] {
				return fmt.Errorf("%w: run %d: series %s appears twice", ErrMismatch, i+1, name)
			}
			inRun[key] = true
			j, ok := index[key]
			if !ok {
				index[key] = len(out.Series)
				out.Series = append(out.Series, Series{
					Target: s.Target, Engine: s.Engine, Workload: s.Workload, Op: s.Op,
					Latency: Histogram{newHDR()}, Service: Histogram{newHDR()},
					ErrorLatency:    Histogram{newHDR()},
					IntervalSeconds: s.IntervalSeconds,
				})
				j = len(out.Series) - 1
			}
			m := &out.Series[j]
			if m.Engine != s.Engine {
				return fmt.Errorf("%w: run %d: series %s is engine %q, an earlier run says %q",
					ErrMismatch, i+1, name, s.Engine, m.Engine)
			}
			if m.IntervalSeconds != s.IntervalSeconds {
				return fmt.Errorf("%w: run %d: series %s has %g s intervals, an earlier run has %g s",
					ErrMismatch, i+1, name, s.IntervalSeconds, m.IntervalSeconds)
			}
			m.Seconds += s.Seconds
			m.OK += s.OK
			m.Miss += s.Miss
			m.Errors += s.Errors
			m.Dropped += s.Dropped
			for c, n := range s.ErrorClasses {
				if m.ErrorClasses == nil {
					m.ErrorClasses = make(map[string]uint64)
				}
				m.ErrorClasses[c] += n
			}
			m.Latency.merge(s.Latency)
			m.Service.merge(s.Service)
			m.ErrorLatency.merge(s.ErrorLatency)
			for _, iv := range s.Intervals {
				iv.T += offset
				m.Intervals = append(m.Intervals, iv)
			}
		}
		offset += span(r)
	}
	return nil
}

// span is how many seconds of T a run's intervals occupy: up to the end of
// its last interval. Counting from T 0 rather than from the first interval
// keeps each run's leading (warm-up) gap, and ignoring the run's wall-clock
// length makes merging associative: Merge(Merge(a, b), c) equals
// Merge(a, b, c).
func span(r *Run) int64 {
	var n int64
	for _, s := range r.Series {
		if k := len(s.Intervals); k > 0 {
			n = max(n, s.Intervals[k-1].T+int64(math.Ceil(s.IntervalLength())))
		}
	}
	return n
}

// mergeGenerators merges generator reports by (target, workload): the
// worst lag, the sum of drops, the largest bound.
func mergeGenerators(out *Run, runs []*Run) {
	index := make(map[[2]string]int)
	for _, r := range runs {
		for _, g := range r.Generator {
			key := [2]string{g.Target, g.Workload}
			j, ok := index[key]
			if !ok {
				index[key] = len(out.Generator)
				out.Generator = append(out.Generator, g)
				continue
			}
			m := &out.Generator[j]
			m.MaxScheduleLag = max(m.MaxScheduleLag, g.MaxScheduleLag)
			m.Dropped += g.Dropped
			m.MaxInFlight = max(m.MaxInFlight, g.MaxInFlight)
			m.OpenLoop = m.OpenLoop && g.OpenLoop
		}
	}
}

// genericJSON returns v as encoding/json decodes it into an any: a deep copy
// made of maps, slices, float64, string and bool, comparable across runs
// whether v was written by the caller or read back from a file.
func genericJSON(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonDiff returns the path of the first place where two generic JSON values
// differ, in key order.
func jsonDiff(path string, a, b any) (string, bool) {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return path, true
		}
		keys := slices.Collect(maps.Keys(a))
		for k := range bm {
			if _, ok := a[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, aok := a[k]
			bv, bok := bm[k]
			if aok != bok {
				return path + "." + k, true
			}
			if p, differ := jsonDiff(path+"."+k, av, bv); differ {
				return p, true
			}
		}
		return "", false
	case []any:
		bs, ok := b.([]any)
		if !ok || len(bs) != len(a) {
			return path, true
		}
		for i := range a {
			if p, differ := jsonDiff(fmt.Sprintf("%s[%d]", path, i), a[i], bs[i]); differ {
				return p, true
			}
		}
		return "", false
	default: // nil, float64, string, bool: comparable
		return path, a != b
	}
}
