package results_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/results"
)

// recordedSeries records random results due in [warmup, end) into a
// recorder with time zero at(0) and returns its series and the results.
func recordedSeries(seed uint64, warmup, end float64) (results.Series, []result.Result) {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := results.NewRecorder("a", "w", []string{"get"}, at(0), at(warmup))
	var rs []result.Result
	for due := warmup; due < end; due += 0.002 {
		x := ok(0, due, time.Duration(math.Exp(rng.NormFloat64())*float64(ms(0.3))))
		switch rng.IntN(30) {
		case 0:
			x = droppedAt(0, due, due+0.2*rng.Float64())
		case 1:
			x = dropped(0, due)
		case 2:
			x.Outcome = result.Miss
		}
		rs = append(rs, x)
		r.Record(x)
	}
	r.SetEnd(at(end))
	return r.Series()[0], rs
}

// sameRows compares rows field by field, the means to rounding (a merged
// row's mean is a weighted mean of means).
func sameRows(t *testing.T, got, want []results.Interval) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.Mean-w.Mean) > 1e-12*w.Mean {
			t.Errorf("row %d: mean %v, want %v", w.T, g.Mean, w.Mean)
		}
		g.Mean = w.Mean
		if !reflect.DeepEqual(g, w) {
			t.Errorf("row %d\n%+v\nwant\n%+v", w.T, g, w)
		}
	}
}

// Rebinning recorded rows gives the rows the recorder would have made at
// the longer length, but for the partial rows at the window's edges.
func TestRebinRecorded(t *testing.T) {
	t.Parallel()
	s, rs := recordedSeries(1, 0.25, 10.05)
	if s.IntervalSeconds != 0.1 || s.Intervals[0].T != 3 || len(s.Intervals) != 97 {
		t.Fatalf("%d rows from t=%d of %v s, want 97 from 3 of 0.1 s", len(s.Intervals), s.Intervals[0].T, s.IntervalSeconds)
	}
	for _, l := range []float64{0.2, 0.4, 1.6} {
		got, err := s.Rebin(l)
		if err != nil {
			t.Fatal(err)
		}
		if got.IntervalSeconds != l || got.OK != s.OK || got.Latency != s.Latency {
			t.Errorf("rebinned to %v s: %v s rows, ok %d (was %d)", l, got.IntervalSeconds, got.OK, s.OK)
		}
		// The model's first row at 0.4 s starts at 0.4: ceil(0.25/0.4).
		// Rebin drops row 0 too (rows 0..2 of 0.1 s are not in s) and
		// row 25 (past the end), as the model does.
		want := modelRows(rs, 0, at(0), at(0.25), at(10.05), time.Duration(l*float64(time.Second)))
		sameRows(t, got.Intervals, want)
		if twice, err := got.Rebin(2 * l); err != nil {
			t.Fatal(err)
		} else if once, _ := s.Rebin(2 * l); true {
			sameRows(t, twice.Intervals, once.Intervals)
		}
	}
}

