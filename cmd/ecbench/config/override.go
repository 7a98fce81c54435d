package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Overrides from the environment and from flags are set into the raw tree
// read from the file, before it is checked and decoded, so that they go
// through exactly the same checks as the file.

const (
	envPrefix = "ECBENCH_"
	envConfig = "ECBENCH_CONFIG" // the config path; the caller's business
)

// flagKeys binds command-line flags to config keys.
var flagKeys = []struct {
	flag string
	key  []any
}{
	{"listen", []any{"listen"}},
	{"log-level", []any{"log", "level"}},
	{"log-format", []any{"log", "format"}},
}

// override is one value to set into the tree.
type override struct {
	from  string // "ECBENCH_LOG_LEVEL" or "flag --log-level"
	key   []any  // path in the tree: strings for keys, ints for list indexes
	value any
}

// envOverrides resolves the ECBENCH_ variables of env against the schema.
// Variables that match no key are returned in unmatched: they are errors
// unless a target's password_env names them, which is known only later.
func envOverrides(env []string, ps *problems) (ovs []override, unmatched []string) {
	vars := map[string]string{}
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, envPrefix) && name != envConfig {
			vars[name] = value // the last one wins, as in os/exec
		}
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		tokens := strings.Split(strings.ToLower(strings.TrimPrefix(name, envPrefix)), "_")
		key, leaf, res := resolve(reflect.TypeFor[Config](), tokens)
		switch res {
		case noMatch:
			unmatched = append(unmatched, name)
			continue
		case section:
			ps.add(name, "names a section, not a value; set one of its keys")
			continue
		}
		if vars[name] == "" { // empty means unset, as with viper
			continue
		}
		ovs = append(ovs, override{from: name, key: key, value: envValue(vars[name], leaf)})
	}
	return ovs, unmatched
}

// flagOverrides returns the bound flags that are defined in fs and were set.
func flagOverrides(fs *pflag.FlagSet) []override {
	if fs == nil {
		return nil
	}
	var ovs []override
	for _, b := range flagKeys {
		if f := fs.Lookup(b.flag); f != nil && f.Changed {
			ovs = append(ovs, override{from: "flag --" + b.flag, key: b.key, value: f.Value.String()})
		}
	}
	return ovs
}

type resolution int

const (
	noMatch resolution = iota
	section            // a mapping or a list element, not a value
	match
)

// resolve finds the key that the lower-cased parts of a variable name spell
// in type t. Keys contain "_" too, so at each level the key of the most
// parts that the name starts with is tried first.
//
// viper's AutomaticEnv cannot do this: it binds a variable to a key that it
// already knows, and knows no list elements, so ECBENCH_TARGETS_1_ADDRS,
// which may add a target, has no key to bind to.
func resolve(t reflect.Type, tokens []string) (key []any, leaf reflect.Type, res resolution) {
	isList := t.Kind() == reflect.Slice && isMapping(t.Elem())
	if len(tokens) == 0 {
		if isMapping(t) || isList || t.Kind() == reflect.Map {
			return nil, nil, section
		}
		return nil, t, match
	}
	switch {
	case isMapping(t):
		best := noMatch
		sc := schemaOf(t)
		for _, parts := range sc.parts {
			if len(parts) > len(tokens) || !slices.Equal(parts, tokens[:len(parts)]) {
				continue
			}
			k := strings.Join(parts, "_")
			sub, leaf, res := resolve(sc.keys[k], tokens[len(parts):])
			if res == match {
				return append([]any{k}, sub...), leaf, match
			}
			best = max(best, res)
		}
		return nil, nil, best
	case t.Kind() == reflect.Map: // ops: the rest of the name is the key
		return []any{strings.Join(tokens, "_")}, t.Elem(), match
	case isList:
		i, err := strconv.Atoi(tokens[0])
		if err != nil || i < 0 || strconv.Itoa(i) != tokens[0] {
			return nil, nil, noMatch
		}
		sub, leaf, res := resolve(t.Elem(), tokens[1:])
		if res != match {
			return nil, nil, res
		}
		return append([]any{i}, sub...), leaf, match
	}
	return nil, nil, noMatch
}

// envValue converts a variable's text for a value of type t. Text that does
// not convert is kept as a string, for the check to report with its path.
func envValue(s string, t reflect.Type) any {
	switch {
	case t == durationType:
		return s
	case t.Kind() == reflect.Slice:
		parts := strings.Split(s, ",")
		l := make([]any, len(parts))
		for i, p := range parts {
			l[i] = envValue(strings.TrimSpace(p), t.Elem())
		}
		return l
	case t.Kind() == reflect.Bool:
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	case t.Kind() == reflect.Int, t.Kind() == reflect.Uint64:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case t.Kind() == reflect.Float64:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return s
}

// errShape means the file holds a scalar where an override needs a mapping or
// a list; the file's value is reported as a type error and the override is
// dropped.
var errShape = errors.New("not a mapping or list")

// indexError is an override of a list element beyond the next one.
type indexError struct {
	list string // path of the list
	i, n int
}

func (e *indexError) Error() string {
	return fmt.Sprintf("%s[%d] does not exist: %s has %s; an index may name an existing element or the next one (%d)",
		e.list, e.i, e.list, plural(e.n, "element"), e.n)
}

// apply sets the overrides into tree in key order, so that an element is
// appended before the overrides of the element after it.
func apply(tree map[string]any, ovs []override, origins map[string]string, ps *problems) {
	slices.SortStableFunc(ovs, func(a, b override) int {
		return comparePaths(formatKey(a.key), formatKey(b.key))
	})
	for _, ov := range ovs {
		_, err := set(tree, ov.key, ov.value, "")
		var ie *indexError
		switch {
		case errors.As(err, &ie):
			ps.add(ov.from, ie.Error())
		case err == nil:
			origins[formatKey(ov.key)] = ov.from
		}
	}
}

// set sets value at key below node and returns the new node.
func set(node any, key []any, value any, path string) (any, error) {
	if len(key) == 0 {
		return value, nil
	}
	switch k := key[0].(type) {
	case string:
		m, ok := node.(map[string]any)
		if node == nil {
			m = map[string]any{}
		} else if !ok {
			return node, errShape
		}
		child, err := set(m[k], key[1:], value, keyPath(path, k))
		if err != nil {
			return node, err
		}
		m[k] = child
		return m, nil
	case int:
		l, ok := node.([]any)
		if node != nil && !ok {
			return node, errShape
		}
		if k > len(l) {
			return node, &indexError{list: path, i: k, n: len(l)}
		}
		if k == len(l) {
			l = append(l, nil)
		}
		child, err := set(l[k], key[1:], value, indexPath(path, k))
		if err != nil {
			return node, err
		}
		l[k] = child
		return l, nil
	}
	panic("config: bad key part") // keys come from resolve and flagKeys
}

// formatKey writes a tree key as a path: [targets 0 addrs] -> targets[0].addrs.
func formatKey(key []any) string {
	var path string
	for _, k := range key {
		switch k := k.(type) {
		case string:
			path = keyPath(path, k)
		case int:
			path = indexPath(path, k)
		}
	}
	return path
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
