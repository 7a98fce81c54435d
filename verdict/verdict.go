package verdict

import (
	"fmt"
	"math"
	"strconv"
)

// Direction says which way is better for the quantity compared.
type Direction int

const (
	HigherIsBetter Direction = iota // throughput
	LowerIsBetter                   // latency
)

func (d Direction) String() string {
	switch d {
	case HigherIsBetter:
		return "higher is better"
	case LowerIsBetter:
		return "lower is better"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// Outcome is the verdict of a Comparison.
type Outcome string

const (
	ValkeyFaster  Outcome = "valkey faster"
	RedisFaster   Outcome = "redis faster"
	NoDifference  Outcome = "no significant difference"
	NotEnoughData Outcome = "not enough data"
)

// MinSamples is the fewest finite intervals per engine for which Compare
// gives a verdict; with fewer it reports NotEnoughData.
const MinSamples = 6

// Confidence is the coverage of the interval [Low, High].
const Confidence = 0.95

// Comparison is the result of Compare.
type Comparison struct {
	Ratio     float64 // point estimate of valkey/redis (ratio of means of the per-interval samples)
	Low, High float64 // 95% confidence interval of the ratio
	Outcome   Outcome
	N         [2]int // samples used: redis, valkey
	// DF is the degrees of freedom of the t quantile behind the interval
	// (batches or blocks less one; Welch's for unpaired comparisons), for
	// callers that widen intervals to hold jointly; 0 without an interval.
	DF float64
}

// Compare compares per-interval samples of one quantity for redis and valkey.
// Samples may have different lengths (sequential runs, different durations).
// NaN/Inf samples are ignored.
//
// The interval is computed in closed form (a t interval for the log of the
// ratio, from batch means; see the package comment): the same samples always
// give the same answer.
//
// Ratio is NaN when it cannot be computed (no finite samples on a side, or a
// redis mean that is not positive); Low and High are NaN when Outcome is
// NotEnoughData. Compare panics on a Direction other than the two defined.
func Compare(redis, valkey []float64, dir Direction) Comparison {
	if dir != HigherIsBetter && dir != LowerIsBetter {
		panic("verdict: invalid " + dir.String())
	}
	r, v := finite(redis), finite(valkey)
	c := Comparison{
		Ratio:   math.NaN(),
		Low:     math.NaN(),
		High:    math.NaN(),
		Outcome: NotEnoughData,
		N:       [2]int{len(r), len(v)},
	}
	if len(r) < MinSamples || len(v) < MinSamples {
		if len(r) > 0 && len(v) > 0 {
			if mr := mean(r); mr > 0 {
				c.Ratio = mean(v) / mr
			}
		}
		return c
	}
	sr, sv := summarize(r), summarize(v)
	if sr.mean > 0 {
		c.Ratio = sv.mean / sr.mean
	}
	// A ratio needs both means positive: zero throughput or zero latency on
	// either side means the run did not measure anything comparable.
	if !(sr.mean > 0 && sv.mean > 0) || math.IsInf(c.Ratio, 0) || c.Ratio == 0 {
		return c
	}
	c.Low, c.High, c.DF = ratioInterval(sr, sv, c.Ratio)
	c.Outcome = decide(c.Low, c.High, dir)
	return c
}

// ratioInterval returns the Confidence interval of valkey/redis. On the log
// scale the ratio is a difference, log x̄v − log x̄r, whose variance is by the
// delta method
//
//	Var ≈ se²r/x̄r² + se²v/x̄v²   (squared coefficients of variation of the means)
//
// and the interval is log R ± t·√Var, with a Student t quantile whose degrees
// of freedom come from the Welch–Satterthwaite formula over the two sides'
// b−1 batch degrees of freedom. Exponentiating gives an interval around R that
// is symmetric in ratio terms: ×k and ÷k are equally far apart.
func ratioInterval(sr, sv summary, ratio float64) (low, high, df float64) {
	vr := sr.se2 / (sr.mean * sr.mean)
	vv := sv.se2 / (sv.mean * sv.mean)
	v := vr + vv
	if v == 0 {
		return ratio, ratio, float64(min(sr.b, sv.b) - 1)
	}
	df = v * v / (vr*vr/float64(sr.b-1) + vv*vv/float64(sv.b-1))
	half := tQuantile(1-(1-Confidence)/2, df) * math.Sqrt(v)
	return ratio * math.Exp(-half), ratio * math.Exp(half), df
}

func decide(low, high float64, dir Direction) Outcome {
	switch {
	case low <= 1 && 1 <= high:
		return NoDifference
	case (low > 1) == (dir == HigherIsBetter):
		return ValkeyFaster
	default:
		return RedisFaster
	}
}

// finite returns xs without its NaN and ±Inf values. It copies only when
// there is something to drop.
func finite(xs []float64) []float64 {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out := append(make([]float64, 0, len(xs)-1), xs[:i]...)
			for _, x := range xs[i+1:] {
				if !math.IsNaN(x) && !math.IsInf(x, 0) {
					out = append(out, x)
				}
			}
			return out
		}
	}
	return xs
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// String formats c as "1.23 [1.10, 1.37] valkey faster". Values are shown
// with two decimals, or more when two decimals would print a bound of a
// decisive interval as 1.00; "n/a" stands for a value that is not available.
func (c Comparison) String() string {
	prec := 2
	for prec < 6 && (roundsToOne(c.Low, prec) || roundsToOne(c.High, prec)) {
		prec++
	}
	f := func(x float64) string {
		if math.IsNaN(x) {
			return "n/a"
		}
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	if math.IsNaN(c.Low) {
		return fmt.Sprintf("%s %s", f(c.Ratio), c.Outcome)
	}
	return fmt.Sprintf("%s [%s, %s] %s", f(c.Ratio), f(c.Low), f(c.High), c.Outcome)
}

// roundsToOne reports whether x differs from 1 but prints as 1 with prec
// decimals.
func roundsToOne(x float64, prec int) bool {
	return x != 1 && strconv.FormatFloat(x, 'f', prec, 64) == strconv.FormatFloat(1, 'f', prec, 64)
}
