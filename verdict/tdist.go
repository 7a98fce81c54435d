package verdict

import "math"

// tQuantile returns the p-quantile (0.5 <= p < 1) of Student's t distribution
// with df degrees of freedom; df need not be an integer (Welch–Satterthwaite
// gives fractional values). It inverts the CDF
//
//	P(T > t) = ½ · I_x(df/2, ½),  x = df / (df + t²)
//
// by bisection on x, which is monotone and needs no derivative. Sixty halvings
// of (0, 1) reach float64 resolution; the whole call costs a few microseconds.
func tQuantile(p, df float64) float64 {
	switch {
	case p == 0.5:
		return 0
	case df > 1e7:
		return math.Sqrt2 * math.Erfinv(2*p-1) // the normal limit
	}
	tail := 1 - p // wanted upper-tail probability
	lo, hi := 0.0, 1.0
	for range 60 {
		x := (lo + hi) / 2
		// The upper tail grows with x (x → 1 means t → 0).
		if regIncBeta(df/2, 0.5, x)/2 < tail {
			lo = x
		} else {
			hi = x
		}
	}
	x := (lo + hi) / 2
	return math.Sqrt(df * (1 - x) / x)
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), evaluated
// with the continued fraction of Numerical Recipes §6.4 (modified Lentz), using
// the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where that converges faster.
func regIncBeta(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const (
		tiny = 1e-300
		eps  = 1e-15
	)
	clamp := func(v float64) float64 {
		if math.Abs(v) < tiny {
			return tiny
		}
		return v
	}
	c := 1.0
	d := 1 / clamp(1-(a+b)*x/(a+1))
	h := d
	for m := 1.0; m <= 300; m++ {
		m2 := 2 * m
		aa := m * (b - m) * x / ((a - 1 + m2) * (a + m2))
		d = 1 / clamp(1+aa*d)
		c = clamp(1 + aa/c)
		h *= d * c
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2))
		d = 1 / clamp(1+aa*d)
		c = clamp(1 + aa/c)
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}
