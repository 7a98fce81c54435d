package results_test

import (
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/results"
)

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// done is a completed result: due at intended (seconds), sent late by
// queue, answered after svc.
func done(op int, intended float64, queue, svc time.Duration, out result.Outcome, class result.Class) result.Result {
	i := at(intended)
	return result.Result{Op: op, Intended: i, Sent: i.Add(queue), Done: i.Add(queue + svc), Outcome: out, Class: class}
}

func ok(op int, intended float64, lat time.Duration) result.Result {
	return done(op, intended, 0, lat, result.OK, result.ClassNone)
}

func dropped(op int, intended float64) result.Result {
	return result.Result{Op: op, Intended: at(intended), Outcome: result.Dropped}
}

func seriesByOp(t *testing.T, ss []results.Series) map[string]results.Series {
	t.Helper()
	m := make(map[string]results.Series)
	for _, s := range ss {
		m[s.Op] = s
	}
	return m
}

func TestRecorderWarmup(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get", "set"}, at(0), at(5))
	r.Record(ok(0, 4.999, ms(10))) // due in warm-up, answered after: ignored
	r.Record(dropped(0, 4.5))      // dropped in warm-up: ignored
	r.Record(ok(1, 1, ms(1)))      // set only in warm-up: no series
	r.Record(ok(0, 5, ms(2)))      // due at the end of warm-up: counted
	r.Record(done(0, 6, 0, ms(3), result.Miss, result.ClassNone))
	r.SetEnd(at(8))

	ss := r.Series()
	if len(ss) != 1 || ss[0].Op != "get" {
		t.Fatalf("Series() = %d series %+v, want only get", len(ss), ss)
	}
	s := ss[0]
	if s.OK != 1 || s.Miss != 1 || s.Errors != 0 || s.Dropped != 0 {
		t.Errorf("counts ok=%d miss=%d errors=%d dropped=%d, want 1 1 0 0", s.OK, s.Miss, s.Errors, s.Dropped)
	}
	if n := s.Latency.Count(); n != 2 {
		t.Errorf("latency count = %d, want 2", n)
	}
	if s.Target != "a" || s.Workload != "w" || s.Engine != "unknown" || s.IntervalSeconds != 1 {
		t.Errorf("labels %q %q %q %v", s.Target, s.Workload, s.Engine, s.IntervalSeconds)
	}
	if got := s.Intervals[0]; got.T != 5 || got.OK != 1 {
		t.Errorf("first interval = %+v, want t=5 ok=1", got)
	}
}

func TestRecorderDroppedHasNoLatency(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	r.Record(dropped(0, 0.5))
	r.Record(dropped(0, 1.2))
	r.Record(ok(0, 1.1, ms(5)))
	r.SetEnd(at(2))
	s := r.Series()[0]
	if s.Dropped != 2 || s.OK != 1 {
		t.Errorf("dropped=%d ok=%d, want 2 1", s.Dropped, s.OK)
	}
	if s.Latency.Count() != 1 || s.Service.Count() != 1 {
		t.Errorf("latency count %d, service count %d, want 1 1", s.Latency.Count(), s.Service.Count())
	}
	want := []results.Interval{{T: 0, Dropped: 1}, {T: 1, OK: 1, Dropped: 1}}
	got := s.Intervals
	got[1].Mean, got[1].P50, got[1].P95, got[1].P99, got[1].P999, got[1].Max = 0, 0, 0, 0, 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("intervals = %+v, want %+v", got, want)
	}
	if st := s.Stats(); st.Dropped != 2 {
		t.Errorf("Stats().Dropped = %d, want 2", st.Dropped)
	}
}

