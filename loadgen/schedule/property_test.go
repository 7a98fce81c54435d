package schedule_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// sample is one random schedule with what its properties are checked over.
type sample struct {
	s       schedule.Schedule
	horizon time.Duration   // how far to look
	marks   []time.Duration // where the rate may jump or a formula changes
	smooth  bool            // the rate is never 0 over a stretch (Sine): no plateaus to check
}

type family struct {
	name string
	gen  func(*rand.Rand) sample
}

// randRate is 0 a fifth of the time, a round rate a fifth, and otherwise
// log-uniform over 0.1/s to 10k/s.
func randRate(r *rand.Rand) float64 {
	switch r.IntN(5) {
	case 0:
		return 0
	case 1:
		return float64(1 + r.IntN(100))
	}
	return math.Pow(10, -1+5*r.Float64())
}

// randDur is log-uniform over [lo, hi], rounded to a millisecond half the
// time as configs usually are.
func randDur(r *rand.Rand, lo, hi time.Duration) time.Duration {
	d := time.Duration(math.Exp(math.Log(float64(lo)) + r.Float64()*math.Log(float64(hi)/float64(lo))))
	if r.IntN(2) == 0 && d >= time.Millisecond {
		d = d.Round(time.Millisecond)
	}
	return d
}

func randRamp(r *rand.Rand) schedule.Ramp {
	return schedule.Ramp{From: randRate(r), To: randRate(r), Over: randDur(r, time.Millisecond, time.Minute)}
}

func randSteps(r *rand.Rand) []schedule.Step {
	steps := make([]schedule.Step, 1+r.IntN(6))
	for i := range steps {
		steps[i].Rate = randRate(r)
		if r.IntN(7) != 0 {
			steps[i].For = randDur(r, time.Millisecond, 20*time.Second)
		}
	}
	return steps
}

// stepMarks returns where each step begins, and the end.
func stepMarks(steps []schedule.Step) []time.Duration {
	marks := []time.Duration{0}
	var at time.Duration
	for _, st := range steps {
		at += st.For
		marks = append(marks, at)
	}
	return marks
}

// cycleMarks repeats marks within one cycle of length l up to horizon.
func cycleMarks(marks []time.Duration, l, horizon time.Duration) []time.Duration {
	if l <= 0 {
		return marks
	}
	var out []time.Duration
	for k := time.Duration(0); k*l <= horizon; k++ {
		for _, m := range marks {
			out = append(out, k*l+m)
		}
	}
	return out
}

// repeats is a horizon of one to six cycles of l and a part of another.
func repeats(r *rand.Rand, l time.Duration) time.Duration {
	if l <= 0 {
		return time.Second
	}
	return l*time.Duration(1+r.IntN(6)) + time.Duration(r.Float64()*float64(l))
}

func finiteSample(r *rand.Rand, s schedule.Finite, marks []time.Duration, wrap string) sample {
	l := s.Length()
	switch wrap {
	case "repeat":
		return sample{s: schedule.Repeat{Of: s}, horizon: repeats(r, l), marks: cycleMarks(marks, l, 7*l)}
	case "hold":
		return sample{s: schedule.Hold{Of: s}, horizon: 2*l + time.Second, marks: marks}
	case "repeat foreign":
		return sample{s: schedule.Repeat{Of: opaque{s}}, horizon: repeats(r, l), marks: cycleMarks(marks, l, 7*l)}
	case "hold foreign":
		return sample{s: schedule.Hold{Of: opaque{s}}, horizon: 2*l + time.Second, marks: marks}
	}
	return sample{s: s, horizon: 2*l + time.Second, marks: marks}
}

