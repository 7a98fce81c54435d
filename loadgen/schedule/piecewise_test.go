package schedule_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// hidden hides every real-valued inverse and the concrete type, so that
// Piecewise treats the schedule as one from elsewhere and searches.
type hidden struct{ schedule.Schedule }

// piece is a random schedule to cut into a Piecewise, as its base or as an
// override.
type piece struct {
	s      schedule.Schedule
	marks  func(h time.Duration) []time.Duration // where the rate may jump, up to h
	smooth bool                                  // a sine: no plateaus to check
	settle time.Duration                         // from then on the rate no longer changes shape
}

func noMarks(time.Duration) []time.Duration { return nil }

func fixedMarks(ms ...time.Duration) func(time.Duration) []time.Duration {
	return func(time.Duration) []time.Duration { return ms }
}

// periodMarks repeats marks within one period p up to h.
func periodMarks(p time.Duration, ms ...time.Duration) func(time.Duration) []time.Duration {
	return func(h time.Duration) []time.Duration { return cycleMarks(ms, p, h) }
}

// randPiece returns one of the package's schedules, with periods of at
// least 250ms so that a horizon of a minute holds a few hundred marks at
// most. foreign hides its inverse a third of the time.
func randPiece(r *rand.Rand, foreign bool) piece {
	steps := func() []schedule.Step {
		st := randSteps(r)
		for i := range st {
			st[i].For = randDur(r, 50*time.Millisecond, 5*time.Second)
		}
		return st
	}
	var p piece
	switch r.IntN(9) {
	case 0:
		p = piece{s: schedule.Constant{PerSecond: randRate(r)}, marks: noMarks}
	case 1:
		s := randRamp(r)
		s.Over = randDur(r, time.Millisecond, 10*time.Second)
		p = piece{s: s, marks: fixedMarks(s.Over), settle: s.Over}
	case 2:
		st := steps()
		s := schedule.NewSteps(st)
		p = piece{s: s, marks: fixedMarks(stepMarks(st)...), settle: s.Length()}
	case 3:
		b := schedule.Burst{Base: randRate(r), Peak: randRate(r), Period: randDur(r, 250*time.Millisecond, 10*time.Second)}
		b.Length = time.Duration(r.Float64() * float64(b.Period))
		p = piece{s: b, marks: periodMarks(b.Period, 0, b.Period-b.Length)}
	case 4:
		s := schedule.Sine{Mean: randRate(r), Period: randDur(r, 250*time.Millisecond, 10*time.Second)}
		s.Amplitude = s.Mean * (2*r.Float64() - 1)
		p = piece{s: s, marks: periodMarks(s.Period, 0, s.Period/2), smooth: true}
	case 5:
		s := randRamp(r)
		s.Over = randDur(r, 250*time.Millisecond, 10*time.Second)
		p = piece{s: schedule.Repeat{Of: s}, marks: periodMarks(s.Over, 0)}
	case 6:
		st := steps()
		s := schedule.NewSteps(st)
		p = piece{s: schedule.Repeat{Of: s}, marks: periodMarks(s.Length(), stepMarks(st)...)}
	case 7:
		s := randRamp(r)
		s.Over = randDur(r, time.Millisecond, 10*time.Second)
		p = piece{s: schedule.Hold{Of: s}, marks: fixedMarks(s.Over), settle: s.Over}
	case 8:
		st := steps()
		s := schedule.NewSteps(st)
		p = piece{s: schedule.Hold{Of: opaque{s}}, marks: fixedMarks(stepMarks(st)...), settle: s.Length()}
	}
	if foreign && r.IntN(3) == 0 {
		p.s = hidden{p.s}
	}
	return p
}

// randScale is 0 a fifth of the time, 1 a fifth, and otherwise uniform over
// [0, 5).
func randScale(r *rand.Rand) float64 {
	switch r.IntN(5) {
	case 0:
		return 0
	case 1:
		return 1
	}
	return 5 * r.Float64()
}