func TestRecorderIntervals(t *testing.T) {
	t.Parallel()
	// Warm-up ends mid-second, so second 2 is partial and the window's first
	// whole second is 3. The schedule ends at 8.
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(2.5))
	r.Record(ok(0, 2.6, ms(100)))                                           // answered at 2.7: partial second, totals only
	r.Record(ok(0, 3.1, ms(2)))                                             // second 3
	r.Record(ok(0, 3.2, ms(4)))                                             // second 3
	r.Record(ok(0, 3.9, ms(200)))                                           // answered at 4.1: second 4, by completion
	r.Record(dropped(0, 6.5))                                               // second 6, by due time
	r.Record(ok(0, 6.99, ms(20)))                                           // answered 7.01: second 7
	r.Record(ok(0, 6.9, ms(50)))                                            // answered 6.95 but recorded after 7.01: still second 6
	r.Record(ok(0, 7.95, ms(100)))                                          // answered at 8.05, after the schedule: totals only
	r.Record(done(0, 7.5, ms(1), ms(1), result.Error, result.ClassTimeout)) // second 7
	r.SetEnd(at(8))

	s := r.Series()[0]
	if s.OK != 7 || s.Errors != 1 || s.Dropped != 1 || s.Latency.Count() != 7 || s.ErrorLatency.Count() != 1 {
		t.Fatalf("totals ok=%d errors=%d dropped=%d latencies=%d error latencies=%d, want 7 1 1 7 1",
			s.OK, s.Errors, s.Dropped, s.Latency.Count(), s.ErrorLatency.Count())
	}
	type row struct {
		T             int64
		OK, Err, Drop uint64
		P50, Max      time.Duration
	}
	want := []row{
		{T: 3, OK: 2, P50: ms(2), Max: ms(4)},
		{T: 4, OK: 1, P50: ms(200), Max: ms(200)},
		{T: 5},
		{T: 6, OK: 1, Drop: 1, P50: ms(50), Max: ms(50)},
		{T: 7, OK: 1, Err: 1, P50: ms(20), Max: ms(20)}, // the error's 2 ms is not in the quantiles
	}
	if len(s.Intervals) != len(want) {
		t.Fatalf("got %d intervals %+v, want %d", len(s.Intervals), s.Intervals, len(want))
	}
	for i, w := range want {
		g := s.Intervals[i]
		if g.T != w.T || g.OK != w.OK || g.Errors != w.Err || g.Dropped != w.Drop || g.Miss != 0 {
			t.Errorf("interval %d = %+v, want %+v", i, g, w)
		}
		// HdrHistogram reports the top of a value's 0.1% bucket.
		if !near(g.P50, w.P50) || !near(g.Max, w.Max) {
			t.Errorf("interval t=%d p50=%v max=%v, want ≈%v ≈%v", g.T, g.P50, g.Max, w.P50.Seconds(), w.Max.Seconds())
		}
	}
	if got := s.IntervalValues(results.Throughput); !reflect.DeepEqual(got, []float64{2, 1, 0, 1, 1}) {
		t.Errorf("throughput values = %v", got)
	}
	if got := s.IntervalValues(results.Max); len(got) != 4 {
		t.Errorf("max values = %v, want 4 (second 5 has no latency)", got)
	}
	// Every answer over the whole measured window, partial seconds included.
	if st := s.Stats(); s.Seconds <= 0 || st.Throughput != float64(st.Ops)/s.Seconds {
		t.Errorf("Stats().Throughput = %v with %d ops in %v s", st.Throughput, st.Ops, s.Seconds)
	}
}

// near reports whether seconds v is within HdrHistogram's 0.1% of d.
func near(v float64, d time.Duration) bool {
	return v >= d.Seconds() && v <= d.Seconds()*1.001
}

