package results_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/results"
)

// sample is one recorded result of a synthetic run.
type sample struct {
	op        int
	due       float64 // seconds since the run's start
	queue, sv time.Duration
	out       result.Outcome
}

func samples(seed uint64, n int) []sample {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]sample, n)
	for i := range out {
		s := sample{
			op:    rng.IntN(2),
			due:   5 + 10*float64(i)/float64(n), // window [5, 15)
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
			r.Record(result.Result{Op: s.op, Intended: due, Outcome: s.out})
			continue
		}
		class := result.ClassNone
		if s.out == result.Error {
			class = result.ClassTimeout
		}
		r.Record(result.Result{Op: s.op, Intended: due, Sent: due.Add(s.queue), Done: due.Add(s.queue + s.sv), Outcome: s.out, Class: class})
	}
}

// runOf records ss as one run starting at start, with targets a (redis) and
// b (valkey) seeing the same samples.
func runOf(start time.Time, ss []sample) *results.Run {
	run := &results.Run{
		Schema: results.SchemaVersion,
		Meta: results.Meta{
			Tool: "ecbench", Start: start, End: start.Add(17 * time.Second),
			Warmup: 5 * time.Second, Duration: 10 * time.Second,
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
		r := results.NewRecorder(tg.Name, "w", []string{"get", "set"}, start, start.Add(5*time.Second))
		r.SetEngine(tg.Engine)
		r.SetEnd(start.Add(15 * time.Second))
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
		if m.OK != a.OK || m.Miss != a.Miss || m.Errors != a.Errors || m.Dropped != a.Dropped ||
			!reflect.DeepEqual(m.ErrorClasses, a.ErrorClasses) {
			t.Errorf("%s/%s: counts differ", m.Target, m.Op)
		}
		// Intervals are concatenated: seconds 5..14 of each run, each run
		// placed 15 s (the end of its last interval) after the previous one.
		if len(m.Intervals) != 30 {
			t.Fatalf("%s/%s: %d intervals, want 30", m.Target, m.Op, len(m.Intervals))
		}
		for j, iv := range m.Intervals {
			want := int64(5 + j%10 + 15*(j/10))
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
		}, "runs cannot be merged: run 2 has schema 0, not 2 (run 1's)", results.ErrMismatch},
		// Schema 1's latency includes errors: merging it with schema 2's
		// would mix two meanings.
		{"schema 1", func() []*results.Run {
			r := base()
			r.Schema = 1
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2 has schema 1, not 2 (run 1's)", results.ErrMismatch},
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
		{"interval length differs", func() []*results.Run {
			r := base()
			r.Series[0].IntervalSeconds = 10
			return []*results.Run{base(), r}
		}, "runs cannot be merged: run 2: series a/w/get has 10 s intervals, an earlier run has 1 s", results.ErrMismatch},
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
				t.Fatalf("Merge succeeded: %+v", m)
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
