package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
)

// logTicks labels a log axis at 1, 2 and 5 times each power of ten, with
// minor ticks between: latencies of one engine often span less than a
// decade, where plot.LogTicks would label nothing.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// ratioSets are the sets of round ratios a ratio axis may label, from the
// finest to the coarsest, reciprocals paired (0.8 and 1.25 lie as far from
// 1 on a log axis).
var ratioSets = [][]float64{
	{0.98, 0.99, 1, 1.01, 1.02},
	{0.95, 0.98, 1, 1.02, 1.05},
	{0.9, 0.95, 1, 1.05, 1.1},
	{0.8, 0.9, 1, 1.1, 1.25},
	{0.5, 0.67, 0.8, 1, 1.25, 1.5, 2},
	{0.8, 1, 1.25},
	{0.67, 1, 1.5},
	{0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16},
	{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100},
	{0.001, 0.01, 0.1, 1, 10, 100, 1000},
}

// ratioTicks labels a ratio axis with the finest set of ratioSets that
// puts at least three and at most max (7 if 0) labels on it, across half
// of it at least and none closer than 80% of max labels' even spacing
// (room for each label); failing that, the set with the most labels so
// spaced. The other round ratios are minor ticks.
type ratioTicks struct{ max int }

func (r ratioTicks) Ticks(lo, hi float64) []plot.Tick {
	n := r.max
	if n == 0 {
		n = 7
	}
	within := func(set []float64) []float64 {
		var in []float64
		for _, v := range set {
			if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				in = append(in, v)
			}
		}
		return in
	}
	minGap := math.Log(hi/lo) / float64(n) * 0.8
	var labels, fallback []float64
	for _, set := range ratioSets {
		in := within(set)
		spaced := len(in) <= n
		for i := 1; i < len(in); i++ {
			spaced = spaced && math.Log(in[i]/in[i-1]) >= minGap
		}
		if !spaced {
			continue
		}
		if len(in) >= 3 && math.Log(in[len(in)-1]/in[0]) >= math.Log(hi/lo)/2 {
			labels = in
			break
		}
		if len(in) > len(fallback) {
			fallback = in
		}
	}
	if labels == nil {
		labels = fallback
	}
	var ts []plot.Tick
	seen := map[float64]bool{}
	for _, v := range labels {
		seen[v] = true
		ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
	}
	for _, set := range ratioSets[:5] { // minor ticks: the round ratios between
		for _, v := range within(set) {
			if !seen[v] {
				seen[v] = true
				ts = append(ts, plot.Tick{Value: v})
			}
		}
	}
	slices.SortFunc(ts, func(a, b plot.Tick) int { return cmp.Compare(a.Value, b.Value) })
	return ts
}

// ninesTicks labels a nines axis with percentiles: 0, 90, 99, 99.9, …
type ninesTicks struct{}

func (ninesTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for n := math.Ceil(lo); n <= math.Floor(hi); n++ {
		p := 100 * (1 - math.Pow(10, -n))
		ts = append(ts, plot.Tick{Value: n, Label: strconv.FormatFloat(p, 'f', max(0, int(n)-2), 64)})
	}
	return ts
}
