// Package workload describes what a workload sends: its operations, their mix
// by weight, its keys and values, and the deterministic request stream that
// gives both engines the same sequence for the same seed.
//
// A workload's keys hold one kind of value (Kind): strings for the kv ops, or
// lists, hashes, sets or sorted sets, whose size and contents Structure
// describes. Every op is one entry of a table (registry.go): its label name,
// its kind, whether it names keys of several hash slots, and how it is built
// or what it draws, sends and counts as a miss. NewOp builds every op from
// that table by kind and name.
//
// Around a run, Preload fills a workload's keys so that its reads hit, in
// commands and pipelines of at most PreloadBytes, and DeleteKeys removes
// them so that the next workload starts from an empty server.
//
// What a command carries at most (payload.go: a value, an MGET batch, an
// element, a range, a whole structure) sizes the generator's memory budget
// and the runners' shared in-flight cap.
package workload
