package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
)

func TestTakeSummary(t *testing.T) {
	t.Parallel()
	type rec struct {
		o   result.Outcome
		c   result.Class
		lat time.Duration
		n   int
	}
	// spread returns one ok result per latency step*1 .. step*n.
	spread := func(step time.Duration, n int) []rec {
		rs := make([]rec, n)
		for i := range rs {
			rs[i] = rec{result.OK, result.ClassNone, step * time.Duration(i+1), 1}
		}
		return rs
	}
	tests := []struct {
		name   string
		recs   []rec
		want   Summary
		approx bool // HdrHistogram keeps 2 significant digits: compare within 1%
	}{
		{
			name: "empty",
			want: Summary{Interval: 10 * time.Second},
		},
		{
			// Below 2048µs HdrHistogram's buckets are 1µs wide: exact.
			name: "1..100µs",
			recs: spread(time.Microsecond, 100),
			want: Summary{Interval: 10 * time.Second, OK: 100, Rate: 10,
				P50: 50 * time.Microsecond, P99: 99 * time.Microsecond, Max: 100 * time.Microsecond},
		},
		{
			name: "1..1000ms",
			recs: spread(time.Millisecond, 1000),
			want: Summary{Interval: 10 * time.Second, OK: 1000, Rate: 100,
				P50: 500 * time.Millisecond, P99: 990 * time.Millisecond, Max: time.Second},
			approx: true,
		},
		{
			// Only answered requests (ok, miss) are timed: errors and
			// dropped requests are counted, not timed.
			name: "all outcomes",
			recs: []rec{
				{result.OK, result.ClassNone, 100 * time.Microsecond, 40},
				{result.Miss, result.ClassNone, 200 * time.Microsecond, 40},
				{result.Error, result.ClassTimeout, 1000 * time.Microsecond, 15},
				{result.Error, result.ClassOOM, 1500 * time.Microsecond, 4},
				{result.Error, result.ClassNone, 1900 * time.Microsecond, 1}, // counts as other
				{result.Dropped, result.ClassNone, time.Hour, 7},
			},
			want: Summary{Interval: 10 * time.Second, OK: 40, Miss: 40, Errors: 20, Dropped: 7, Rate: 8,
				P50: 100 * time.Microsecond, P99: 200 * time.Microsecond, Max: 200 * time.Microsecond,
				TopErrorClass: "timeout"},
		},
		{
			name: "tie goes to the first class",
			recs: []rec{
				{result.Error, result.ClassOOM, time.Microsecond, 2},
				{result.Error, result.ClassConnRefused, time.Microsecond, 2},
			},
			want: Summary{Interval: 10 * time.Second, Errors: 4, TopErrorClass: "conn_refused"},
		},
		{
			name: "beyond an hour is clamped",
			recs: []rec{{result.OK, result.ClassNone, 2 * time.Hour, 1}},
			want: Summary{Interval: 10 * time.Second, OK: 1, Rate: 0.1,
				P50: time.Hour, P99: time.Hour, Max: time.Hour},
			approx: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, m := newTestMetrics(t)
			r := m.Recorder("primary", "cache", []string{"get"}, fixedEngine("redis"))
			r.TakeSummary(t0) // start the interval at t0
			for _, x := range tt.recs {
				rs := result.Result{Op: 0, Intended: t0, Outcome: x.o, Class: x.c}
				if x.o != result.Dropped {
					rs.Sent = t0
					rs.Done = t0.Add(x.lat)
				}
				for range x.n {
					r.Record(rs)
				}
			}
			got := r.TakeSummary(t0.Add(10 * time.Second))

			want := tt.want
			want.Target, want.Workload, want.Engine = "primary", "cache", "redis"
			if tt.approx {
				for _, p := range []struct {
					name      string
					got, want *time.Duration
				}{{"P50", &got.P50, &want.P50}, {"P99", &got.P99, &want.P99}, {"Max", &got.Max, &want.Max}} {
					if d := *p.got - *p.want; d < -*p.want/100 || d > *p.want/100 {
						t.Errorf("%s = %v, want %v within 1%%", p.name, *p.got, *p.want)
					}
					*p.got = *p.want
				}
			}
			if got != want {
				t.Errorf("TakeSummary:\n got %+v\nwant %+v", got, want)
			}

			// The next interval starts empty.
			next := r.TakeSummary(t0.Add(15 * time.Second))
			wantNext := Summary{Target: "primary", Workload: "cache", Engine: "redis", Interval: 5 * time.Second}
			if next != wantNext {
				t.Errorf("after reset:\n got %+v\nwant %+v", next, wantNext)
			}
		})
	}
}

// Results recorded while summaries are taken land in exactly one interval.
func TestTakeSummaryConcurrent(t *testing.T) {
	t.Parallel()
	_, m := newTestMetrics(t)
	r := m.Recorder("t", "w", []string{"get"}, nil)
	r.TakeSummary(t0)

	const workers, each = 4, 2000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				r.Record(res(0, result.OK, result.ClassNone, 0, time.Millisecond))
			}
		})
	}
	var ok uint64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	now := t0
	take := func() {
		now = now.Add(time.Second)
		s := r.TakeSummary(now)
		ok += s.OK
		if s.OK > 0 && (s.P50 < time.Millisecond || s.P50 > time.Millisecond*101/100) {
			t.Errorf("P50 = %v, want 1ms within 1%%", s.P50)
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			take()
		}
	}
	take()
	if ok != workers*each {
		t.Errorf("summaries counted %d ok, want %d", ok, workers*each)
	}
}

