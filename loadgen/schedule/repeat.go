package schedule

import "time"

// Repeat runs a finite schedule over and over: Repeat{Ramp} is a sawtooth,
// Repeat{Steps} a repeating pattern of levels.
//
//	rate ▲
//	     │    ╱┃    ╱┃    ╱┃
//	     │  ╱  ┃  ╱  ┃  ╱  ┃
//	     │╱    ┃╱    ┃╱    ┃
//	     └─────┴─────┴─────┴──▶ t
//	     0     L     2L    3L
//
//	N        = Of.Count(L)                     requests per cycle
//	Count(t) = k·N + Of.Count(t - k·L)          k = ⌊t/L⌋
//	Due(n)   = k·L + Of⁻¹(n - k·N)              k = ⌊n/N⌋
//
// N need not be whole, so the remainder n - k·N is a real count and the
// inverse Of⁻¹ works on reals; for a Finite from outside this package it is
// a binary search on Count. A cycle that sends nothing (N == 0) means nothing
// is ever due. Of with Length <= 0 cannot be repeated and is used as it is;
// a nil Of is rate 0 throughout.
type Repeat struct {
	Of Finite
}

var (
	_ Schedule = Repeat{}
	_ inverse  = Repeat{}
)

// Count returns the integral of Rate from 0 to elapsed.
func (r Repeat) Count(elapsed time.Duration) float64 {
	if r.Of == nil || elapsed <= 0 {
		return 0
	}
	l := r.Of.Length()
	if l <= 0 {
		return r.Of.Count(elapsed)
	}
	return periodic(int64(elapsed/l), r.Of.Count(l), r.Of.Count(elapsed%l))
}

// Due returns the moment Count passes n; see Repeat.
func (r Repeat) Due(n int64) (time.Duration, bool) {
	if n >= 0 && r.Of != nil && r.Of.Length() <= 0 {
		return r.Of.Due(n) // not repeated: Of's own Due
	}
	return r.due(float64(n))
}

func (r Repeat) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	if r.Of == nil {
		return 0, false
	}
	l := r.Of.Length()
	if l <= 0 {
		return solve(r.Of, x)
	}
	per := r.Of.Count(l)
	if !(per > 0) {
		return 0, false
	}
	k, rem := split(x, per)
	return cycles(k, l, dueWithin(r.Of, rem, l))
}

// Rate returns Of's rate at the same point in the current cycle.
func (r Repeat) Rate(elapsed time.Duration) float64 {
	if r.Of == nil {
		return 0
	}
	if l := r.Of.Length(); l > 0 {
		elapsed = max(elapsed, 0) % l
	}
	return rate(r.Of.Rate(elapsed))
}