// randPiecewise returns a Piecewise of one to five segments over a random
// base, a third of them overrides when overrides is set, with the marks
// where its rate may jump up to a horizon, whether a sine is in it, and
// when the rate of its last segment settles.
func randPiecewise(r *rand.Rand, overrides, foreign bool) (p schedule.Piecewise, marks func(time.Duration) []time.Duration, smooth bool, settle time.Duration) {
	base := randPiece(r, foreign)
	smooth = base.smooth
	segs := make([]schedule.Segment, 1+r.IntN(5))
	ovs := make([]*piece, len(segs))
	for i := range segs {
		if r.IntN(6) != 0 {
			segs[i].For = randDur(r, 10*time.Millisecond, 5*time.Second)
		}
		if overrides && r.IntN(3) == 0 {
			o := randPiece(r, foreign)
			segs[i].Override, ovs[i] = o.s, &o
			smooth = smooth || o.smooth
		} else {
			segs[i].Scale = randScale(r)
		}
	}
	marks = func(h time.Duration) []time.Duration {
		ms := slices.Clone(base.marks(h))
		var at time.Duration
		for i, s := range segs {
			ms = append(ms, at)
			if o := ovs[i]; o != nil {
				for _, m := range o.marks(h) {
					if at+m <= h {
						ms = append(ms, at+m)
					}
				}
			}
			at += max(s.For, 0)
		}
		ms = append(ms, at)
		slices.Sort(ms)
		return slices.Compact(ms)
	}
	p = schedule.NewPiecewise(base.s, segs)
	settle = max(p.Length(), base.settle)
	if o := ovs[len(segs)-1]; o != nil {
		settle = max(p.Length(), p.Length()-max(segs[len(segs)-1].For, 0)+o.settle)
	}
	return p, marks, smooth, settle
}

// piecewiseSample looks past the end of a Piecewise, where its last segment
// runs on, to where its rate settles and beyond, or at several cycles of
// Repeat{Piecewise}.
func piecewiseSample(overrides, foreign, repeat bool) func(*rand.Rand) sample {
	return func(r *rand.Rand) sample {
		p, marks, smooth, settle := randPiecewise(r, overrides, foreign)
		if l := p.Length(); repeat && l > 0 {
			return sample{s: schedule.Repeat{Of: p}, horizon: repeats(r, l), marks: cycleMarks(marks(l), l, 7*l), smooth: smooth}
		}
		h := settle + randDur(r, time.Millisecond, 10*time.Second)
		if repeat { // a cycle of no length: Repeat uses it as it is
			return sample{s: schedule.Repeat{Of: p}, horizon: h, marks: marks(h), smooth: smooth}
		}
		return sample{s: p, horizon: h, marks: marks(h), smooth: smooth}
	}
}

