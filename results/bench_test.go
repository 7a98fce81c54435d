package results_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/results"
)

// resultAt is an ok result answered at start+n µs after a 250 µs wait, so a
// benchmark crosses a 100 ms tick every 100,000 records and pays for closing
// it.
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
		{Op: 1, Intended: start, Done: start.Add(time.Millisecond), Outcome: result.Dropped},
		{Op: 0, Intended: start, Sent: start, Done: start.Add(time.Millisecond), Outcome: result.Error, Class: result.ClassTimeout},
	}
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		r.Record(res[n%4])
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

// BenchmarkRowMemory measures what a row costs: a minute at 100,000
// requests per second of lognormal latencies (median 200 µs, σ 0.5), the
// rows rebinned to longer lengths to see how the cost grows with the row's
// count. Run it once: go test ./results -run '^$' -bench RowMemory -benchtime 1x
func BenchmarkRowMemory(b *testing.B) {
	for b.Loop() {
		rng := rand.New(rand.NewPCG(1, 1))
		start := time.Unix(0, 0)
		r := results.NewRecorder("a", "w", []string{"get"}, start, start)
		const rate, seconds = 100_000, 60
		for i := range rate * seconds {
			due := start.Add(time.Duration(i) * time.Second / rate)
			lat := time.Duration(math.Exp(rng.NormFloat64()*0.5) * float64(200*time.Microsecond))
			r.Record(result.Result{Op: 0, Intended: due, Sent: due, Done: due.Add(lat), Outcome: result.OK})
		}
		r.SetEnd(start.Add(seconds * time.Second))
		s := r.Series()[0]
		for _, l := range []float64{s.IntervalSeconds, 0.4, 1.6, 6.4, 12.8} {
			rs, err := s.Rebin(l)
			if err != nil {
				b.Fatal(err)
			}
			var buckets, text int
			for _, iv := range rs.Intervals {
				buckets += iv.LatencyHist.Len()
				t, _ := iv.LatencyHist.MarshalText()
				text += len(t)
			}
			n := float64(len(rs.Intervals))
			perRow := float64(buckets)*6/n + float64(unsafe.Sizeof(results.Interval{}))
			b.ReportMetric(float64(buckets)/n, fmt.Sprintf("buckets/row@%gs", l))
			b.ReportMetric(perRow, fmt.Sprintf("B/row@%gs", l))
			b.ReportMetric(float64(text)/n, fmt.Sprintf("textB/row@%gs", l))
		}
	}
}
