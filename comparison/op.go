package comparison

import (
	"math"
	"strconv"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
)

// Op is one op of one workload: each engine's values and their comparison.
type Op struct {
	Workload, Op string
	// Engines are the baseline's and the candidate's values; nil for an
	// engine that did not run the op.
	Engines [2]*Values
	// Quantities are the ratios candidate/baseline of throughput, mean,
	// p50, p95, p99, p99.9 and max, in that order (Quantity looks one up).
	Quantities []Quantity
	ErrorRate  Difference // of the error rates, candidate − baseline
	OpenLoop   bool       // both followed one rate schedule: throughput is not compared
	Trusted    bool       // false when the generator was the bottleneck
	Failure    string     // "redis: 100% of set failed (oom)" past MaxErrorRate, else ""
	Verdict    Verdict    // the op's decision (decision.go)
}

// Values are one engine's whole-run values of one op, in base units.
type Values struct {
	Target       string
	Engine       engine.Engine
	Throughput   float64 // answered requests per second
	Mean, P50    float64 // latency from the intended start, seconds
	P95, P99     float64
	P999, Max    float64
	Answered     float64 // share of the due requests answered: (ok+miss)/(ok+miss+errors+dropped)
	ErrorRate    float64 // errors/(ok+miss+errors)
	DroppedShare float64 // dropped/(ok+miss+errors+dropped)
	Requests     uint64  // answered (ok + miss)
	Errors       uint64
	Dropped      uint64
	ErrorClasses map[string]uint64
	Seconds      float64 // the measured window
}

// Quantity is the comparison of one quantity of an op.
type Quantity struct {
	Name threshold.Quantity
	// Ratio is candidate/baseline, [Low, High] its 95% interval; NaN
	// without one (HasRatio, HasCI false).
	Ratio, Low, High float64
	HasRatio, HasCI  bool
	Paired           bool    // the interval is from paired intervals
	Better           string  // the target that is significantly better, or ""
	Verdict          string  // as the detailed table says it
	Samples          int     // the intervals the interval came from (the fewer of the two engines')
	DF               float64 // degrees of freedom of the t quantile behind the interval (verdict.Comparison.DF)
}

// Difference is the comparison of the error rates of an op: candidate −
// baseline, a fraction (×100: percentage points), and its 95% interval.
type Difference struct {
	Diff, Low, High float64 // NaN when not available
	HasCI           bool
	Paired          bool
	Better          string // the target with significantly fewer errors, or ""
	Verdict         string
}

// Quantity returns the comparison of quantity q (a zero Quantity with NaN
// ratio when op has none).
func (op *Op) Quantity(q threshold.Quantity) Quantity {
	for _, x := range op.Quantities {
		if x.Name == q {
			return x
		}
	}
	return Quantity{Name: q, Ratio: math.NaN(), Low: math.NaN(), High: math.NaN()}
}

// Value returns the engine's value of q in base units, and false when it
// has none: no latency without an answered request, no rate without a
// request.
func (v *Values) Value(q threshold.Quantity) (float64, bool) {
	if v == nil {
		return 0, false
	}
	due := v.Requests + v.Errors + v.Dropped
	switch q {
	case threshold.Throughput:
		return v.Throughput, true
	case threshold.ErrorRate:
		return v.ErrorRate, v.Requests+v.Errors > 0
	case threshold.Dropped:
		return v.DroppedShare, due > 0
	}
	if v.Requests == 0 {
		return 0, false
	}
	switch q {
	case threshold.Mean:
		return v.Mean, true
	case threshold.P50:
		return v.P50, true
	case threshold.P95:
		return v.P95, true
	case threshold.P99:
		return v.P99, true
	case threshold.P999:
		return v.P999, true
	case threshold.Max:
		return v.Max, true
	}
	return 0, false
}

func valuesOf(t *results.Target, s *results.Series) *Values {
	if t == nil || s == nil {
		return nil
	}
	st := s.Stats()
	v := &Values{Target: t.Name, Engine: t.Engine, Throughput: st.Throughput,
		Mean: st.Mean, P50: st.P50, P95: st.P95, P99: st.P99, P999: st.P999, Max: st.Max,
		ErrorRate: st.ErrorRate, Requests: st.Ops, Errors: s.Errors, Dropped: s.Dropped,
		ErrorClasses: s.ErrorClasses, Seconds: s.Seconds}
	if due := s.OK + s.Miss + s.Errors + s.Dropped; due > 0 {
		v.Answered = float64(s.OK+s.Miss) / float64(due)
		v.DroppedShare = float64(s.Dropped) / float64(due)
	}
	return v
}

// formatQuantity is the detailed table's cell of q: ops/s, or a latency in
// milliseconds.
func formatQuantity(v *Values, q threshold.Quantity) string {
	if v == nil {
		return "-"
	}
	if q == threshold.Throughput {
		return strconv.FormatFloat(v.Throughput, 'f', 0, 64)
	}
	x, _ := v.Value(q)
	return strconv.FormatFloat(x*1000, 'f', 3, 64) + "ms"
}

func formatShare(v *Values, f func(*Values) float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(f(v)*100, 'f', 2, 64) + "%"
}

func formatCount(v *Values) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatUint(v.Dropped, 10)
}
