package schedule

import (
	"math"
	"time"
)

// Schedule is an open-loop arrival schedule.
type Schedule interface {
	// Count returns how many requests are due by elapsed: the integral of
	// Rate from 0 to elapsed. It never decreases, and Count(0) == 0.
	Count(elapsed time.Duration) float64
	// Due returns the offset from the start at which request n (counting
	// from 0) is due: the moment Count passes n, inf{t >= 0 : Count(t) > n}.
	// Where the rate is positive Count(at) == n; across a stretch at rate 0
	// the request waits for the rate to resume (see the package doc). ok is
	// false when Count never passes n, because the schedule ends or holds a
	// rate of 0 forever first, or when the offset overflows a time.Duration.
	Due(n int64) (at time.Duration, ok bool)
	// Rate returns the offered rate, in requests per second, at elapsed.
	Rate(elapsed time.Duration) float64
}

// Finite is a schedule with a natural end. Wrap it in Repeat or Hold to say
// what happens after Length; this package's own Finite schedules hold their
// final rate when used bare.
type Finite interface {
	Schedule
	Length() time.Duration
}

// inverse is Count's inverse on a real-valued count: inf{t : Count(t) > x}.
// Repeat needs it for the fraction of a cycle left over after whole cycles,
// which Due(int64) cannot express.
type inverse interface {
	due(x float64) (at time.Duration, ok bool)
}

// rate sanitises a configured rate: NaN and negative rates count as 0, and
// +Inf as the largest float64 so that Inf*0 never makes a NaN.
func rate(r float64) float64 {
	switch {
	case r > math.MaxFloat64:
		return math.MaxFloat64
	case r > 0:
		return r
	}
	return 0
}

// maxNanos is 2^63, the first float64 that a time.Duration cannot hold.
const maxNanos = float64(math.MaxInt64)

// offset returns base plus sec seconds, rounded to the nearest nanosecond,
// and false when that overflows a time.Duration. Rounding to nearest rather
// than up keeps exact offsets such as 99/100s = 990ms exact despite float
// error; a request is then at most half a nanosecond early.
func offset(base time.Duration, sec float64) (time.Duration, bool) {
	if !(sec > 0) { // also NaN
		return base, true
	}
	ns := math.Round(sec * 1e9)
	if ns >= maxNanos || time.Duration(ns) > math.MaxInt64-base {
		return 0, false
	}
	return base + time.Duration(ns), true
}

// within returns base plus sec seconds, no later than limit. The limit is
// the end of the piece whose formula gave sec, so float rounding cannot carry
// a request into the next piece; overflow can only come from rounding there.
func within(base time.Duration, sec float64, limit time.Duration) time.Duration {
	at, ok := offset(base, sec)
	if !ok {
		return limit
	}
	return min(at, limit)
}

// cycles returns k whole periods plus in, and false on overflow. Periodic
// schedules add the offset within a period in integer nanoseconds so that
// Due stays exact and monotonic across period boundaries however long the
// run.
func cycles(k float64, period, in time.Duration) (time.Duration, bool) {
	if k <= 0 {
		return in, true
	}
	if k > float64(math.MaxInt64/period) {
		return 0, false
	}
	base := time.Duration(k) * period
	if in > math.MaxInt64-base {
		return 0, false
	}
	return base + in, true
}

// split writes x as k whole cycles of per requests plus a remainder rem.
// k is the largest whole number with k*per <= x as periodic computes it, so
// that Due agrees with Count's own rounding at a cycle boundary: when a
// cycle opens at rate 0, x landing on k*per must wait out the next cycle's
// quiet start, not be placed at the end of the previous cycle. rem is then
// at least 0 and at most per give or take an ulp, which callers absorb by
// clamping the offset within a cycle. A k too large for any time.Duration
// comes back as is for cycles to reject.
func split(x, per float64) (k, rem float64) {
	if x < per {
		return 0, x
	}
	k = math.Floor(x / per)
	if k >= maxNanos {
		return k, 0
	}
	switch {
	case k*per > x:
		k--
	case (k+1)*per <= x:
		k++
	}
	return k, max(math.FMA(-k, per, x), 0)
}

// periodic returns k whole cycles of per requests plus in, where in is the
// count within the next cycle. Capping at k+1 cycles keeps Count monotonic
// across a cycle boundary, where k*per+in and (k+1)*per may round apart by
// an ulp; likewise in is capped at per.
func periodic(k int64, per, in float64) float64 {
	in = min(in, per)
	if k == 0 {
		return in
	}
	kf := float64(k)
	return min(kf*per+in, (kf+1)*per)
}

// AddSat returns t plus the non-negative part of d, saturating at the
// longest time.Duration rather than wrapping.
func AddSat(t, d time.Duration) time.Duration {
	if d <= 0 {
		return t
	}
	if t > math.MaxInt64-d {
		return math.MaxInt64
	}
	return t + d
}

// dueWithin returns inf{t : f.Count(t) > x} for 0 <= x < f.Count(l), where
// l is f's length, clamped to [0, l]. A Finite from outside this package has
// no real-valued inverse, so it gets a binary search on Count over [0, l].
func dueWithin(f Finite, x float64, l time.Duration) time.Duration {
	if in, ok := f.(inverse); ok {
		if at, ok := in.due(x); ok {
			return min(at, l)
		}
		return l
	}
	at, _ := search(f, x, 0, l)
	return at
}

// solve returns inf{t : s.Count(t) > x} for a real x >= 0, as Due does for a
// whole one: by s's real-valued inverse where it has one, and otherwise by a
// binary search on Count over all time.Durations.
func solve(s Schedule, x float64) (time.Duration, bool) {
	if in, ok := s.(inverse); ok {
		return in.due(x)
	}
	return search(s, x, 0, math.MaxInt64)
}

// search returns inf{t in [lo, hi] : s.Count(t) > x} to the nearest
// nanosecond by bisection (at most 63 steps), and false, with hi, when
// s.Count(hi) <= x.
func search(s Schedule, x float64, lo, hi time.Duration) (time.Duration, bool) {
	clo, chi := s.Count(lo), s.Count(hi)
	switch {
	case clo > x:
		return lo, true
	case !(chi > x):
		return hi, false
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if c := s.Count(mid); c > x {
			hi, chi = mid, c
		} else {
			lo, clo = mid, c
		}
	}
	if x-clo < chi-x {
		return lo, true
	}
	return hi, true
}
