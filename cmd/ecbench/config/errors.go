package config

import (
	"errors"
	"slices"
	"strings"
)

// Errors for a config file that cannot be read or parsed at all. Anything
// wrong inside a well-formed file is a *ValidationError instead.
var (
	ErrRead   = errors.New("cannot read config")
	ErrSyntax = errors.New("invalid YAML")
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	Path string // e.g. "workloads[1].rate.period", or an ECBENCH_ variable name
	Msg  string // what is wrong, the bad value and what is allowed
}

func (p Problem) String() string { return p.Path + ": " + p.Msg }

// ValidationError lists every problem found in a configuration, sorted by
// path.
type ValidationError struct {
	Problems []Problem
}

// Error returns the problems one per line as "path: msg".
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems while a configuration is loaded.
type problems struct {
	list []Problem
	// broken holds the paths whose value could not be decoded. Later checks
	// at or below such a path would only repeat the problem, so they are
	// dropped.
	broken map[string]bool
	// brokenBelow holds the broken paths and every path above one.
	brokenBelow map[string]bool
}

// add records a problem unless its path is at or below a broken one.
func (ps *problems) add(path, msg string) {
	for p := path; p != ""; p = parentPath(p) {
		if ps.broken[p] {
			return
		}
	}
	ps.list = append(ps.list, Problem{Path: path, Msg: msg})
}

// brokenUnder reports whether a value at or below path could not be decoded:
// a check on the whole (e.g. "at least one weight > 0") would then be told
// about a value that was left out.
func (ps *problems) brokenUnder(path string) bool { return ps.brokenBelow[path] }

// addBroken records a problem with the value at path itself, which is then
// left at its default.
func (ps *problems) addBroken(path, msg string) {
	ps.add(path, msg)
	if ps.broken == nil {
		ps.broken, ps.brokenBelow = map[string]bool{}, map[string]bool{}
	}
	ps.broken[path] = true
	for p := path; p != "" && !ps.brokenBelow[p]; p = parentPath(p) {
		ps.brokenBelow[p] = true
	}
}

// err returns the problems as a *ValidationError, or nil. origins maps the
// paths set by environment variables or flags to where they came from, which
// is appended to the problems they caused.
func (ps *problems) err(origins map[string]string) error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	for i, p := range list {
		for q := p.Path; q != ""; q = parentPath(q) {
			if o, ok := origins[q]; ok {
				list[i].Msg += " (from " + o + ")"
				break
			}
		}
	}
	slices.SortStableFunc(list, func(a, b Problem) int { return comparePaths(a.Path, b.Path) })
	return &ValidationError{Problems: list}
}

// parentPath returns the path of the mapping or list holding path:
// "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// comparePaths orders paths naturally: runs of digits compare as numbers, so
// targets[2] sorts before targets[10].
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		ra, restA := nextRun(a)
		rb, restB := nextRun(b)
		if isDigit(ra[0]) && isDigit(rb[0]) {
			na, nb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
		} else if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		a, b = restA, restB
	}
	return len(a) - len(b)
}

// nextRun splits s after its leading run of digits or of non-digits.
func nextRun(s string) (run, rest string) {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
