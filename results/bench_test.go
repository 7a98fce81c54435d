package results_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/results"
)

// resultAt is an ok result answered at start+n µs after a 250 µs wait, so a
// benchmark crosses a second every million records and pays for closing it.
func resultAt(start time.Time, n int64) result.Result {
	done := start.Add(time.Duration(n) * time.Microsecond)
	return result.Result{
		Op:       int(n & 1),
		Intended: done.Add(-250 * time.Microsecond),
		Sent:     done.Add(-200 * time.Microsecond),
		Done:     done,
		Outcome:  result.OK,
	}
}

func BenchmarkRecord(b *testing.B) {
	start := time.Now()
	r := results.NewRecorder("a", "w", []string{"get", "set"}, start, start)
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		n++
		r.Record(resultAt(start, n))
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	start := time.Now()
	r := results.NewRecorder("a", "w", []string{"get", "set"}, start, start)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Record(resultAt(start, n.Add(1)))
		}
	})
}

func TestRecordDoesNotAllocate(t *testing.T) {
	start := time.Now()
	r := results.NewRecorder("a", "w", []string{"get", "set"}, start, start)
	var n int64
	res := []result.Result{
		resultAt(start, 0),
		{Op: 1, Intended: start, Outcome: result.Dropped},
		{Op: 0, Intended: start, Sent: start, Done: start.Add(time.Millisecond), Outcome: result.Error, Class: result.ClassTimeout},
	}
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		r.Record(res[n%3])
	})
	if allocs != 0 {
		t.Errorf("Record allocates %v times per call", allocs)
	}
}

// BenchmarkSeries is the end-of-run snapshot of a recorder with two ops that
// ran for a minute, mostly time spent holding each op's lock.
func BenchmarkSeries(b *testing.B) {
	start := time.Now()
	r := results.NewRecorder("a", "w", []string{"get", "set"}, start, start)
	for n := int64(0); n < 60e6; n += 1000 {
		r.Record(resultAt(start, n))
		r.Record(resultAt(start, n+1))
	}
	r.SetEnd(start.Add(time.Minute))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Series()
	}
}
