// Package workload describes what a workload sends: its operations, their mix
// by weight, its keys and values, and the deterministic request stream that
// gives both engines the same sequence for the same seed.
//
// A workload's keys hold one kind of value (Kind): strings for the kv ops, or
// lists, hashes, sets or sorted sets, whose size and contents Structure
// describes. NewOp builds every op by kind and name, and Preload fills a
// workload's keys before a run so that its reads hit.
package workload
