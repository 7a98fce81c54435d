package report

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/ecbench/ecbench/results"
)

// appendLine appends l unless it has no points.
func appendLine(ls []Line, l Line) []Line {
	if len(l.Points) == 0 {
		return ls
	}
	return append(ls, l)
}

// lineOf collects a line's points at a regular interval, breaking it where
// an interval is missing or marked as a gap.
type lineOf struct {
	step float64
	pts  []Point
}

func newLineOf(intervalSeconds float64) *lineOf {
	if intervalSeconds <= 0 {
		intervalSeconds = 1
	}
	return &lineOf{step: intervalSeconds}
}

// add appends (x, y), after a break if x is more than one interval after
// the last point.
func (l *lineOf) add(x, y float64) {
	if n := len(l.pts); n > 0 && !l.pts[n-1].IsBreak() && x-l.pts[n-1].X > l.step*1.5 {
		l.pts = append(l.pts, Break(l.pts[n-1].X+l.step))
	}
	l.pts = append(l.pts, Point{x, y})
}

// gap breaks the line at x: no value there.
func (l *lineOf) gap(x float64) {
	if n := len(l.pts); n > 0 && !l.pts[n-1].IsBreak() {
		l.pts = append(l.pts, Break(x))
	}
}

// points returns the line without a trailing break.
func (l *lineOf) points() []Point {
	for len(l.pts) > 0 && l.pts[len(l.pts)-1].IsBreak() {
		l.pts = l.pts[:len(l.pts)-1]
	}
	return l.pts
}

// rowSum is one interval of a target's workload, all ops summed: answered
// requests, errors and dropped ones per second, at the row's start x in
// seconds.
type rowSum struct{ x, ok, errs, dropped float64 }

// sumIntervals sums a target's series of one workload interval by
// interval, in order of time, and returns the rows' length in seconds
// (which the series of one workload share).
func sumIntervals(run *results.Run, target, workload string) ([]rowSum, float64) {
	byStart := map[float64]*rowSum{}
	step := 0.0
	for _, s := range run.Series {
		if s.Target != target || s.Workload != workload {
			continue
		}
		secs := s.IntervalLength()
		step = secs
		for _, iv := range s.Intervals {
			x := s.IntervalStart(iv.T)
			sum := byStart[x]
			if sum == nil {
				sum = &rowSum{x: x}
				byStart[x] = sum
			}
			sum.ok += float64(iv.OK+iv.Miss) / secs
			sum.errs += float64(iv.Errors) / secs
			sum.dropped += float64(iv.Dropped) / secs
		}
	}
	rows := make([]rowSum, 0, len(byStart))
	for _, r := range byStart {
		rows = append(rows, rowSum{r.x, round(r.ok), round(r.errs), round(r.dropped)})
	}
	slices.SortFunc(rows, func(a, b rowSum) int { return cmp.Compare(a.x, b.x) })
	return rows, step
}

// linePoints is the maximum of points a line over time has: more would
// be wider than the pixels of the chart, and noise.
const maxLinePoints = 150

// binRows averages rows (of step seconds) over bins of whole rows, so
// that they are at most maxLinePoints, and returns the bins' length. A
// bin with rows missing averages those it has; one with none is missing
// too, and breaks the line.
func binRows(rows []rowSum, step float64) ([]rowSum, float64) {
	if len(rows) <= maxLinePoints || !(step > 0) {
		return rows, step
	}
	m := int64(math.Ceil(float64(len(rows)) / maxLinePoints))
	width := float64(m) * step
	var out []rowSum
	var n float64
	last := int64(math.MinInt64)
	for _, r := range rows {
		k := floorDiv(int64(math.Round(r.x/step)), m)
		if k != last {
			if n > 0 {
				o := &out[len(out)-1]
				o.ok, o.errs, o.dropped = round(o.ok/n), round(o.errs/n), round(o.dropped/n)
			}
			out = append(out, rowSum{x: round(float64(k) * width)})
			n, last = 0, k
		}
		o := &out[len(out)-1]
		o.ok, o.errs, o.dropped = o.ok+r.ok, o.errs+r.errs, o.dropped+r.dropped
		n++
	}
	o := &out[len(out)-1]
	o.ok, o.errs, o.dropped = round(o.ok/n), round(o.errs/n), round(o.dropped/n)
	return out, width
}

