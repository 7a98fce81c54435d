package config

import (
	"fmt"
	"maps"
	"slices"
)

// Bounds of a size table (size_table.go).
const (
	// maxSizeTableEntries is the most sizes a table holds: as many as
	// a mapping of the file may (maxMappingKeys), and four times what
	// `ecbench profile` writes.
	maxSizeTableEntries = maxMappingKeys
	// maxSizeWeight bounds a weight, so that no sum of them overflows and
	// none is a typo of many zeros.
	maxSizeWeight = 1e12
)

// sizeTable checks the table at p, whose sizes may be up to maxSize
// bytes, and reports whether it is valid.
func (v validator) sizeTable(p string, t SizeWeights, maxSize int) bool {
	if len(t) > maxSizeTableEntries {
		v.add(p, fmt.Sprintf("at most %d sizes are allowed, got %d", maxSizeTableEntries, len(t)))
		return false
	}
	ok := true
	for _, k := range slices.Sorted(maps.Keys(t)) {
		kp := keyPath(p, k)
		if n, isSize := sizeKey(k); !isSize || n > maxSize {
			v.add(kp, fmt.Sprintf("must be a size in bytes, a whole number from 0 to %d written without sign or unit, got %s", maxSize, quote(k)))
			ok = false
			continue
		}
		if w := t[k]; !(w > 0) || w > maxSizeWeight {
			v.add(kp, fmt.Sprintf("weight must be > 0 and at most %s, got %s", formatFloat(maxSizeWeight), formatFloat(w)))
			ok = false
		}
	}
	return ok
}
