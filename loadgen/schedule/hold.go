package schedule

import "time"

// Hold runs a finite schedule once and then holds its final rate, Of's rate
// at Length, for ever.
//
//	rate ▲
//	     │      ╱━━━━━━━━━━━━━
//	     │    ╱
//	     │━━╱
//	     └──────┴─────────────▶ t
//	     0      L
//
//	Count(t) = Of.Count(t)                       t <= L
//	         = Of.Count(L) + Of.Rate(L)·(t - L)   t >  L
//
// This package's Ramp and Steps already hold when used bare, so Hold only
// says so explicitly for them; it matters for a Finite from elsewhere. If
// the final rate is 0, requests beyond Of's count are never due. A nil Of is
// rate 0 throughout.
type Hold struct {
	Of Finite
}

var (
	_ Schedule = Hold{}
	_ inverse  = Hold{}
)

// Count returns the integral of Rate from 0 to elapsed.
func (h Hold) Count(elapsed time.Duration) float64 {
	if h.Of == nil || elapsed <= 0 {
		return 0
	}
	l := max(h.Of.Length(), 0)
	if elapsed <= l {
		return h.Of.Count(elapsed)
	}
	return h.Of.Count(l) + rate(h.Of.Rate(l))*(elapsed-l).Seconds()
}

// Due returns the moment Count passes n; see Hold.
func (h Hold) Due(n int64) (time.Duration, bool) { return h.due(float64(n)) }

func (h Hold) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	if h.Of == nil {
		return 0, false
	}
	l := max(h.Of.Length(), 0)
	end := h.Of.Count(l)
	if x < end {
		return dueWithin(h.Of, x, l), true
	}
	r := rate(h.Of.Rate(l))
	if r == 0 {
		return 0, false
	}
	return offset(l, (x-end)/r)
}

// Rate returns Of's rate, and its rate at Length from then on.
func (h Hold) Rate(elapsed time.Duration) float64 {
	if h.Of == nil {
		return 0
	}
	return rate(h.Of.Rate(min(max(elapsed, 0), max(h.Of.Length(), 0))))
}
