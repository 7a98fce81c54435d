package results_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loghist"
	"github.com/ecbench/ecbench/results"
)

// sample is one recorded result of a synthetic run.
type sample struct {
	op        int
	due       float64 // seconds since the run's start
	queue, sv time.Duration
	out       result.Outcome
}

func samples(seed uint64, n int) []sample { return samplesIn(seed, n, 5, 15) }

// samplesIn returns n samples due in [from, to).
func samplesIn(seed uint64, n int, from, to float64) []sample {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]sample, n)
	for i := range out {
		s := sample{
			op:    rng.IntN(2),
			due:   from + (to-from)*float64(i)/float64(n),
			queue: time.Duration(rng.ExpFloat64() * float64(20*time.Microsecond)),
			sv:    time.Duration(math.Exp(rng.NormFloat64())*float64(100*time.Microsecond)) + 30*time.Microsecond,
			out:   result.OK,
		}
		switch r := rng.IntN(100); {
		case r < 10:
			s.out = result.Miss
		case r < 12:
			s.out = result.Error
		case r < 13:
			s.out = result.Dropped
		case r < 14:
			s.out, s.queue = result.Dropped, -1 // with a lower bound: freed after sv
		}
		if rng.IntN(1000) == 0 {
			s.sv = time.Duration(rng.IntN(3)) * time.Second // rare stalls
		}
		out[i] = s
	}
	return out
}

func record(r *results.Recorder, start time.Time, ss []sample) {
	for _, s := range ss {
		due := start.Add(time.Duration(s.due * float64(time.Second)))
		if s.out == result.Dropped {
			x := result.Result{Op: s.op, Intended: due, Outcome: s.out}
			if s.queue < 0 {
				x.Done = due.Add(s.sv)
			}
			r.Record(x)
			continue
		}
		class := result.ClassNone
		if s.out == result.Error {
			class = result.ClassTimeout
		}
		r.Record(result.Result{Op: s.op, Intended: due, Sent: due.Add(s.queue), Done: due.Add(s.queue + s.sv), Outcome: s.out, Class: class})
	}
}

// runOf records ss as one run starting at start, measured from 5 s to 15 s,
// with targets a (redis) and b (valkey) seeing the same samples.
func runOf(start time.Time, ss []sample) *results.Run { return runWindow(start, 5, 15, ss) }

// runWindow is runOf measured from warmup to end (seconds after start).
func runWindow(start time.Time, warmup, end float64, ss []sample) *results.Run {
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	run := &results.Run{
		Schema: results.SchemaVersion,
		Meta: results.Meta{
			Tool: "ecbench", Start: start, End: start.Add(sec(end + 2)),
			Warmup: sec(warmup), Duration: sec(end - warmup),
			Config: map[string]any{"rate": 1000, "ops": []string{"get", "set"}},
		},
		Targets: []results.Target{{Name: "a", Engine: "redis"}, {Name: "b", Engine: "valkey"}},
	}
	var drops uint64
	for _, s := range ss {
		if s.out == result.Dropped {
			drops++
		}
	}
	for _, tg := range run.Targets {
		run.Generator = append(run.Generator, results.Generator{
			Target: tg.Name, Workload: "w", MaxScheduleLag: time.Duration(len(ss)) * time.Microsecond,
			Dropped: drops, MaxInFlight: 100,
		})
	}
	for _, tg := range run.Targets {
		r := results.NewRecorder(tg.Name, "w", []string{"get", "set"}, start, start.Add(sec(warmup)))
		r.SetEngine(tg.Engine)
		r.SetEnd(start.Add(sec(end)))
		record(r, start, ss)
		run.Series = append(run.Series, r.Series()...)
	}
	return run
}