func TestRecorderLateResult(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	r.Record(ok(0, 0.1, ms(1)))
	r.Record(ok(0, 2.1, ms(1)))
	r.Record(ok(0, 0.5, ms(900))) // answered 1.4, recorded after 2.1: second 1 is still open
	r.Record(ok(0, 3.5, ms(1)))
	r.Record(ok(0, 0.2, ms(300))) // answered 0.5, more than a second late: counts only
	r.SetEnd(at(4))
	s := r.Series()[0]
	oks := []uint64{2, 1, 1, 1}
	maxes := []time.Duration{ms(1), ms(900), ms(1), ms(1)}
	for i, iv := range s.Intervals {
		if iv.OK != oks[i] || !near(iv.Max, maxes[i]) {
			t.Errorf("interval %d: ok=%d max=%v, want %d ≈%v", iv.T, iv.OK, iv.Max, oks[i], maxes[i].Seconds())
		}
	}
	if got := s.Latency.Count(); got != 5 {
		t.Errorf("latency count = %d, want 5", got)
	}
}

func TestRecorderErrorClasses(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	for _, c := range []result.Class{result.ClassTimeout, result.ClassTimeout, result.ClassMoved, result.ClassNone, result.ClassOther} {
		r.Record(done(0, 0.1, 0, ms(1), result.Error, c))
	}
	r.Record(ok(0, 0.2, ms(1)))
	r.SetEnd(at(1))
	s := r.Series()[0]
	want := map[string]uint64{"timeout": 2, "moved": 1, "other": 2}
	if !reflect.DeepEqual(s.ErrorClasses, want) {
		t.Errorf("ErrorClasses = %v, want %v", s.ErrorClasses, want)
	}
	if s.Errors != 5 || s.Intervals[0].Errors != 5 {
		t.Errorf("errors = %d, interval errors = %d, want 5", s.Errors, s.Intervals[0].Errors)
	}
	if st := s.Stats(); st.ErrorRate != 5.0/6 {
		t.Errorf("ErrorRate = %v, want 5/6", st.ErrorRate)
	}
	// Errors have a latency too (a timeout's time is what the user waited),
	// but their own: only the answered request is in Latency and Service.
	if s.Latency.Count() != 1 || s.Service.Count() != 1 || s.ErrorLatency.Count() != 5 {
		t.Errorf("latency count = %d, service count = %d, error latency count = %d, want 1 1 5",
			s.Latency.Count(), s.Service.Count(), s.ErrorLatency.Count())
	}
}

func TestRecorderNoErrorsNoClasses(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	r.Record(ok(0, 0.1, ms(1)))
	r.SetEnd(at(1))
	if s := r.Series()[0]; s.ErrorClasses != nil {
		t.Errorf("ErrorClasses = %v, want nil", s.ErrorClasses)
	}
}

func TestRecorderEngineAndClamp(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	r.Record(ok(0, 0.1, 10*time.Nanosecond))
	r.Record(ok(0, 0.2, 300*time.Second))
	r.Record(result.Result{Op: 0, Intended: at(0.3), Done: at(0.31), Outcome: result.OK}) // never sent: no service time
	r.SetEngine("valkey")
	r.SetEnd(at(1))
	s := r.Series()[0]
	if s.Engine != "valkey" {
		t.Errorf("engine = %q, want valkey", s.Engine)
	}
	st := s.Stats()
	if st.P50 < 0.000001 || st.P50 > 0.011 || st.Max < 100 || st.Max > 100.1 {
		t.Errorf("p50=%v max=%v: want clamped into 1µs..100s", st.P50, st.Max)
	}
	if got := r.Series()[0].Latency.HDR().Min(); got != int64(time.Microsecond) {
		t.Errorf("min = %d ns, want 1000 (clamped)", got)
	}
	if s.Service.Count() != 2 {
		t.Errorf("service count = %d, want 2", s.Service.Count())
	}
}

