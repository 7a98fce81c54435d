package results_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loghist"
	"github.com/ecbench/ecbench/results"
)

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// at is t0 plus s seconds, to the nearest nanosecond (so that at(2.3) is not
// a nanosecond before 2.3 s, in the row before).
func at(s float64) time.Time { return t0.Add(time.Duration(math.Round(s * float64(time.Second)))) }

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

// droppedAt is a dropped result whose in-flight bound freed at freed
// (seconds): Done−Intended is a lower bound on its latency.
func droppedAt(op int, intended, freed float64) result.Result {
	return result.Result{Op: op, Intended: at(intended), Done: at(freed), Outcome: result.Dropped}
}

// rowAt returns the row with T t.
func rowAt(t *testing.T, s results.Series, tt int64) results.Interval {
	t.Helper()
	for _, iv := range s.Intervals {
		if iv.T == tt {
			return iv
		}
	}
	t.Fatalf("%s: no row %d among %d rows", s.Op, tt, len(s.Intervals))
	return results.Interval{}
}

// nearLoghist reports whether seconds v is d within loghist's 0.39%.
func nearLoghist(v float64, d time.Duration) bool {
	return math.Abs(v-d.Seconds()) <= d.Seconds()/256
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
	if s.Target != "a" || s.Workload != "w" || s.Engine != "unknown" || s.IntervalSeconds != 0.1 {
		t.Errorf("labels %q %q %q %v", s.Target, s.Workload, s.Engine, s.IntervalSeconds)
	}
	// 3 s of 100 ms rows, the first starting at warm-up's end.
	if len(s.Intervals) != 30 || s.Intervals[0].T != 50 || s.Intervals[0].OK != 1 {
		t.Errorf("%d rows, first %+v; want 30, t=50 ok=1", len(s.Intervals), s.Intervals[0])
	}
}

// TestRecorderRows checks every row of a few windows against the row model:
// where results land, partial rows at both ends, answers after the end,
// rows without results.
func TestRecorderRows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		warmup, end     float64
		results         []result.Result
		wantRows, first int64
	}{
		{"warm-up ends mid-row", 2.55, 4, []result.Result{
			ok(0, 2.56, ms(10)), // answered 2.57: partial row 25, totals only
			ok(0, 2.6, ms(1)),   // row 26, the first
			ok(0, 2.61, ms(3)),  // row 26
			ok(0, 2.69, ms(20)), // answered 2.71: row 27, by completion
			dropped(0, 3.05),    // row 30, by due time
			done(0, 3.1, ms(1), ms(1), result.Error, result.ClassTimeout), // row 31; no latency
			ok(0, 3.95, ms(100)), // answered 4.05, after the schedule: totals only
		}, 14, 26},
		{"rows without results", 0, 1, []result.Result{ok(0, 0.05, ms(1)), ok(0, 0.95, ms(1))}, 10, 0},
		{"end mid-row", 0, 0.35, []result.Result{ok(0, 0.05, ms(1)), ok(0, 0.31, ms(1))}, 3, 0},
		{"nothing whole", 0.01, 0.15, []result.Result{ok(0, 0.05, ms(1))}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(tt.warmup))
			for _, x := range tt.results {
				r.Record(x)
			}
			r.SetEnd(at(tt.end))
			s := r.Series()[0]
			if int64(len(s.Intervals)) != tt.wantRows || (tt.wantRows > 0 && s.Intervals[0].T != tt.first) {
				t.Fatalf("%d rows from %+v, want %d from t=%d", len(s.Intervals), s.Intervals, tt.wantRows, tt.first)
			}
			want := modelRows(tt.results, 0, at(0), at(tt.warmup), at(tt.end), 100*time.Millisecond)
			if !reflect.DeepEqual(s.Intervals, want) {
				t.Errorf("rows\n%+v\nwant\n%+v", s.Intervals, want)
			}
		})
	}
}