// Merging runs gives exactly the statistics of one run that saw all their
// samples.
func TestMergeExact(t *testing.T) {
	t.Parallel()
	s1, s2, s3 := samples(1, 20000), samples(2, 5000), samples(3, 12000)
	day := 24 * time.Hour
	r1, r2, r3 := runOf(at(0), s1), runOf(at(0).Add(day), s2), runOf(at(0).Add(2*day), s3)
	merged, err := results.Merge(r1, r2, r3)
	if err != nil {
		t.Fatal(err)
	}
	all := runOf(at(0), append(append(append([]sample(nil), s1...), s2...), s3...))

	if len(merged.Series) != len(all.Series) {
		t.Fatalf("%d merged series, want %d", len(merged.Series), len(all.Series))
	}
	for i := range all.Series {
		m, a := merged.Series[i], all.Series[i]
		if m.Target != a.Target || m.Op != a.Op || m.Engine != a.Engine {
			t.Fatalf("series %d is %s/%s, want %s/%s", i, m.Target, m.Op, a.Target, a.Op)
		}
		ms, as := m.Stats(), a.Stats()
		// Throughput differs: the merged run has three runs' worth of
		// seconds. Everything else is the same to the last bit.
		ms.Throughput, as.Throughput = 0, 0
		if ms != as {
			t.Errorf("%s/%s: merged stats\n%+v\nwant\n%+v", m.Target, m.Op, ms, as)
		}
		if !m.Latency.HDR().Equals(a.Latency.HDR()) || !m.Service.HDR().Equals(a.Service.HDR()) ||
			!m.ErrorLatency.HDR().Equals(a.ErrorLatency.HDR()) {
			t.Errorf("%s/%s: merged histograms differ from the single run's", m.Target, m.Op)
		}
		if n := uint64(m.ErrorLatency.Count()); n != m.Errors || n == 0 {
			t.Errorf("%s/%s: %d merged error latencies, want %d (nonzero)", m.Target, m.Op, n, m.Errors)
		}
		if m.OK != a.OK || m.Miss != a.Miss || m.Errors != a.Errors || m.Dropped != a.Dropped || m.LowerBounds != a.LowerBounds ||
			!reflect.DeepEqual(m.ErrorClasses, a.ErrorClasses) {
			t.Errorf("%s/%s: counts differ", m.Target, m.Op)
		}
		// Intervals are concatenated: rows 50..149 (5 s to 15 s) of each
		// run, each run placed 150 rows (the end of its last row) after
		// the previous one.
		if len(m.Intervals) != 300 || m.IntervalSeconds != 0.1 {
			t.Fatalf("%s/%s: %d intervals of %v s, want 300 of 0.1 s", m.Target, m.Op, len(m.Intervals), m.IntervalSeconds)
		}
		for j, iv := range m.Intervals {
			want := int64(50 + j%100 + 150*(j/100))
			if iv.T != want {
				t.Errorf("%s/%s: interval %d has t=%d, want %d", m.Target, m.Op, j, iv.T, want)
			}
		}
		var in []results.Interval
		for _, r := range []*results.Run{r1, r2, r3} {
			in = append(in, r.Series[i].Intervals...)
		}
		for j := range in {
			in[j].T = m.Intervals[j].T
		}
		if !reflect.DeepEqual(m.Intervals, in) {
			t.Errorf("%s/%s: merged intervals are not the runs' intervals", m.Target, m.Op)
		}
	}

	meta := merged.Meta
	if !meta.Start.Equal(r1.Meta.Start) || !meta.End.Equal(r3.Meta.End) || meta.Duration != 30*time.Second ||
		meta.Warmup != 5*time.Second {
		t.Errorf("meta = %+v", meta)
	}
	if want := map[string]any{"rate": float64(1000), "ops": []any{"get", "set"}}; !reflect.DeepEqual(meta.Config, want) {
		t.Errorf("config = %#v, want %#v (generic JSON)", meta.Config, want)
	}
	wantGen := results.Generator{Target: "a", Workload: "w", MaxScheduleLag: 20 * time.Millisecond, Dropped: all.Generator[0].Dropped, MaxInFlight: 100}
	if len(merged.Generator) != 2 || merged.Generator[0] != wantGen {
		t.Errorf("generator = %+v, want [%+v, …]", merged.Generator, wantGen)
	}
	if want := []time.Time{r1.Meta.Start, r2.Meta.Start, r3.Meta.Start}; !reflect.DeepEqual(meta.MergedStarts, want) {
		t.Errorf("MergedStarts = %v, want %v", meta.MergedStarts, want)
	}
	if !reflect.DeepEqual(merged.Targets, r1.Targets) {
		t.Errorf("targets = %+v", merged.Targets)
	}

	// Merging in steps gives the same as merging at once.
	r12, err := results.Merge(r1, r2)
	if err != nil {
		t.Fatal(err)
	}
	stepwise, err := results.Merge(r12, r3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stepwise, merged) {
		t.Error("Merge(Merge(r1, r2), r3) differs from Merge(r1, r2, r3)")
	}
}

