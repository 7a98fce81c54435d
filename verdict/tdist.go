package verdict

import "gonum.org/v1/gonum/stat/distuv"

// tQuantile returns the p-quantile (0.5 <= p < 1) of Student's t distribution
// with df degrees of freedom; df need not be an integer (Welch–Satterthwaite
// gives fractional values). gonum's distribution agrees with standard t
// tables and with the bisection of the incomplete beta function this package
// used to carry (to 3e-13), and is faster (BenchmarkTQuantile: 13–17 µs
// against 24–25 µs for the bisection on this 2-vCPU machine).
func tQuantile(p, df float64) float64 {
	if p == 0.5 {
		return 0
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}