func piecewiseExactCases() []exactCase {
	c100 := schedule.Constant{PerSecond: 100}
	// Per 10s period: 10/s for 9s, then 100/s for 1s.
	burst := schedule.Burst{Base: 10, Peak: 100, Period: 10 * time.Second, Length: time.Second}
	ramp2s := schedule.Ramp{From: 0, To: 100, Over: 2 * time.Second} // Count(u) = 25u² up to 2s
	onOff := schedule.Repeat{Of: schedule.NewSteps([]schedule.Step{{Rate: 0, For: time.Second}, {Rate: 100, For: time.Second}})}
	multipliers := []schedule.Segment{{For: time.Second, Scale: 1}, {For: time.Second, Scale: 0}, {For: time.Second, Scale: 2}}
	multDue := []dueCase{
		{0, 0}, {1, ms(10)}, {99, ms(990)},
		{100, 2 * time.Second}, // the ×0 phase holds request 100 back to its end
		{101, ms(2005)}, {299, ms(2995)},
		{300, 3 * time.Second}, {301, ms(3005)}, // after the end the ×2 phase runs on
		{-1, 0},
	}
	multCount := []atCase{
		{-time.Second, 0}, {0, 0}, {ms(500), 50}, {time.Second, 100}, {ms(1500), 100}, {2 * time.Second, 100},
		{ms(2500), 200}, {3 * time.Second, 300}, {4 * time.Second, 500},
	}
	multRate := []atCase{
		{-time.Second, 100}, {ms(999), 100}, {time.Second, 0}, {2*time.Second - 1, 0}, {2 * time.Second, 200},
		{3 * time.Second, 200}, {time.Hour, 200},
	}
	// 50/s, then onOff on its own clock for 4s (0 for 1s, 100 for 1s, twice),
	// then 50/s again: C = 0, 50, 250, 300.
	overrideTypes := func(o schedule.Schedule) schedule.Piecewise {
		return schedule.NewPiecewise(schedule.Constant{PerSecond: 50},
			[]schedule.Segment{{For: time.Second, Scale: 1}, {For: 4 * time.Second, Override: o}, {For: time.Second, Scale: 1}})
	}
	overrideDue := []dueCase{
		{49, ms(980)},
		{50, 2 * time.Second}, // the override starts quiet: request 50 waits for its rate
		{51, ms(2010)}, {149, ms(2990)},
		{150, 4 * time.Second}, {249, ms(4990)},
		{250, 5 * time.Second}, {251, ms(5020)}, {300, 6 * time.Second}, {301, ms(6020)},
	}
	overrideCount := []atCase{{ms(1500), 50}, {ms(2500), 100}, {ms(3500), 150}, {ms(4500), 200}, {5 * time.Second, 250}, {6 * time.Second, 300}}
	overrideRate := []atCase{{ms(999), 50}, {time.Second, 0}, {2 * time.Second, 100}, {3 * time.Second, 0}, {ms(4999), 100}, {5 * time.Second, 50}}
	return []exactCase{
		{name: "piecewise multipliers", s: schedule.NewPiecewise(c100, multipliers), due: multDue, count: multCount, rate: multRate},
		{
			name: "piecewise foreign base", s: schedule.NewPiecewise(hidden{c100}, multipliers),
			due: multDue, count: multCount, rate: multRate, slack: 1,
		},
		{
			// A scaled segment follows the base in the run's time: the burst
			// stays at 9s-10s of each period whatever the segments. C = 0, 50
			// (10/s for 5s); then ×2 of the base from 5s: 2·(B(t) - 50).
			name: "piecewise base keeps its phase",
			s:    schedule.NewPiecewise(burst, []schedule.Segment{{For: 5 * time.Second, Scale: 1}, {For: 10 * time.Second, Scale: 2}}),
			due: []dueCase{
				{49, ms(4900)}, {50, 5 * time.Second}, {51, ms(5050)},
				{129, ms(8950)}, {130, 9 * time.Second}, {131, ms(9005)}, // ×2 of the burst: 200/s
				{330, 10 * time.Second}, {430, 15 * time.Second},
				{510, 19 * time.Second}, // the next burst, after the end: the last segment runs on
				{710, 20 * time.Second},
			},
			count: []atCase{{5 * time.Second, 50}, {9 * time.Second, 130}, {10 * time.Second, 330}, {15 * time.Second, 430}, {20 * time.Second, 710}},
			rate:  []atCase{{ms(4999), 10}, {5 * time.Second, 20}, {ms(9500), 200}, {10 * time.Second, 20}, {ms(19500), 200}},
		},
		{
			// An override runs on its own clock: the ramp starts from 0 at 1s
			// and, being the last segment, holds 100/s after its end.
			name: "piecewise override",
			s:    schedule.NewPiecewise(c100, []schedule.Segment{{For: time.Second, Scale: 1}, {For: 2 * time.Second, Override: ramp2s}}),
			due: []dueCase{
				{99, ms(990)}, {100, time.Second}, {125, 2 * time.Second}, {200, 3 * time.Second}, {201, ms(3010)},
				{300, 4 * time.Second},
			},
			count: []atCase{{time.Second, 100}, {2 * time.Second, 125}, {3 * time.Second, 200}, {4 * time.Second, 300}},
			rate:  []atCase{{ms(999), 100}, {time.Second, 0}, {2 * time.Second, 50}, {3 * time.Second, 100}, {time.Hour, 100}},
		},
		{name: "piecewise override repeat", s: overrideTypes(onOff), due: overrideDue, count: overrideCount, rate: overrideRate},
		{
			name: "piecewise override steps",
			s: overrideTypes(schedule.NewSteps([]schedule.Step{
				{Rate: 0, For: time.Second}, {Rate: 100, For: time.Second}, {Rate: 0, For: time.Second}, {Rate: 100, For: time.Second},
			})),
			due: overrideDue, count: overrideCount, rate: overrideRate,
		},
		{
			name: "piecewise override hold",
			s: overrideTypes(schedule.Hold{Of: schedule.NewSteps([]schedule.Step{
				{Rate: 0, For: time.Second}, {Rate: 100, For: time.Second}, {Rate: 0, For: time.Second}, {Rate: 100, For: time.Second},
			})}),
			due: overrideDue, count: overrideCount, rate: overrideRate,
		},
		{
			name: "piecewise override foreign", s: overrideTypes(hidden{onOff}),
			due: overrideDue, count: overrideCount, rate: overrideRate, slack: 1,
		},
		{
			name: "piecewise zero-length segment",
			s:    schedule.NewPiecewise(c100, []schedule.Segment{{For: time.Second, Scale: 1}, {Scale: 5}, {For: time.Second, Scale: 2}}),
			due:  []dueCase{{100, time.Second}, {101, ms(1005)}, {300, 2 * time.Second}},
			rate: []atCase{{ms(999), 100}, {time.Second, 200}},
		},
		{
			// A last segment of no length still runs on from the end.
			name: "piecewise zero-length last",
			s:    schedule.NewPiecewise(c100, []schedule.Segment{{For: time.Second, Scale: 1}, {Scale: 3}}),
			due:  []dueCase{{100, time.Second}, {103, ms(1010)}},
			rate: []atCase{{time.Second, 300}},
		},
		{
			name: "piecewise ending at zero",
			s:    schedule.NewPiecewise(c100, []schedule.Segment{{For: time.Second, Scale: 1}, {For: time.Second, Scale: 0}}),
			due:  []dueCase{{99, ms(990)}, {100, never}},
			rate: []atCase{{time.Hour, 0}},
		},
		{
			name:  "piecewise all zero",
			s:     schedule.NewPiecewise(c100, []schedule.Segment{{For: time.Second, Scale: 0}}),
			due:   []dueCase{{0, never}},
			count: []atCase{{time.Hour, 0}},
		},
		{
			// Negative and NaN multipliers count as 0.
			name: "piecewise bad scales",
			s:    schedule.NewPiecewise(c100, []schedule.Segment{{For: time.Second, Scale: -1}, {For: time.Second, Scale: math.NaN()}, {Scale: 1}}),
			due:  []dueCase{{0, 2 * time.Second}, {1, ms(2010)}},
			rate: []atCase{{0, 0}, {time.Second, 0}},
		},
		{
			name: "piecewise nil base",
			s:    schedule.NewPiecewise(nil, []schedule.Segment{{For: time.Second, Scale: 1}, {For: time.Second, Override: schedule.Constant{PerSecond: 10}}, {Scale: 1}}),
			due:  []dueCase{{0, time.Second}, {1, ms(1100)}, {9, ms(1900)}, {10, never}},
			rate: []atCase{{0, 0}, {time.Second, 10}, {2 * time.Second, 0}},
		},
		{
			name: "piecewise no segments is the base", s: schedule.NewPiecewise(c100, nil),
			due: []dueCase{{1, ms(10)}}, count: []atCase{{time.Second, 100}}, rate: []atCase{{0, 100}},
		},
		{name: "piecewise zero", s: schedule.Piecewise{}, due: []dueCase{{0, never}, {-1, 0}}, count: []atCase{{time.Hour, 0}}, rate: []atCase{{0, 0}}},
		{
			// Each 2s cycle: 100 requests in the first second, none in the
			// second, and the base starts over with each cycle.
			name: "repeat piecewise",
			s:    schedule.Repeat{Of: schedule.NewPiecewise(c100, []schedule.Segment{{For: time.Second, Scale: 1}, {For: time.Second, Scale: 0}})},
			due:  []dueCase{{99, ms(990)}, {100, 2 * time.Second}, {199, ms(2990)}, {200, 4 * time.Second}, {100 * 1800, time.Hour}},
			count: []atCase{
				{ms(1500), 100}, {ms(2500), 150}, {time.Hour, 100 * 1800},
			},
			rate: []atCase{{ms(1500), 0}, {ms(2500), 100}},
		},
		{
			// Repeat restarts the base with the cycle: the burst at 9s-10s of
			// its period is at 9s-10s of every 12s cycle. Per cycle 190 + 20.
			name: "repeat piecewise restarts the base",
			s:    schedule.Repeat{Of: schedule.NewPiecewise(burst, []schedule.Segment{{For: 12 * time.Second, Scale: 1}})},
			due:  []dueCase{{90, 9 * time.Second}, {210, 12 * time.Second}, {300, 21 * time.Second}},
			rate: []atCase{{ms(11500), 10}, {ms(21500), 100}},
		},
	}
}

