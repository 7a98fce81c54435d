package config

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The schema is Config's own struct tags: the checks below walk a raw tree
// (maps, lists and scalars from YAML, the environment and flags) against the
// Go types to find unknown keys and values of the wrong type, with full paths,
// before mapstructure decodes what is left.
//
// The libraries have strict modes, yaml.v3's KnownFields and mapstructure's
// ErrorUnused, but both stop at, or list in their own words, what they cannot
// decode: no path like workloads[1].rate.period, no allowed keys, no
// durations without a unit, and no carrying on with the rest. So the checks
// are ours, and mapstructure only decodes what they let through.

var durationType = reflect.TypeFor[time.Duration]()

// isMapping reports whether a value of type t is written as a mapping of
// known keys: a struct, or a Rate, whose keys depend on its type (rate.go).
func isMapping(t reflect.Type) bool { return t == rateType || t.Kind() == reflect.Struct }

// schema is what check and resolve need of a mapping type: its keys, with
// the type of each key's value, and the keys as a message lists them.
type schema struct {
	keys    map[string]reflect.Type
	allowed string     // "a, b, c"
	parts   [][]string // each key split at "_", those of the most parts first
}

var schemas sync.Map // reflect.Type -> *schema

// schemaOf returns the schema of mapping type t.
func schemaOf(t reflect.Type) *schema {
	if s, ok := schemas.Load(t); ok {
		return s.(*schema)
	}
	s := &schema{keys: map[string]reflect.Type{}}
	if t == rateType {
		s.keys = rateKeyTypes()
	} else {
		for key, f := range fields(t) {
			s.keys[key] = f.Type
		}
	}
	sorted := slices.Sorted(maps.Keys(s.keys))
	s.allowed = strings.Join(sorted, ", ")
	for _, k := range sorted {
		s.parts = append(s.parts, strings.Split(k, "_"))
	}
	slices.SortStableFunc(s.parts, func(a, b []string) int { return len(b) - len(a) })
	schemas.Store(t, s)
	return s
}

// fields returns the fields of struct type t by their mapstructure tag,
// leaving out fields tagged "-".
func fields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		m[tag] = f
	}
	return m
}

// unknownKeyHints are said instead of nothing for keys people are likely to
// try.
var unknownKeyHints = map[reflect.Type]map[string]string{
	reflect.TypeFor[Target](): {
		"password": "inline passwords are not accepted: use password_env or password_file",
	},
}