func TestRecorderRowFields(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	r.Record(ok(0, 0.1, ms(2)))
	r.Record(ok(0, 0.11, ms(4)))
	r.Record(done(0, 0.12, 0, ms(50), result.Miss, result.ClassNone))
	r.Record(done(0, 0.13, 0, ms(1), result.Error, result.ClassOOM)) // not in the latency fields
	r.SetEnd(at(1))
	s := r.Series()[0]
	iv := rowAt(t, s, 1)
	if iv.OK != 2 || iv.Miss != 1 || iv.Errors != 1 || iv.LatencyHist.Count() != 3 {
		t.Errorf("row %+v: want ok 2, miss 1, errors 1, 3 latencies", iv)
	}
	// Mean and max are exact; quantiles are bucket midpoints, never above max.
	if iv.Mean != (ms(2)+ms(4)+ms(50)).Seconds()/3 || iv.Max != ms(50).Seconds() {
		t.Errorf("mean %v, max %v; want exactly %v, %v", iv.Mean, iv.Max, (ms(2)+ms(4)+ms(50)).Seconds()/3, ms(50).Seconds())
	}
	if !nearLoghist(iv.P50, ms(4)) || iv.P99 > iv.Max || !nearLoghist(iv.P99, ms(50)) {
		t.Errorf("p50 %v, p99 %v, max %v: want ≈4 ms, ≈50 ms ≤ max", iv.P50, iv.P99, iv.Max)
	}
	if got := s.IntervalValues(results.Max); len(got) != 1 {
		t.Errorf("max values = %v, want one (the other rows have no latency)", got)
	}
	if got := s.IntervalValues(results.Throughput); len(got) != 10 || got[1] != 30 {
		t.Errorf("throughput values = %v, want 10 rows, row 1 at 3 answers / 0.1 s", got)
	}
}

// TestRecorderRowLength checks the row length a window gets, and that the
// rows, however many times their length doubled while recording, are
// exactly the row model's at that length.
func TestRecorderRowLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		warmup, end float64 // seconds after time zero
		perSecond   int     // < 0: requests are due until 900 ms after the end
		wantLength  float64
		wantRows    int
	}{
		{"a short bench", 0, 2, 2000, 0.1, 20},
		{"just fits", 0, 51.2, 100, 0.1, 512},
		{"just fits, with requests due just after the end", 0, 51.2, -100, 0.1, 512},
		{"just over", 0, 51.3, 100, 0.2, 256},
		{"a minute", 0, 60, 100, 0.2, 300},
		{"a minute after 5 s of warm-up", 5, 65, 100, 0.2, 300},
		{"warm-up ending mid-row", 5.05, 65.05, 100, 0.2, 299},
		{"ten minutes", 0, 600, 20, 1.6, 375},
		{"an hour", 0, 3600, 5, 12.8, 281},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tt.end), 3))
			r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(tt.warmup))
			var rs []result.Result
			perSecond, after := tt.perSecond, 0.0
			if perSecond < 0 { // some requests start up to 900 ms after the end
				perSecond, after = -perSecond, 0.9
			}
			n := int((tt.end - tt.warmup + after) * float64(perSecond))
			for i := range n { // due in the window; the last answers come after it
				due := tt.warmup + float64(i)/float64(perSecond)
				lat := time.Duration(math.Exp(rng.NormFloat64()*0.5) * float64(200*time.Microsecond))
				if i == n-1 {
					lat = ms(40)
				}
				x := ok(0, due, lat)
				switch rng.IntN(50) {
				case 0:
					x = droppedAt(0, due, due+0.03*rng.Float64())
				case 1:
					x = dropped(0, due)
				case 2:
					x.Outcome, x.Class = result.Error, result.ClassTimeout
				}
				rs = append(rs, x)
				r.Record(x)
			}
			r.SetEnd(at(tt.end))
			s := r.Series()[0]
			if s.IntervalSeconds != tt.wantLength || len(s.Intervals) != tt.wantRows {
				t.Fatalf("%d rows of %v s, want %d of %v s", len(s.Intervals), s.IntervalSeconds, tt.wantRows, tt.wantLength)
			}
			l := time.Duration(math.Round(tt.wantLength * 1e9))
			if got := modelLength(at(tt.warmup).Sub(at(0)), at(tt.end).Sub(at(0))); got != l {
				t.Fatalf("the model says %v", got)
			}
			want := modelRows(rs, 0, at(0), at(tt.warmup), at(tt.end), l)
			if !reflect.DeepEqual(s.Intervals, want) {
				for i := range want {
					if !reflect.DeepEqual(s.Intervals[i], want[i]) {
						t.Fatalf("row %d\n%+v\nwant\n%+v", i, s.Intervals[i], want[i])
					}
				}
			}
			// The rows' histograms merge into the whole window's.
			var sum results.Interval
			for _, iv := range s.Intervals {
				sum.OK += iv.OK
				sum.Dropped += iv.Dropped
				sum.LowerBounds += iv.LowerBounds
			}
			all := loghist.Merge(s.IntervalHistograms()...)
			if all.Count() != sum.OK+sum.LowerBounds {
				t.Errorf("rows' histograms hold %d values, rows %d ok and %d lower bounds", all.Count(), sum.OK, sum.LowerBounds)
			}
		})
	}
}

