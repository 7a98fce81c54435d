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
		approx bool // HdrHistogram keeps 3 significant digits: compare within 0.1%
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
			// Misses and errors count in the percentiles, dropped requests don't.
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
				P50: 200 * time.Microsecond, P99: 1500 * time.Microsecond, Max: 1900 * time.Microsecond,
				TopErrorClass: "timeout"},
		},
		{
			name: "tie goes to the first class",
			recs: []rec{
				{result.Error, result.ClassOOM, time.Microsecond, 2},
				{result.Error, result.ClassConnRefused, time.Microsecond, 2},
			},
			want: Summary{Interval: 10 * time.Second, Errors: 4,
				P50: time.Microsecond, P99: time.Microsecond, Max: time.Microsecond, TopErrorClass: "conn_refused"},
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
					if d := *p.got - *p.want; d < -*p.want/1000 || d > *p.want/1000 {
						t.Errorf("%s = %v, want %v within 0.1%%", p.name, *p.got, *p.want)
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
		if s.OK > 0 && s.P50 != time.Millisecond {
			t.Errorf("P50 = %v, want 1ms", s.P50)
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
