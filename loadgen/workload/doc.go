// Package workload describes what a workload sends: its operations, their mix
// by weight, its keys and values, and the deterministic request stream that
// gives both engines the same sequence for the same seed.
package workload
