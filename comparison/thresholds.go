package comparison

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ecbench/ecbench/threshold"
)

// How thresholds are checked.
//
// A per-engine threshold (p99<2ms, valkey.error_rate<0.1%) is checked
// against every value it selects, each engine's whole-run value of each op,
// as the tables print it; it is crossed by every value for which it does
// not hold. A value that does not exist (the p99 of an engine that answered
// nothing) is not checked.
//
// A ratio threshold (ratio.p99<1.05) is about the true ratio, which the run
// only brackets: it is crossed when the whole 95% interval lies past the
// limit (the data show the limit was crossed), undecided when the interval
// straddles it (listed, but not a failure: run longer to tell), and holds
// when the whole interval is within it. A ratio without an interval (too
// few intervals, the max) is judged on its point estimate. Under an
// open-loop rate the throughput has no ratio, so ratio.throughput selects
// nothing there.
//
// DefaultThresholds always apply: an engine that fails more than
// MaxErrorRate of an op's requests, or drops more than MaxDroppedShare of
// them, crosses them, so that a bench against an engine that failed every
// SET exits non-zero. A threshold of the user's on the same quantity
// replaces the default for the values it selects: kv.set.error_rate<=100%
// accepts any error rate of kv's set, and error_rate<=100% turns the
// default off.

// MaxDroppedShare is the share of an op's due requests an engine may drop
// (the in-flight bound was reached) under the default thresholds.
const MaxDroppedShare = 0.001

// Source of the default thresholds in messages.
const DefaultSource = "default"

// DefaultThresholds are checked on every run unless replaced (see above).
var DefaultThresholds = []threshold.Threshold{
	mustParse("error_rate<=1%"), // MaxErrorRate
	mustParse("dropped<=0.1%"),  // MaxDroppedShare
}

func mustParse(s string) threshold.Threshold {
	t, err := threshold.Parse(s)
	if err != nil {
		panic(err)
	}
	t.Source = DefaultSource
	return t
}

// ThresholdResult is one checked threshold.
type ThresholdResult struct {
	Threshold threshold.Threshold
	Default   bool       // one of DefaultThresholds
	Checked   int        // values it was checked against
	Crossed   []Crossing // the values past its limit
	Undecided []Crossing // ratios whose interval straddles the limit
}

// Crossing is one value checked against a threshold.
type Crossing struct {
	Workload, Op string
	Target       string  // the engine's target; "" for a ratio
	Value        float64 // in base units, or the ratio
	Low, High    float64 // the ratio's interval; NaN for a per-engine value or a ratio without one
}

// ErrThreshold is wrapped by Check's errors.
var ErrThreshold = errors.New("threshold")

// Check checks ts and DefaultThresholds against c's values and sets
// c.Thresholds. It returns an error (and checks nothing) when a threshold
// names a workload, op or target the run does not have.
func (c *Table) Check(ts []threshold.Threshold) error {
	var errs []error
	for _, t := range ts {
		if err := t.Check(c.names); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrThreshold, t.Source, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.Thresholds = nil
	for _, t := range ts {
		c.Thresholds = append(c.Thresholds, c.check(t, nil))
	}
	for _, d := range DefaultThresholds {
		replaced := func(op *Op, target string) bool {
			for _, t := range ts {
				if t.Quantity == d.Quantity && !t.IsRatio() && t.SelectsOp(op.Workload, op.Op) && t.SelectsTarget(c.names, target) {
					return true
				}
			}
			return false
		}
		r := c.check(d, replaced)
		r.Default = true
		c.Thresholds = append(c.Thresholds, r)
	}
	return nil
}

// check checks t against every value it selects, leaving out the engine
// values that skip says are another threshold's.
func (c *Table) check(t threshold.Threshold, skip func(op *Op, target string) bool) ThresholdResult {
	r := ThresholdResult{Threshold: t}
	for i := range c.Ops {
		op := &c.Ops[i]
		if !t.SelectsOp(op.Workload, op.Op) {
			continue
		}
		if t.IsRatio() {
			q := op.Quantity(t.Quantity)
			if !q.HasRatio {
				continue
			}
			r.Checked++
			x := Crossing{Workload: op.Workload, Op: op.Op, Value: q.Ratio, Low: math.NaN(), High: math.NaN()}
			if !q.HasCI {
				if !t.Holds(q.Ratio) {
					r.Crossed = append(r.Crossed, x)
				}
				continue
			}
			x.Low, x.High = q.Low, q.High
			// The bound most favourable to the threshold, and the other.
			best, worst := q.Low, q.High
			if !t.Upper() {
				best, worst = q.High, q.Low
			}
			switch {
			case !t.Holds(best):
				r.Crossed = append(r.Crossed, x)
			case !t.Holds(worst):
				r.Undecided = append(r.Undecided, x)
			}
			continue
		}
		for _, e := range op.Engines {
			if e == nil || !t.SelectsTarget(c.names, e.Target) || skip != nil && skip(op, e.Target) {
				continue
			}
			v, ok := e.Value(t.Quantity)
			if !ok {
				continue
			}
			r.Checked++
			if !t.Holds(v) {
				r.Crossed = append(r.Crossed, Crossing{Workload: op.Workload, Op: op.Op, Target: e.Target, Value: v, Low: math.NaN(), High: math.NaN()})
			}
		}
	}
	return r
}

// Crossed reports whether a checked threshold was crossed.
func (c Table) Crossed() bool {
	for _, r := range c.Thresholds {
		if len(r.Crossed) > 0 {
			return true
		}
	}
	return false
}

// crossedBy lists the thresholds op crossed, as written.
func (c Table) crossedBy(op *Op) []string {
	var out []string
	for _, r := range c.Thresholds {
		for _, x := range r.Crossed {
			if x.Workload == op.Workload && x.Op == op.Op {
				out = append(out, r.Threshold.Text)
				break
			}
		}
	}
	return out
}

// maxCrossingsShown is how many values a threshold's line cites.
const maxCrossingsShown = 3

// thresholdLines are the text lines of crossed and undecided thresholds:
//
//	threshold crossed: p99<2ms (--threshold): kv/get valkey 3.12ms, kv/set valkey 3.40ms
//	threshold undecided: ratio.p99<1.05 (thresholds[0]): kv/get 1.071 [0.981, 1.169]
func (c Table) thresholdLines() []string {
	var lines []string
	for _, r := range c.Thresholds {
		for _, l := range []struct {
			what string
			xs   []Crossing
		}{{"crossed", r.Crossed}, {"undecided (the interval straddles the limit)", r.Undecided}} {
			if len(l.xs) == 0 {
				continue
			}
			var cited []string
			for i, x := range l.xs {
				if i == maxCrossingsShown {
					cited = append(cited, fmt.Sprintf("and %d more", len(l.xs)-i))
					break
				}
				cited = append(cited, crossingText(r.Threshold, x))
			}
			lines = append(lines, fmt.Sprintf("threshold %s: %s (%s): %s", l.what, r.Threshold.Text, r.Threshold.Source, strings.Join(cited, ", ")))
		}
	}
	return lines
}

func crossingText(t threshold.Threshold, x Crossing) string {
	s := x.Workload + "/" + x.Op
	if x.Target != "" {
		s += " " + x.Target
	}
	s += " " + t.Format(x.Value)
	if !math.IsNaN(x.Low) {
		s += fmt.Sprintf(" [%.3f, %.3f]", x.Low, x.High)
	}
	return s
}
