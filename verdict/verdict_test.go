package verdict

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func constant(n int, x float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = x
	}
	return xs
}

// noisy returns n samples around mu with independent ±5% noise.
func noisy(seed uint64, n int, mu float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = mu * (1 + 0.05*rng.NormFloat64())
	}
	return xs
}

func TestCompareExact(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name          string
		redis, valkey []float64
		dir           Direction
		want          Comparison // NaN fields compare equal to NaN
	}{
		{
			name:  "constant throughput, valkey higher",
			redis: constant(60, 1000), valkey: constant(60, 1500), dir: HigherIsBetter,
			want: Comparison{Ratio: 1.5, Low: 1.5, High: 1.5, Outcome: ValkeyFaster, N: [2]int{60, 60}},
		},
		{
			name:  "constant throughput, redis higher",
			redis: constant(60, 1000), valkey: constant(60, 800), dir: HigherIsBetter,
			want: Comparison{Ratio: 0.8, Low: 0.8, High: 0.8, Outcome: RedisFaster, N: [2]int{60, 60}},
		},
		{
			name:  "constant latency, valkey lower",
			redis: constant(30, 0.002), valkey: constant(40, 0.001), dir: LowerIsBetter,
			want: Comparison{Ratio: 0.5, Low: 0.5, High: 0.5, Outcome: ValkeyFaster, N: [2]int{30, 40}},
		},
		{
			name:  "constant latency, valkey higher",
			redis: constant(30, 0.001), valkey: constant(40, 0.002), dir: LowerIsBetter,
			want: Comparison{Ratio: 2, Low: 2, High: 2, Outcome: RedisFaster, N: [2]int{30, 40}},
		},
		{
			// 0.1 summed 300 times is not 30: the ratio must still be exactly 1.
			name:  "identical constants",
			redis: constant(300, 0.1), valkey: constant(300, 0.1), dir: HigherIsBetter,
			want: Comparison{Ratio: 1, Low: 1, High: 1, Outcome: NoDifference, N: [2]int{300, 300}},
		},
		{
			name:  "too few redis samples, ratio still given",
			redis: constant(5, 100), valkey: constant(60, 150), dir: HigherIsBetter,
			want: Comparison{Ratio: 1.5, Low: nan, High: nan, Outcome: NotEnoughData, N: [2]int{5, 60}},
		},
		{
			name:  "too few valkey samples after dropping NaN and Inf",
			redis: constant(60, 100), valkey: []float64{200, nan, 200, inf, 200, -inf, 200, 200, nan},
			dir:  HigherIsBetter,
			want: Comparison{Ratio: 2, Low: nan, High: nan, Outcome: NotEnoughData, N: [2]int{60, 5}},
		},
		{
			name:  "NaN and Inf ignored",
			redis: []float64{nan, 100, 100, inf, 100, 100, 100, 100, -inf}, valkey: constant(6, 50), dir: HigherIsBetter,
			want: Comparison{Ratio: 0.5, Low: 0.5, High: 0.5, Outcome: RedisFaster, N: [2]int{6, 6}},
		},
		{
			name:  "no samples",
			redis: nil, valkey: []float64{}, dir: HigherIsBetter,
			want: Comparison{Ratio: nan, Low: nan, High: nan, Outcome: NotEnoughData},
		},
		{
			name:  "only NaN",
			redis: constant(10, nan), valkey: constant(10, 1), dir: LowerIsBetter,
			want: Comparison{Ratio: nan, Low: nan, High: nan, Outcome: NotEnoughData, N: [2]int{0, 10}},
		},
		{
			name:  "zero redis mean",
			redis: constant(60, 0), valkey: constant(60, 10), dir: HigherIsBetter,
			want: Comparison{Ratio: nan, Low: nan, High: nan, Outcome: NotEnoughData, N: [2]int{60, 60}},
		},
		{
			name:  "zero valkey mean",
			redis: constant(60, 10), valkey: constant(60, 0), dir: HigherIsBetter,
			want: Comparison{Ratio: 0, Low: nan, High: nan, Outcome: NotEnoughData, N: [2]int{60, 60}},
		},
		{
			name:  "negative mean",
			redis: constant(60, 10), valkey: constant(60, -1), dir: LowerIsBetter,
			want: Comparison{Ratio: -0.1, Low: nan, High: nan, Outcome: NotEnoughData, N: [2]int{60, 60}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Compare(tt.redis, tt.valkey, tt.dir)
			if !sameComparison(got, tt.want) {
				t.Errorf("Compare = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func sameComparison(a, b Comparison) bool {
	eq := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	return eq(a.Ratio, b.Ratio) && eq(a.Low, b.Low) && eq(a.High, b.High) && a.Outcome == b.Outcome && a.N == b.N
}

func TestCompareIgnoresNonFinite(t *testing.T) {
	t.Parallel()
	redis, valkey := noisy(1, 120, 1000), noisy(2, 90, 1100)
	want := Compare(redis, valkey, HigherIsBetter)

	// The same samples with NaN and ±Inf inserted give the same answer.
	dirty := func(xs []float64) []float64 {
		var out []float64
		for i, x := range xs {
			switch i % 7 {
			case 0:
				out = append(out, math.NaN())
			case 3:
				out = append(out, math.Inf(1), math.Inf(-1))
			}
			out = append(out, x)
		}
		return out
	}
	got := Compare(dirty(redis), dirty(valkey), HigherIsBetter)
	if !sameComparison(got, want) {
		t.Errorf("with NaN/Inf: %+v, want %+v", got, want)
	}
	if got.N != [2]int{120, 90} {
		t.Errorf("N = %v, want [120 90]", got.N)
	}
}

func TestCompareUnequalLengths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		nr, nv     int
		mr, mv     float64
		wantResult Outcome
	}{
		{"short redis run, valkey faster", 30, 600, 1000, 1300, ValkeyFaster},
		{"short valkey run, redis faster", 600, 30, 1300, 1000, RedisFaster},
		{"different lengths, same mean", 45, 250, 1000, 1000, NoDifference},
		{"minimum samples", MinSamples, MinSamples, 1000, 2000, ValkeyFaster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Compare(noisy(3, tt.nr, tt.mr), noisy(4, tt.nv, tt.mv), HigherIsBetter)
			if c.Outcome != tt.wantResult || c.N != [2]int{tt.nr, tt.nv} {
				t.Errorf("Compare = %v (N=%v), want %v (N=[%d %d])", c, c.N, tt.wantResult, tt.nr, tt.nv)
			}
			if !(c.Low <= c.Ratio && c.Ratio <= c.High) {
				t.Errorf("ratio %v outside its interval [%v, %v]", c.Ratio, c.Low, c.High)
			}
		})
	}
}

func TestCompareDirection(t *testing.T) {
	t.Parallel()
	lowV, highV := noisy(5, 100, 1), noisy(6, 100, 1.5) // valkey's samples
	r := noisy(7, 100, 1.2)                             // redis's samples
	tests := []struct {
		name   string
		valkey []float64
		dir    Direction
		want   Outcome
	}{
		{"throughput, valkey higher", highV, HigherIsBetter, ValkeyFaster},
		{"throughput, valkey lower", lowV, HigherIsBetter, RedisFaster},
		{"latency, valkey higher", highV, LowerIsBetter, RedisFaster},
		{"latency, valkey lower", lowV, LowerIsBetter, ValkeyFaster},
		{"latency, same", r, LowerIsBetter, NoDifference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Compare(r, tt.valkey, tt.dir)
			if got.Outcome != tt.want {
				t.Errorf("Compare = %v, want %v", got, tt.want)
			}
			// The interval is about valkey/redis whatever the direction.
			swapped := Compare(tt.valkey, r, tt.dir)
			if math.Abs(swapped.Ratio*got.Ratio-1) > 1e-12 ||
				math.Abs(swapped.Low*got.High-1) > 1e-12 || math.Abs(swapped.High*got.Low-1) > 1e-12 {
				t.Errorf("swapping engines: %v, want the reciprocal of %v", swapped, got)
			}
		})
	}
}

