package runner

import (
	"testing"
	"time"
)

func TestMaxInFlightFor(t *testing.T) {
	t.Parallel()
	budget1 := int(InFlightBudget / InFlightBytes(1)) // 12,483
	tests := []struct {
		name     string
		rate     float64
		stall    time.Duration
		pipeline int
		bound    int
		ridesOut time.Duration
		capped   bool
	}{
		{"the issue's case: 1,000/s, 1 s", 1000, time.Second, 1, 1500, 1500 * time.Millisecond, false},
		{"low rate: the floor", 100, time.Second, 1, MinMaxInFlight, 2560 * time.Millisecond, false},
		{"just above the floor", 200, time.Second, 1, 300, 1500 * time.Millisecond, false},
		{"a longer read timeout", 1000, 5 * time.Second, 1, 7500, 7500 * time.Millisecond, false},
		{"rounded up", 1001, time.Second, 1, 1502, 1500499500, false},
		{"the budget caps a high rate", 50_000, time.Second, 1, budget1, time.Duration(float64(budget1) / 50_000 * 1e9), true},
		{"pipelined requests cost more", 1000, 5 * time.Second, 100, int(InFlightBudget / InFlightBytes(100)), 2665 * time.Millisecond, true},
		{"no rate: the floor", 0, time.Second, 1, MinMaxInFlight, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bound, ridesOut, capped := MaxInFlightFor(tt.rate, tt.stall, tt.pipeline)
			if bound != tt.bound || capped != tt.capped || (ridesOut-tt.ridesOut).Abs() > time.Millisecond {
				t.Errorf("MaxInFlightFor(%v, %v, %d) = %d, %v, %v; want %d, %v, %v",
					tt.rate, tt.stall, tt.pipeline, bound, ridesOut, capped, tt.bound, tt.ridesOut, tt.capped)
			}
		})
	}
}

// TestMaxInFlightForStaysInBudget checks the budget over the pipeline
// depths a config allows: the bound never holds more than InFlightBudget,
// except for the floor, which still fits at the deepest pipeline.
func TestMaxInFlightForStaysInBudget(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []int{1, 2, 10, 100, 1000} {
		bound, _, _ := MaxInFlightFor(10_000_000, time.Minute, pipeline)
		if used := int64(bound) * InFlightBytes(pipeline); used > InFlightBudget || bound < MinMaxInFlight {
			t.Errorf("pipeline %d: bound %d holds %d bytes, budget %d", pipeline, bound, used, InFlightBudget)
		}
	}
}