// check returns raw, read for a value of type t at path, in the form
// mapstructure decodes without loss or surprise: unknown keys and values of
// the wrong type are dropped (and recorded), integers become int64 or uint64,
// durations stay strings for the decode hook. ok is false when raw itself
// does not fit t.
func (ps *problems) check(path string, raw any, t reflect.Type) (clean any, ok bool) {
	fail := func(what string) (any, bool) {
		ps.addBroken(path, "must be "+what+", got "+describe(raw))
		return nil, false
	}
	switch {
	case t == durationType:
		switch v := raw.(type) {
		case string:
			if _, err := time.ParseDuration(v); err != nil {
				if _, nerr := strconv.ParseFloat(v, 64); nerr == nil { // "30" from the environment
					return fail(fmt.Sprintf(`a duration with a unit such as "%ss" or "%sms"`, shorten(v), shorten(v)))
				}
				return fail(`a duration such as "1m30s" or "500ms"`)
			}
			return v, true
		case int, int64, uint64, float64:
			// A bare number would silently be nanoseconds.
			return fail(fmt.Sprintf(`a duration with a unit such as "%ss" or "%sms"`, describe(v), describe(v)))
		}
		return fail(`a duration such as "1m30s" or "500ms"`)

	case t == sizeType:
		switch v := raw.(type) {
		case string:
			n, err := parseSize(v)
			if err != nil {
				return fail(err.Error())
			}
			return n, true
		case int, int64, uint64, float64:
			if n, isInt := toInt(v); isInt && !n.neg && !n.tooLarge && n.abs <= math.MaxInt64 {
				return int64(n.abs), true
			}
		}
		return fail(errSizeSyntax.Error())

	case isMapping(t):
		m, isMap := raw.(map[string]any)
		if !isMap {
			return fail("a mapping")
		}
		sc := schemaOf(t)
		out := make(map[string]any, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			kt, known := sc.keys[k]
			if !known {
				msg := "unknown key; allowed: " + sc.allowed
				if hint, ok := unknownKeyHints[t][k]; ok {
					msg = "unknown key; " + hint
				}
				ps.add(keyPath(path, k), msg)
				continue
			}
			if v == nil { // "key:" with no value is the same as no key
				continue
			}
			if cv, ok := ps.check(keyPath(path, k), v, kt); ok {
				out[k] = cv
			}
		}
		return out, true

	case t.Kind() == reflect.Pointer: // optional values: absent is nil
		return ps.check(path, raw, t.Elem())

	case t.Kind() == reflect.Map: // string keys; which ones is validate's business
		m, isMap := raw.(map[string]any)
		if !isMap {
			return fail("a mapping")
		}
		out := make(map[string]any, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if m[k] == nil {
				continue
			}
			if cv, ok := ps.check(keyPath(path, k), m[k], t.Elem()); ok {
				out[k] = cv
			}
		}
		return out, true

	case t.Kind() == reflect.Slice:
		l, isList := raw.([]any)
		if !isList {
			return fail("a list")
		}
		out := make([]any, len(l))
		for i, v := range l {
			if cv, ok := ps.check(indexPath(path, i), v, t.Elem()); ok {
				out[i] = cv
			} else if isMapping(t.Elem()) {
				// Keep the element so that later indexes stay right; it
				// decodes as defaults, and its problems are already told.
				out[i] = map[string]any{}
			} else {
				out[i] = reflect.Zero(t.Elem()).Interface()
			}
		}
		return out, true

	case t.Kind() == reflect.String:
		if s, isString := raw.(string); isString {
			return s, true
		}
		return fail("a string")

	case t.Kind() == reflect.Bool:
		if b, isBool := raw.(bool); isBool {
			return b, true
		}
		return fail("true or false")

	case t.Kind() == reflect.Int:
		n, isInt := toInt(raw)
		if !isInt {
			return fail("an integer")
		}
		if n.tooLarge || n.neg && n.abs > math.MaxInt64+1 || !n.neg && n.abs > math.MaxInt64 {
			return fail("an integer between -9223372036854775808 and 9223372036854775807")
		}
		if n.neg {
			return -int64(n.abs-1) - 1, true
		}
		return int64(n.abs), true

	case t.Kind() == reflect.Uint64:
		n, isInt := toInt(raw)
		if !isInt || n.neg || n.tooLarge {
			return fail("an integer between 0 and 18446744073709551615")
		}
		return n.abs, true

	case t.Kind() == reflect.Float64:
		var f float64
		switch v := raw.(type) {
		case float64:
			f = v
		case int:
			f = float64(v)
		case int64:
			f = float64(v)
		case uint64:
			f = float64(v)
		default:
			return fail("a number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fail("a finite number")
		}
		return f, true
	}
	panic(fmt.Sprintf("config: no check for %v at %s", t, path)) // a new field type needs a case above
}

// integer is a whole number from YAML, which may not fit an int64.
type integer struct {
	neg      bool
	abs      uint64
	tooLarge bool // a whole float beyond ±2^63
}

func toInt(raw any) (integer, bool) {
	switch v := raw.(type) {
	case int:
		return fromInt64(int64(v)), true
	case int64:
		return fromInt64(v), true
	case uint64:
		return integer{abs: v}, true
	case float64:
		// 1e6 is a fine integer; 1.5 is not.
		if v != math.Trunc(v) {
			return integer{}, false
		}
		if math.Abs(v) >= 1<<63 {
			return integer{tooLarge: true}, true
		}
		return fromInt64(int64(v)), true
	}
	return integer{}, false
}

func fromInt64(v int64) integer {
	if v < 0 {
		return integer{neg: true, abs: uint64(-(v + 1)) + 1}
	}
	return integer{abs: uint64(v)}
}

var plainKey = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// keyPath appends key k to path: "a" + "b" -> "a.b". Keys that are not plain
// words (empty, or holding dots or spaces) are quoted: a["x.y"].
func keyPath(path, k string) string {
	if !plainKey.MatchString(k) {
		return path + "[" + quote(k) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// describe formats a bad value for a message: strings quoted, numbers as
// written, and containers by kind (they can be large).
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return quote(v)
	case float64:
		return formatFloat(v)
	case time.Duration:
		return quote(v.String())
	case map[string]any, map[any]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return shorten(fmt.Sprint(v))
}

// quote quotes s, shortened to keep messages readable.
func quote(s string) string { return strconv.Quote(shorten(s)) }

func shorten(s string) string {
	const limit = 80
	if len(s) > limit {
		return s[:limit-3] + "..."
	}
	return s
}

// formatFloat writes rates as people write them: 2000000, not 2e+06.
func formatFloat(f float64) string {
	if math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