// TestPiecewiseMatchesSteps checks Piecewise over a constant base against
// Steps, an independent formula for the same rates: scaled segments of a
// constant are steps.
func TestPiecewiseMatchesSteps(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 0))
	for i := range 500 {
		base := randRate(r)
		segs := make([]schedule.Segment, 1+r.IntN(6))
		steps := make([]schedule.Step, len(segs))
		for j := range segs {
			segs[j] = schedule.Segment{For: randDur(r, time.Millisecond, 10*time.Second), Scale: randScale(r)}
			steps[j] = schedule.Step{Rate: base * segs[j].Scale, For: segs[j].For}
		}
		p, st := schedule.NewPiecewise(schedule.Constant{PerSecond: base}, segs), schedule.NewSteps(steps)
		horizon := 2*st.Length() + time.Second
		top := int64(min(st.Count(horizon), 1e5))
		for n := range top + 2 {
			if n > 100 && n < top-100 && n%97 != 0 {
				continue
			}
			got, gok := p.Due(n)
			want, wok := st.Due(n)
			if gok != wok || got-want > 1 || want-got > 1 {
				t.Fatalf("sample %d: Due(%d) = %v, %v; Steps say %v, %v\n%v", i, n, got, gok, want, wok, steps)
			}
		}
		for range 50 {
			at := time.Duration(r.Int64N(int64(horizon)))
			if got, want := p.Count(at), st.Count(at); math.Abs(got-want) > 1e-9*max(1, want) {
				t.Fatalf("sample %d: Count(%v) = %v; Steps say %v", i, at, got, want)
			}
			if got, want := p.Rate(at), st.Rate(at); !near(got, want) {
				t.Fatalf("sample %d: Rate(%v) = %v; Steps say %v", i, at, got, want)
			}
		}
	}
}