func TestMergeDoesNotAlias(t *testing.T) {
	t.Parallel()
	r1 := runOf(at(0), samples(1, 1000))
	before := r1.Series[0].Latency.Count()
	m, err := results.Merge(r1)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := results.Merge(m, r1) // merges into copies, never into an input
	if err != nil {
		t.Fatal(err)
	}
	if r1.Series[0].Latency.Count() != before || m.Series[0].Latency.Count() != before {
		t.Errorf("inputs changed: %d, %d, want %d", r1.Series[0].Latency.Count(), m.Series[0].Latency.Count(), before)
	}
	if got := m2.Series[0].Latency.Count(); got != 2*before {
		t.Errorf("merged count %d, want %d", got, 2*before)
	}
	m.Series[0].Intervals[0].OK = 1 << 40
	if r1.Series[0].Intervals[0].OK == 1<<40 {
		t.Error("merged intervals share memory with the input")
	}
}

// Series that only some runs have, and formatting differences in Config,
// merge fine.
func TestMergeUnion(t *testing.T) {
	t.Parallel()
	r1 := runOf(at(0), samples(1, 1000))
	r2 := runOf(at(100), samples(2, 1000))
	r2.Meta.Config = json.RawMessage("{\n  \"ops\": [\"get\", \"set\"],\n  \"rate\": 1000.0\n}")
	r2.Series = r2.Series[:1]
	r2.Targets = append(r2.Targets, results.Target{Name: "c", Engine: "redis"})
	m, err := results.Merge(r1, r2)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Series) != 4 || len(m.Targets) != 3 {
		t.Fatalf("%d series, %d targets, want 4, 3", len(m.Series), len(m.Targets))
	}
	if got, want := m.Series[1].OK, r1.Series[1].OK; got != want {
		t.Errorf("series only in run 1: ok=%d, want %d", got, want)
	}
}