var families = []family{
	{"constant", func(r *rand.Rand) sample {
		return sample{s: schedule.Constant{PerSecond: randRate(r)}, horizon: randDur(r, time.Millisecond, 5*time.Minute)}
	}},
	{"ramp", func(r *rand.Rand) sample {
		s := randRamp(r)
		return finiteSample(r, s, []time.Duration{s.Over}, "")
	}},
	{"steps", func(r *rand.Rand) sample {
		st := randSteps(r)
		return finiteSample(r, schedule.NewSteps(st), stepMarks(st), "")
	}},
	{"steps literal", func(r *rand.Rand) sample {
		st := randSteps(r)
		return finiteSample(r, schedule.Steps{Steps: st}, stepMarks(st), "")
	}},
	{"burst", func(r *rand.Rand) sample {
		b := schedule.Burst{Base: randRate(r), Peak: randRate(r), Period: randDur(r, 10*time.Millisecond, time.Minute)}
		switch r.IntN(8) {
		case 0:
		case 1:
			b.Length = b.Period
		default:
			b.Length = time.Duration(r.Float64() * float64(b.Period))
		}
		h := repeats(r, b.Period)
		return sample{s: b, horizon: h, marks: cycleMarks([]time.Duration{0, b.Period - b.Length}, b.Period, h)}
	}},
	{"sine", func(r *rand.Rand) sample {
		s := schedule.Sine{Mean: randRate(r), Period: randDur(r, 10*time.Millisecond, 100*time.Second)}
		switch r.IntN(6) {
		case 0:
			s.Amplitude = s.Mean
		case 1:
			s.Amplitude = -s.Mean
		default:
			s.Amplitude = s.Mean * (2*r.Float64() - 1)
		}
		h := repeats(r, s.Period)
		return sample{s: s, horizon: h, marks: cycleMarks([]time.Duration{0, s.Period / 2}, s.Period, h), smooth: true}
	}},
	{"repeat ramp", func(r *rand.Rand) sample {
		s := randRamp(r)
		return finiteSample(r, s, []time.Duration{0}, "repeat")
	}},
	{"repeat steps", func(r *rand.Rand) sample {
		st := randSteps(r)
		return finiteSample(r, schedule.NewSteps(st), stepMarks(st), "repeat")
	}},
	{"repeat foreign steps", func(r *rand.Rand) sample {
		st := randSteps(r)
		return finiteSample(r, schedule.NewSteps(st), stepMarks(st), "repeat foreign")
	}},
	{"hold ramp", func(r *rand.Rand) sample {
		s := randRamp(r)
		return finiteSample(r, s, []time.Duration{s.Over}, "hold")
	}},
	{"hold steps", func(r *rand.Rand) sample {
		st := randSteps(r)
		return finiteSample(r, schedule.NewSteps(st), stepMarks(st), "hold")
	}},
	{"hold foreign ramp", func(r *rand.Rand) sample {
		s := randRamp(r)
		return finiteSample(r, s, []time.Duration{s.Over}, "hold foreign")
	}},
	{"piecewise", piecewiseSample(false, false, false)},
	{"piecewise overrides", piecewiseSample(true, false, false)},
	{"piecewise foreign", piecewiseSample(true, true, false)},
	{"repeat piecewise", piecewiseSample(true, false, true)},
}

// samplesPerFamily random schedules are checked for each family, from fixed
// seeds so that a failure reproduces.
const samplesPerFamily = 400

// forEachSample runs check on each family's random samples.
func forEachSample(t *testing.T, seed uint64, check func(t *testing.T, r *rand.Rand, s sample)) {
	t.Helper()
	for fi, f := range families {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, uint64(fi)))
			for i := range samplesPerFamily {
				s := f.gen(r)
				ok := t.Run(fmt.Sprint(i), func(t *testing.T) { check(t, r, s) })
				if !ok {
					t.Fatalf("sample %d: %#v, horizon %v", i, s.s, s.horizon)
				}
			}
		})
	}
}

// probeTimes returns sorted times: random ones over the horizon, and each
// mark with its neighbouring nanoseconds.
func probeTimes(r *rand.Rand, s sample) []time.Duration {
	ts := []time.Duration{0, 1, s.horizon}
	for range 300 {
		ts = append(ts, time.Duration(r.Int64N(int64(s.horizon)+1)))
	}
	for _, m := range s.marks {
		if m <= s.horizon {
			ts = append(ts, max(m-1, 0), m, m+1)
		}
	}
	slices.Sort(ts)
	return ts
}

