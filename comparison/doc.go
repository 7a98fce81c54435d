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
package comparison