func TestMergeErrors(t *testing.T) {
	t.Parallel()
	base := func() *results.Run { return runOf(at(0), samples(1, 500)) }
	for _, tc := range []struct {
		name  string
		runs  func() []*results.Run
		want  string
		isErr error
	}{
		{"no runs", func() []*results.Run { return nil }, "no runs to merge", results.ErrNoRuns},
		{"nil run", func() []*results.Run { return []*results.Run{base(), nil} },
			"runs cannot be merged: run 2 is nil", results.ErrMismatch},
		{"other schema", func() []*results.Run {
			r := base()
			r.Schema = 0
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2 has schema 0, not 3 or 4 (run 1's is 4)", results.ErrMismatch},
		// Schema 1's latency includes errors, schema 2's no lower bounds:
		// merging either with schema 3's or 4's would mix two meanings.
		{"schema 1", func() []*results.Run {
			r := base()
			r.Schema = 1
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2 has schema 1, not 3 or 4 (run 1's is 4)", results.ErrMismatch},
		{"schema 2", func() []*results.Run {
			r := base()
			r.Schema = 2
			return []*results.Run{r, base()}
		}, "runs cannot be merged: run 2 has schema 4, not 2 (run 1's)", results.ErrMismatch},
		{"config differs", func() []*results.Run {
			r := base()
			r.Meta.Config = map[string]any{"rate": 2000, "ops": []string{"get", "set"}}
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2: config.rate differs from run 1's", results.ErrMismatch},
		{"config list differs", func() []*results.Run {
			r := base()
			r.Meta.Config = map[string]any{"rate": 1000, "ops": []string{"get", "del"}}
			return []*results.Run{base(), base(), r}
		}, "runs cannot be merged: run 3: config.ops[1] differs from run 1's", results.ErrMismatch},
		{"config key added", func() []*results.Run {
			r := base()
			r.Meta.Config = map[string]any{"rate": 1000, "ops": []string{"get", "set"}, "pipeline": 4}
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2: config.pipeline differs from run 1's", results.ErrMismatch},
		{"config not JSON", func() []*results.Run {
			r := base()
			r.Meta.Config = func() {}
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2: config: json: unsupported type: func()", results.ErrMismatch},
		{"config missing", func() []*results.Run {
			r := base()
			r.Meta.Config = nil
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2: config differs from run 1's", results.ErrMismatch},
		{"target engine differs", func() []*results.Run {
			r := base()
			r.Targets[1].Engine = "redis"
			return []*results.Run{base(), base(), r}
		}, `runs cannot be merged: run 3: target "b" is engine "redis", an earlier run says "valkey"`, results.ErrMismatch},
		{"series engine differs", func() []*results.Run {
			r := base()
			r.Series[0].Engine = "valkey"
			return []*results.Run{base(), r}
		}, `runs cannot be merged: run 2: series a/w/get is engine "valkey", an earlier run says "redis"`, results.ErrMismatch},
		{"interval lengths do not nest", func() []*results.Run {
			r := base()
			r.Series[0].IntervalSeconds = 0.15
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 1: series a/w/get has 0.1 s intervals, which do not divide workload w's 0.15 s intervals", results.ErrMismatch},
		{"workloads' lengths do not nest", func() []*results.Run {
			r := base()
			r.Series[0].Workload, r.Series[0].IntervalSeconds = "v", 0.25
			r.Series[1].Workload, r.Series[1].IntervalSeconds = "v", 0.25
			r.Series[2].Workload, r.Series[2].IntervalSeconds = "v", 0.25
			r.Series[3].Workload, r.Series[3].IntervalSeconds = "v", 0.25
			return []*results.Run{base(), r}
		}, "runs cannot be merged: workload w has 0.1 s intervals, which do not divide the 0.25 s intervals of another", results.ErrMismatch},
		{"duplicate series", func() []*results.Run {
			r := base()
			r.Series = append(r.Series, r.Series[0])
			return []*results.Run{r}
		}, "runs cannot be merged: run 1: series a/w/get appears twice", results.ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := results.Merge(tc.runs()...)
			if err == nil {
				t.Fatalf("Merge succeeded: %d series", len(m.Series))
			}
			if err.Error() != tc.want {
				t.Errorf("error\n%s\nwant\n%s", err, tc.want)
			}
			if !errors.Is(err, tc.isErr) {
				t.Errorf("error is not %v", tc.isErr)
			}
		})
	}
}

// Error latencies merge exactly, also with a series that has none (a
// hand-built run whose ErrorLatency is the zero Histogram).
func TestMergeErrorLatency(t *testing.T) {
	t.Parallel()
	us := time.Microsecond
	run := func(start time.Time, errs results.Histogram) *results.Run {
		return &results.Run{
			Schema: results.SchemaVersion,
			Meta:   results.Meta{Tool: "ecbench", Start: start, End: start.Add(time.Second)},
			Series: []results.Series{{
				Target: "a", Engine: "redis", Workload: "w", Op: "set",
				OK: 1, Errors: uint64(errs.Count()),
				Latency: results.HistOf(100 * us), Service: results.HistOf(90 * us),
				ErrorLatency: errs, IntervalSeconds: 1,
			}},
		}
	}
	tests := []struct {
		name string
		errs []results.Histogram
		want results.Histogram
	}{
		{"both", []results.Histogram{results.HistOf(40*us, 2*time.Second), results.HistOf(45*us, 45*us, time.Second)},
			results.HistOf(40*us, 45*us, 45*us, time.Second, 2*time.Second)},
		{"one without", []results.Histogram{{}, results.HistOf(3 * time.Millisecond)}, results.HistOf(3 * time.Millisecond)},
		{"none", []results.Histogram{{}, results.HistOf()}, results.HistOf()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var runs []*results.Run
			var before []int64
			for i, h := range tt.errs {
				runs = append(runs, run(at(float64(100*i)), h))
				before = append(before, h.Count())
			}
			m, err := results.Merge(runs...)
			if err != nil {
				t.Fatal(err)
			}
			s := m.Series[0]
			if !s.ErrorLatency.HDR().Equals(tt.want.HDR()) {
				t.Errorf("merged error latency: count %d p50 %v max %v, want count %d p50 %v max %v",
					s.ErrorLatency.Count(), s.ErrorLatency.Quantile(0.5), s.ErrorLatency.Max(),
					tt.want.Count(), tt.want.Quantile(0.5), tt.want.Max())
			}
			if s.Errors != uint64(tt.want.Count()) || s.Latency.Count() != int64(len(runs)) {
				t.Errorf("errors %d, latencies %d; want %d, %d", s.Errors, s.Latency.Count(), tt.want.Count(), len(runs))
			}
			for i, r := range runs { // inputs untouched
				if r.Series[0].ErrorLatency.Count() != before[i] {
					t.Errorf("run %d's error latency changed", i+1)
				}
			}
		})
	}
}

// TestMergeSchema1: runs written before error latencies had their own
// histogram merge with each other and stay schema 1.
func TestMergeSchema1(t *testing.T) {
	t.Parallel()
	old := func() *results.Run {
		r := &results.Run{Schema: 1, Meta: results.Meta{Config: map[string]any{"rate": 1000}}}
		return r
	}
	m, err := results.Merge(old(), old())
	if err != nil {
		t.Fatalf("two schema-1 runs: %v", err)
	}
	if m.Schema != 1 {
		t.Errorf("merged schema %d, want 1", m.Schema)
	}
}

// Runs with rows of different lengths merge: every workload gets the
// coarsest, the finer series rebinned to it, and each run's rows follow the
// previous run's, whole rows of it later.
func TestMergeRebins(t *testing.T) {
	t.Parallel()
	short := runOf(at(0), samples(1, 5000))                                    // 10 s: 100 ms rows
	long := runWindow(at(0).Add(time.Hour), 5, 65, samplesIn(2, 20000, 5, 65)) // 60 s: 200 ms rows
	if short.Series[0].IntervalSeconds != 0.1 || long.Series[0].IntervalSeconds != 0.2 {
		t.Fatalf("rows of %v and %v s, want 0.1 and 0.2", short.Series[0].IntervalSeconds, long.Series[0].IntervalSeconds)
	}
	for _, order := range [][]*results.Run{{short, long}, {long, short}} {
		m, err := results.Merge(order...)
		if err != nil {
			t.Fatal(err)
		}
		var offset int64 // in 200 ms rows
		var want [4][]results.Interval
		for _, r := range order {
			for i, s := range r.Series {
				s, err := s.Rebin(0.2)
				if err != nil {
					t.Fatal(err)
				}
				for _, iv := range s.Intervals {
					iv.T += offset
					want[i] = append(want[i], iv)
				}
			}
			last := r.Series[0].Intervals[len(r.Series[0].Intervals)-1]
			offset += int64(math.Ceil(float64(last.T+1) * r.Series[0].IntervalSeconds / 0.2))
		}
		for i, s := range m.Series {
			if s.IntervalSeconds != 0.2 || !reflect.DeepEqual(s.Intervals, want[i]) {
				t.Errorf("%s/%s: %d rows of %v s, not the runs' rows rebinned to 0.2 s and placed one after the other",
					s.Target, s.Op, len(s.Intervals), s.IntervalSeconds)
			}
			if got := loghist.Merge(s.IntervalHistograms()...).Count(); got == 0 || got > uint64(s.Latency.Count()) {
				t.Errorf("%s/%s: rows' histograms hold %d of %d latencies", s.Target, s.Op, got, s.Latency.Count())
			}
		}
		// Both targets' rows still pair one to one.
		for i := range m.Series[0].Intervals {
			if m.Series[0].Intervals[i].T != m.Series[2].Intervals[i].T {
				t.Fatalf("row %d: t=%d on a, t=%d on b", i, m.Series[0].Intervals[i].T, m.Series[2].Intervals[i].T)
			}
		}
	}
}

// Workloads keep their own row lengths; runs are placed whole rows of the
// longest after one another, so every workload's rows of one run share
// an offset in seconds.
func TestMergeWorkloadLengths(t *testing.T) {
	t.Parallel()
	run := func() *results.Run {
		return &results.Run{Schema: results.SchemaVersion, Series: []results.Series{
			{Target: "a", Engine: "redis", Workload: "fast", Op: "get", IntervalSeconds: 0.1,
				Intervals: []results.Interval{{T: 3, OK: 1}, {T: 4, OK: 2}}},
			{Target: "a", Engine: "redis", Workload: "slow", Op: "get", IntervalSeconds: 0.4,
				Intervals: []results.Interval{{T: 1, OK: 5}}},
		}}
	}
	m, err := results.Merge(run(), run())
	if err != nil {
		t.Fatal(err)
	}
	// Run 1 ends at 0.8 s (slow's row 1 ends there): run 2 starts 0.8 s,
	// 8 fast rows or 2 slow ones, later.
	fast, slow := m.Series[0], m.Series[1]
	if got := []int64{fast.Intervals[0].T, fast.Intervals[1].T, fast.Intervals[2].T, fast.Intervals[3].T}; !slices.Equal(got, []int64{3, 4, 11, 12}) {
		t.Errorf("fast rows at %v, want [3 4 11 12]", got)
	}
	if got := []int64{slow.Intervals[0].T, slow.Intervals[1].T}; !slices.Equal(got, []int64{1, 3}) || slow.IntervalSeconds != 0.4 {
		t.Errorf("slow rows at %v of %v s, want [1 3] of 0.4 s", got, slow.IntervalSeconds)
	}
}