// probeCounts returns sorted request numbers: random ones up to the count
// at the horizon, runs of consecutive ones, and those around each mark's
// count.
func probeCounts(r *rand.Rand, s sample) []int64 {
	top := int64(math.Min(s.s.Count(s.horizon), 1e15))
	ns := []int64{0, 1, top, top + 1}
	for range 100 {
		ns = append(ns, r.Int64N(top+1))
	}
	for range 5 {
		n0 := r.Int64N(top + 1)
		for n := range int64(20) {
			ns = append(ns, n0+n)
		}
	}
	for _, m := range s.marks {
		if m <= s.horizon {
			c := int64(s.s.Count(m))
			ns = append(ns, max(c-1, 0), c, c+1)
		}
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

func TestCountMonotonic(t *testing.T) {
	t.Parallel()
	forEachSample(t, 1, func(t *testing.T, r *rand.Rand, s sample) {
		if c := s.s.Count(0); c != 0 {
			t.Fatalf("Count(0) = %v", c)
		}
		prev, prevT := 0.0, time.Duration(0)
		for _, at := range probeTimes(r, s) {
			c := s.s.Count(at)
			if !(c >= prev) {
				t.Fatalf("Count(%v) = %v < Count(%v) = %v", at, c, prevT, prev)
			}
			prev, prevT = c, at
		}
	})
}

func TestDueMonotonic(t *testing.T) {
	t.Parallel()
	forEachSample(t, 2, func(t *testing.T, r *rand.Rand, s sample) {
		prev, prevN, prevOK := time.Duration(0), int64(0), true
		for _, n := range probeCounts(r, s) {
			at, ok := s.s.Due(n)
			switch {
			case at < 0:
				t.Fatalf("Due(%d) = %v < 0", n, at)
			case ok && !prevOK:
				t.Fatalf("Due(%d) ok after Due(%d) was not", n, prevN)
			case ok && at < prev:
				t.Fatalf("Due(%d) = %v < Due(%d) = %v", n, at, prevN, prev)
			}
			prev, prevN, prevOK = at, n, ok
		}
	})
}

// TestDueInvertsCount checks that Count(Due(n)) is n, to within 1e-6
// relative or the count covered in a nanosecond either side (Due rounds to
// the nearest nanosecond); that the count then goes on past n (Due is the
// end of a stretch at rate 0, not its start); and that Due is ok exactly
// when the count passes n.
func TestDueInvertsCount(t *testing.T) {
	t.Parallel()
	forEachSample(t, 3, func(t *testing.T, r *rand.Rand, s sample) {
		end := s.s.Count(s.horizon)
		for _, n := range probeCounts(r, s) {
			x := float64(n)
			at, ok := s.s.Due(n)
			if !ok {
				// Not ok only if the count never passes n: it is flat by the
				// horizon, if not sooner.
				if end > x || s.s.Count(2*s.horizon) > end {
					t.Fatalf("Due(%d) not ok; Count(%v) = %v", n, s.horizon, end)
				}
				continue
			}
			if end > x*(1+1e-12) && at > s.horizon+1 {
				t.Fatalf("Due(%d) = %v beyond the horizon %v where Count = %v", n, at, s.horizon, end)
			}
			c := s.s.Count(at)
			tol := 1e-6 * max(1, x)
			if math.Abs(c-x) > tol && !(s.s.Count(max(at-1, 0)) <= x && x <= s.s.Count(at+1)) {
				t.Fatalf("Count(Due(%d) = %v) = %v", n, at, c)
			}
			if !s.smooth && s.s.Count(at+time.Millisecond) <= x {
				t.Fatalf("Due(%d) = %v but Count(%v) = %v: due at the start of a flat stretch", n, at, at+time.Millisecond, s.s.Count(at+time.Millisecond))
			}
		}
	})
}

// TestDueMatchesCount checks that the requests scheduled by t are the
// integral of the rate to within one: the number of n with Due(n) <= t is
// floor(Count(t))+1, give or take one.
func TestDueMatchesCount(t *testing.T) {
	t.Parallel()
	forEachSample(t, 4, func(t *testing.T, r *rand.Rand, s sample) {
		for _, at := range probeTimes(r, s) {
			c := s.s.Count(at)
			want := math.Floor(c) + 1
			if got := float64(dueBy(s.s, at, int64(want)+2)); math.Abs(got-want) > 1 {
				t.Fatalf("%v requests due by %v; Count = %v", got, at, c)
			}
		}
	})
}

// dueBy returns how many of requests 0..limit-1 are due by at, by binary
// search on Due, which is monotonic.
func dueBy(s schedule.Schedule, at time.Duration, limit int64) int64 {
	lo, hi := int64(0), limit // Due(n) <= at for n < lo; not for n >= hi
	for lo < hi {
		mid := lo + (hi-lo)/2
		if d, ok := s.Due(mid); ok && d <= at {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// TestRateIntegratesToCount integrates Rate by Simpson's rule and compares
// it with Count. The grid breaks at every mark, where the rate may jump, and
// the last cell before a mark takes the rate a nanosecond short of it, so
// that no jump falls inside a cell: Simpson's rule is then exact for the
// piecewise-linear rates, up to that nanosecond, and very close for Sine.
// Cells are an even number of nanoseconds wide so that the midpoint is exact.
func TestRateIntegratesToCount(t *testing.T) {
	t.Parallel()
	forEachSample(t, 5, func(t *testing.T, r *rand.Rand, s sample) {
		const cells = 2048
		for range 3 {
			end := time.Duration(r.Int64N(int64(s.horizon))) + 1
			breaks := []time.Duration{0, end}
			for _, m := range s.marks {
				if m > 0 && m < end {
					breaks = append(breaks, m)
				}
			}
			slices.Sort(breaks)
			breaks = slices.Compact(breaks)
			var sum float64
			for i := range len(breaks) - 1 {
				p, q := breaks[i], breaks[i+1]
				w := max(2, end/cells/2*2) // about cells cells over [0, end]
				for a := p; a < q; a += w {
					b := min(a+w, q)
					fb := s.s.Rate(b)
					if b == q {
						fb = s.s.Rate(b - 1)
					}
					sum += (b - a).Seconds() / 6 * (s.s.Rate(a) + 4*s.s.Rate((a+b)/2) + fb)
				}
			}
			if c := s.s.Count(end); math.Abs(sum-c) > 1e-6*max(1, c) {
				t.Fatalf("∫Rate over [0, %v] = %v; Count = %v", end, sum, c)
			}
		}
	})
}
