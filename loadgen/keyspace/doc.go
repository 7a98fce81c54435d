// Package keyspace provides seeded key and value generators.
//
// ecbench drives the same workload against Redis and Valkey, so two
// generators built with the same parameters and seed produce identical
// sequences: each runner builds its own copy and neither engine's pace affects
// the keys or values the other one sees. Sequences are reproducible for a
// given binary; the Zipfian sampler uses floating point and may differ across
// CPU architectures.
//
// Key generators (Keys) pick key indexes in [0, count); AppendKey turns an
// index into a key name. Value generators (Values) hand out pseudo-random,
// incompressible payloads from a buffer filled once at construction, so the
// hot path neither allocates nor generates bytes.
//
// A generator is owned by one goroutine: none is safe for concurrent use.
// Give every worker its own generator rather than sharing one behind a lock.
//
// Constructors of generators whose signatures return no error panic on
// parameters that config validation must already have rejected (an empty key
// space, negative sizes); NewZipfian, whose exponent comes straight from
// config, returns an error.
package keyspace

// Each generator kind draws from its own PCG stream, so that generators of
// different kinds built from the same seed (as a workload's key and value
// sources often are) are not fed the same underlying random numbers.
const (
	streamUniform uint64 = 0x9e3779b97f4a7c15
	streamZipfian uint64 = 0xbf58476d1ce4e5b9
	streamValues  uint64 = 0x94d049bb133111eb
)
