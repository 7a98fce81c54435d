package verdict

import "math"

// Pair is one interval of a paired comparison: each engine's value in that
// interval as a numerator and a denominator, so that the whole run's value is
// ΣNum/ΣDen. For throughput they are the answered requests and the
// interval's seconds; for mean latency the summed latency and the answered
// requests.
type Pair struct {
	RedisNum, RedisDen   float64
	ValkeyNum, ValkeyDen float64
}

// ComparePaired compares the engines over intervals in which both ran at the
// same time. The ratio is of the whole run's values,
//
//	R = (ΣValkeyNum/ΣValkeyDen) / (ΣRedisNum/ΣRedisDen),
//
// the same estimator the table prints, and its interval comes from the
// paired differences, so the noise both engines shared (the host, the
// network, the generator) cancels instead of widening it. On the log scale,
// R's deviation from the truth is, to first order (the delta method), the
// mean over intervals of
//
//	z_t = vn_t/v̄n − vd_t/v̄d − rn_t/r̄n + rd_t/r̄d
//
// (v̄n: the mean Valkey numerator, and so on). The z_t of neighbouring
// intervals are correlated, so their mean's variance comes from batch means
// with the batch length of batch.go, and the interval is
//
//	log R ± t(b−1) · √(Var z̄),   b batches.
//
// Intervals whose values are not finite or whose denominators are not
// positive are left out. Fewer than MinSamples intervals, or a whole-run
// value that is not positive on either side, give NotEnoughData with the
// ratio when it exists. ComparePaired panics on a Direction other than the
// two defined.
func ComparePaired(pairs []Pair, dir Direction) Comparison {
	if dir != HigherIsBetter && dir != LowerIsBetter {
		panic("verdict: invalid " + dir.String())
	}
	ps := make([]Pair, 0, len(pairs))
	for _, p := range pairs {
		if finiteAll(p.RedisNum, p.RedisDen, p.ValkeyNum, p.ValkeyDen) && p.RedisDen > 0 && p.ValkeyDen > 0 &&
			p.RedisNum >= 0 && p.ValkeyNum >= 0 {
			ps = append(ps, p)
		}
	}
	c := Comparison{Ratio: math.NaN(), Low: math.NaN(), High: math.NaN(), Outcome: NotEnoughData, N: [2]int{len(ps), len(ps)}}
	if len(ps) == 0 {
		return c
	}
	var m Pair // the means
	for _, p := range ps {
		m.RedisNum += p.RedisNum
		m.RedisDen += p.RedisDen
		m.ValkeyNum += p.ValkeyNum
		m.ValkeyDen += p.ValkeyDen
	}
	n := float64(len(ps))
	m = Pair{m.RedisNum / n, m.RedisDen / n, m.ValkeyNum / n, m.ValkeyDen / n}
	if m.RedisNum > 0 {
		c.Ratio = (m.ValkeyNum / m.ValkeyDen) / (m.RedisNum / m.RedisDen)
	}
	if len(ps) < MinSamples || !(m.RedisNum > 0 && m.ValkeyNum > 0) {
		return c
	}
	z := make([]float64, len(ps))
	constant := true
	for i, p := range ps {
		z[i] = p.ValkeyNum/m.ValkeyNum - p.ValkeyDen/m.ValkeyDen - p.RedisNum/m.RedisNum + p.RedisDen/m.RedisDen
		constant = constant && math.Abs(z[i]) < 1e-12
	}
	b := batchCount(z, 0)
	c.Low, c.High, c.DF = c.Ratio, c.Ratio, float64(b-1)
	if !constant {
		// z sums to zero by construction: its mean is 0.
		s := batchMeans(z, 0, b)
		c.DF = float64(s.b - 1)
		half := tQuantile(1-(1-Confidence)/2, float64(s.b-1)) * math.Sqrt(s.se2)
		c.Low, c.High = c.Ratio*math.Exp(-half), c.Ratio*math.Exp(half)
	}
	c.Outcome = decide(c.Low, c.High, dir)
	return c
}

func finiteAll(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
