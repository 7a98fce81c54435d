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
//   - Intervals are concatenated in run order. Every workload's series
//     get its coarsest row length in any run: a series with shorter rows
//     is rebinned to it (Series.Rebin; lengths must nest, as the
//     recorder's 100 ms · 2^k do, else the runs do not merge). T is then
//     shifted so that each run's rows come after the previous run's: run
//     i's rows start after the spans of the runs before it, a run's span
//     being the end of its last row (over all its series), rounded up to
//     a whole row of the longest length L of the merge. All series of a
//     run get the same offset in seconds, a whole number of rows of
//     every length, so rows stay aligned across targets. T of a merged
//     run is therefore a position in the concatenation, not a wall-clock
//     offset. Merging is associative when every run has the same row
//     lengths. When a merged run is merged again with runs of longer rows,
//     its own runs' offsets need not be whole rows of the new length: a
//     longer row whose rows are all there may then hold the end of one of
//     its runs and the start of the next (Rebin's rule).
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
//   - Replays are every run's records, one per replay workload and run.
//
//   - Servers (schema 4) are every run's records, one per (target,
//     workload) and run: Efficiencies pools them, each figure a sum of
//     the runs' differences over a sum of their counts. A target's price
//     is its first appearance's (prices are not part of Config: runs
//     priced differently still merge).
//
// The runs must share one meaning of their series (a schema-1 run's
// latency includes errors, a schema-3 run's the lower bounds of dropped
// requests, so each merges with runs of its own schema only, and the
// merged run keeps that schema; schemas 3 and 4 differ only by server data
// and merge into 4) and the same Config, compared as JSON values (the error names
// the first key that differs). The merged Config is a generic JSON copy.
// The inputs are not modified; the result shares nothing with them but the
// rows' histograms, which are immutable.
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
		if seriesSchema(r.Schema) != seriesSchema(runs[0].Schema) || r.Schema < 1 || r.Schema > SchemaVersion {
			want := fmt.Sprintf("%d", SchemaVersion)
			if s := runs[0].Schema; s >= 1 && s <= SchemaVersion {
				want = fmt.Sprintf("%d (run 1's)", s)
				if seriesSchema(s) == seriesSchema(SchemaVersion) {
					want = fmt.Sprintf("3 or %d (run 1's is %d)", SchemaVersion, s)
				}
			}
			return nil, fmt.Errorf("%w: run %d has schema %d, not %s", ErrMismatch, i+1, r.Schema, want)
		}
		schema = max(schema, r.Schema)
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
	for _, r := range runs {
		out.Servers = append(out.Servers, cloneServers(r.Servers)...)
		out.Replays = append(out.Replays, cloneReplays(r.Replays)...)
	}
	return out, nil
}

// seriesSchema is the schema whose series meaning a run's schema has:
// schema 4 added server data and changed nothing of the series, so runs of
// 3 and 4 merge (into 4; the schema-3 runs bring no server data).
func seriesSchema(schema int) int {
	if schema == 4 {
		return 3
	}
	return schema
}

// cloneReplays copies replay records, one per workload and run.
func cloneReplays(rs []Replay) []Replay {
	out := make([]Replay, len(rs))
	for i, r := range rs {
		r.Skipped = maps.Clone(r.Skipped)
		r.FirstMalformed = slices.Clone(r.FirstMalformed)
		out[i] = r
	}
	return out
}

