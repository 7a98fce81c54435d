package verdict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// process generates synthetic per-interval samples: AR(1) noise
//
//	e[t] = φ·e[t−1] + √(1−φ²)·sd·z[t]     (stationary standard deviation sd)
//
// applied multiplicatively (latency: mu·exp(e), log-normal) or additively
// (throughput: mu·(1+e)), plus independent one-interval disturbances with
// probability pSpike that multiply latency, or divide throughput, by a factor
// drawn uniformly from [spikeLo, spikeHi] (a stall, a fork for a snapshot).
type process struct {
	lognormal        bool
	phi, sd          float64
	pSpike           float64
	spikeLo, spikeHi float64
}

var (
	// Throughput (ops/s) with ±5% per-second noise and an occasional
	// second at half to a third of the rate.
	throughput = process{phi: 0.5, sd: 0.05, pSpike: 0.01, spikeLo: 2, spikeHi: 3}
	// Per-second p99: log-normal, ±8%, with 2% of seconds 1.5–3× higher.
	p99 = process{lognormal: true, phi: 0.5, sd: 0.08, pSpike: 0.02, spikeLo: 1.5, spikeHi: 3}
	// Per-second mean latency: steadier than a tail percentile.
	meanLatency = process{lognormal: true, phi: 0.5, sd: 0.04, pSpike: 0.01, spikeLo: 1.2, spikeHi: 2}
)

func (p process) generate(rng *rand.Rand, n int, mu float64) []float64 {
	xs := make([]float64, n)
	innovation := p.sd * math.Sqrt(1-p.phi*p.phi)
	e := p.sd * rng.NormFloat64() // start in the stationary distribution
	for i := range xs {
		e = p.phi*e + innovation*rng.NormFloat64()
		x := mu * (1 + e)
		if p.lognormal {
			x = mu * math.Exp(e)
		}
		if rng.Float64() < p.pSpike {
			f := p.spikeLo + (p.spikeHi-p.spikeLo)*rng.Float64()
			if p.lognormal {
				x *= f
			} else {
				x /= f
			}
		}
		xs[i] = x
	}
	return xs
}

const trials = 200

// TestCoverageAndPower runs Compare on seeded synthetic runs:
//   - same distribution for both engines: the verdict must be "no significant
//     difference" in ≥ 90% of trials (95% is the target);
//   - one engine 20% better (throughput ×1.2, latency ×0.8), each way round:
//     detected with the right direction in ≥ 95% of trials.
func TestCoverageAndPower(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    process
		dir  Direction
		mu   float64
	}{
		{"throughput", throughput, HigherIsBetter, 50_000},
		{"p99", p99, LowerIsBetter, 0.002},
		{"mean latency", meanLatency, LowerIsBetter, 0.0004},
	}
	better := map[Direction]float64{HigherIsBetter: 1.2, LowerIsBetter: 0.8}
	for _, tt := range tests {
		for _, n := range []int{60, 300} {
			t.Run(fmt.Sprintf("%s/n=%d", tt.name, n), func(t *testing.T) {
				t.Parallel()
				var same, valkeyBetter, redisBetter int
				for i := range uint64(trials) {
					rng := rand.New(rand.NewPCG(i, uint64(n)))
					r := tt.p.generate(rng, n, tt.mu)
					v := tt.p.generate(rng, n, tt.mu)
					if Compare(r, v, tt.dir).Outcome == NoDifference {
						same++
					}
					r = tt.p.generate(rng, n, tt.mu)
					v = tt.p.generate(rng, n, tt.mu*better[tt.dir])
					if Compare(r, v, tt.dir).Outcome == ValkeyFaster {
						valkeyBetter++
					}
					r = tt.p.generate(rng, n, tt.mu*better[tt.dir])
					v = tt.p.generate(rng, n, tt.mu)
					if Compare(r, v, tt.dir).Outcome == RedisFaster {
						redisBetter++
					}
				}
				t.Logf("no difference when equal: %.1f%%; 20%% shift detected: valkey better %.1f%%, redis better %.1f%%",
					pct(same), pct(valkeyBetter), pct(redisBetter))
				if pct(same) < 90 {
					t.Errorf("identical engines: no difference in %.1f%% of trials, want ≥ 90%%", pct(same))
				}
				if pct(valkeyBetter) < 95 || pct(redisBetter) < 95 {
					t.Errorf("20%% shift detected in %.1f%% (valkey better) and %.1f%% (redis better) of trials, want ≥ 95%%",
						pct(valkeyBetter), pct(redisBetter))
				}
			})
		}
	}
}

// TestCoverageStrongCorrelation checks the interval stays honest when the
// noise wanders for many seconds (φ = 0.8: correlation time ≈ 9 s; φ = 0.9:
// ≈ 19 s), where batches of √n intervals would be too short. It also shows
// why batching matters at all: an interval that treats every second as an
// independent sample calls identical engines different far more often.
func TestCoverageStrongCorrelation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		phi     float64
		n       int
		minSame float64 // % of trials with no difference, at least
		maxIID  float64 // % for the one-second-batches interval, at most
	}{
		{phi: 0.5, n: 300, minSame: 90, maxIID: 80},
		{phi: 0.8, n: 60, minSame: 88, maxIID: 60},
		{phi: 0.8, n: 300, minSame: 90, maxIID: 60},
		{phi: 0.9, n: 60, minSame: 85, maxIID: 50},
		{phi: 0.9, n: 300, minSame: 90, maxIID: 50},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("phi=%g/n=%d", tt.phi, tt.n), func(t *testing.T) {
			t.Parallel()
			p := process{phi: tt.phi, sd: 0.05}
			var same, sameIID int
			for i := range uint64(trials) {
				rng := rand.New(rand.NewPCG(i, 100+uint64(tt.n)))
				r := p.generate(rng, tt.n, 1000)
				v := p.generate(rng, tt.n, 1000)
				if Compare(r, v, HigherIsBetter).Outcome == NoDifference {
					same++
				}
				mr, mv := mean(r), mean(v)
				lo, hi, _ := ratioInterval(batchMeans(r, mr, len(r)), batchMeans(v, mv, len(v)), mv/mr)
				if decide(lo, hi, HigherIsBetter) == NoDifference {
					sameIID++
				}
			}
			t.Logf("no difference when equal: %.1f%% (independent-seconds interval: %.1f%%)", pct(same), pct(sameIID))
			if pct(same) < tt.minSame {
				t.Errorf("no difference in %.1f%% of trials, want ≥ %g%%", pct(same), tt.minSame)
			}
			if pct(sameIID) > tt.maxIID {
				t.Errorf("independent-seconds interval: no difference in %.1f%% of trials, expected ≤ %g%%", pct(sameIID), tt.maxIID)
			}
		})
	}
}

func pct(k int) float64 { return 100 * float64(k) / trials }
