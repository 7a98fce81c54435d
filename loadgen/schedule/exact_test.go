package schedule_test

import (
	"math"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// opaque hides the package's real-valued inverse, so that Repeat and Hold
// treat the schedule as a Finite from elsewhere.
type opaque struct{ schedule.Finite }

// never stands for a Due that is not ok.
const never = time.Duration(-1)

type dueCase struct {
	n  int64
	at time.Duration // never: not ok
}

type atCase struct {
	at   time.Duration
	want float64
}

// exactCase pins a schedule's offsets, counts and rates to exact values.
type exactCase struct {
	name  string
	s     schedule.Schedule
	due   []dueCase
	count []atCase
	rate  []atCase
	slack time.Duration // allowed |Due error|, for inverses that search
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

var (
	gapSteps = []schedule.Step{{Rate: 100, For: time.Second}, {Rate: 0, For: time.Second}, {Rate: 200, For: time.Second}}
	gapDue   = []dueCase{
		{0, 0}, {1, ms(10)}, {99, ms(990)},
		{100, 2 * time.Second}, // the gap at rate 0 holds request 100 back to its end
		{101, ms(2005)}, {299, ms(2995)},
		{300, 3 * time.Second}, {301, ms(3005)}, // after the end: the last rate, held
		{-1, 0},
	}
	gapCount = []atCase{
		{0, 0}, {-time.Second, 0}, {ms(500), 50}, {time.Second, 100}, {ms(1500), 100},
		{2 * time.Second, 100}, {ms(2500), 200}, {3 * time.Second, 300}, {4 * time.Second, 500},
	}
	gapRate = []atCase{
		{-time.Second, 100}, {0, 100}, {time.Second - 1, 100}, {time.Second, 0},
		{2*time.Second - 1, 0}, {2 * time.Second, 200}, {3 * time.Second, 200}, {time.Hour, 200},
	}

	ramp0    = schedule.Ramp{From: 0, To: 100, Over: 10 * time.Second} // Count(t) = 5t² up to 10s
	ramp0Due = []dueCase{
		{0, 0}, {1, 447213595}, // √(1/5)s = 0.4472135955s
		{5, time.Second}, {20, 2 * time.Second}, {45, 3 * time.Second}, {320, 8 * time.Second},
		{500, 10 * time.Second}, {501, ms(10010)}, {600, 11 * time.Second},
	}
)

func exactCases() []exactCase {
	return []exactCase{
		{
			name: "constant", s: schedule.Constant{PerSecond: 1000},
			due:   []dueCase{{0, 0}, {1, time.Millisecond}, {999, ms(999)}, {1000, time.Second}, {3_600_000, time.Hour}, {-5, 0}},
			count: []atCase{{0, 0}, {time.Millisecond, 1}, {time.Hour, 3_600_000}},
			rate:  []atCase{{0, 1000}, {time.Hour, 1000}},
		},
		{
			// Nothing is due at rate 0, not even request 0.
			name: "constant zero", s: schedule.Constant{},
			due:   []dueCase{{0, never}, {1, never}, {-1, 0}},
			count: []atCase{{time.Hour, 0}},
			rate:  []atCase{{0, 0}},
		},
		{
			name: "steps", s: schedule.NewSteps(gapSteps),
			due: gapDue, count: gapCount, rate: gapRate,
		},
		{
			name: "steps literal", s: schedule.Steps{Steps: gapSteps},
			due: gapDue, count: gapCount, rate: gapRate,
		},
		{
			name: "steps ending at zero",
			s:    schedule.NewSteps([]schedule.Step{{Rate: 100, For: time.Second}, {Rate: 0, For: time.Second}}),
			due:  []dueCase{{99, ms(990)}, {100, never}, {1000, never}},
			rate: []atCase{{10 * time.Second, 0}},
		},
		{
			// A zero-length last step still sets the rate that is held.
			name: "steps zero-length last",
			s:    schedule.NewSteps([]schedule.Step{{Rate: 100, For: time.Second}, {Rate: 10, For: 0}}),
			due:  []dueCase{{99, ms(990)}, {100, time.Second}, {101, ms(1100)}},
			rate: []atCase{{ms(999), 100}, {time.Second, 10}},
		},
		{
			name: "steps empty", s: schedule.NewSteps(nil),
			due: []dueCase{{0, never}}, count: []atCase{{time.Hour, 0}}, rate: []atCase{{0, 0}},
		},
		{
			// Per period: 10/s for 9s, then 100/s for 1s, 10·9 + 100·1 = 190.
			name: "burst",
			s:    schedule.Burst{Base: 10, Peak: 100, Period: 10 * time.Second, Length: time.Second},
			due: []dueCase{
				{0, 0}, {1, ms(100)}, {89, ms(8900)}, // the last calm request
				{90, 9 * time.Second}, {91, ms(9010)}, {189, ms(9990)}, // the burst
				{190, 10 * time.Second}, {191, ms(10100)}, {279, ms(18900)},
				{280, 19 * time.Second}, {380, 20 * time.Second},
				{190 * 360, time.Hour},
			},
			count: []atCase{
				{9 * time.Second, 90}, {ms(9500), 140}, {10 * time.Second, 190},
				{19 * time.Second, 280}, {20 * time.Second, 380}, {time.Hour, 190 * 360},
			},
			rate: []atCase{
				{0, 10}, {9*time.Second - 1, 10}, {9 * time.Second, 100}, {10*time.Second - 1, 100},
				{10 * time.Second, 10}, {19 * time.Second, 100},
			},
		},
		{
			// On/off: the first request waits for the first burst.
			name: "burst from zero",
			s:    schedule.Burst{Base: 0, Peak: 100, Period: 10 * time.Second, Length: time.Second},
			due: []dueCase{
				{0, 9 * time.Second}, {1, ms(9010)}, {99, ms(9990)},
				{100, 19 * time.Second}, {200, 29 * time.Second},
			},
			count: []atCase{{9 * time.Second, 0}, {10 * time.Second, 100}, {15 * time.Second, 100}},
		},
		{
			name: "burst length 0 is base",
			s:    schedule.Burst{Base: 10, Peak: 100, Period: 10 * time.Second},
			due:  []dueCase{{100, 10 * time.Second}, {101, ms(10100)}},
			rate: []atCase{{ms(9999), 10}},
		},
		{
			name: "burst length over period is peak",
			s:    schedule.Burst{Base: 10, Peak: 100, Period: 10 * time.Second, Length: time.Minute},
			due:  []dueCase{{1, ms(10)}, {1000, 10 * time.Second}},
			rate: []atCase{{0, 100}},
		},
		{
			name: "burst period 0 is base",
			s:    schedule.Burst{Base: 10, Peak: 100, Length: time.Second},
			due:  []dueCase{{1, ms(100)}},
			rate: []atCase{{0, 10}},
		},
		{
			name: "ramp from zero", s: ramp0, due: ramp0Due,
			count: []atCase{{time.Second, 5}, {10 * time.Second, 500}, {11 * time.Second, 600}},
			rate:  []atCase{{0, 0}, {time.Second, 10}, {5 * time.Second, 50}, {10 * time.Second, 100}, {time.Hour, 100}},
		},
		{
			// 100t - 5t² = 375 at t = 5; the count never passes 500.
			name:  "ramp down to zero",
			s:     schedule.Ramp{From: 100, To: 0, Over: 10 * time.Second},
			due:   []dueCase{{0, 0}, {375, 5 * time.Second}, {499, 9552786405}, {500, never}},
			count: []atCase{{5 * time.Second, 375}, {10 * time.Second, 500}, {time.Hour, 500}},
			rate:  []atCase{{5 * time.Second, 50}, {10 * time.Second, 0}},
		},
		{
			name: "ramp flat",
			s:    schedule.Ramp{From: 50, To: 50, Over: 2 * time.Second},
			due:  []dueCase{{1, ms(20)}, {100, 2 * time.Second}, {150, 3 * time.Second}},
		},
		{
			name: "ramp zero", s: schedule.Ramp{Over: time.Second},
			due: []dueCase{{0, never}},
		},
		{
			name: "ramp over 0 is to",
			s:    schedule.Ramp{From: 10, To: 20, Over: 0},
			due:  []dueCase{{1, ms(50)}, {20, time.Second}},
			rate: []atCase{{-1, 20}, {0, 20}},
		},
		{
			// Count(5s) = 500 + (50·10s/2π)·(1 - cos π) = 500 + 500/π.
			name: "sine",
			s:    schedule.Sine{Mean: 100, Amplitude: 50, Period: 10 * time.Second},
			due:  []dueCase{{0, 0}, {1000, 10 * time.Second}, {2000, 20 * time.Second}, {360_000, time.Hour}},
			count: []atCase{
				{5 * time.Second, 500 + 500/math.Pi}, {10 * time.Second, 1000}, {15 * time.Second, 1500 + 500/math.Pi},
				{time.Hour, 360_000},
			},
			rate: []atCase{{0, 100}, {ms(2500), 150}, {ms(7500), 50}, {ms(12500), 150}},
		},
		{
			name: "sine touching zero",
			s:    schedule.Sine{Mean: 100, Amplitude: -100, Period: 10 * time.Second},
			due:  []dueCase{{1000, 10 * time.Second}},
			rate: []atCase{{ms(2500), 0}, {ms(7500), 200}},
		},
		{
			name: "sine period 0 is mean",
			s:    schedule.Sine{Mean: 100, Amplitude: 50},
			due:  []dueCase{{1, ms(10)}},
			rate: []atCase{{ms(2500), 100}},
		},
		{
			// A sawtooth of 500 requests every 10s.
			name: "repeat ramp", s: schedule.Repeat{Of: ramp0},
			due: []dueCase{
				{0, 0}, {5, time.Second}, {499, 9989994995}, // √(499/5)s
				{500, 10 * time.Second}, {505, 11 * time.Second}, {1000, 20 * time.Second}, {1020, 22 * time.Second},
			},
			count: []atCase{{10 * time.Second, 500}, {15 * time.Second, 625}, {time.Hour, 500 * 360}},
			rate:  []atCase{{5 * time.Second, 50}, {10 * time.Second, 0}, {15 * time.Second, 50}},
		},
		{
			// 1.5 requests per 1s cycle: the remainder after whole cycles is
			// fractional, so request n is due at n/1.5 s, not at a whole cycle.
			name: "repeat fractional cycle",
			s:    schedule.Repeat{Of: schedule.NewSteps([]schedule.Step{{Rate: 1.5, For: time.Second}})},
			due: []dueCase{
				{0, 0}, {1, 666666667}, {2, 1333333333}, {3, 2 * time.Second}, {4, 2666666667},
				{1499, 999333333333}, {1500, 1000 * time.Second},
			},
		},
		{
			name: "repeat starting at zero",
			s:    schedule.Repeat{Of: schedule.NewSteps([]schedule.Step{{Rate: 0, For: time.Second}, {Rate: 100, For: time.Second}})},
			due:  []dueCase{{0, time.Second}, {99, ms(1990)}, {100, 3 * time.Second}, {200, 5 * time.Second}},
			rate: []atCase{{ms(1999), 100}, {2 * time.Second, 0}, {3 * time.Second, 100}},
		},
		{
			name: "repeat of zero cycle", s: schedule.Repeat{Of: schedule.Ramp{Over: time.Second}},
			due: []dueCase{{0, never}}, count: []atCase{{time.Hour, 0}},
		},
		{
			name:  "repeat of zero length is the schedule",
			s:     schedule.Repeat{Of: schedule.Ramp{From: 1, To: 20}},
			due:   []dueCase{{20, time.Second}},
			count: []atCase{{time.Second, 20}},
			rate:  []atCase{{time.Second, 20}},
		},
		{
			name: "repeat foreign", s: schedule.Repeat{Of: opaque{ramp0}},
			due:   []dueCase{{0, 0}, {5, time.Second}, {500, 10 * time.Second}, {505, 11 * time.Second}, {520, 12 * time.Second}},
			slack: 1,
		},
		{
			name: "hold ramp", s: schedule.Hold{Of: ramp0}, due: ramp0Due,
			count: []atCase{{11 * time.Second, 600}},
			rate:  []atCase{{time.Hour, 100}},
		},
		{
			name: "hold steps ending at zero",
			s:    schedule.Hold{Of: schedule.NewSteps([]schedule.Step{{Rate: 100, For: time.Second}, {Rate: 0, For: time.Second}})},
			due:  []dueCase{{99, ms(990)}, {100, never}},
		},
		{
			name: "hold foreign", s: schedule.Hold{Of: opaque{schedule.NewSteps(gapSteps)}},
			due: gapDue, count: gapCount, rate: gapRate, slack: 1,
		},
		{name: "repeat nil", s: schedule.Repeat{}, due: []dueCase{{0, never}, {-1, 0}}, count: []atCase{{time.Hour, 0}}, rate: []atCase{{0, 0}}},
		{name: "hold nil", s: schedule.Hold{}, due: []dueCase{{0, never}, {-1, 0}}, count: []atCase{{time.Hour, 0}}, rate: []atCase{{0, 0}}},
	}
}

func TestExact(t *testing.T) {
	t.Parallel()
	for _, tc := range append(exactCases(), piecewiseExactCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range tc.due {
				at, ok := tc.s.Due(d.n)
				switch {
				case d.at == never && ok:
					t.Errorf("Due(%d) = %v, true; want not ok", d.n, at)
				case d.at != never && !ok:
					t.Errorf("Due(%d) not ok; want %v", d.n, d.at)
				case d.at != never && (at < d.at-tc.slack || at > d.at+tc.slack):
					t.Errorf("Due(%d) = %v (%d ns); want %v", d.n, at, at, d.at)
				}
			}
			for _, c := range tc.count {
				if got := tc.s.Count(c.at); !near(got, c.want) {
					t.Errorf("Count(%v) = %v; want %v", c.at, got, c.want)
				}
			}
			for _, r := range tc.rate {
				if got := tc.s.Rate(r.at); !near(got, r.want) {
					t.Errorf("Rate(%v) = %v; want %v", r.at, got, r.want)
				}
			}
		})
	}
}

// near allows for float rounding only: a few ulps relative.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-12*max(1, math.Abs(want))
}