// Without SetEnd the window ends when Series is called: the current second
// is incomplete and not reported.
func TestRecorderCurrentSecondExcluded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := results.NewRecorder("a", "w", []string{"get"}, start, start)
		rec := func() {
			now := time.Now()
			r.Record(result.Result{Op: 0, Intended: now, Sent: now, Done: now, Outcome: result.OK})
		}
		rec()
		time.Sleep(1500 * time.Millisecond)
		rec()
		if got := r.Series()[0].Intervals; len(got) != 1 || got[0].T != 0 || got[0].OK != 1 {
			t.Errorf("at 1.5 s: intervals %+v, want second 0 only", got)
		}
		time.Sleep(2 * time.Second) // 3.5 s: second 2 had nothing, and counts
		if got := r.Series()[0].Intervals; len(got) != 3 || got[1].OK != 1 || got[2].OK != 0 {
			t.Errorf("at 3.5 s: intervals %+v, want seconds 0..2", got)
		}
	})
}

// The interval summary and the whole-run statistics agree when the run is
// one second long.
func TestRecorderIntervalMatchesStats(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		r.Record(ok(0, float64(i)/10000, time.Duration(rng.ExpFloat64()*float64(ms(1)))))
	}
	r.SetEnd(at(1))
	s := r.Series()[0]
	iv, st := s.Intervals[0], s.Stats()
	if iv.Mean != st.Mean || iv.P50 != st.P50 || iv.P95 != st.P95 || iv.P99 != st.P99 || iv.P999 != st.P999 || iv.Max != st.Max {
		t.Errorf("interval %+v != stats %+v", iv, st)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	t.Parallel()
	const workers, each = 8, 5000
	r := results.NewRecorder("a", "w", []string{"get", "set"}, at(0), at(0))
	// Before the readers start: without an end the window would run from
	// t0 to the wall clock, a year of empty rows.
	r.SetEnd(at(4))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// Spread over 3 s; workers run out of step with each other.
				due := float64(i) * 3 / each
				switch i % 4 {
				case 0:
					r.Record(dropped(w%2, due))
				case 1:
					r.Record(done(w%2, due, 0, ms(1), result.Error, result.ClassTimeout))
				default:
					r.Record(ok(w%2, due, ms(float64(i%7))))
				}
			}
		})
	}
	wg.Go(func() { // a reader while recording
		for range 20 {
			_ = r.Series()
		}
	})
	wg.Wait()
	ss := seriesByOp(t, r.Series())
	for _, op := range []string{"get", "set"} {
		s := ss[op]
		const n = workers / 2 * each
		if s.OK != n/2 || s.Errors != n/4 || s.Dropped != n/4 || s.Latency.Count() != n/2 ||
			s.Service.Count() != n/2 || s.ErrorLatency.Count() != n/4 {
			t.Errorf("%s: ok=%d errors=%d dropped=%d latencies=%d services=%d error latencies=%d",
				op, s.OK, s.Errors, s.Dropped, s.Latency.Count(), s.Service.Count(), s.ErrorLatency.Count())
		}
		var sum results.Interval
		for _, iv := range s.Intervals {
			sum.OK += iv.OK
			sum.Errors += iv.Errors
			sum.Dropped += iv.Dropped
		}
		if sum.OK != s.OK || sum.Errors != s.Errors || sum.Dropped != s.Dropped {
			t.Errorf("%s: interval sums %+v differ from totals", op, sum)
		}
	}
}

// TestRecordNEqualsRepeatedRecord checks that RecordN(x, n) gives the same
// series as n calls of Record(x), warm-up and drops included.
func TestRecordNEqualsRepeatedRecord(t *testing.T) {
	t.Parallel()
	xs := []result.Result{
		ok(0, 5.2, ms(1)),
		done(1, 5.5, ms(2), ms(3), result.Miss, result.ClassNone),
		done(0, 6.1, 0, ms(40), result.Error, result.ClassTimeout),
		dropped(1, 6.5),
		ok(0, 4.5, ms(1)), // warm-up: ignored either way
	}
	one := results.NewRecorder("a", "w", []string{"get", "set"}, at(0), at(5))
	batched := results.NewRecorder("a", "w", []string{"get", "set"}, at(0), at(5))
	for i, x := range xs {
		for range i + 2 {
			one.Record(x)
		}
		batched.RecordN(x, i+2)
	}
	batched.RecordN(xs[0], 0)
	one.SetEnd(at(8))
	batched.SetEnd(at(8))
	if got, want := batched.Series(), one.Series(); !reflect.DeepEqual(got, want) {
		t.Errorf("RecordN series differ:\n got  %+v\n want %+v", got, want)
	}
}

