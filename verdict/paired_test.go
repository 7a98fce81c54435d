package verdict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// pairedRun generates n intervals of two engines that ran at the same time:
// both share the host's noise (AR(1), sd shared, φ 0.6, and 2% of
// intervals in which both lose half to two thirds of their rate), and each
// has its own smaller noise (AR(1), sd own, φ 0.3). Valkey's true value is
// ratio × Redis'. Throughput is ops per 1-second interval.
type pairedRun struct {
	shared, own float64
	ownPhi      float64 // 0: 0.3
}

func (p pairedRun) phi() float64 {
	if p.ownPhi == 0 {
		return 0.3
	}
	return p.ownPhi
}

// ar1 is stationary AR(1) noise with lag-1 correlation phi and standard
// deviation sd (the paired, quantile and rate tests' shared noise).
func ar1(rng *rand.Rand, n int, phi, sd float64) []float64 {
	xs := make([]float64, n)
	e := sd * rng.NormFloat64()
	innovation := sd * math.Sqrt(1-phi*phi)
	for i := range xs {
		e = phi*e + innovation*rng.NormFloat64()
		xs[i] = e
	}
	return xs
}

func (p pairedRun) throughput(rng *rand.Rand, n int, mu, ratio float64) (pairs []Pair, redis, valkey []float64) {
	shared := ar1(rng, n, 0.6, p.shared)
	ownR, ownV := ar1(rng, n, p.phi(), p.own), ar1(rng, n, p.phi(), p.own)
	for i := range n {
		host := 1 + shared[i]
		if rng.Float64() < 0.02 {
			host /= 2 + rng.Float64()
		}
		r := mu * host * (1 + ownR[i])
		v := mu * ratio * host * (1 + ownV[i])
		pairs = append(pairs, Pair{RedisNum: r, RedisDen: 1, ValkeyNum: v, ValkeyDen: 1})
		redis, valkey = append(redis, r), append(valkey, v)
	}
	return pairs, redis, valkey
}

// meanLatency is the same for mean latency: each interval's answered count
// follows its throughput, its summed latency count × mean, with the host's
// noise in the latency too.
func (p pairedRun) meanLatency(rng *rand.Rand, n int, mu, ratio float64) []Pair {
	shared := ar1(rng, n, 0.6, p.shared)
	ownR, ownV := ar1(rng, n, 0.3, p.own), ar1(rng, n, 0.3, p.own)
	pairs := make([]Pair, n)
	for i := range pairs {
		count := math.Round(1000 * (1 - shared[i]/2))
		r := mu * math.Exp(shared[i]+ownR[i])
		v := mu * ratio * math.Exp(shared[i]+ownV[i])
		pairs[i] = Pair{RedisNum: r * count, RedisDen: count, ValkeyNum: v * count, ValkeyDen: count}
	}
	return pairs
}

const pairedTrials = 1000

// TestPairedCoverageAndPower is the paired comparison's contract on
// synthetic runs whose engines share most of their noise (8% shared, 2% own):
//   - identical engines: "no significant difference" in ≥ 95% of trials;
//   - a consistent 5% difference in a 60 s run: detected, the right way, in
//     ≥ 80% of trials;
//   - the interval holds the true ratio in ≥ 93% of trials.
//
// The unpaired comparison of the same samples is logged beside it: the
// shared noise stays in its interval, which is why it missed real 5%
// differences.
func TestPairedCoverageAndPower(t *testing.T) {
	t.Parallel()
	p := pairedRun{shared: 0.08, own: 0.02}
	for _, tt := range []struct {
		name  string
		dir   Direction
		ratio float64
		gen   func(rng *rand.Rand, n int, ratio float64) []Pair
	}{
		{"throughput same", HigherIsBetter, 1, func(rng *rand.Rand, n int, ratio float64) []Pair {
			ps, _, _ := p.throughput(rng, n, 50_000, ratio)
			return ps
		}},
		{"throughput valkey 5% faster", HigherIsBetter, 1.05, func(rng *rand.Rand, n int, ratio float64) []Pair {
			ps, _, _ := p.throughput(rng, n, 50_000, ratio)
			return ps
		}},
		{"throughput redis 5% faster", HigherIsBetter, 1 / 1.05, func(rng *rand.Rand, n int, ratio float64) []Pair {
			ps, _, _ := p.throughput(rng, n, 50_000, ratio)
			return ps
		}},
		{"mean latency same", LowerIsBetter, 1, func(rng *rand.Rand, n int, ratio float64) []Pair {
			return p.meanLatency(rng, n, 0.0004, ratio)
		}},
		{"mean latency valkey 5% lower", LowerIsBetter, 0.95, func(rng *rand.Rand, n int, ratio float64) []Pair {
			return p.meanLatency(rng, n, 0.0004, ratio)
		}},
	} {
		for _, n := range []int{60, 300} {
			t.Run(fmt.Sprintf("%s/n=%d", tt.name, n), func(t *testing.T) {
				t.Parallel()
				var covered, right int
				want := NoDifference
				switch {
				case tt.ratio > 1 == (tt.dir == HigherIsBetter) && tt.ratio != 1:
					want = ValkeyFaster
				case tt.ratio != 1:
					want = RedisFaster
				}
				var width float64
				for i := range uint64(pairedTrials) {
					rng := rand.New(rand.NewPCG(i, uint64(n)))
					c := ComparePaired(tt.gen(rng, n, tt.ratio), tt.dir)
					if c.Low <= tt.ratio && tt.ratio <= c.High {
						covered++
					}
					if c.Outcome == want {
						right++
					}
					width += c.High/c.Low - 1
				}
				cov, hit := 100*float64(covered)/pairedTrials, 100*float64(right)/pairedTrials
				t.Logf("%s in %.1f%% of trials; true ratio covered in %.1f%%; mean width ×%.4f", want, hit, cov, 1+width/pairedTrials)
				if cov < 93 {
					t.Errorf("coverage %.1f%%, want ≥ 93%%", cov)
				}
				switch {
				case want == NoDifference && hit < 95:
					t.Errorf("identical engines: no difference in %.1f%% of trials, want ≥ 95%%", hit)
				case want != NoDifference && hit < 80:
					t.Errorf("5%% difference detected in %.1f%% of trials, want ≥ 80%%", hit)
				}
			})
		}
	}
}

