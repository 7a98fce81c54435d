package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds on a config file, so that any file is read, or rejected, in well
// under a second. A valid config (at most 64 targets and 64 workloads, a
// scenario, comments) is tens of kilobytes and a few thousand values.
const (
	// maxFileSize bounds the bytes read: yaml.v3 parses the densest YAML at
	// about 1 MB/s.
	maxFileSize = 256 << 10
	// maxValues bounds the mappings, lists and scalars of the document,
	// counting what each alias repeats: a few aliases of aliases can stand
	// for millions of values, and the rest of the load takes time in
	// proportion to them.
	maxValues = 100_000
	// maxMappingKeys bounds the keys of one mapping: yaml.v3 looks for a
	// repeated key by comparing every pair of keys, in time quadratic in
	// their number.
	maxMappingKeys = 256
)

// readFile reads the YAML file at path into a tree of maps with string keys,
// lists ([]any) and scalars: one document, within the bounds above. yaml.v3
// does the parsing, anchors and merge keys, and bounds nesting at 10000
// levels. Keys are lower-cased, as they were when viper read the file, so
// "Listen:" is listen.
func readFile(path string) (map[string]any, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no config file given", ErrRead)
	}
	// Not stat'ed first: a pipe (--config <(...)) is a fine config file, and
	// the limit bounds what is read from it.
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRead, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRead, err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes (%d KiB), the most a config file may hold", ErrRead, path, maxFileSize, maxFileSize>>10)
	}
	tree, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %w", ErrSyntax, path, err)
	}
	return tree, nil
}

// parse decodes the one YAML document in b.
func parse(b []byte) (map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, fmt.Errorf("line %d: a second document; a config file holds one document only", next.Line)
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	if doc.Kind == 0 { // no document: an empty config
		return map[string]any{}, nil
	}
	if err := checkBounds(&doc); err != nil {
		return nil, err
	}
	var tree map[string]any
	if err := doc.Decode(&tree); err != nil {
		return nil, err
	}
	out, err := lowerKeys(tree)
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	return m, nil
}

// checkBounds checks doc against maxValues and maxMappingKeys before
// yaml.v3 decodes it.
func checkBounds(doc *yaml.Node) error {
	anchored := map[*yaml.Node]int{} // the values of each anchored node
	var count func(n *yaml.Node) (int, error)
	count = func(n *yaml.Node) (int, error) {
		if n.Kind == yaml.AliasNode {
			// An anchor comes before its aliases, and cannot hold one
			// of its own (yaml.v3 says so), so it has been counted.
			return anchored[n.Alias], nil
		}
		if n.Kind == yaml.MappingNode && len(n.Content)/2 > maxMappingKeys {
			return 0, fmt.Errorf("line %d: a mapping of %d keys, more than the %d a mapping may hold", n.Line, len(n.Content)/2, maxMappingKeys)
		}
		total := 1
		for _, c := range n.Content {
			k, err := count(c)
			if err != nil {
				return 0, err
			}
			if total += k; total > maxValues {
				return 0, fmt.Errorf("line %d: more than %d values (aliases counted as what they repeat), the most a config may hold", c.Line, maxValues)
			}
		}
		if n.Anchor != "" {
			anchored[n] = total
		}
		return total, nil
	}
	_, err := count(doc)
	return err
}

// lowerKeys returns v with the keys of every mapping lower-cased, and the
// mappings that yaml.v3 gives non-string keys (1: x, true: x) keyed by their
// text, as viper did. Two keys of one mapping that differ only in case are an
// error rather than one of them winning at random.
func lowerKeys(v any) (any, *caseError) {
	switch v := v.(type) {
	case map[string]any:
		if !lowerCase(v) {
			return lowerMap(v)
		}
		for k, x := range v {
			y, err := lowerKeys(x)
			if err != nil {
				return nil, err.in(keyPath("", k))
			}
			v[k] = y
		}
		return v, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[keyText(k)] = x
		}
		return lowerMap(m)
	case []any:
		for i, x := range v {
			y, err := lowerKeys(x)
			if err != nil {
				return nil, err.in(indexPath("", i))
			}
			v[i] = y
		}
	}
	return v, nil
}

func lowerCase(m map[string]any) bool {
	for k := range m {
		if strings.ToLower(k) != k {
			return false
		}
	}
	return true
}

// lowerMap returns m with its keys lower-cased, in sorted order so that the
// error for keys that are the same is always the same.
func lowerMap(m map[string]any) (any, *caseError) {
	out := make(map[string]any, len(m))
	keys := make(map[string]string, len(m)) // lower-cased key -> key as written
	for _, k := range slices.Sorted(maps.Keys(m)) {
		lower := strings.ToLower(k)
		if other, dup := keys[lower]; dup {
			return nil, &caseError{a: other, b: k}
		}
		keys[lower] = k
		x, err := lowerKeys(m[k])
		if err != nil {
			return nil, err.in(keyPath("", lower))
		}
		out[lower] = x
	}
	return out, nil
}

// caseError is two keys of a mapping that differ only in case, and the path
// of the mapping, built on the way back up.
type caseError struct {
	path []string // innermost first: "c", ".b", "[0]"
	a, b string
}

func (e *caseError) in(step string) *caseError {
	e.path = append(e.path, step)
	return e
}

func (e *caseError) Error() string {
	var path string
	for i := len(e.path) - 1; i >= 0; i-- {
		step := e.path[i]
		if path == "" || strings.HasPrefix(step, "[") {
			path += step
		} else {
			path += "." + step
		}
	}
	if path == "" {
		path = "the top level"
	}
	return fmt.Sprintf("%s: keys %s and %s are the same key: keys are not case-sensitive",
		path, strconv.Quote(shorten(e.a)), strconv.Quote(shorten(e.b)))
}

// keyText is a non-string mapping key as text: cast.ToString's rules, which
// viper used.
func keyText(k any) string {
	switch k := k.(type) {
	case nil:
		return ""
	case string:
		return k
	case float64:
		return strconv.FormatFloat(k, 'f', -1, 64)
	}
	return fmt.Sprint(k)
}