// TestRecorderSeparatesErrorLatency checks, for single results and pipeline
// batches, which histograms and interval quantiles each outcome lands in,
// exactly: an engine that fails every SET fast with OOM must not show fast
// latency.
func TestRecorderSeparatesErrorLatency(t *testing.T) {
	t.Parallel()
	us := time.Microsecond
	tests := []struct {
		name string
		x    result.Result
		n    int
		// Each histogram holds n values of this duration; 0: it is empty.
		// The interval's quantiles are those of lat.
		lat, svc, errLat time.Duration
	}{
		{"ok", done(0, 0.1, ms(1), ms(2), result.OK, result.ClassNone), 1, 3000 * us, 2000 * us, 0},
		{"miss", done(0, 0.1, 0, ms(1), result.Miss, result.ClassNone), 1, 1000 * us, 1000 * us, 0},
		{"oom error", done(0, 0.1, 0, 50*us, result.Error, result.ClassOOM), 1, 0, 0, 50 * us},
		{"timeout", done(0, 0.1, ms(2), time.Second, result.Error, result.ClassTimeout), 1, 0, 0, 1002 * time.Millisecond},
		{"error without class", done(0, 0.1, 0, ms(1), result.Error, result.ClassNone), 1, 0, 0, 1000 * us},
		{"dropped", dropped(0, 0.1), 1, 0, 0, 0},
		{"batch ok", done(0, 0.1, 0, ms(4), result.OK, result.ClassNone), 16, 4000 * us, 4000 * us, 0},
		{"batch oom", done(0, 0.1, ms(1), ms(1), result.Error, result.ClassOOM), 16, 0, 0, 2000 * us},
		{"batch dropped", dropped(0, 0.1), 16, 0, 0, 0},
	}
	// histOf holds n values of d, or nothing when d is 0.
	histOf := func(d time.Duration, n int) results.Histogram {
		var ds []time.Duration
		if d > 0 {
			for range n {
				ds = append(ds, d)
			}
		}
		return results.HistOf(ds...)
	}
	summary := func(h results.Histogram) [4]float64 {
		return [4]float64{float64(h.Count()), h.Mean(), h.Quantile(0.5), h.Max()}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := results.NewRecorder("a", "w", []string{"set"}, at(0), at(0))
			r.RecordN(tt.x, tt.n)
			r.SetEnd(at(2))
			s := r.Series()[0]
			for _, h := range []struct {
				name string
				got  results.Histogram
				want time.Duration
			}{
				{"latency", s.Latency, tt.lat},
				{"service", s.Service, tt.svc},
				{"error latency", s.ErrorLatency, tt.errLat},
			} {
				if got, want := summary(h.got), summary(histOf(h.want, tt.n)); got != want {
					t.Errorf("%s: count, mean, p50, max = %v, want %v", h.name, got, want)
				}
			}
			lat := histOf(tt.lat, tt.n)
			if row := s.Intervals[0]; row.P50 != lat.Quantile(0.5) || row.Max != lat.Max() || row.Mean != lat.Mean() {
				t.Errorf("interval mean %v p50 %v max %v, want %v %v %v (answered requests only)",
					row.Mean, row.P50, row.Max, lat.Mean(), lat.Quantile(0.5), lat.Max())
			}
			if st := s.Stats(); st.P50 != lat.Quantile(0.5) || st.Max != lat.Max() {
				t.Errorf("Stats p50 %v max %v, want %v %v (answered requests only)", st.P50, st.Max, lat.Quantile(0.5), lat.Max())
			}
		})
	}
}
