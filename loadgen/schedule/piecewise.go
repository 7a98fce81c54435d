package schedule

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Segment is one stretch of a Piecewise schedule: the base schedule scaled
// by Scale or, when Override is set, another schedule in its place.
type Segment struct {
	For time.Duration // how long the segment lasts
	// Scale multiplies the base schedule's rate: 1 runs it unchanged, 0
	// sends nothing. Unused when Override is set.
	Scale float64
	// Override, if not nil, replaces the base schedule for the segment and
	// runs on its own clock, which starts at 0 when the segment begins.
	Override Schedule
}

// Piecewise is a run cut into consecutive segments, each the base schedule
// B scaled by a multiplier, or an override schedule O of its own: the rate
// schedule of a scenario's phases.
//
//	rate ▲
//	     │               ×2             O
//	     │             ╭─╮ ╭─╮             ╱━━━━━  (the last segment runs on)
//	     │  ×1         │ ╰─╯ │           ╱
//	     │╭─╮ ╭─╮      │     │         ╱
//	     │╯ ╰─╯ ╰┐ ×0  │     └───────╱
//	     │       └─────┘
//	     └───────┴─────┴─────┴───────┴────▶ t
//	     0       T₁    T₂    T₃      T₄
//
//	Count(t) = C[i] + m[i]·(B(t) - B(T[i]))     scaled segment, T[i] <= t < T[i+1]
//	         = C[i] + O[i](t - T[i])            override segment
//	Due(n)   = B⁻¹(B(T[i]) + (n - C[i])/m[i])   the first i with C[i+1] > n
//	         = T[i] + O[i]⁻¹(n - C[i])
//
// where T[i] is when segment i begins and C[i] the count by then. A scaled
// segment follows B in the run's time, not the segment's: a burst or sine
// base keeps its phase across segments, and a multiplier only changes its
// height. An override starts from its own 0 at T[i]. A segment that sends
// nothing (Scale 0) makes the next request wait for the next segment that
// sends, like a step at rate 0.
//
// After the last segment's end the last segment runs on, unlike Hold, which
// would freeze the rate of its last instant: ×2 of a sine base stays ×2 of
// the sine. Repeat{Piecewise} instead starts over, and then the base starts
// over with each cycle too, so that every cycle offers the same load.
//
// Build with NewPiecewise, which tabulates T and C once; Count, Rate and Due
// are then a binary search on the table and one evaluation (or inversion) of
// B or O. This package's schedules, Repeat and Hold included, are inverted in
// closed form; a schedule from elsewhere by a binary search on its Count, to
// the nearest nanosecond. With no segments Piecewise is the base itself; a
// nil base sends nothing, except in override segments; the zero Piecewise
// has rate 0 throughout. A segment with For <= 0 lasts no time, except that
// the last one still runs on from the end.
type Piecewise struct {
	base   Schedule
	segs   []Segment
	starts []time.Duration // starts[i]: when segment i begins; starts[k]: the end
	counts []float64       // counts[i]: the count by starts[i]
}

var (
	_ Finite  = Piecewise{}
	_ inverse = Piecewise{}
)

// NewPiecewise returns base cut into segs (copied).
func NewPiecewise(base Schedule, segs []Segment) Piecewise {
	p := Piecewise{
		base:   base,
		segs:   slices.Clone(segs),
		starts: make([]time.Duration, len(segs)+1),
		counts: make([]float64, len(segs)+1),
	}
	for i, s := range p.segs {
		p.starts[i+1] = AddSat(p.starts[i], s.For)
		p.counts[i+1] = p.counts[i] + p.in(i, p.starts[i+1])
	}
	return p
}

// Base returns the schedule that scaled segments scale.
func (p Piecewise) Base() Schedule { return p.base }

// Segments returns a copy of the segments.
func (p Piecewise) Segments() []Segment { return slices.Clone(p.segs) }

// Length returns the total of the segments' durations.
func (p Piecewise) Length() time.Duration {
	if len(p.segs) == 0 {
		return 0
	}
	return p.starts[len(p.segs)]
}

// in is the count within segment i from its start to t >= its start. Count
// at the next segment's start is the table's next entry plus an in of
// exactly 0, and float addition is monotonic, so Count cannot step back at a
// boundary.
func (p Piecewise) in(i int, t time.Duration) float64 {
	s, a := &p.segs[i], p.starts[i]
	if s.Override != nil {
		return s.Override.Count(t - a)
	}
	m := rate(s.Scale)
	if m == 0 || p.base == nil {
		return 0
	}
	return m * max(p.base.Count(t)-p.base.Count(a), 0)
}

// at returns the segment in force at t >= 0: the last one whose start is at
// or before t, passing over segments that last no time.
func (p Piecewise) at(t time.Duration) int {
	return sort.Search(len(p.segs)-1, func(j int) bool { return p.starts[j+1] > t })
}

// Count returns the integral of Rate from 0 to elapsed.
func (p Piecewise) Count(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	if len(p.segs) == 0 {
		if p.base == nil {
			return 0
		}
		return p.base.Count(elapsed)
	}
	i := p.at(elapsed)
	return p.counts[i] + p.in(i, elapsed)
}

// Due returns the moment Count passes n; see Piecewise.
func (p Piecewise) Due(n int64) (time.Duration, bool) { return p.due(float64(n)) }

func (p Piecewise) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	k := len(p.segs)
	if k == 0 {
		if p.base == nil {
			return 0, false
		}
		return solve(p.base, x)
	}
	// The first segment whose end count passes x; the last runs on, so it
	// is the answer when none of the others does.
	i := sort.Search(k-1, func(j int) bool { return p.counts[j+1] > x })
	last := i == k-1
	a, y := p.starts[i], max(x-p.counts[i], 0)
	end := time.Duration(math.MaxInt64)
	if !last {
		end = p.starts[i+1]
	}
	s := &p.segs[i]
	at, ok := end, false
	if s.Override != nil {
		var u time.Duration
		u, ok = passing(s.Override, y, 0, end-a)
		at = a + u
	} else if m := rate(s.Scale); m > 0 && p.base != nil {
		// m·(B(t) - B(a)) = y, so B(t) = B(a) + y/m.
		at, ok = passing(p.base, p.base.Count(a)+y/m, a, end)
	}
	if !ok && last {
		return 0, false
	}
	// A segment that is not the last passes x by its end; if rounding says
	// otherwise, the request goes at the end.
	return at, true
}

// Rate returns the rate of the segment in force at elapsed.
func (p Piecewise) Rate(elapsed time.Duration) float64 {
	elapsed = max(elapsed, 0)
	if len(p.segs) == 0 {
		if p.base == nil {
			return 0
		}
		return rate(p.base.Rate(elapsed))
	}
	i := p.at(elapsed)
	s := &p.segs[i]
	if s.Override != nil {
		return rate(s.Override.Rate(elapsed - p.starts[i]))
	}
	m := rate(s.Scale)
	if m == 0 || p.base == nil {
		return 0
	}
	return m * rate(p.base.Rate(elapsed))
}

// passing returns inf{t : s.Count(t) > x} clamped to [lo, hi], and false,
// with hi, when s.Count does not pass x by hi.
func passing(s Schedule, x float64, lo, hi time.Duration) (time.Duration, bool) {
	at, ok := solve(s, x)
	if !ok {
		return hi, false
	}
	return min(max(at, lo), hi), true
}
