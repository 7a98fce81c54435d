package runner

import (
	"testing"
	"time"
)

func TestMaxInFlightFor(t *testing.T) {
	t.Parallel()
	small := RequestBytes(1, 64)           // a GET of a 32-byte value
	budget1 := int(InFlightBudget / small) // 12,409
	pipelined := RequestBytes(100, 64)     // 56,752 bytes
	huge := RequestBytes(1, 1<<20+32)      // a GET of 1 MiB
	tests := []struct {
		name         string
		rate         float64
		stall        time.Duration
		requestBytes int64
		bound        int
		ridesOut     time.Duration
		capped       bool
	}{
		{"the issue's case: 1,000/s, 1 s", 1000, time.Second, small, 1500, 1500 * time.Millisecond, false},
		{"low rate: the floor", 100, time.Second, small, MinMaxInFlight, 2560 * time.Millisecond, false},
		{"just above the floor", 200, time.Second, small, 300, 1500 * time.Millisecond, false},
		{"a longer read timeout", 1000, 5 * time.Second, small, 7500, 7500 * time.Millisecond, false},
		{"rounded up", 1001, time.Second, small, 1502, 1500499500, false},
		{"the budget caps a high rate", 50_000, time.Second, small, budget1, time.Duration(float64(budget1) / 50_000 * 1e9), true},
		{"pipelined requests cost more", 1000, 5 * time.Second, pipelined, int(InFlightBudget / pipelined), 2365 * time.Millisecond, true},
		// 126 requests of 1 MiB fill the budget: below the floor, and
		// capped only if the rate needs more.
		{"large values: below the floor", 10, time.Second, huge, 126, 12600 * time.Millisecond, false},
		{"large values at a rate", 1000, time.Second, huge, 126, 126 * time.Millisecond, true},
		{"one request over the budget: still one", 10, time.Second, InFlightBudget * 2, 1, 100 * time.Millisecond, true},
		{"no rate: the floor", 0, time.Second, small, MinMaxInFlight, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bound, ridesOut, capped := MaxInFlightFor(tt.rate, tt.stall, tt.requestBytes)
			if bound != tt.bound || capped != tt.capped || (ridesOut-tt.ridesOut).Abs() > time.Millisecond {
				t.Errorf("MaxInFlightFor(%v, %v, %d) = %d, %v, %v; want %d, %v, %v",
					tt.rate, tt.stall, tt.requestBytes, bound, ridesOut, capped, tt.bound, tt.ridesOut, tt.capped)
			}
		})
	}
}

// TestMaxInFlightForStaysInBudget checks the budget over the pipeline
// depths and payloads a config allows: the bound never holds more than
// InFlightBudget, unless one request alone does.
func TestMaxInFlightForStaysInBudget(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []int{1, 2, 10, 100, 1000} {
		for _, payload := range []int64{0, 64, 1 << 10, 1 << 20, 512 << 20} {
			each := RequestBytes(pipeline, payload)
			bound, _, _ := MaxInFlightFor(10_000_000, time.Minute, each)
			if used := int64(bound) * each; used > InFlightBudget && bound > 1 || bound < 1 {
				t.Errorf("pipeline %d, payload %d: bound %d holds %d bytes, budget %d", pipeline, payload, bound, used, InFlightBudget)
			}
		}
	}
}

func TestRequestBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pipeline int
		payload  int64
		want     int64
	}{
		{1, 0, 10_752},
		{1, 1032, 10_752 + 1032},
		{0, 1032, 10_752 + 1032}, // a pipeline below 1 is 1
		{10, 1032, 10_752 + 9*400 + 10*1032},
		{1000, 512<<20 + 32, 10_752 + 999*400 + 1000*(512<<20+32)},
	}
	for _, tt := range tests {
		if got := RequestBytes(tt.pipeline, tt.payload); got != tt.want {
			t.Errorf("RequestBytes(%d, %d) = %d, want %d", tt.pipeline, tt.payload, got, tt.want)
		}
	}
}