// TotalSummary covers every result since the recorder was created, across
// intervals, and leaves the current interval to the next TakeSummary.
func TestTotalSummary(t *testing.T) {
	t.Parallel()
	_, m := newTestMetrics(t)
	r := m.Recorder("primary", "cache", []string{"get"}, fixedEngine("valkey"))
	r.iv.start = t0 // the run starts at t0, not at the test's wall-clock time
	r.TakeSummary(t0)
	record := func(o result.Outcome, c result.Class, lat time.Duration, n int) {
		x := result.Result{Op: 0, Intended: t0, Outcome: o, Class: c}
		if o != result.Dropped {
			x.Sent, x.Done = t0, t0.Add(lat)
		}
		r.RecordN(x, n)
	}
	header := Summary{Target: "primary", Workload: "cache", Engine: "valkey"}
	if got, want := r.TotalSummary(t0), header; got != want {
		t.Errorf("empty:\n got %+v\nwant %+v", got, want)
	}

	// First interval, closed: 1..100µs answered, slow errors, drops.
	for i := range 100 {
		record(result.OK, result.ClassNone, time.Duration(i+1)*time.Microsecond, 1)
	}
	record(result.Error, result.ClassTimeout, time.Second, 30)
	record(result.Dropped, result.ClassNone, 0, 5)
	r.TakeSummary(t0.Add(time.Second))

	// Second interval, still open: 100 misses at 200µs, one refusal.
	record(result.Miss, result.ClassNone, 200*time.Microsecond, 100)
	record(result.Error, result.ClassConnRefused, 0, 1)

	want := header
	want.Interval, want.OK, want.Miss, want.Errors, want.Dropped = 4*time.Second, 100, 100, 31, 5
	want.Rate = 50 // 200 answered over 4s
	// 200 answered: 1..100µs then 100 × 200µs. The errors' second is not a latency.
	want.P50, want.P99, want.Max = 100*time.Microsecond, 200*time.Microsecond, 200*time.Microsecond
	want.TopErrorClass = "timeout"
	if got := r.TotalSummary(t0.Add(4 * time.Second)); got != want {
		t.Errorf("whole run:\n got %+v\nwant %+v", got, want)
	}
	// Asking twice counts nothing twice.
	want.Interval, want.Rate = 5*time.Second, 40
	if got := r.TotalSummary(t0.Add(5 * time.Second)); got != want {
		t.Errorf("asked again:\n got %+v\nwant %+v", got, want)
	}

	// The open interval is still whole for TakeSummary, including what
	// arrives after TotalSummary looked.
	record(result.OK, result.ClassNone, 300*time.Microsecond, 1)
	iv := r.TakeSummary(t0.Add(6 * time.Second))
	wantIv := header
	wantIv.Interval, wantIv.OK, wantIv.Miss, wantIv.Errors, wantIv.Rate = 5*time.Second, 1, 100, 1, 101.0/5
	wantIv.P50, wantIv.P99, wantIv.Max, wantIv.TopErrorClass = 200*time.Microsecond, 200*time.Microsecond, 300*time.Microsecond, "conn_refused"
	if iv != wantIv {
		t.Errorf("interval after TotalSummary:\n got %+v\nwant %+v", iv, wantIv)
	}
	if got := r.TakeSummary(t0.Add(7 * time.Second)); got.OK+got.Miss+got.Errors+got.Dropped != 0 {
		t.Errorf("the next interval is not empty: %+v", got)
	}
	// 201 answered: the 101st is the first at 200µs.
	want.Interval, want.OK, want.Rate, want.P50, want.Max = 8*time.Second, 101, 201.0/8, 200*time.Microsecond, 300*time.Microsecond
	if got := r.TotalSummary(t0.Add(8 * time.Second)); got != want {
		t.Errorf("after the intervals:\n got %+v\nwant %+v", got, want)
	}
}

// Results recorded while whole-run and interval summaries are taken are
// each counted once in the run and once in the intervals.
func TestTotalSummaryConcurrent(t *testing.T) {
	t.Parallel()
	_, m := newTestMetrics(t)
	r := m.Recorder("t", "w", []string{"get"}, nil)
	const workers, each = 4, 2000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range each {
				o := result.OK
				if i%4 == 0 {
					o = result.Error
				}
				r.Record(res(0, o, result.ClassTimeout, 0, time.Millisecond))
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var ok, errs uint64
	now := time.Now()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		now = now.Add(time.Second)
		tot := r.TotalSummary(now)
		if tot.OK > 0 && (tot.P50 < time.Millisecond || tot.P50 > time.Millisecond*101/100) {
			t.Errorf("total P50 = %v, want 1ms within 1%%", tot.P50)
		}
		s := r.TakeSummary(now)
		ok, errs = ok+s.OK, errs+s.Errors
	}
	tot := r.TotalSummary(now)
	if ok != workers*each*3/4 || errs != workers*each/4 || tot.OK != ok || tot.Errors != errs {
		t.Errorf("intervals counted %d ok, %d errors; the run %d ok, %d errors; want %d and %d",
			ok, errs, tot.OK, tot.Errors, workers*each*3/4, workers*each/4)
	}
}
