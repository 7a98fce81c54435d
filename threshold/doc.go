// Package threshold parses the pass/fail criteria of a benchmark, as k6's
// thresholds do for a load test: each one states what must hold, and a run
// in which it does not has crossed it.
//
//	p99<2ms                 every engine's p99 of every op under 2 ms
//	valkey.p99<2ms          the valkey target's (or the Valkey engine's)
//	kv.get.p99<=2ms         op get of workload kv, every engine
//	kv.*.valkey.p99<2ms     every op of kv, valkey only
//	error_rate<0.1%         failed requests / completed requests
//	dropped<=0.1%           dropped requests / due requests
//	throughput>10000        answered requests per second
//	ratio.p99<1.05          valkey/redis (candidate over baseline) of p99
//	kv.get.ratio.throughput>0.95
//
// The grammar:
//
//	threshold := [WORKLOAD "." OP "."] [TARGET "." | "ratio."] QUANTITY CMP LIMIT
//	QUANTITY  := throughput | mean | p50 | p95 | p99 | p99.9 | max | error_rate | dropped
//	CMP       := "<" | "<=" | ">" | ">="
//
// WORKLOAD, OP and TARGET are names as in the configuration, or "*" for
// every one. TARGET is a target's name, or an engine (redis, valkey): it
// selects the targets of that engine when no target has that name. LIMIT's
// unit depends on the quantity: a duration with its unit for latencies
// ("2ms", "500us", "1.5s"), a percentage with "%" for error_rate and
// dropped, a plain number of operations per second for throughput, a plain
// number for a ratio. Anything else is an error naming the part that is
// wrong, its value and what is allowed. Spaces are allowed around CMP only.
//
// This package knows the syntax and the units; package comparison applies
// thresholds to a run's values and decides what crossing a ratio means.
package threshold
