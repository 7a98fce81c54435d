package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ecbench/ecbench/loadgen/schedule"
)

// A rate is one mapping, `rate: {type: burst, base: .., peak: ..}`, whose
// keys depend on its type. Everything about the types comes from
// schedule.Types: their names, their keys (the Params structs' mapstructure
// tags), defaults, checks and builders. What is here is only how a rate sits
// in a configuration: the mapping holds the keys of every type, typed as
// their type has them, so that a key of another type is told apart from a
// misspelt one; the keys of the chosen type are decoded onto its defaults;
// the others must be left unset.

var rateType = reflect.TypeFor[Rate]()

// rateKey is a key of some schedule type.
type rateKey struct {
	typ    reflect.Type
	usedBy []string // the types that have the key, in schedule.Types order
}

// rateKeys returns every key of every schedule type.
var rateKeys = sync.OnceValue(func() map[string]rateKey {
	keys := map[string]rateKey{}
	for _, t := range schedule.Types() {
		for key, f := range fields(reflect.TypeOf(t.New()).Elem()) {
			k, seen := keys[key]
			if seen && k.typ != f.Type {
				panic(fmt.Sprintf("config: rate key %s is %v in type %s but %v in %s", key, f.Type, t.Name, k.typ, k.usedBy[0]))
			}
			keys[key] = rateKey{typ: f.Type, usedBy: append(k.usedBy, t.Name)}
		}
	}
	return keys
})

// rateKeyTypes returns the keys of a rate mapping, "type" and every type's.
func rateKeyTypes() map[string]reflect.Type {
	m := map[string]reflect.Type{"type": reflect.TypeFor[string]()}
	for key, k := range rateKeys() {
		m[key] = k.typ
	}
	return m
}

// rateHook is a mapstructure decode hook: a checked rate mapping becomes a
// Rate of its type, at the type's defaults and then the mapping's values.
func rateHook(_, to reflect.Type, data any) (any, error) {
	m, isMap := data.(map[string]any)
	if to != rateType || !isMap {
		return data, nil
	}
	name, ok := m["type"].(string)
	if !ok {
		name = defaultRateType
	}
	r := defaultRate(name)
	if r.Params == nil { // unknown type, which validation reports
		return r, nil
	}
	// Not strict: keys of other types are validation's to report.
	return r, decodeInto(m, r.Params, false)
}

// rate validates a rate; raw is its mapping as checked.
func (v validator) rate(p string, r *Rate, raw map[string]any) {
	typ, known := schedule.Lookup(r.Type)
	if !known {
		v.oneOf(p+".type", r.Type, rateTypeNames(func(schedule.Type) bool { return true })...)
		return
	}
	own := fields(reflect.TypeOf(r.Params).Elem())
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if _, mine := own[key]; mine || key == "type" {
			continue
		}
		k := rateKeys()[key]
		val := reflect.New(k.typ)
		if decodeInto(raw[key], val.Interface(), false) == nil && !isZero(val.Elem()) {
			v.add(p+"."+key, fmt.Sprintf("not used by type %s; used by %s", quote(typ.Name), strings.Join(k.usedBy, ", ")))
		}
	}
	r.Params.Check(rateProblems{v, p, raw})
}

// isZero reports whether v is its type's zero value or an empty list.
func isZero(v reflect.Value) bool {
	if v.Kind() == reflect.Slice {
		return v.Len() == 0
	}
	return v.IsZero()
}

// rateTypeNames returns the names of the schedule types that keep says to.
func rateTypeNames(keep func(schedule.Type) bool) []string {
	var names []string
	for _, t := range schedule.Types() {
		if keep(t) {
			names = append(names, t.Name)
		}
	}
	return names
}

// openLoop reports whether the schedule type is open loop.
func openLoop(t schedule.Type) bool { return Rate{Type: t.Name, Params: t.New()}.OpenLoop() }

// rateProblems is how a schedule type's Check reports to the validator:
// keys relative to the rate at path, values written as everywhere else.
type rateProblems struct {
	v    validator
	path string
	raw  map[string]any
}

func (r rateProblems) Add(key, msg string, values ...any) {
	described := make([]any, len(values))
	for i, x := range values {
		described[i] = describe(x)
	}
	r.v.add(r.path+"."+key, fmt.Sprintf(msg, described...))
}

func (r rateProblems) Given(key string) bool {
	var node any = r.raw
	for _, part := range strings.Split(key, ".") {
		name, index, isIndex := strings.Cut(part, "[")
		m, _ := node.(map[string]any)
		node = m[name]
		if isIndex {
			i, _ := strconv.Atoi(strings.TrimSuffix(index, "]"))
			l, _ := node.([]any)
			if i >= len(l) {
				return false
			}
			node = l[i]
		}
	}
	return node != nil
}

func (r rateProblems) Broken(key string) bool { return r.v.brokenUnder(r.path + "." + key) }