// TestRecorderDoublingMidRun takes snapshots as the rows double: right
// after a doubling, while rows still hold unmerged histograms, and at the
// end. Each matches the row model, and the totals are the sums of the rows
// (every answer here comes within the window).
func TestRecorderDoublingMidRun(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 5))
	r := results.NewRecorder("a", "w", []string{"get", "set"}, at(0), at(0))
	var rs []result.Result
	for _, snap := range []struct {
		until      float64
		wantLength float64
		unmerged   bool // the stored rows' doubling is still being merged
	}{{51.15, 0.1, false}, {51.45, 0.2, false}, {52, 0.2, false}, {53, 0.2, true}, {102.3, 0.2, false},
		{103, 0.4, false}, {104.5, 0.4, true}, {130, 0.4, false}} {
		for due := 0.0; due < snap.until-0.1; due += 0.005 {
			if len(rs) > 0 && due <= rs[len(rs)-1].Intended.Sub(t0).Seconds() {
				continue
			}
			x := ok(rng.IntN(2), due, time.Duration(rng.ExpFloat64()*float64(ms(2))))
			if rng.IntN(20) == 0 {
				x = droppedAt(x.Op, due, due+0.05)
			}
			rs = append(rs, x)
			r.Record(x)
		}
		if _, unmerged := results.RowsState(r, 0); (unmerged > 0) != snap.unmerged {
			t.Errorf("at %v s: %d rows unmerged", snap.until, unmerged)
		}
		r.SetEnd(at(snap.until))
		for _, s := range r.Series() {
			if s.IntervalSeconds != snap.wantLength {
				t.Fatalf("at %v s: %v s rows, want %v", snap.until, s.IntervalSeconds, snap.wantLength)
			}
			op := map[string]int{"get": 0, "set": 1}[s.Op]
			want := modelRows(rs, op, at(0), at(0), at(snap.until), time.Duration(math.Round(snap.wantLength*1e9)))
			if !reflect.DeepEqual(s.Intervals, want) {
				t.Errorf("at %v s, %s: rows differ from the model", snap.until, s.Op)
			}
		}
	}
	r.SetEnd(at(130.2)) // after every answer
	for _, s := range r.Series() {
		var sum results.Interval
		for _, iv := range s.Intervals {
			sum.OK += iv.OK
			sum.Dropped += iv.Dropped
			sum.LowerBounds += iv.LowerBounds
		}
		if sum.OK != s.OK || sum.Dropped != s.Dropped || sum.LowerBounds != s.LowerBounds {
			t.Errorf("%s: rows sum to %+v, totals ok %d dropped %d lower bounds %d", s.Op, sum, s.OK, s.Dropped, s.LowerBounds)
		}
		if got := loghist.Merge(s.IntervalHistograms()...).Count(); got != uint64(s.Latency.Count()) {
			t.Errorf("%s: rows' histograms hold %d values, the series' %d", s.Op, got, s.Latency.Count())
		}
	}
}

