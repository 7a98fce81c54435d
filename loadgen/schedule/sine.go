package schedule

import (
	"math"
	"time"
)

// Sine swings the rate around Mean, the shape of a diurnal load squeezed into
// a test run.
//
//	rate ▲
//	 M+A ┤   ╭─╮             ╭─╮
//	   M ┤──╯───╲───────────╯───╲──
//	 M-A ┤        ╲───╯            ╲─
//	     └────────────────┴─────────▶ t
//	     0                P
//
//	Rate(t)  = M + A·sin(ωt)                           ω = 2π/P
//	Count(t) = M·t + (A/ω)·(1 - cos ωt)
//	         = k·M·P + M·u + (2A/ω)·sin²(ωu/2)          k = ⌊t/P⌋, u = t - k·P
//
// Whole periods are split off first so that the phase stays exact however
// long the run, and 1 - cos is written as 2·sin² so that it does not cancel
// near 0. Count has no closed-form inverse: Due jumps whole periods (M·P
// requests each) and then solves for the phase by Newton's method, bisecting
// whenever a step would leave the bracket or stalls (near a trough where the
// rate touches 0), to 0.1ns in at most 100 steps. That costs a few sincos
// calls, so Due is several times slower than the other schedules'.
//
// Amplitude is clamped to [-Mean, Mean] so that the rate never goes negative
// and Count keeps its closed form; a negative Amplitude starts with a dip.
// Period <= 0 is Constant{Mean}.
type Sine struct {
	Mean, Amplitude float64 // requests per second
	Period          time.Duration
}

var (
	_ Schedule = Sine{}
	_ inverse  = Sine{}
)

// shape returns the sanitised mean and amplitude and ω, and whether the
// rate actually varies.
func (s Sine) shape() (m, a, w float64, wave bool) {
	m = rate(s.Mean)
	if s.Amplitude == s.Amplitude { // not NaN
		a = min(max(s.Amplitude, -m), m)
	}
	if s.Period <= 0 || a == 0 {
		return m, 0, 0, false
	}
	return m, a, 2 * math.Pi / s.Period.Seconds(), true
}

// phaseCount is the count u seconds into a period.
func phaseCount(m, a, w, u float64) float64 {
	sn := math.Sin(w * u / 2)
	return m*u + 2*a/w*sn*sn
}

// Count returns the integral of Rate from 0 to elapsed.
func (s Sine) Count(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	m, a, w, wave := s.shape()
	if !wave {
		return m * elapsed.Seconds()
	}
	u := (elapsed % s.Period).Seconds()
	return periodic(int64(elapsed/s.Period), m*s.Period.Seconds(), phaseCount(m, a, w, u))
}

// Due returns the moment Count passes n; see Sine.
func (s Sine) Due(n int64) (time.Duration, bool) { return s.due(float64(n)) }

func (s Sine) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	m, a, w, wave := s.shape()
	if !wave {
		return Constant{m}.due(x)
	}
	p := s.Period.Seconds()
	k, rem := split(x, m*p)
	return cycles(k, s.Period, within(0, solvePhase(m, a, w, p, rem), s.Period))
}

// solvePhase returns the u in [0, p] with phaseCount(u) == x, for
// 0 <= x <= m·p and 0 < |a| <= m. phaseCount is strictly increasing (the
// rate touches 0 at most at isolated points), so the root is unique and a
// bracket is kept around it: Newton steps that leave the bracket, or do not
// at least halve the previous step, become bisections (rtsafe in Numerical
// Recipes).
func solvePhase(m, a, w, p, x float64) float64 {
	const tol = 1e-10 // seconds
	if x <= 0 {
		return 0
	}
	// The rate lies in [m-|a|, m+|a|], which brackets the root.
	lo, hi := x/(m+math.Abs(a)), p
	if m > math.Abs(a) {
		hi = min(hi, x/(m-math.Abs(a)))
	}
	lo = min(lo, hi)
	u := min(max(x/m, lo), hi)
	step, prev := hi-lo, hi-lo
	for range 100 {
		sn, cs := math.Sincos(w * u / 2)
		f := m*u + 2*a/w*sn*sn - x
		switch {
		case f == 0:
			return u
		case f > 0:
			hi = u
		default:
			lo = u
		}
		r := m + 2*a*sn*cs // the rate: sin ωu = 2·sin(ωu/2)·cos(ωu/2)
		prev, step = step, f/r
		next := u - step
		if !(r > 0) || !(next > lo && next < hi) || math.Abs(2*step) > math.Abs(prev) {
			step = (hi - lo) / 2
			next = lo + step
		}
		if math.Abs(next-u) <= tol || hi-lo <= tol {
			return next
		}
		u = next
	}
	return u
}

// Rate returns Mean + Amplitude·sin(2π·elapsed/Period).
func (s Sine) Rate(elapsed time.Duration) float64 {
	m, a, w, wave := s.shape()
	if !wave {
		return m
	}
	u := (max(elapsed, 0) % s.Period).Seconds()
	return max(m+a*math.Sin(w*u), 0)
}

// SineParams configure a Sine:
//
//	rate: {type: sine, mean: 1000, amplitude: 500, period: 5m}
type SineParams struct {
	Mean      float64       `mapstructure:"mean"` // requests per second
	Amplitude float64       `mapstructure:"amplitude"`
	Period    time.Duration `mapstructure:"period"`
}

var sineType = Type{Name: "sine", New: func() Params { return &SineParams{} }}

var _ Params = (*SineParams)(nil)

// Check checks the rates, 0 <= amplitude <= mean, and the period.
func (p *SineParams) Check(ps Problems) {
	c := checker{ps, "sine"}
	okMean := c.required("mean") && c.rate("mean", p.Mean, true)
	switch {
	case p.Amplitude < 0:
		c.Add("amplitude", "must be >= 0, got %v", p.Amplitude)
	case okMean && p.Amplitude > p.Mean:
		c.Add("amplitude", "must be <= mean (%v), got %v", p.Mean, p.Amplitude)
	case okMean && p.Mean+p.Amplitude > MaxRate:
		c.Add("amplitude", "mean + amplitude must be <= %v requests/s, got %v", MaxRate, p.Mean+p.Amplitude)
	}
	if c.required("period") {
		c.positive("period", p.Period)
	}
}

// Schedule returns the Sine.
func (p *SineParams) Schedule() Schedule {
	return Sine{Mean: p.Mean, Amplitude: p.Amplitude, Period: p.Period}
}
