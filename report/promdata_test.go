package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// promStart is where the Prometheus test data begins: 2025-01-02T03:00:00Z.
var promStart = time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)

// The Prometheus test data covers ten minutes scraped every 10 s.
const (
	promScrape = 10 // seconds
	promLength = 600
)

// promBuckets are the test data's classic bucket bounds (a subset of
// ecbench's: the report must work with any).
var promBuckets = []float64{0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01}

// promTestData is a deterministic OpenMetrics text of what two ecbench
// generators would have exported over ten minutes:
//
//   - gen1 drives workloads kv (get, set, del) and ds (lpush, hset) against
//     redis and valkey for the whole window, except that it is down from
//     360 s to 419 s (no samples at all) and comes back with its counters
//     reset, as after a restart;
//   - gen2 drives kv only, for the first 300 s: kv's counters sum over both;
//   - valkey is faster (lower latency buckets, more ok ops), fails 5 kv/set
//     requests per second from 100 s to 160 s (class timeout), and redis
//     drops 20 ds requests per second from 200 s to 240 s, with a schedule
//     lag of 80 ms on ds: generator-bound;
//   - gen1 exports the scenario phases: steady until 240 s, burst until
//     300 s, steady again after;
//   - gen1 exports CloudWatch values for one node per target, changing
//     every minute: EngineCPUUtilization and CurrConnections (Average).
func promTestData() []byte {
	series := map[string][][2]float64{} // "name{labels}" → (t, value)
	add := func(name, labels string, t int, v float64) {
		k := name + "{" + labels + "}"
		series[k] = append(series[k], [2]float64{float64(promStart.Unix()) + float64(t), v})
	}
	type op struct {
		workload, name string
		rate           float64 // ok/s on redis at gen1
		miss           float64 // share of ok that are misses instead
	}
	ops := []op{{"kv", "get", 500, 0.1}, {"kv", "set", 300, 0}, {"kv", "del", 20, 0}, {"ds", "lpush", 200, 0}, {"ds", "hset", 150, 0}}
	engines := []string{"redis", "valkey"}
	// shares of requests per bucket (the last: above the highest bound)
	shares := map[string][]float64{
		"redis":  {0.02, 0.30, 0.50, 0.12, 0.04, 0.015, 0.004, 0.001},
		"valkey": {0.05, 0.45, 0.40, 0.06, 0.03, 0.008, 0.002, 0},
	}
	type counterKey struct{ inst, series string }
	totals := map[counterKey]float64{}
	inc := func(inst, name, labels string, t int, by float64) {
		k := counterKey{inst, name + labels}
		totals[k] += by
		add(name, labels, t, totals[k])
	}
	for _, inst := range []string{"gen1", "gen2"} {
		il := `instance="` + inst + `:9478",job="ecbench"`
		for t := 0; t <= promLength; t += promScrape {
			up := inst == "gen1" && (t < 360 || t >= 420) || inst == "gen2" && t < 300
			if !up {
				continue
			}
			if inst == "gen1" && t == 420 { // restarted: counters start again
				clear(totals)
			}
			add("ecbench_build_info", il+`,goversion="go1.26.0",version="v1.2.3"`, t, 1)
			// gen2 (kv only) saturated its one CPU for 30 s (5% of the
			// window: a burst, under CPUBoundShare); gen1 never, on 4.
			busy, cpus, steal := 0.3, 4.0, 0.01
			if inst == "gen2" {
				busy, cpus, steal = 0.7, 1, 0.02
				if t > 100 && t <= 130 {
					busy, steal = 0.97, 0.2
				}
			}
			add("ecbench_generator_cpu_busy_ratio", il, t, busy)
			add("ecbench_generator_cpus", il, t, cpus)
			add("ecbench_host_cpu_steal_ratio", il, t, steal)
			satSecs := 0.0
			if busy >= 0.9 {
				satSecs = promScrape
			}
			inc(inst, "ecbench_generator_cpu_saturated_seconds_total", il, t, satSecs)
			first := t == 0 || inst == "gen1" && t == 420 // nothing counted before the first scrape
			for i, target := range engines {
				tl := il + `,engine="` + target + `",target="` + target + `"`
				if inst == "gen1" {
					version := map[string]string{"redis": "7.2.4", "valkey": "8.0.1"}[target]
					add("ecbench_target_info", tl+`,mode="standalone",role="primary",version="`+version+`"`, t, 1)
				}
				for _, o := range ops {
					if inst == "gen2" && o.workload != "kv" {
						continue
					}
					ol := tl + `,op="` + o.name + `",workload="` + o.workload + `"`
					secs := float64(promScrape)
					if first {
						secs = 0
					}
					ok := o.rate * secs * (1 + 0.1*float64(i)) * (1 + 0.02*float64(t%60)/60)
					if inst == "gen2" {
						ok /= 2
					}
					miss := ok * o.miss
					ok -= miss
					errs, dropped := 0.0, 0.0
					if target == "valkey" && o.name == "set" && t > 100 && t <= 160 {
						errs = 5 * secs
					}
					if target == "redis" && o.workload == "ds" && t > 200 && t <= 240 {
						dropped = 10 * secs
					}
					for outcome, v := range map[string]float64{"ok": ok, "miss": miss, "error": errs, "dropped": dropped} {
						inc(inst, "ecbench_ops_total", ol+`,outcome="`+outcome+`"`, t, v)
					}
					inc(inst, "ecbench_op_errors_total", ol+`,class="timeout"`, t, errs)
					n := ok + miss + errs
					cum := 0.0
					for b, le := range append(slices.Clone(promBuckets), 0) {
						cum += n * shares[target][b]
						les := "+Inf"
						if le > 0 {
							les = strconv.FormatFloat(le, 'g', -1, 64)
						}
						inc(inst, "ecbench_op_latency_seconds_bucket", ol+`,le="`+les+`"`, t, cum)
					}
					inc(inst, "ecbench_op_latency_seconds_count", ol, t, n)
					inc(inst, "ecbench_op_latency_seconds_sum", ol, t, n*map[string]float64{"redis": 0.0006, "valkey": 0.0004}[target])
				}
				for _, wl := range []string{"kv", "ds"} {
					if inst == "gen2" && wl != "kv" {
						continue
					}
					wll := il + `,target="` + target + `",workload="` + wl + `"`
					lag := 0.001 * float64(i+1)
					if target == "redis" && wl == "ds" && t > 200 && t <= 240 {
						lag = 0.08
					}
					add("ecbench_schedule_lag_seconds", wll, t, lag)
					add("ecbench_max_inflight_ops", wll, t, 1000)
				}
				if inst == "gen1" {
					node := `cluster="rg-` + target + `",engine="` + target + `",node="rg-` + target + `-001",stat="Average",target="` + target + `"`
					minute := float64(t / 60)
					add("ecbench_cloudwatch_value", il+`,`+node+`,metric="EngineCPUUtilization"`, t, 20+5*float64(i)+minute)
					add("ecbench_cloudwatch_value", il+`,`+node+`,metric="CurrConnections"`, t, 50+minute)
				}
			}
			if inst == "gen1" {
				phase := "steady"
				if t >= 240 && t < 300 {
					phase = "burst"
				}
				for _, ph := range []string{"steady", "burst"} {
					v := 0.0
					if ph == phase {
						v = 1
					}
					add("ecbench_phase_info", il+`,phase="`+ph+`"`, t, v)
				}
			}
		}
	}
	// OpenMetrics: each family's lines together, each series in time order.
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(series)) {
		for _, p := range series[k] {
			fmt.Fprintf(&b, "%s %s %s\n", k, strconv.FormatFloat(p[1], 'f', -1, 64), strconv.FormatFloat(p[0], 'f', -1, 64))
		}
	}
	b.WriteString("# EOF\n")
	return []byte(b.String())
}
