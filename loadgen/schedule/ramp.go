package schedule

import (
	"math"
	"time"
)

// Ramp changes the rate linearly from From to To over Over, for warming a
// server up or finding the rate at which it saturates.
//
//	rate ▲
//	  To ┤        ╱━━━━━━  (bare Ramp or Hold: To from then on)
//	     │      ╱
//	From ┤━━━━╱
//	     └────┴────────┴───▶ t
//	          0       Over
//
//	Count(t) = From·t + (To-From)·t²/(2·Over)           t <= Over
//	         = (From+To)·Over/2 + To·(t-Over)           t >  Over
//
// Due solves a·t² + From·t = n, a = (To-From)/(2·Over), as
// t = 2n / (From + √(From² + 4·a·n)): unlike the schoolbook
// (-b + √(b²+4an))/2a it does not cancel when From is large and the ramp
// shallow, needs no case for From == To (a = 0 gives n/From), and gives
// √(n/a) when From == 0.
//
// Beyond Over a bare Ramp holds To, the same as Hold{Ramp}; Repeat{Ramp} makes
// a sawtooth. Over <= 0 is a step straight to To: Constant{To}.
type Ramp struct {
	From, To float64 // requests per second at 0 and at Over
	Over     time.Duration
}

var (
	_ Finite  = Ramp{}
	_ inverse = Ramp{}
)

// Length returns Over.
func (r Ramp) Length() time.Duration { return max(r.Over, 0) }

// Count returns the integral of Rate from 0 to elapsed.
func (r Ramp) Count(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	from, to := rate(r.From), rate(r.To)
	if r.Over <= 0 {
		return to * elapsed.Seconds()
	}
	over := r.Over.Seconds()
	end := (from + to) / 2 * over
	if elapsed >= r.Over {
		return end + to*(elapsed-r.Over).Seconds()
	}
	t := elapsed.Seconds()
	// The cap keeps Count monotonic where the two formulas meet at Over.
	return min(t*(from+(to-from)*t/(2*over)), end)
}

// Due returns the moment Count passes n; see Ramp.
func (r Ramp) Due(n int64) (time.Duration, bool) { return r.due(float64(n)) }

func (r Ramp) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	from, to := rate(r.From), rate(r.To)
	if r.Over <= 0 {
		return Constant{to}.due(x)
	}
	over := r.Over.Seconds()
	end := (from + to) / 2 * over
	if x >= end {
		if to == 0 {
			return 0, false
		}
		return offset(r.Over, (x-end)/to)
	}
	// Here end > 0, so From or To is positive and Count(t) > 0 for all
	// t > 0: request 0 is due at once even on a ramp up from 0.
	if x == 0 {
		return 0, true
	}
	a := (to - from) / (2 * over)
	disc := max(from*from+4*a*x, 0)
	t := 2 * x / (from + math.Sqrt(disc))
	return within(0, t, r.Over), true
}

// Rate returns the rate on the line from From to To, and To after Over.
func (r Ramp) Rate(elapsed time.Duration) float64 {
	from, to := rate(r.From), rate(r.To)
	switch {
	case r.Over <= 0 || elapsed >= r.Over:
		return to
	case elapsed <= 0:
		return from
	}
	return from + (to-from)*(elapsed.Seconds()/r.Over.Seconds())
}

// RampParams configure a Ramp and what follows it:
//
//	rate: {type: ramp, from: 0, to: 5000, duration: 10m, after: repeat}
type RampParams struct {
	From     float64       `mapstructure:"from"` // requests per second
	To       float64       `mapstructure:"to"`
	Duration time.Duration `mapstructure:"duration"`
	After    After         `mapstructure:"after"`
}

var rampType = Type{Name: "ramp", New: func() Params { return &RampParams{After: AfterRepeat} }}

var _ Params = (*RampParams)(nil)

// Check checks the rates, the duration and after.
func (p *RampParams) Check(ps Problems) {
	c := checker{ps, "ramp"}
	okFrom := c.rate("from", p.From, false)
	okTo := c.rate("to", p.To, false)
	if okFrom && okTo && p.From == 0 && p.To == 0 {
		c.Add("to", "from and to are both 0; at least one must be > 0")
	}
	if c.required("duration") {
		c.positive("duration", p.Duration)
	}
	c.after("after", p.After)
}

// Schedule returns the Ramp, repeated or held.
func (p *RampParams) Schedule() Schedule {
	return p.After.wrap(Ramp{From: p.From, To: p.To, Over: p.Duration})
}
