package verdict

import (
	"fmt"
	"math"
	"testing"
)

func TestTQuantile(t *testing.T) {
	t.Parallel()
	// Integer df from standard t tables; fractional df checked against a
	// numerical integration of the t density.
	tests := []struct {
		p, df, want float64
	}{
		{0.975, 1, 12.7062},
		{0.975, 2, 4.30265},
		{0.975, 4, 2.77645},
		{0.975, 5, 2.57058},
		{0.975, 10, 2.22814},
		{0.975, 30, 2.04227},
		{0.975, 2.5, 3.57466}, // fractional df: Welch–Satterthwaite
		{0.975, 13.7, 2.14920},
		{0.975, 1e9, 1.95996},
		{0.95, 12, 1.78229},
		{0.995, 7, 3.49948},
		{0.5, 3, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("p=%g,df=%g", tt.p, tt.df), func(t *testing.T) {
			t.Parallel()
			got := tQuantile(tt.p, tt.df)
			if math.Abs(got-tt.want) > 1e-4*math.Max(1, tt.want) {
				t.Errorf("tQuantile(%g, %g) = %.6f, want %.6f", tt.p, tt.df, got, tt.want)
			}
		})
	}
}

func BenchmarkTQuantile(b *testing.B) {
	for b.Loop() {
		tQuantile(0.975, 13.7)
	}
}
