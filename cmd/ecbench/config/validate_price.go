package config

import (
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"
)

// maxCurrency is the longest currency a target may name: a code ("USD"), a
// symbol ("US$") or a short word, shown beside every cost figure.
const maxCurrency = 8

// price checks a target's price_per_hour and currency: a price is a finite
// number >= 0 (0: none), a currency at most maxCurrency printable
// characters, and meaningful only beside a price.
func (v validator) price(p string, t *Target) {
	if f := t.PricePerHour; math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		v.add(p+".price_per_hour", fmt.Sprintf("must be a finite number >= 0 (the target's price per hour; 0: no price), got %s", describe(f)))
	}
	c := t.Currency
	switch n := utf8.RuneCountInString(c); {
	case !utf8.ValidString(c) || n > maxCurrency:
		v.add(p+".currency", fmt.Sprintf("must be at most %d characters, such as \"USD\", \"EUR\" or \"JPY\", got %s", maxCurrency, quote(c)))
	case !printable(c):
		v.add(p+".currency", fmt.Sprintf("must be printable characters without spaces, such as \"USD\", got %s", quote(c)))
	case c != "" && t.PricePerHour == 0:
		v.add(p+".currency", "has no effect unless price_per_hour is > 0")
	}
}

// printable reports whether s holds only printable characters other than
// spaces: a currency sits beside numbers in tables.
func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
