// Package comparison turns a run into the answer its reader wants: which
// engine is faster for each workload, how sure that is, and the numbers
// behind it. The bench's output, `ecbench compare` and the HTML report all
// show this one comparison.
//
// Of builds a Table: per workload and op, each engine's values (Op), each
// quantity's ratio candidate/baseline (valkey/redis) with its confidence
// interval and verdict, the error rates' difference with its own interval,
// and, from those, a decision per op, per workload and overall (decision.go
// says how they are aggregated). Table.Check applies thresholds
// (package threshold) to the same values, with the defaults of
// DefaultThresholds. Write renders it: the decision lines first, then a
// compact table of one row per op, or with Options.Detail the table of one
// row per quantity; as text, markdown, CSV (one row per op, base units) or
// JSON (json.go documents the document).
//
// Of also builds, per workload, the servers' side (Efficiency): each
// engine's figures from the INFO snapshots a bench took (memory per key
// and per element, server CPU and network bytes per command, keyspace hit
// ratio; results.Efficiency derives them) and its cost at the measured
// throughput from the targets' prices (cost.go). They are measured once
// per run: a ratio, never an interval or a verdict. Text and markdown show
// them in a block after the table, JSON under each workload; the CSV,
// one row per op, leaves them out.
package comparison