// cloneServers copies server records deep enough that the merged run
// shares nothing with its inputs.
func cloneServers(ss []Server) []Server {
	out := make([]Server, len(ss))
	for i, s := range ss {
		for _, p := range []**ServerSnapshot{&s.BeforePreload, &s.AfterPreload, &s.BeforeMeasure, &s.AfterMeasure} {
			if *p == nil {
				continue
			}
			c := **p
			c.RunIDs = slices.Clone(c.RunIDs)
			c.Calls = maps.Clone(c.Calls)
			*p = &c
		}
		out[i] = s
	}
	return out
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

// rowLengths returns the row length each workload's series get in the
// merged run (the coarsest of any run) and the longest of them, checking
// that every series' length divides its workload's and each workload's
// divides the longest.
func rowLengths(runs []*Run) (map[string]float64, float64, error) {
	byWorkload := map[string]float64{}
	longest := 0.0
	for _, r := range runs {
		for _, s := range r.Series {
			l := max(byWorkload[s.Workload], s.IntervalLength())
			byWorkload[s.Workload] = l
			longest = max(longest, l)
		}
	}
	for i, r := range runs {
		for _, s := range r.Series {
			if _, ok := wholeRatio(byWorkload[s.Workload], s.IntervalLength()); !ok {
				return nil, 0, fmt.Errorf("%w: run %d: series %s/%s/%s has %g s intervals, which do not divide workload %s's %g s intervals",
					ErrMismatch, i+1, s.Target, s.Workload, s.Op, s.IntervalLength(), s.Workload, byWorkload[s.Workload])
			}
		}
	}
	for _, w := range slices.Sorted(maps.Keys(byWorkload)) {
		l := byWorkload[w]
		if _, ok := wholeRatio(longest, l); !ok {
			return nil, 0, fmt.Errorf("%w: workload %s has %g s intervals, which do not divide the %g s intervals of another",
				ErrMismatch, w, l, longest)
		}
	}
	return byWorkload, longest, nil
}

func mergeSeries(out *Run, runs []*Run) error {
	lengths, longest, err := rowLengths(runs)
	if err != nil {
		return err
	}
	index := make(map[seriesKey]int) // -> index in out.Series
	var offset int64                 // in rows of the longest length
	for i, r := range runs {
		inRun := make(map[seriesKey]bool, len(r.Series))
		for _, s := range r.Series {
			key := seriesKey{s.Target, s.Workload, s.Op}
			name := s.Target + "/" + s.Workload + "/" + s.Op
			if inRun[key] {
				return fmt.Errorf("%w: run %d: series %s appears twice", ErrMismatch, i+1, name)
			}
			inRun[key] = true
			l := lengths[s.Workload]
			if s.IntervalLength() != l {
				var err error
				if s, err = s.Rebin(l); err != nil { // rowLengths checked l
					return fmt.Errorf("%w: run %d: %w", ErrMismatch, i+1, err)
				}
			}
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
			m.Seconds += s.Seconds
			m.OK += s.OK
			m.Miss += s.Miss
			m.Errors += s.Errors
			m.Dropped += s.Dropped
			m.LowerBounds += s.LowerBounds
			for c, n := range s.ErrorClasses {
				if m.ErrorClasses == nil {
					m.ErrorClasses = make(map[string]uint64)
				}
				m.ErrorClasses[c] += n
			}
			m.Latency.merge(s.Latency)
			m.Service.merge(s.Service)
			m.ErrorLatency.merge(s.ErrorLatency)
			per, _ := wholeRatio(longest, l)
			for _, iv := range s.Intervals {
				iv.T += offset * per
				m.Intervals = append(m.Intervals, iv)
			}
		}
		offset += span(r, longest)
	}
	return nil
}

// span is how many rows of length l a run's intervals occupy: up to the end
// of its last row, rounded up to whole rows. Counting from T 0 rather than
// from the first row keeps each run's leading (warm-up) gap, and ignoring
// the run's wall-clock length makes merging associative: Merge(Merge(a, b),
// c) equals Merge(a, b, c) when all have the same row lengths.
func span(r *Run, l float64) int64 {
	var n int64
	for _, s := range r.Series {
		if k := len(s.Intervals); k > 0 {
			end := float64(s.Intervals[k-1].T+1) * s.IntervalLength() / l
			rows := math.Round(end)
			if math.Abs(end-rows) > 1e-9*max(rows, 1) {
				rows = math.Ceil(end)
			}
			n = max(n, int64(rows))
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
			out.Generator[j].Merge(g)
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