// meanOver says, for a y label, over how long a line's points are means.
func meanOver(width, step float64) string {
	if width > step {
		return " (" + secondsText(width) + " means)"
	}
	return ""
}

// linePoints is a line of one value of rows, broken where an interval is
// missing.
func linePoints(rows []rowSum, value func(rowSum) float64) []Point {
	step := 0.0
	if len(rows) > 1 {
		step = rows[1].x - rows[0].x
		for i := 2; i < len(rows); i++ {
			step = min(step, rows[i].x-rows[i-1].x)
		}
	}
	l := newLineOf(step)
	for _, r := range rows {
		l.add(r.x, value(r))
	}
	return l.points()
}

// findSeries is target's series of op in workload, or nil.
func findSeries(run *results.Run, target, workload, op string) *results.Series {
	for i := range run.Series {
		s := &run.Series[i]
		if s.Target == target && s.Workload == workload && s.Op == op {
			return s
		}
	}
	return nil
}

// busiest splits a workload's ops into the limit with the most requests (in
// their order of appearance) and the rest (most requests first). limit 0
// keeps every op.
func busiest(run *results.Run, workload string, limit int) (kept, omitted []string) {
	all := ops(run, workload)
	if limit <= 0 || len(all) <= limit {
		return all, nil
	}
	requests := map[string]uint64{}
	for _, s := range run.Series {
		if s.Workload == workload {
			requests[s.Op] += s.OK + s.Miss + s.Errors + s.Dropped
		}
	}
	byLoad := slices.Clone(all)
	slices.SortStableFunc(byLoad, func(a, b string) int { return cmp.Compare(requests[b], requests[a]) })
	keep := map[string]bool{}
	for _, op := range byLoad[:limit] {
		keep[op] = true
	}
	for _, op := range all {
		if keep[op] {
			kept = append(kept, op)
		}
	}
	return kept, byLoad[limit:]
}

// spectrum samples a latency histogram at evenly spaced nines, up to what
// its sample count resolves (beyond 1 - 1/count every percentile is the
// maximum) and at most 99.999%. Latency in ms.
func spectrum(h results.Histogram) []Point {
	n := h.Count()
	if n == 0 {
		return nil
	}
	top := min(spectrumNines, math.Log10(float64(n)))
	var pts []Point
	const steps = 20 // per nine
	for i := 0; float64(i) <= top*steps+1e-9; i++ {
		x := float64(i) / steps
		q := 1 - math.Pow(10, -x)
		pts = append(pts, Point{round(x), round(h.Quantile(q) * 1000)})
	}
	return pts
}

// round keeps 9 significant digits, so golden files do not depend on the
// last bits of floating point.
func round(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	mag := math.Pow(10, 8-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*mag) / mag
}

func workloads(run *results.Run) []string {
	var out []string
	for _, s := range run.Series {
		if !slices.Contains(out, s.Workload) {
			out = append(out, s.Workload)
		}
	}
	return out
}

func ops(run *results.Run, workload string) []string {
	var out []string
	for _, s := range run.Series {
		if s.Workload == workload && !slices.Contains(out, s.Op) {
			out = append(out, s.Op)
		}
	}
	return out
}

// targets returns the targets of a workload, in the order of run.Targets,
// then any others in series order.
func targets(run *results.Run, workload string) []string {
	var out []string
	for _, s := range run.Series {
		if s.Workload == workload && !slices.Contains(out, s.Target) {
			out = append(out, s.Target)
		}
	}
	rank := func(name string) int {
		for i, t := range run.Targets {
			if t.Name == name {
				return i
			}
		}
		return len(run.Targets)
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(rank(a), rank(b)) })
	return out
}

// slugify makes a name safe for an element id and a file name.
func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
