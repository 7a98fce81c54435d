package runner

import (
	"math"
	"time"
	"unsafe"
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

// DropRingBytes is the most memory a runner's drops awaiting their lower
// bound take: maxPendingDrops entries, allocated at the runner's first drop.
const DropRingBytes = maxPendingDrops * int64(unsafe.Sizeof(pendingDrop{}))

// InFlightBytes is the memory one in-flight request holds with pipeline
// commands, besides their payload: its worker goroutine's stack (about
// 8 KiB, go-redis calls run deep), its pending request and buffers, its
// go-redis command and pool wait (about 2 KiB), and about 400 bytes per
// further command. Measured by BenchmarkInFlightMemory with a frozen
// server: 9.7–10.3 KB at pipeline 1 and 10, 47–49 KB at pipeline 100; the
// figures here are just above.
func InFlightBytes(pipeline int) int64 {
	return 10_752 + 400*int64(max(pipeline, 1)-1)
}

// RequestBytes is the most memory one in-flight request holds: the
// overhead of InFlightBytes and pipeline commands of commandBytes of
// payload each (workload.MaxCommandBytes: the values it sends or gets
// back). A runner charges each request this much in a shared Budget, and
// the config's check sizes limits.max_memory with it.
func RequestBytes(pipeline int, commandBytes int64) int64 {
	return InFlightBytes(pipeline) + int64(max(pipeline, 1))*max(commandBytes, 0)
}

// MaxInFlightFor returns the in-flight bound that rides out a stall of
// stall (a target's read timeout) at a peak rate of rate requests per
// second, each holding requestBytes (RequestBytes): rate × stall ×
// StallHeadroom, at least MinMaxInFlight, and at most what InFlightBudget
// holds (at least one request, even when one holds more). ridesOut is the
// longest stall the bound absorbs at the peak rate before it drops (bound
// / rate; 0 when rate is 0), and capped is whether the budget lowered the
// bound below rate × stall × StallHeadroom.
func MaxInFlightFor(rate float64, stall time.Duration, requestBytes int64) (bound int, ridesOut time.Duration, capped bool) {
	budget := int(max(min(InFlightBudget/max(requestBytes, 1), maxDerived), 1))
	want := math.Ceil(max(rate, 0) * stall.Seconds() * StallHeadroom)
	bound = MinMaxInFlight
	if want > MinMaxInFlight {
		bound = int(min(want, maxDerived))
	}
	if bound > budget {
		bound = budget
	}
	capped = want > float64(bound)
	if rate > 0 {
		ridesOut = time.Duration(float64(bound) / rate * float64(time.Second))
	}
	return bound, ridesOut, capped
}
