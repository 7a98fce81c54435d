package schedule

import (
	"slices"
	"strings"
	"time"
)

// Bounds of what a configuration may ask for. They keep a typo (an extra
// zero) from becoming a load that takes down the generator or the target.
const (
	MaxRate    = 10_000_000 // requests per second
	MaxWorkers = 10_000     // closed-loop workers
)

// Problems receives what Params.Check finds wrong. Keys are the parameters'
// own, as configured: "peak", "steps[1].duration".
type Problems interface {
	// Add records that the value at key is wrong. msg is a fmt format with a
	// %v for each of values, which the receiver writes in its own style (a
	// configuration quotes strings and durations).
	Add(key, msg string, values ...any)
	// Given reports whether key was written, even as 0: a required key
	// given as 0 is a bad value, not a missing one.
	Given(key string) bool
	// Broken reports whether a value at or below key was unreadable and has
	// been reported already, so that a check of the whole would only be
	// told about a value left out.
	Broken(key string) bool
}

// checker is Problems with the checks that several types share, for the
// type called typ.
type checker struct {
	Problems
	typ string
}

// required reports whether key was written, and says so if not.
func (c checker) required(key string) bool {
	if c.Given(key) {
		return true
	}
	c.Add(key, "required by type %v", c.typ)
	return false
}

// rate checks a rate in requests per second: >= 0 (> 0 if positive), and at
// most MaxRate.
func (c checker) rate(key string, r float64, positive bool) bool {
	switch {
	case positive && r <= 0:
		c.Add(key, "must be > 0, got %v", r)
	case r < 0:
		c.Add(key, "must be >= 0, got %v", r)
	case r > MaxRate:
		c.Add(key, "must be <= %v requests/s, got %v", MaxRate, r)
	default:
		return true
	}
	return false
}

func (c checker) positive(key string, d time.Duration) bool {
	if d > 0 {
		return true
	}
	c.Add(key, "must be > 0, got %v", d)
	return false
}

func (c checker) oneOf(key, got string, allowed ...string) bool {
	if slices.Contains(allowed, got) {
		return true
	}
	c.Add(key, "must be one of "+strings.Join(allowed, ", ")+"; got %v", got)
	return false
}