// TestPiecewiseForeignAgrees checks the binary search that inverts a
// schedule from elsewhere against the closed forms, to the nanosecond.
func TestPiecewiseForeignAgrees(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(12, 0))
	for i := range 300 {
		p, _, _, _ := randPiecewise(r, true, false)
		// The same segments over hidden schedules.
		segs := p.Segments()
		hid := make([]schedule.Segment, len(segs))
		for j, s := range segs {
			hid[j] = s
			if s.Override != nil {
				hid[j].Override = hidden{s.Override}
			}
		}
		q := schedule.NewPiecewise(hidden{p.Base()}, hid)
		h := p.Length() + time.Second
		top := int64(min(p.Count(h), 1e5))
		for range 200 {
			n := r.Int64N(top + 2)
			got, gok := q.Due(n)
			want, wok := p.Due(n)
			if gok != wok || got-want > 1 || want-got > 1 {
				t.Fatalf("sample %d: hidden Due(%d) = %v, %v; closed form %v, %v", i, n, got, gok, want, wok)
			}
		}
	}
}

func BenchmarkPiecewiseDue(b *testing.B) {
	segs := []schedule.Segment{
		{For: 10 * time.Minute, Scale: 0.5}, {For: time.Hour, Scale: 1}, {For: 5 * time.Minute, Scale: 3},
		{For: time.Minute, Scale: 1}, {For: 20 * time.Minute, Scale: 1},
	}
	for _, bc := range []struct {
		name string
		s    schedule.Schedule
	}{
		{"constant", schedule.NewPiecewise(schedule.Constant{PerSecond: 10000}, segs)},
		{"sine", schedule.NewPiecewise(schedule.Sine{Mean: 5000, Amplitude: 4000, Period: time.Minute}, segs)},
		{"repeat ramp", schedule.NewPiecewise(schedule.Repeat{Of: schedule.Ramp{From: 100, To: 10000, Over: time.Minute}}, segs)},
		{"foreign", schedule.NewPiecewise(hidden{schedule.Constant{PerSecond: 10000}}, segs)},
		{"repeat", schedule.Repeat{Of: schedule.NewPiecewise(schedule.Constant{PerSecond: 10000}, segs)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int64
			for b.Loop() {
				if _, ok := bc.s.Due(n); !ok {
					b.Fatalf("Due(%d) not ok", n)
				}
				n++
			}
		})
	}
}