// TestRecorderTargetsPair: two recorders with the same time zero and
// warm-up's end, whose windows end a few ms apart (a run by request count
// ends when each target's last answer arrives), have rows of one length
// that pair by T. Ends that straddle a doubling differ by a factor of two
// and pair after Rebin.
func TestRecorderTargetsPair(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		warmup            float64
		endA, endB        float64
		wantA, wantB      float64
		wantRowsA, wantB2 int
	}{
		{"a 2 s bench", 0, 2.001, 2.004, 0.1, 0.1, 20, 20},
		{"straddling a row boundary", 0, 2.098, 2.103, 0.1, 0.1, 20, 21},
		{"a minute with warm-up", 1, 61.002, 61.007, 0.2, 0.2, 300, 300},
		{"straddling a doubling", 0, 51.298, 51.303, 0.1, 0.2, 512, 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var series []results.Series
			for _, end := range []float64{tt.endA, tt.endB} {
				r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(tt.warmup))
				for due := tt.warmup; due < end-0.002; due += 0.01 {
					r.Record(ok(0, due, ms(1)))
				}
				r.SetEnd(at(end))
				series = append(series, r.Series()[0])
			}
			a, b := series[0], series[1]
			if a.IntervalSeconds != tt.wantA || b.IntervalSeconds != tt.wantB || len(a.Intervals) != tt.wantRowsA || len(b.Intervals) != tt.wantB2 {
				t.Fatalf("rows %d×%v s and %d×%v s, want %d×%v and %d×%v", len(a.Intervals), a.IntervalSeconds,
					len(b.Intervals), b.IntervalSeconds, tt.wantRowsA, tt.wantA, tt.wantB2, tt.wantB)
			}
			if a.IntervalSeconds != b.IntervalSeconds {
				var err error
				if a, err = a.Rebin(b.IntervalSeconds); err != nil {
					t.Fatal(err)
				}
			}
			// Same T, same time: row i of both starts at the same moment.
			for i := range min(len(a.Intervals), len(b.Intervals)) {
				if a.Intervals[i].T != b.Intervals[i].T || a.IntervalStart(a.Intervals[i].T) != b.IntervalStart(b.Intervals[i].T) {
					t.Fatalf("row %d: t=%d and t=%d", i, a.Intervals[i].T, b.Intervals[i].T)
				}
				if a.Intervals[i].OK != b.Intervals[i].OK {
					t.Fatalf("row %d: %d and %d answers of the same schedule", i, a.Intervals[i].OK, b.Intervals[i].OK)
				}
			}
		})
	}
}

// TestRecorderLateResult: results reach Record slightly out of order. One
// recorded up to 200 ms after a later one is in its row's histogram; one
// later still only in the row's counts (and always in the series').
func TestRecorderLateResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		newest, late float64 // when the newest and the late result were answered, s
		inLatency    bool
	}{
		{"in the newest tick", 1.0, 1.0, true},
		{"100 ms late", 1.02, 0.92, true},
		{"200 ms late", 1.0, 0.8, true},
		{"299 ms late, in the oldest open tick", 1.099, 0.8, true},
		{"300 ms late", 1.099, 0.799, false},
		{"230 ms late, three ticks back", 1.02, 0.79, false},
		{"a second late", 1.02, 0.02, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
			r.Record(ok(0, 0, ms(1)))
			r.Record(ok(0, tt.newest-0.001, ms(1)))
			r.Record(ok(0, tt.late-0.0005, ms(0.5)))
			r.SetEnd(at(2))
			s := r.Series()[0]
			row := rowAt(t, s, int64(math.Floor(tt.late*10)))
			if row.OK < 1 || s.Latency.Count() != 3 {
				t.Fatalf("row %+v; series latencies %d: the late answer must count", row, s.Latency.Count())
			}
			if got := row.LatencyHist.Count() == row.OK; got != tt.inLatency {
				t.Errorf("row %+v: late answer in its latency: %v, want %v", row, got, tt.inLatency)
			}
		})
	}
}

// TestRecorderOutOfOrder records a schedule's results shuffled within
// 150 ms windows: the rows are those of the results in order.
func TestRecorderOutOfOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 9))
	var rs []result.Result
	for due := 0.0; due < 5; due += 0.001 {
		rs = append(rs, ok(0, due, time.Duration(rng.ExpFloat64()*float64(ms(1)))))
	}
	inOrder, shuffled := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0)), results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	for _, x := range rs {
		inOrder.Record(x)
	}
	mixed := slices.Clone(rs)
	for i := 0; i < len(mixed); i += 150 {
		part := mixed[i:min(i+150, len(mixed))]
		rng.Shuffle(len(part), func(a, b int) { part[a], part[b] = part[b], part[a] })
	}
	for _, x := range mixed {
		shuffled.Record(x)
	}
	inOrder.SetEnd(at(5))
	shuffled.SetEnd(at(5))
	if got, want := shuffled.Series(), inOrder.Series(); !reflect.DeepEqual(got, want) {
		t.Error("shuffled results give other rows")
	}
}

