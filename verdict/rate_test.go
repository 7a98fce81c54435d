package verdict

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// errorRun generates the per-interval errors of two engines: each interval
// completes about perInterval requests per engine, and each request fails
// with probability p·m_t, where m_t = exp(x_t − σ²/2) has mean 1 and x_t is
// a burst process: AR(1) noise both engines share (a network blip, the
// host; sd shared, φ 0.8) plus each engine's own (sd own, φ 0.5). So errors
// come in bursts, partly at the same seconds on both, and each engine's
// expected whole-run rate is exactly its p.
type errorRun struct {
	shared, own float64
}

func (e errorRun) generate(rng *rand.Rand, n int, perInterval, pRedis, pValkey float64) []RatePair {
	shared := ar1(rng, n, 0.8, e.shared)
	ownR, ownV := ar1(rng, n, 0.5, e.own), ar1(rng, n, 0.5, e.own)
	sd2 := e.shared*e.shared + e.own*e.own
	src := rand.NewPCG(rng.Uint64(), rng.Uint64())
	draw := func(requests, p float64) RateSample {
		p = min(p, 1)
		return RateSample{Errors: distuv.Binomial{N: requests, P: p, Src: src}.Rand(), Requests: requests}
	}
	pairs := make([]RatePair, n)
	for i := range pairs {
		// The load varies by about ±5% too, the same way on both engines
		// (shared[i]/e.shared is a standard normal).
		requests := math.Round(perInterval * (1 + 0.05*shared[i]/e.shared))
		pairs[i] = RatePair{
			Redis:  draw(requests, pRedis*math.Exp(shared[i]+ownR[i]-sd2/2)),
			Valkey: draw(requests, pValkey*math.Exp(shared[i]+ownV[i]-sd2/2)),
		}
	}
	return pairs
}

const rateTrials = 1000

// TestRateCoverage is the error-rate comparison's contract on synthetic
// bursty errors (fixed seeds): the interval holds the true difference in
// ≥ 93% of trials, and identical engines are called different in ≤ 7%,
// paired and unpaired, for common and for rare errors.
func TestRateCoverage(t *testing.T) {
	t.Parallel()
	burst := errorRun{shared: 0.8, own: 0.4}
	for _, tt := range []struct {
		name            string
		run             errorRun
		n               int     // intervals
		perInterval     float64 // requests per interval and engine
		pRedis, pValkey float64
	}{
		{"A/A 1%", burst, 300, 1000, 0.01, 0.01},
		{"1% against 1.2%", burst, 300, 1000, 0.01, 0.012},
		{"A/A 0.05%, short", burst, 60, 200, 0.0005, 0.0005},
		{"0.02% against 0.1%", burst, 600, 500, 0.0002, 0.001},
		{"A/A steady 5%", errorRun{shared: 0.05, own: 0.05}, 100, 2000, 0.05, 0.05},
		{"no errors against 0.5%", burst, 300, 1000, 0, 0.005},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			truth := tt.pValkey - tt.pRedis
			for _, paired := range []bool{true, false} {
				rng := rand.New(rand.NewPCG(14, uint64(tt.n)))
				covered, different, decided := 0, 0, 0
				var width float64
				for range rateTrials {
					pairs := tt.run.generate(rng, tt.n, tt.perInterval, tt.pRedis, tt.pValkey)
					var c RateComparison
					if paired {
						c = CompareRatesPaired(pairs)
					} else {
						r, v := make([]RateSample, len(pairs)), make([]RateSample, len(pairs))
						for i, p := range pairs {
							r[i], v[i] = p.Redis, p.Valkey
						}
						c = CompareRates(r, v)
					}
					if c.Low <= truth && truth <= c.High {
						covered++
					}
					if c.Outcome == RedisFewerErrors || c.Outcome == ValkeyFewerErrors {
						different++
						if (c.Outcome == RedisFewerErrors) == (truth > 0) {
							decided++
						}
					}
					width += c.High - c.Low
				}
				cov, diff := float64(covered)/rateTrials, float64(different)/rateTrials
				t.Logf("%s, paired %v: coverage %.1f%%, called different %.1f%%, mean width %.4f points",
					tt.name, paired, 100*cov, 100*diff, 100*width/rateTrials)
				if cov < 0.93 {
					t.Errorf("paired %v: coverage %.1f%%, want ≥ 93%%", paired, 100*cov)
				}
				if truth == 0 && diff > 0.07 {
					t.Errorf("paired %v: identical engines called different in %.1f%%, want ≤ 7%%", paired, 100*diff)
				}
				if truth != 0 && decided < different {
					t.Errorf("paired %v: %d of %d calls the wrong way", paired, different-decided, different)
				}
			}
		})
	}
}

// TestRateComparison checks exact cases: the estimate is the whole run's,
// the edges (no errors, all errors, too few intervals) give what a reader
// expects, and the interval stays within [−1, 1].
func TestRateComparison(t *testing.T) {
	t.Parallel()
	const n = 20
	steady := func(errR, errV, req float64) []RatePair {
		ps := make([]RatePair, n)
		for i := range ps {
			ps[i] = RatePair{RateSample{errR, req}, RateSample{errV, req}}
		}
		return ps
	}
	for _, tt := range []struct {
		name    string
		pairs   []RatePair
		diff    float64
		outcome Outcome
	}{
		{"no errors", steady(0, 0, 1000), 0, NoDifference},
		{"valkey fails everything", steady(0, 1000, 1000), 1, RedisFewerErrors},
		{"redis fails everything", steady(1000, 0, 1000), -1, ValkeyFewerErrors},
		{"both fail everything", steady(1000, 1000, 1000), 0, NoDifference},
		{"too few intervals", steady(0, 10, 1000)[:MinSamples-1], 0.01, NotEnoughData},
		{"one error in a run", append(steady(0, 0, 1000)[:n-1], RatePair{RateSample{0, 1000}, RateSample{1, 1000}}), 1.0 / (n * 1000), NoDifference},
		{"invalid samples dropped", append(steady(1, 2, 100), RatePair{RateSample{5, 1}, RateSample{math.NaN(), 1}}), 0.01, RedisFewerErrors},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := CompareRatesPaired(tt.pairs)
			if math.Abs(c.Diff-tt.diff) > 1e-12 || c.Outcome != tt.outcome {
				t.Errorf("diff %v %s, want %v %s (%+v)", c.Diff, c.Outcome, tt.diff, tt.outcome, c)
			}
			if c.Outcome != NotEnoughData && !(c.Low >= -1 && c.Low <= c.Diff && c.Diff <= c.High && c.High <= 1) {
				t.Errorf("interval [%v, %v] around %v", c.Low, c.High, c.Diff)
			}
			if c.Outcome != NotEnoughData && c.High-c.Low <= 0 {
				t.Errorf("zero-width interval [%v, %v]: a finite run never proves a rate exactly", c.Low, c.High)
			}
		})
	}
	if c := CompareRates(nil, []RateSample{{1, 10}}); c.Outcome != NotEnoughData || !math.IsNaN(c.Redis) || c.Valkey != 0.1 {
		t.Errorf("one side empty: %+v", c)
	}
}
