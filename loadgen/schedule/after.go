package schedule

// After is what a finite schedule (ramp, steps) does once it ends.
type After string

const (
	AfterRepeat After = "repeat" // start over: Repeat
	AfterHold   After = "hold"   // keep the last rate: Hold
)

// wrap returns f repeated or held.
func (a After) wrap(f Finite) Schedule {
	if a == AfterHold {
		return Hold{Of: f}
	}
	return Repeat{Of: f}
}

func (c checker) after(key string, a After) {
	c.oneOf(key, string(a), string(AfterRepeat), string(AfterHold))
}