// TestRecorderDroppedLowerBound checks where each kind of drop lands: with a
// Done time, its lower bound is in Latency and in the latency fields of the
// row of Done, where it counts as dropped; without, it counts in the row it
// was due in and has no latency. Neither is in Service or ErrorLatency.
func TestRecorderDroppedLowerBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		x            result.Result
		n            int
		row          int64         // where it counts as dropped
		bound        time.Duration // 0: no latency
		inTotalsOnly bool          // after the window
	}{
		{"freed 120 ms later", droppedAt(0, 0.35, 0.47), 1, 4, ms(120), false},
		{"freed at once", droppedAt(0, 0.35, 0.35), 1, 3, time.Microsecond, false}, // clamped up to 1 µs
		{"no Done", dropped(0, 0.35), 1, 3, 0, false},
		{"a pipeline's worth", droppedAt(0, 0.35, 0.6), 16, 6, ms(250), false},
		{"freed after the end", droppedAt(0, 0.95, 1.05), 1, -1, ms(100), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
			r.RecordN(tt.x, tt.n)
			r.SetEnd(at(1))
			s := r.Series()[0]
			n := uint64(tt.n)
			wantBounds := uint64(0)
			if tt.bound > 0 {
				wantBounds = n
			}
			if s.Dropped != n || s.LowerBounds != wantBounds || uint64(s.Latency.Count()) != wantBounds ||
				s.Service.Count() != 0 || s.ErrorLatency.Count() != 0 || s.Stats().Ops != 0 {
				t.Errorf("dropped %d, lower bounds %d, latencies %d, services %d, error latencies %d; want %d, %d, %d, 0, 0",
					s.Dropped, s.LowerBounds, s.Latency.Count(), s.Service.Count(), s.ErrorLatency.Count(), n, wantBounds, wantBounds)
			}
			if tt.bound > 0 && !near(s.Stats().P50, tt.bound) {
				t.Errorf("series p50 %v, want the lower bound %v", s.Stats().P50, tt.bound)
			}
			for _, iv := range s.Intervals {
				if iv.T != tt.row {
					if !reflect.DeepEqual(iv, results.Interval{T: iv.T}) {
						t.Errorf("row %d = %+v, want empty", iv.T, iv)
					}
					continue
				}
				if iv.Dropped != n || iv.LowerBounds != wantBounds || iv.LatencyHist.Count() != wantBounds ||
					iv.Max != tt.bound.Seconds() || iv.Mean != tt.bound.Seconds() {
					t.Errorf("row %d = %+v, want %d dropped, %d lower bounds of %v", iv.T, iv, n, wantBounds, tt.bound)
				}
			}
			if tt.inTotalsOnly && s.Dropped != n {
				t.Error("a drop freed after the window must still count in the totals")
			}
		})
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
	if s.Errors != 5 || rowAt(t, s, 1).Errors != 5 {
		t.Errorf("errors = %d, row 1's errors = %d, want 5", s.Errors, rowAt(t, s, 1).Errors)
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
	if row := rowAt(t, s, 1); row.Max != 1e-6 {
		t.Errorf("row 1's max %v, want 1 µs (clamped)", row.Max)
	}
	if s.Service.Count() != 2 {
		t.Errorf("service count = %d, want 2", s.Service.Count())
	}
}

// Without SetEnd the window ends when Series is called: the current row is
// incomplete and not reported.
func TestRecorderCurrentRowExcluded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := results.NewRecorder("a", "w", []string{"get"}, start, start)
		rec := func() {
			now := time.Now()
			r.Record(result.Result{Op: 0, Intended: now, Sent: now, Done: now, Outcome: result.OK})
		}
		rec()
		time.Sleep(150 * time.Millisecond)
		rec()
		if got := r.Series()[0].Intervals; len(got) != 1 || got[0].T != 0 || got[0].OK != 1 {
			t.Errorf("at 150 ms: rows %+v, want row 0 only", got)
		}
		time.Sleep(200 * time.Millisecond) // 350 ms: row 2 had nothing, and counts
		if got := r.Series()[0].Intervals; len(got) != 3 || got[1].OK != 1 || got[2].OK != 0 {
			t.Errorf("at 350 ms: rows %+v, want rows 0..2", got)
		}
	})
}