func TestRebinRows(t *testing.T) {
	t.Parallel()
	rows := func(ts ...int64) []results.Interval {
		var out []results.Interval
		for _, t := range ts {
			out = append(out, results.Interval{T: t, OK: uint64(t + 10)})
		}
		return out
	}
	tests := []struct {
		name    string
		from    float64
		rows    []results.Interval
		to      float64
		wantT   []int64
		wantOK  []uint64
		wantErr string
	}{
		{"pairs", 0.1, rows(0, 1, 2, 3), 0.2, []int64{0, 1}, []uint64{21, 25}, ""},
		{"partial rows at the edges", 0.1, rows(1, 2, 3, 4, 5, 6, 7, 8), 0.4, []int64{1}, []uint64{4*10 + 4 + 5 + 6 + 7}, ""},
		{"a gap between merged runs", 0.1, rows(0, 1, 2, 3, 6, 7), 0.2, []int64{0, 1, 3}, []uint64{21, 25, 33}, ""},
		{"negative t", 0.1, rows(-2, -1, 0, 1), 0.2, []int64{-1, 0}, []uint64{17, 21}, ""},
		{"out of order", 0.1, rows(3, 0, 2, 1), 0.2, []int64{0, 1}, []uint64{21, 25}, ""},
		{"the same length", 0.1, rows(5, 9), 0.1, []int64{5, 9}, []uint64{15, 19}, ""},
		{"1 s rows of an old file", 0, rows(4, 5, 6, 7, 8), 2, []int64{2, 3}, []uint64{29, 33}, ""},
		{"nothing whole", 0.1, rows(1, 2), 0.4, nil, nil, ""},
		{"not a multiple", 0.1, rows(0, 1), 0.15, nil, nil, "results: rebin a/w/get to 0.15 s: want a whole multiple of its 0.1 s rows"},
		{"shorter", 0.2, rows(0, 1), 0.1, nil, nil, "results: rebin a/w/get to 0.1 s: want a whole multiple of its 0.2 s rows"},
		{"zero", 0.2, rows(0), 0, nil, nil, "results: rebin a/w/get to 0 s: want a whole multiple of its 0.2 s rows"},
		{"NaN", 0.2, rows(0), math.NaN(), nil, nil, "results: rebin a/w/get to NaN s: want a whole multiple of its 0.2 s rows"},
		{"infinite", 0.2, rows(0), math.Inf(1), nil, nil, "results: rebin a/w/get to +Inf s: want a whole multiple of its 0.2 s rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := results.Series{Target: "a", Workload: "w", Op: "get", IntervalSeconds: tt.from, Intervals: tt.rows}
			got, err := s.Rebin(tt.to)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ts []int64
			var oks []uint64
			for _, iv := range got.Intervals {
				ts, oks = append(ts, iv.T), append(oks, iv.OK)
			}
			if !reflect.DeepEqual(ts, tt.wantT) || !reflect.DeepEqual(oks, tt.wantOK) {
				t.Errorf("rows t=%v ok=%v, want t=%v ok=%v", ts, oks, tt.wantT, tt.wantOK)
			}
			if len(got.Intervals) > 0 {
				got.Intervals[0].OK = 1 << 40
				if s.Intervals[0].OK == 1<<40 || s.Intervals[1].OK == 1<<40 {
					t.Error("the rebinned rows share memory with the series'")
				}
			}
		})
	}
}

// Rows without histograms (schema 2, Prometheus) merge with an upper bound
// for each quantile, an exact mean and max.
func TestRebinWithoutHistograms(t *testing.T) {
	t.Parallel()
	s := results.Series{IntervalSeconds: 1, Intervals: []results.Interval{
		{T: 0, OK: 1, Mean: 0.001, P50: 0.001, P95: 0.001, P99: 0.001, P999: 0.001, Max: 0.001},
		{T: 1, OK: 3, Mean: 0.003, P50: 0.002, P95: 0.004, P99: 0.005, P999: 0.005, Max: 0.005},
	}}
	got, err := s.Rebin(2)
	if err != nil {
		t.Fatal(err)
	}
	want := results.Interval{T: 0, OK: 4, Mean: 0.0025, P50: 0.002, P95: 0.004, P99: 0.005, P999: 0.005, Max: 0.005}
	sameRows(t, got.Intervals, []results.Interval{want})
	if s.IntervalHistograms() != nil || got.IntervalHistograms() != nil {
		t.Error("rows without histograms give IntervalHistograms")
	}
}

func TestIntervalHistograms(t *testing.T) {
	t.Parallel()
	s, _ := recordedSeries(2, 0, 1)
	hs := s.IntervalHistograms()
	if len(hs) != len(s.Intervals) || len(hs) != 10 {
		t.Fatalf("%d histograms for %d rows", len(hs), len(s.Intervals))
	}
	for i, h := range hs {
		if !h.Equal(s.Intervals[i].LatencyHist) || h.Count() == 0 {
			t.Errorf("histogram %d: %d values, not row %d's", i, h.Count(), s.Intervals[i].T)
		}
	}
}
