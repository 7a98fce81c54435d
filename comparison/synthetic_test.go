package comparison

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/results"
)

// synthetic describes a run recorded through results.Recorder, as a bench
// records one, from seeded random requests: per 100 ms interval each engine
// answers about rate/10 requests with log-normal latency around latency,
// moved by noise both engines share and by noise of their own (AR(1), so
// neighbouring intervals move together).
type synthetic struct {
	seconds   float64
	workloads []syntheticWorkload
	shared    float64 // sd of the shared per-interval log noise (latency and rate)
	own       float64 // sd of each engine's own per-interval log noise
	seed      uint64
	engines   [2]syntheticEngine // redis, valkey
	openLoop  bool
	// dropped is the share of valkey's due requests dropped (open loop).
	dropped float64
}

type syntheticWorkload struct {
	name string
	ops  []string
}

// syntheticEngine is how one engine behaves, on every op unless failing
// names the op.
type syntheticEngine struct {
	rate    float64 // answered requests per second per op
	latency float64 // median latency, seconds
	failing string  // an op of which every request fails with OOM
}

func (s synthetic) run() *results.Run {
	start := time.Unix(1_700_000_000, 0)
	end := start.Add(time.Duration(s.seconds * float64(time.Second)))
	run := &results.Run{
		Schema: results.SchemaVersion,
		Meta:   results.Meta{Start: start, End: end, Duration: end.Sub(start)},
		Targets: []results.Target{
			{Name: "redis", Engine: engine.Redis, Version: "7.2.4"},
			{Name: "valkey", Engine: engine.Valkey, Version: "8.0.1"},
		},
	}
	rng := rand.New(rand.NewPCG(s.seed, 14))
	intervals := int(s.seconds * 10)
	for _, w := range s.workloads {
		recs := [2]*results.Recorder{}
		for i, t := range run.Targets {
			recs[i] = results.NewRecorder(t.Name, w.name, w.ops, start, start)
			recs[i].SetEngine(t.Engine)
		}
		for op := range w.ops {
			shared := noise(rng, intervals, s.shared)
			for e, spec := range s.engines {
				own := noise(rng, intervals, s.own)
				for iv := range intervals {
					level := math.Exp(shared[iv] + own[iv])
					n := int(math.Round(spec.rate / 10 / level))
					for k := range n {
						intended := start.Add(time.Duration(iv)*100*time.Millisecond + time.Duration(k)*100*time.Millisecond/time.Duration(n))
						lat := spec.latency * level * math.Exp(0.3*rng.NormFloat64())
						r := result.Result{Op: op, Intended: intended, Sent: intended,
							Done: intended.Add(time.Duration(lat * float64(time.Second))), Outcome: result.OK}
						switch {
						case spec.failing == w.ops[op]:
							r.Outcome, r.Class = result.Error, result.ClassOOM
						case e == 1 && s.dropped > 0 && rng.Float64() < s.dropped:
							r.Outcome, r.Sent, r.Done = result.Dropped, time.Time{}, time.Time{}
						}
						recs[e].Record(r)
					}
				}
			}
		}
		for i, rec := range recs {
			rec.SetEnd(end)
			run.Series = append(run.Series, rec.Series()...)
			run.Generator = append(run.Generator, results.Generator{Target: run.Targets[i].Name, Workload: w.name,
				OpenLoop: s.openLoop, DropsBounded: true, MaxInFlight: 256})
		}
	}
	return run
}

// noise is AR(1) log noise with lag-1 correlation 0.5 and sd sd.
func noise(rng *rand.Rand, n int, sd float64) []float64 {
	xs := make([]float64, n)
	e := sd * rng.NormFloat64()
	for i := range xs {
		e = 0.5*e + sd*math.Sqrt(0.75)*rng.NormFloat64()
		xs[i] = e
	}
	return xs
}

var (
	kvOnly = []syntheticWorkload{{"kv", []string{"get", "set"}}}
	// allWorkloads are the workloads and ops of `bench -t all`.
	allWorkloads = []syntheticWorkload{
		{"kv", []string{"get", "set"}},
		{"list", []string{"lpush", "rpush", "lpop", "rpop", "lrange", "llen", "lindex"}},
		{"hash", []string{"hset", "hget", "hmget", "hgetall", "hincrby", "hdel", "hlen"}},
		{"set", []string{"sadd", "srem", "sismember", "smembers", "scard", "srandmember", "sinter"}},
		{"zset", []string{"zadd", "zincrby", "zscore", "zrank", "zrange", "zrangebyscore", "zrevrange", "zrem", "zcard"}},
	}
	same = [2]syntheticEngine{{rate: 2000, latency: 0.0005}, {rate: 2000, latency: 0.0005}}
)

// faster is an engine rate× as fast, with latency÷rate.
func faster(by float64) [2]syntheticEngine {
	return [2]syntheticEngine{{rate: 2000, latency: 0.0005}, {rate: 2000 * by, latency: 0.0005 / by}}
}

// combine puts the workloads of runs, made by synthetic, into one run.
func combine(runs ...*results.Run) *results.Run {
	run := &results.Run{Schema: runs[0].Schema, Meta: runs[0].Meta, Targets: runs[0].Targets}
	for _, r := range runs {
		run.Series = append(run.Series, r.Series...)
		run.Generator = append(run.Generator, r.Generator...)
	}
	return run
}
