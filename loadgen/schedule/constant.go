package schedule

import "time"

// Constant offers the same rate for ever.
//
//	rate ▲
//	   r ┤━━━━━━━━━━━━━━━━━
//	     └─────────────────▶ t
//
//	Count(t) = r·t        Due(n) = n/r
//
// At rate 0 nothing is ever due, not even request 0.
type Constant struct {
	PerSecond float64 // requests per second
}

var _ Schedule = Constant{}

// Count returns PerSecond times elapsed.
func (c Constant) Count(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return rate(c.PerSecond) * elapsed.Seconds()
}

// Due returns n/PerSecond.
func (c Constant) Due(n int64) (time.Duration, bool) { return c.due(float64(n)) }

func (c Constant) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	r := rate(c.PerSecond)
	if r == 0 {
		return 0, false
	}
	return offset(0, x/r)
}

// Rate returns PerSecond.
func (c Constant) Rate(time.Duration) float64 { return rate(c.PerSecond) }

// ConstantParams configure a Constant:
//
//	rate: {type: constant, rate: 1000}
type ConstantParams struct {
	Rate float64 `mapstructure:"rate"` // requests per second
}

var constantType = Type{Name: "constant", New: func() Params { return &ConstantParams{Rate: 1000} }}

var _ Params = (*ConstantParams)(nil)

// Check checks the rate.
func (p *ConstantParams) Check(ps Problems) { checker{ps, "constant"}.rate("rate", p.Rate, true) }

// Schedule returns Constant{Rate}.
func (p *ConstantParams) Schedule() Schedule { return Constant{PerSecond: p.Rate} }
