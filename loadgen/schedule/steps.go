package schedule

import (
	"slices"
	"sort"
	"strconv"
	"time"
)

// Step is one stretch of a Steps schedule.
type Step struct {
	Rate float64       `mapstructure:"rate"`     // requests per second
	For  time.Duration `mapstructure:"duration"` // how long the rate holds
}

// Steps is a piecewise-constant rate: each Step holds its rate for its
// duration, then the next begins.
//
//	rate ▲
//	 200 ┤            ┏━━━━━━━  (bare Steps or Hold: the last rate from then on)
//	 100 ┤━━━━━┓      ┃
//	   0 ┤     ┗━━━━━━┛
//	     └─────┴──────┴──────▶ t
//	     0     1s     2s     3s
//
//	Count(t) = C[i] + r[i]·(t - T[i])     T[i] <= t < T[i+1]
//	Due(n)   = T[i] + (n - C[i])/r[i]     the first i with C[i+1] > n
//
// where T[i] is when step i begins and C[i] the count by then. Build with
// NewSteps, which tabulates T and C once so that Count, Rate and Due are a
// binary search (O(log k)) on the table. A Steps literal still works but
// walks the steps on every call (O(k)); and since the table is built from a
// copy, editing Steps after NewSteps has no effect on the table.
//
// A step with For <= 0 lasts no time, except that the last step's rate is
// held after the end whatever its For (a bare Steps is the same as
// Hold{Steps}). Steps with no steps has rate 0 throughout.
type Steps struct {
	Steps []Step

	// starts[i] is when step i begins and counts[i] the count by then;
	// starts[k] and counts[k] are the end. Both are nil in a literal.
	starts []time.Duration
	counts []float64
}

var (
	_ Finite  = Steps{}
	_ inverse = Steps{}
)

// NewSteps returns a Steps of a copy of steps, with its table built.
func NewSteps(steps []Step) Steps {
	s := Steps{
		Steps:  slices.Clone(steps),
		starts: make([]time.Duration, len(steps)+1),
		counts: make([]float64, len(steps)+1),
	}
	for i, st := range s.Steps {
		s.starts[i+1] = AddSat(s.starts[i], st.For)
		s.counts[i+1] = s.counts[i] + rate(st.Rate)*(s.starts[i+1]-s.starts[i]).Seconds()
	}
	return s
}

func (s Steps) tabulated() bool { return len(s.starts) == len(s.Steps)+1 }

// last returns the rate held after the end.
func (s Steps) last() float64 {
	if len(s.Steps) == 0 {
		return 0
	}
	return rate(s.Steps[len(s.Steps)-1].Rate)
}

// Length returns the total of the steps' durations.
func (s Steps) Length() time.Duration {
	if s.tabulated() {
		return s.starts[len(s.Steps)]
	}
	var end time.Duration
	for _, st := range s.Steps {
		end = AddSat(end, st.For)
	}
	return end
}

// find returns the step in force at t, where T[i] <= t < T[i+1], with its
// start and the count by then; i is len(s.Steps) at or after the end.
func (s Steps) find(t time.Duration) (i int, start time.Duration, count float64) {
	k := len(s.Steps)
	if s.tabulated() {
		i = sort.Search(k, func(j int) bool { return s.starts[j+1] > t })
		return i, s.starts[i], s.counts[i]
	}
	for i = range k {
		end := AddSat(start, s.Steps[i].For)
		if end > t {
			return i, start, count
		}
		count += rate(s.Steps[i].Rate) * (end - start).Seconds()
		start = end
	}
	return k, start, count
}

// passing returns the first step whose end count exceeds x, with its start
// and the count by then; i is len(s.Steps) when the steps never pass x.
func (s Steps) passing(x float64) (i int, start time.Duration, count float64) {
	k := len(s.Steps)
	if s.tabulated() {
		i = sort.Search(k, func(j int) bool { return s.counts[j+1] > x })
		return i, s.starts[i], s.counts[i]
	}
	for i = range k {
		end := AddSat(start, s.Steps[i].For)
		next := count + rate(s.Steps[i].Rate)*(end-start).Seconds()
		if next > x {
			return i, start, count
		}
		start, count = end, next
	}
	return k, start, count
}

// stepRate returns the rate of step i, or the held last rate after the end.
func (s Steps) stepRate(i int) float64 {
	if i == len(s.Steps) {
		return s.last()
	}
	return rate(s.Steps[i].Rate)
}

// Count returns the integral of Rate from 0 to elapsed.
func (s Steps) Count(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	i, start, count := s.find(elapsed)
	return count + s.stepRate(i)*(elapsed-start).Seconds()
}

// Due returns the moment Count passes n; see Steps.
func (s Steps) Due(n int64) (time.Duration, bool) { return s.due(float64(n)) }

func (s Steps) due(x float64) (time.Duration, bool) {
	if x < 0 {
		return 0, true
	}
	i, start, count := s.passing(x)
	r := s.stepRate(i)
	if r == 0 { // only after the end: a step that passes x has a positive rate
		return 0, false
	}
	if i == len(s.Steps) {
		return offset(start, (x-count)/r)
	}
	return within(start, (x-count)/r, AddSat(start, s.Steps[i].For)), true
}

// Rate returns the rate of the step in force at elapsed.
func (s Steps) Rate(elapsed time.Duration) float64 {
	i, _, _ := s.find(max(elapsed, 0))
	return s.stepRate(i)
}

// StepsParams configure a Steps schedule and what follows it:
//
//	rate: {type: steps, steps: [{rate: 1000, duration: 1m}, {rate: 5000, duration: 1m}], after: repeat}
type StepsParams struct {
	Steps []Step `mapstructure:"steps"`
	After After  `mapstructure:"after"`
}

var stepsType = Type{Name: "steps", New: func() Params { return &StepsParams{After: AfterRepeat} }}

var _ Params = (*StepsParams)(nil)

// Check checks every step and after.
func (p *StepsParams) Check(ps Problems) {
	c := checker{ps, "steps"}
	if c.required("steps") {
		p.checkSteps(c)
	}
	c.after("after", p.After)
}

func (p *StepsParams) checkSteps(c checker) {
	if len(p.Steps) == 0 {
		c.Add("steps", "at least one step is required")
		return
	}
	allZero := true
	for i, s := range p.Steps {
		key := "steps[" + strconv.Itoa(i) + "]"
		c.rate(key+".rate", s.Rate, false)
		allZero = allZero && s.Rate == 0
		if !c.Given(key + ".duration") {
			c.Add(key+".duration", "required")
		} else {
			c.positive(key+".duration", s.For)
		}
	}
	if allZero && !c.Broken("steps") {
		c.Add("steps", "all step rates are 0; at least one must be > 0")
	}
}

// Schedule returns the Steps, repeated or held.
func (p *StepsParams) Schedule() Schedule { return p.After.wrap(NewSteps(p.Steps)) }
