package results_test

import (
	"math"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loghist"
	"github.com/ecbench/ecbench/results"
)

// The row model: what the rows of a window must be, computed from the
// results directly, the slow and obvious way, to compare the recorder with.

// modelLength is the shortest 100 ms · 2^k with at most MaxIntervals whole
// rows in [warmup, end).
func modelLength(warmup, end time.Duration) time.Duration {
	l := 100 * time.Millisecond
	for wholeRowsModel(warmup, end, l) > results.MaxIntervals {
		l *= 2
	}
	return l
}

func wholeRowsModel(warmup, end, l time.Duration) int64 {
	first := int64(math.Ceil(float64(warmup) / float64(l)))
	last := int64(math.Floor(float64(end) / float64(l)))
	return max(last-first, 0)
}

func clampLatency(d time.Duration) int64 {
	return min(max(int64(d), int64(time.Microsecond)), int64(100*time.Second))
}

type modelRow struct {
	iv     results.Interval
	b      loghist.Builder
	n      uint64
	sum    int64
	maxLat int64
}

// modelRows returns the rows of op's results (recorded in time order, or
// out of order by less than 200 ms) in the window [warmupEnd, end) of a
// recorder with time zero start, at length l.
func modelRows(rs []result.Result, op int, start, warmupEnd, end time.Time, l time.Duration) []results.Interval {
	warmup, until := warmupEnd.Sub(start), end.Sub(start)
	first := int64(math.Ceil(float64(warmup) / float64(l)))
	last := int64(math.Floor(float64(until) / float64(l)))
	if last <= first {
		return nil
	}
	rows := make([]modelRow, last-first)
	for _, r := range rs {
		if r.Op != op || r.Intended.Before(warmupEnd) {
			continue
		}
		at, hasLatency := r.Done, true
		if r.Outcome == result.Dropped && r.Done.IsZero() {
			at, hasLatency = r.Intended, false
		}
		t := int64(math.Floor(float64(at.Sub(start)) / float64(l)))
		if t < first || t >= last {
			continue
		}
		row := &rows[t-first]
		switch r.Outcome {
		case result.OK:
			row.iv.OK++
		case result.Miss:
			row.iv.Miss++
		case result.Error:
			row.iv.Errors++
			hasLatency = false
		case result.Dropped:
			row.iv.Dropped++
			if hasLatency {
				row.iv.LowerBounds++
			}
		}
		if hasLatency {
			ns := clampLatency(r.Done.Sub(r.Intended))
			row.n++
			row.sum += ns
			row.maxLat = max(row.maxLat, ns)
			row.b.Record(ns, 1)
		}
	}
	out := make([]results.Interval, len(rows))
	for i := range rows {
		row := &rows[i]
		iv := row.iv
		iv.T = first + int64(i)
		iv.LatencyHist = row.b.Histogram()
		if row.n > 0 {
			iv.Mean = float64(row.sum) / float64(row.n) / 1e9
			iv.Max = float64(row.maxLat) / 1e9
			q := func(p float64) float64 { return math.Min(iv.LatencyHist.Quantile(p), iv.Max) }
			iv.P50, iv.P95, iv.P99, iv.P999 = q(0.5), q(0.95), q(0.99), q(0.999)
		}
		out[i] = iv
	}
	return out
}
