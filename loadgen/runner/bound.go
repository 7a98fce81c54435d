package runner

import (
	"math"
	"time"
)

// The in-flight bound a schedule needs. When a server stalls, requests keep
// coming at the schedule's rate and none leaves: after a stall of s seconds
// at r requests/s, r·s are in flight. A request leaves only when it is
// answered or times out, so a bound of r × read_timeout rides out any stall
// the client would not turn into timeouts anyway:
//
//	in flight
//	  bound ┤        ______________  ← r × s reaches the bound: drops start
//	        │       /
//	        │      /   slope r
//	        │_____/
//	        └─────┬────────────┬──── time
//	         stall starts   bound / r later
//
// Requests waiting for a pooled connection time out later than those on a
// connection (go-redis' pool timeout is read_timeout + 1 s), and the rate
// may peak between samples of the schedule, hence the headroom.
const (
	// StallHeadroom multiplies rate × stall.
	StallHeadroom = 1.5
	// MinMaxInFlight is the smallest derived bound (the fixed default it
	// replaces), for low rates: requests cost memory only while they are
	// in flight, and a few hundred absorb a burst.
	MinMaxInFlight = 256
	// InFlightBudget caps the memory a runner's in-flight requests may
	// hold in a stall: 128 MiB, about 12,000 requests at pipeline 1.
	InFlightBudget = 128 << 20
	// maxDerived is the config's largest max_inflight.
	maxDerived = 100_000
)

// InFlightBytes is the memory one in-flight request holds with pipeline
// commands: its worker goroutine's stack (about 8 KiB, go-redis calls run
// deep), its pending request and buffers, its go-redis command and pool
// wait (about 2 KiB), and about 400 bytes per further command. Measured
// by BenchmarkInFlightMemory with a frozen server: 9.7–10.3 KB at
// pipeline 1 and 10, 47–49 KB at pipeline 100; the figures here are just
// above.
func InFlightBytes(pipeline int) int64 {
	return 10_752 + 400*int64(max(pipeline, 1)-1)
}

// MaxInFlightFor returns the in-flight bound that rides out a stall of
// stall (a target's read timeout) at a peak rate of rate requests per
// second, each of pipeline commands: rate × stall × StallHeadroom, at
// least MinMaxInFlight, at most what InFlightBudget holds. ridesOut is the
// longest stall the bound absorbs at the peak rate before it drops
// (bound / rate; 0 when rate is 0), and capped is whether the budget
// lowered the bound below the target.
func MaxInFlightFor(rate float64, stall time.Duration, pipeline int) (bound int, ridesOut time.Duration, capped bool) {
	budget := int(min(InFlightBudget/InFlightBytes(pipeline), maxDerived))
	want := math.Ceil(max(rate, 0) * stall.Seconds() * StallHeadroom)
	bound = MinMaxInFlight
	switch {
	case want > float64(budget):
		bound, capped = budget, true
	case want > MinMaxInFlight:
		bound = int(want)
	}
	bound = max(bound, MinMaxInFlight)
	if rate > 0 {
		ridesOut = time.Duration(float64(bound) / rate * float64(time.Second))
	}
	return bound, ridesOut, capped
}
