package config

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/ecbench/ecbench/loadgen/keyspace"
)

// SizeWeights is an empirical distribution of sizes: sizes in bytes, as
// the mapping's keys, and their relative weights, as in
//
//	values:   {sizes: {32: 70, 1024: 25, 65536: 5}}
//	elements: {count: 100, sizes: {16: 1, 256: 1}}
//
// 70% of the values are 32 bytes, 25% 1 KiB and 5% 64 KiB. The weights
// need not sum to anything: they are divided by their sum. A table
// replaces size (and min_size, max_size): it cannot be combined with
// them. `ecbench profile` writes one from the sizes it sampled.
//
// The keys are strings because YAML mapping keys reach the config as text
// (32 is "32"); validation checks that each is a size in bytes written in
// decimal, from 0 to the field's largest size, with a weight > 0.
type SizeWeights map[string]float64

// Entries returns the table's sizes and weights by increasing size. A key
// that is not a size (validation rejects it) is left out.
func (s SizeWeights) Entries() []keyspace.SizeWeight {
	entries := make([]keyspace.SizeWeight, 0, len(s))
	for k, w := range s {
		if n, ok := sizeKey(k); ok {
			entries = append(entries, keyspace.SizeWeight{Size: n, Weight: w})
		}
	}
	slices.SortFunc(entries, func(a, b keyspace.SizeWeight) int { return cmp.Compare(a.Size, b.Size) })
	return entries
}

// Largest returns the table's largest size, 0 for no table: what the
// memory budget charges a value or an element.
func (s SizeWeights) Largest() int {
	largest := 0
	for _, e := range s.Entries() {
		largest = max(largest, e.Size)
	}
	return largest
}

// Table returns the table as the sampler that draws from it, or nil when
// there is no table. A validated table always builds.
func (s SizeWeights) Table() (*keyspace.SizeTable, error) {
	if len(s) == 0 {
		return nil, nil
	}
	return keyspace.NewSizeTable(s.Entries())
}

// sizeKey reads a table's key: a size in bytes written in decimal, with
// no sign, no leading zero and no unit, so that two keys never name the
// same size.
func sizeKey(k string) (int, bool) {
	n, err := strconv.Atoi(k)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == k
}
