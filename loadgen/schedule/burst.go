package schedule

import "time"

// Burst is a square wave: each Period runs at Base, then at Peak for its
// last Length. Putting the burst at the end of the period means a run starts
// calm, so a warm-up is not mistaken for the server's response to a burst.
//
//	rate ▲
//	Peak ┤        ┏━━┓        ┏━━┓
//	Base ┤━━━━━━━━┛  ┗━━━━━━━━┛  ┗━━
//	     └────────┴──┴────────┴──┴──▶ t
//	     0    P-L    P           2P
//
//	per period   N = Base·(P-L) + Peak·L
//	Count(t)     = k·N + c(t - k·P)            k = ⌊t/P⌋
//	c(u)         = Base·u                      u <= P-L
//	             = Base·(P-L) + Peak·(u-P+L)   u >  P-L
//	Due(n)       = k·P + c⁻¹(n - k·N)          k = ⌊n/N⌋
//
// Period <= 0 means no bursts: Constant{Base}. Length is clamped to
// [0, Period], so Length <= 0 is Constant{Base} and Length >= Period is
// Constant{Peak}.
type Burst struct {
	Base, Peak     float64       // requests per second, calm and bursting
	Period, Length time.Duration // the wave's period and how long each burst lasts
}

var (
	_ Schedule = Burst{}
	_ inverse  = Burst{}
)

// shape returns the sanitised rates and the calm part of each period.
func (b Burst) shape() (base, peak float64, calm time.Duration) {
	return rate(b.Base), rate(b.Peak), b.Period - min(max(b.Length, 0), b.Period)
}

// Count returns the integral of Rate from 0 to elapsed.
func (b Burst) Count(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	base, peak, calm := b.shape()
	if b.Period <= 0 {
		return base * elapsed.Seconds()
	}
	calmN := base * calm.Seconds()
	per := calmN + peak*(b.Period-calm).Seconds()
	u := elapsed % b.Period
	in := base * u.Seconds()
	if u > calm {
		in = calmN + peak*(u-calm).Seconds()
	}
	return periodic(int64(elapsed/b.Period), per, in)
}

// Due returns the moment Count passes n; see Burst.
func (b Burst) Due(n int64) (time.Duration, bool) { return b.due(float64(n)) }

func (b Burst) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	base, peak, calm := b.shape()
	if b.Period <= 0 {
		return Constant{base}.due(x)
	}
	calmN := base * calm.Seconds()
	per := calmN + peak*(b.Period-calm).Seconds()
	if per == 0 {
		return 0, false
	}
	k, rem := split(x, per)
	var in time.Duration
	if rem < calmN { // so base > 0
		in = within(0, rem/base, calm)
	} else { // rem < per, so peak > 0 and the burst is not empty
		in = within(calm, (rem-calmN)/peak, b.Period)
	}
	return cycles(k, b.Period, in)
}

// Rate returns Base or Peak, whichever is in force at elapsed.
func (b Burst) Rate(elapsed time.Duration) float64 {
	base, peak, calm := b.shape()
	if b.Period <= 0 || max(elapsed, 0)%b.Period < calm {
		return base
	}
	return peak
}

// BurstParams configure a Burst:
//
//	rate: {type: burst, base: 10, peak: 1000, period: 1m, length: 5s}
type BurstParams struct {
	Base   float64       `mapstructure:"base"` // requests per second
	Peak   float64       `mapstructure:"peak"`
	Period time.Duration `mapstructure:"period"`
	Length time.Duration `mapstructure:"length"`
}

var burstType = Type{Name: "burst", New: func() Params { return &BurstParams{} }}

var _ Params = (*BurstParams)(nil)

// Check checks the rates and the durations: base < peak, length < period.
func (p *BurstParams) Check(ps Problems) {
	c := checker{ps, "burst"}
	okBase := c.rate("base", p.Base, false)
	if c.required("peak") && c.rate("peak", p.Peak, true) && okBase && p.Peak <= p.Base {
		c.Add("peak", "must be > base (%v), got %v", p.Base, p.Peak)
	}
	okPeriod := c.required("period") && c.positive("period", p.Period)
	if c.required("length") && c.positive("length", p.Length) && okPeriod && p.Length >= p.Period {
		c.Add("length", "must be < period (%v), got %v", p.Period, p.Length)
	}
}

// Schedule returns the Burst.
func (p *BurstParams) Schedule() Schedule {
	return Burst{Base: p.Base, Peak: p.Peak, Period: p.Period, Length: p.Length}
}
