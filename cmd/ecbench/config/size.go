package config

import (
	"errors"
	"math"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
)

// Size is a number of bytes. In the file it is written with a unit,
// "512MiB", "1GiB", "1.5GB", "64KiB", or as a plain number of bytes. Units
// are powers of 1024 (KiB, MiB, GiB, TiB) or of 1000 (kB or KB, MB, GB,
// TB), and B; they are not case-sensitive and may follow a space.
type Size int64

var sizeType = reflect.TypeFor[Size]()

// sizeUnits are the units a size may carry, lower-cased.
var sizeUnits = map[string]int64{
	"b":   1,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
}

var (
	errSizeSyntax = errors.New(`a size such as "512MiB" or "1GiB" (KiB, MiB, GiB, TiB, kB, MB, GB, TB, B), or a number of bytes`)
	errSizeWhole  = errors.New("a whole number of bytes")
	errSizeRange  = errors.New("a size below 8 EiB")
)

// parseSize reads a size as Size documents it. It is exact: "1.5KiB" is
// 1536 bytes, and a size that is not a whole number of bytes ("1.5B") is
// an error, not rounded.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	number, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	mult := int64(1)
	if unit != "" {
		m, ok := sizeUnits[unit]
		if !ok {
			return 0, errSizeSyntax
		}
		mult = m
	}
	whole, frac, hasFrac := strings.Cut(number, ".")
	if whole == "" && frac == "" || strings.Contains(frac, ".") || hasFrac && frac == "" {
		return 0, errSizeSyntax
	}
	n := int64(0)
	if whole != "" {
		w, err := strconv.ParseInt(whole, 10, 64)
		if err != nil {
			return 0, errSizeRange // only digits: too many of them
		}
		hi, lo := bits.Mul64(uint64(w), uint64(mult))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, errSizeRange
		}
		n = int64(lo)
	}
	// The fraction's share: frac / 10^len(frac) × mult, which must be whole.
	frac = strings.TrimRight(frac, "0")
	if frac != "" {
		if len(frac) > 18 {
			return 0, errSizeWhole
		}
		f, _ := strconv.ParseInt(frac, 10, 64) // digits only, at most 18
		den := int64(math.Pow10(len(frac)))
		hi, lo := bits.Mul64(uint64(f), uint64(mult))
		q, r := bits.Div64(hi, lo, uint64(den)) // hi < den: f < den
		if r != 0 {
			return 0, errSizeWhole
		}
		if q > math.MaxInt64-uint64(n) {
			return 0, errSizeRange
		}
		n += int64(q)
	}
	return n, nil
}

// String writes the size in the largest power-of-1024 unit that holds it
// exactly ("512MiB", "1536KiB"), or in bytes; parseSize reads it back.
func (s Size) String() string {
	n := int64(s)
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatBytes writes n bytes for a message, in the largest power-of-1024
// unit below it: "512 MiB" when exact, "4.9 TiB" to one decimal when not,
// "900 bytes" under a KiB.
func formatBytes(n int64) string { return formatAbove(n, -1) }

// formatAbove is formatBytes for a figure that is over limit: with as many
// decimals as it takes (up to 3) not to read as limit or less, "1.001 GiB"
// rather than "1.0 GiB" over 1 GiB. A limit < 0 is none.
func formatAbove(n, limit int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	if n < 1<<10 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	u, mult := 0, int64(1<<10)
	for u+1 < len(units) && n/mult >= 1<<10 {
		u, mult = u+1, mult<<10
	}
	if n%mult == 0 {
		return strconv.FormatInt(n/mult, 10) + " " + units[u]
	}
	f := float64(n) / float64(mult)
	text := strconv.FormatFloat(f, 'f', 1, 64)
	for decimals := 2; decimals <= 3 && n > limit && limit >= 0; decimals++ {
		if shown, _ := strconv.ParseFloat(text, 64); shown*float64(mult) > float64(limit) {
			break
		}
		text = strconv.FormatFloat(f, 'f', decimals, 64)
	}
	return text + " " + units[u]
}

// formatSizeField writes a size field's value for a message: in a unit
// when that is exact ("512 MiB"), else as written, in bytes ("1000000").
func formatSizeField(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return formatBytes(int64(n))
	}
	return strconv.Itoa(n)
}