// TestPairedStrongCorrelation checks that the batch length keeps the paired
// interval honest when each engine's own noise wanders for many seconds
// (φ = 0.8, correlation time ≈ 9 s).
func TestPairedStrongCorrelation(t *testing.T) {
	t.Parallel()
	p := pairedRun{shared: 0.08, own: 0.03, ownPhi: 0.8}
	for _, n := range []int{60, 300} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			t.Parallel()
			var covered int
			for i := range uint64(pairedTrials) {
				rng := rand.New(rand.NewPCG(i, 1000+uint64(n)))
				ps, _, _ := p.throughput(rng, n, 50_000, 1.05)
				if c := ComparePaired(ps, HigherIsBetter); c.Low <= 1.05 && 1.05 <= c.High {
					covered++
				}
			}
			cov := 100 * float64(covered) / pairedTrials
			t.Logf("true ratio covered in %.1f%%", cov)
			if cov < 90 {
				t.Errorf("coverage %.1f%%, want ≥ 90%%", cov)
			}
		})
	}
}

// TestPairedAgainstUnpaired shows, on the same samples, what pairing buys:
// the unpaired interval keeps the shared noise and rarely resolves 5%.
func TestPairedAgainstUnpaired(t *testing.T) {
	t.Parallel()
	p := pairedRun{shared: 0.08, own: 0.02}
	var paired, unpaired int
	var wp, wu float64
	for i := range uint64(pairedTrials) {
		rng := rand.New(rand.NewPCG(i, 7))
		ps, r, v := p.throughput(rng, 60, 50_000, 1.05)
		cp, cu := ComparePaired(ps, HigherIsBetter), Compare(r, v, HigherIsBetter)
		if cp.Outcome == ValkeyFaster {
			paired++
		}
		if cu.Outcome == ValkeyFaster {
			unpaired++
		}
		wp += cp.High/cp.Low - 1
		wu += cu.High/cu.Low - 1
	}
	t.Logf("5%% in 60 s: paired detects %.1f%% (width ×%.4f), unpaired %.1f%% (width ×%.4f)",
		100*float64(paired)/pairedTrials, 1+wp/pairedTrials, 100*float64(unpaired)/pairedTrials, 1+wu/pairedTrials)
	if paired <= unpaired {
		t.Errorf("paired detected %d, unpaired %d: pairing should detect more", paired, unpaired)
	}
}

func TestComparePairedEdges(t *testing.T) {
	t.Parallel()
	same := func(n int, r, v float64) []Pair {
		ps := make([]Pair, n)
		for i := range ps {
			ps[i] = Pair{RedisNum: r, RedisDen: 1, ValkeyNum: v, ValkeyDen: 1}
		}
		return ps
	}
	for _, tt := range []struct {
		name    string
		pairs   []Pair
		ratio   float64 // NaN: none
		outcome Outcome
	}{
		{"constant and equal", same(10, 100, 100), 1, NoDifference},
		{"constant, valkey double", same(10, 100, 200), 2, ValkeyFaster},
		{"too few", same(MinSamples-1, 100, 200), 2, NotEnoughData},
		{"redis answered nothing", same(10, 0, 200), math.NaN(), NotEnoughData},
		{"valkey answered nothing", same(10, 100, 0), 0, NotEnoughData},
		{"no pairs", nil, math.NaN(), NotEnoughData},
		{"NaN and zero denominators left out", append(same(10, 100, 150),
			Pair{math.NaN(), 1, 1, 1}, Pair{1, 0, 1, 1}, Pair{1, 1, math.Inf(1), 1}), 1.5, ValkeyFaster},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ComparePaired(tt.pairs, HigherIsBetter)
			if c.Outcome != tt.outcome || !(c.Ratio == tt.ratio || math.IsNaN(c.Ratio) && math.IsNaN(tt.ratio)) {
				t.Errorf("got %+v, want ratio %v and %s", c, tt.ratio, tt.outcome)
			}
		})
	}
}