// A row's summary agrees with the whole-run statistics when the run is one
// row long, within the two histograms' precisions (0.39% and 0.1%).
func TestRecorderIntervalMatchesStats(t *testing.T) {
	t.Parallel()
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(0))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 { // due in the first 50 ms: answered within the row
		r.Record(ok(0, float64(i)/100000, time.Duration(rng.ExpFloat64()*float64(ms(1)))))
	}
	r.SetEnd(at(0.1))
	s := r.Series()[0]
	iv, st := s.Intervals[0], s.Stats()
	if iv.LatencyHist.Count() != 5000 {
		t.Fatalf("row has %d latencies, want all 5000", iv.LatencyHist.Count())
	}
	for _, q := range []struct {
		name      string
		row, want float64
	}{{"mean", iv.Mean, st.Mean}, {"p50", iv.P50, st.P50}, {"p95", iv.P95, st.P95}, {"p99", iv.P99, st.P99},
		{"p99.9", iv.P999, st.P999}, {"max", iv.Max, st.Max}} {
		if math.Abs(q.row-q.want) > q.want*(1.0/256+0.001) {
			t.Errorf("%s: row %v, stats %v", q.name, q.row, q.want)
		}
	}
}

func TestRecorderConcurrent(t *testing.T) {
	t.Parallel()
	const workers, each = 8, 5000
	r := results.NewRecorder("a", "w", []string{"get", "set"}, at(0), at(0))
	// Before the readers start: without an end the window would run from
	// t0 to the wall clock, years of empty rows.
	r.SetEnd(at(4))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// Spread over 3 s; workers run out of step with each other.
				due := float64(i) * 3 / each
				switch i % 5 {
				case 0:
					r.Record(dropped(w%2, due))
				case 1:
					r.Record(done(w%2, due, 0, ms(1), result.Error, result.ClassTimeout))
				case 2:
					r.Record(droppedAt(w%2, due, due+0.01))
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
		if s.OK != 2*n/5 || s.Errors != n/5 || s.Dropped != 2*n/5 || s.LowerBounds != n/5 || s.Latency.Count() != 3*n/5 ||
			s.Service.Count() != 2*n/5 || s.ErrorLatency.Count() != n/5 {
			t.Errorf("%s: ok=%d errors=%d dropped=%d lower bounds=%d latencies=%d services=%d error latencies=%d",
				op, s.OK, s.Errors, s.Dropped, s.LowerBounds, s.Latency.Count(), s.Service.Count(), s.ErrorLatency.Count())
		}
		var sum results.Interval
		for _, iv := range s.Intervals {
			sum.OK += iv.OK
			sum.Errors += iv.Errors
			sum.Dropped += iv.Dropped
			sum.LowerBounds += iv.LowerBounds
		}
		if sum.OK != s.OK || sum.Errors != s.Errors || sum.Dropped != s.Dropped || sum.LowerBounds != s.LowerBounds {
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
		droppedAt(0, 6.6, 6.9),
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
// batches, which histograms and row latency fields each outcome lands in,
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
		// The row's latency fields are those of lat.
		lat, svc, errLat time.Duration
	}{
		{"ok", done(0, 0.1, ms(1), ms(2), result.OK, result.ClassNone), 1, 3000 * us, 2000 * us, 0},
		{"miss", done(0, 0.1, 0, ms(1), result.Miss, result.ClassNone), 1, 1000 * us, 1000 * us, 0},
		{"oom error", done(0, 0.1, 0, 50*us, result.Error, result.ClassOOM), 1, 0, 0, 50 * us},
		{"timeout", done(0, 0.1, ms(2), ms(80), result.Error, result.ClassTimeout), 1, 0, 0, 82 * time.Millisecond},
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
			row := rowAt(t, s, 1)
			if row.LatencyHist.Count() != uint64(s.Latency.Count()) || row.Mean != tt.lat.Seconds() || row.Max != tt.lat.Seconds() ||
				row.P50 > row.Max || !nearLoghist(row.P50, tt.lat) {
				t.Errorf("row latencies %d, mean %v p50 %v max %v; want %d of %v (answered requests only)",
					row.LatencyHist.Count(), row.Mean, row.P50, row.Max, s.Latency.Count(), tt.lat.Seconds())
			}
			lat := histOf(tt.lat, tt.n)
			if st := s.Stats(); st.P50 != lat.Quantile(0.5) || st.Max != lat.Max() {
				t.Errorf("Stats p50 %v max %v, want %v %v (answered requests only)", st.P50, st.Max, lat.Quantile(0.5), lat.Max())
			}
		})
	}
}

// near reports whether seconds v is within HdrHistogram's 0.1% of d.
func near(v float64, d time.Duration) bool {
	return v >= d.Seconds() && v <= d.Seconds()*1.001
}