func TestComparePanicsOnInvalidDirection(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Compare with Direction(7) did not panic")
		}
	}()
	Compare(constant(10, 1), constant(10, 1), Direction(7))
}

func TestCompareDeterministic(t *testing.T) {
	t.Parallel()
	redis, valkey := noisy(8, 300, 1000), noisy(9, 300, 1010)
	keepR, keepV := slices.Clone(redis), slices.Clone(valkey)
	want := Compare(redis, valkey, HigherIsBetter)
	for i := range 5 {
		if got := Compare(redis, valkey, HigherIsBetter); !sameComparison(got, want) {
			t.Errorf("call %d: %v, want %v", i, got, want)
		}
	}
	if !slices.Equal(redis, keepR) || !slices.Equal(valkey, keepV) {
		t.Error("Compare modified its input")
	}
}

func TestComparisonString(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		c    Comparison
		want string
	}{
		{Comparison{Ratio: 1.2345, Low: 1.1, High: 1.37, Outcome: ValkeyFaster}, "1.23 [1.10, 1.37] valkey faster"},
		{Comparison{Ratio: 0.9, Low: 0.8, High: 1.01, Outcome: NoDifference}, "0.90 [0.80, 1.01] no significant difference"},
		// A decisive bound that would print as 1.00 gets more decimals.
		{Comparison{Ratio: 1.004, Low: 1.0012, High: 1.0071, Outcome: ValkeyFaster}, "1.004 [1.001, 1.007] valkey faster"},
		{Comparison{Ratio: 1.5, Low: nan, High: nan, Outcome: NotEnoughData}, "1.50 not enough data"},
		{Comparison{Ratio: nan, Low: nan, High: nan, Outcome: NotEnoughData}, "n/a not enough data"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	redis := throughput.generate(rng, 300, 50_000)
	valkey := throughput.generate(rng, 300, 52_000)
	b.ReportAllocs()
	for b.Loop() {
		Compare(redis, valkey, HigherIsBetter)
	}
}
