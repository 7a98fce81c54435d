package schedule_test

import (
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// BenchmarkDue is the runner's per-request cost of asking when the next
// request is due.
func BenchmarkDue(b *testing.B) {
	for _, bc := range []struct {
		name string
		s    schedule.Schedule
	}{
		{"constant", schedule.Constant{PerSecond: 10000}},
		{"steps", schedule.NewSteps([]schedule.Step{{Rate: 1000, For: time.Second}, {Rate: 5000, For: time.Second}, {Rate: 2000, For: time.Second}})},
		{"burst", schedule.Burst{Base: 1000, Peak: 10000, Period: time.Minute, Length: 10 * time.Second}},
		{"sine", schedule.Sine{Mean: 5000, Amplitude: 4000, Period: time.Minute}},
		{"repeat ramp", schedule.Repeat{Of: schedule.Ramp{From: 100, To: 10000, Over: time.Minute}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int64
			for b.Loop() {
				if _, ok := bc.s.Due(n); !ok {
					b.Fatalf("Due(%d) not ok", n)
				}
				n++
			}
		})
	}
}
