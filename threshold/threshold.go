package threshold

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Quantity is what a threshold limits.
type Quantity string

// The quantities, as written in a threshold.
const (
	Throughput Quantity = "throughput" // answered requests per second
	Mean       Quantity = "mean"       // latency from the intended start, seconds
	P50        Quantity = "p50"
	P95        Quantity = "p95"
	P99        Quantity = "p99"
	P999       Quantity = "p99.9"
	Max        Quantity = "max"
	ErrorRate  Quantity = "error_rate" // errors / (answered + errors), a fraction
	Dropped    Quantity = "dropped"    // dropped / (answered + errors + dropped), a fraction
)

// Quantities lists every quantity, in the order of the table.
var Quantities = []Quantity{Throughput, Mean, P50, P95, P99, P999, Max, ErrorRate, Dropped}

// RatioQuantities are those with a ratio: error rates and drops are
// compared as differences (a ratio of two rates near zero means nothing).
var RatioQuantities = []Quantity{Throughput, Mean, P50, P95, P99, P999, Max}

// Latency reports whether q is a latency, in seconds.
func (q Quantity) Latency() bool {
	switch q {
	case Mean, P50, P95, P99, P999, Max:
		return true
	}
	return false
}

// Share reports whether q is a share of requests (a fraction).
func (q Quantity) Share() bool { return q == ErrorRate || q == Dropped }

// aliases are other spellings of a quantity.
var aliases = map[string]Quantity{"p999": P999}

// Cmp is a threshold's comparison.
type Cmp string

// The comparisons.
const (
	Less         Cmp = "<"
	LessEqual    Cmp = "<="
	Greater      Cmp = ">"
	GreaterEqual Cmp = ">="
)

// Ratio is the TARGET part that selects the candidate/baseline ratio.
const Ratio = "ratio"

// All is the name part that selects every workload, op or target.
const All = "*"

// Threshold is one parsed threshold.
type Threshold struct {
	Source   string   // where it was written, for messages: "--threshold", "thresholds[2]", "default"
	Text     string   // as written, without surrounding spaces
	Workload string   // "" or All: every workload
	Op       string   // "" or All: every op
	Target   string   // a target or an engine; "" or All: every target; Ratio: the ratio
	Quantity Quantity // what is limited
	Cmp      Cmp
	Limit    float64 // in base units: seconds, ops/s, a fraction or a ratio
}

// ErrSyntax is wrapped by every error of Parse.
var ErrSyntax = errors.New("invalid threshold")

var nameRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_-]{0,62}|\*)$`)

// Syntax is the grammar, for error messages and usage text.
const Syntax = "[WORKLOAD.OP.][TARGET.|ratio.]QUANTITY{<,<=,>,>=}LIMIT, e.g. p99<2ms, valkey.p99<2ms, kv.get.p99<2ms, error_rate<0.1%, ratio.p99<1.05"

// Parse parses one threshold (see the package comment). Its errors wrap
// ErrSyntax and say what is wrong with the value and what is allowed; the
// caller adds where it was written.
func Parse(s string) (Threshold, error) {
	text := strings.TrimSpace(s)
	fail := func(format string, args ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("%w %s: %s", ErrSyntax, strconv.Quote(text), fmt.Sprintf(format, args...))
	}
	i := strings.IndexAny(text, "<>=!")
	if i < 0 {
		return fail("no comparison; want %s", Syntax)
	}
	left, rest := strings.TrimSpace(text[:i]), text[i:]
	var cmp Cmp
	for _, c := range []Cmp{LessEqual, GreaterEqual, Less, Greater} { // the longest first
		if strings.HasPrefix(rest, string(c)) {
			cmp = c
			break
		}
	}
	if cmp == "" || strings.ContainsAny(rest[len(cmp):], "<>=!") {
		return fail("the comparison must be one of <, <=, >, >=")
	}
	limit := strings.TrimSpace(rest[len(cmp):])
	t := Threshold{Text: text, Cmp: cmp}
	var err error
	if t.Quantity, left, err = quantityOf(left); err != nil {
		return fail("%v", err)
	}
	var parts []string
	if left != "" {
		parts = strings.Split(strings.TrimSuffix(left, "."), ".")
	}
	for _, p := range parts {
		if !nameRE.MatchString(p) {
			return fail("%s is not a name: names start with a letter and hold letters, digits, \"_\" and \"-\" (or are \"*\" for all); want %s", strconv.Quote(p), Syntax)
		}
	}
	switch len(parts) {
	case 0:
	case 1:
		t.Target = parts[0]
	case 2:
		t.Workload, t.Op = parts[0], parts[1]
	case 3:
		t.Workload, t.Op, t.Target = parts[0], parts[1], parts[2]
	default:
		return fail("%d name parts before %s; want %s", len(parts), t.Quantity, Syntax)
	}
	if t.Target == Ratio && !slices.Contains(RatioQuantities, t.Quantity) {
		return fail("%s has no ratio (error rates and drops are compared as differences); ratio quantities: %s", t.Quantity, join(RatioQuantities))
	}
	if t.Limit, err = parseLimit(t, limit); err != nil {
		return fail("limit %s: %v", strconv.Quote(limit), err)
	}
	return t, nil
}

// quantityOf splits the quantity off the end of left, and returns what
// comes before it with its dot ("kv.get." for "kv.get.p99").
func quantityOf(left string) (Quantity, string, error) {
	// "p99.9" has a dot of its own.
	if name, ok := strings.CutSuffix(left, string(P999)); ok && (name == "" || strings.HasSuffix(name, ".")) {
		return P999, name, nil
	}
	dot := strings.LastIndexByte(left, '.')
	name, prefix := left[dot+1:], left[:dot+1]
	q := Quantity(name)
	if a, ok := aliases[name]; ok {
		q = a
	}
	if !slices.Contains(Quantities, q) {
		if name == "" {
			return "", "", fmt.Errorf("no quantity before the comparison; quantities: %s", join(Quantities))
		}
		return "", "", fmt.Errorf("unknown quantity %s; quantities: %s", strconv.Quote(name), join(Quantities))
	}
	return q, prefix, nil
}

// parseLimit reads the limit in the unit of t's quantity.
func parseLimit(t Threshold, s string) (float64, error) {
	switch {
	case s == "":
		return 0, errors.New("missing")
	case t.Target == Ratio:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return 0, errors.New("a ratio must be a plain number > 0, such as 1.05")
		}
		return v, nil
	case t.Quantity.Latency():
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
				return 0, fmt.Errorf("a latency needs a unit: %sms, %ss or %sus", s, s, s)
			}
			return 0, errors.New("a latency must be a duration > 0 with its unit, such as 2ms, 500us or 1.5s")
		}
		return d.Seconds(), nil
	case t.Quantity.Share():
		num, ok := strings.CutSuffix(s, "%")
		v, err := strconv.ParseFloat(num, 64)
		if !ok || err != nil || !(v >= 0 && v <= 100) || strings.TrimSpace(num) != num {
			return 0, fmt.Errorf("%s is a percentage from 0%% to 100%%, with %%: such as 0.1%%", t.Quantity)
		}
		return v / 100, nil
	default: // throughput
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 0) {
			return 0, errors.New("throughput is a plain number of operations per second >= 0, such as 10000")
		}
		return v, nil
	}
}

// Holds reports whether value v meets the threshold.
func (t Threshold) Holds(v float64) bool {
	switch t.Cmp {
	case Less:
		return v < t.Limit
	case LessEqual:
		return v <= t.Limit
	case Greater:
		return v > t.Limit
	case GreaterEqual:
		return v >= t.Limit
	}
	return false
}

// IsRatio reports whether t limits the candidate/baseline ratio.
func (t Threshold) IsRatio() bool { return t.Target == Ratio }

// Upper reports whether the limit is an upper bound (< or <=).
func (t Threshold) Upper() bool { return t.Cmp == Less || t.Cmp == LessEqual }

// SelectsOp reports whether t applies to op of workload.
func (t Threshold) SelectsOp(workload, op string) bool {
	return matches(t.Workload, workload) && matches(t.Op, op)
}

func matches(part, name string) bool { return part == "" || part == All || part == name }

// String is the threshold in canonical form: Parse(t.String()) gives t back
// (but for Source and Text).
func (t Threshold) String() string {
	var b strings.Builder
	if t.Workload != "" || t.Op != "" {
		b.WriteString(orAll(t.Workload) + "." + orAll(t.Op) + ".")
	}
	if t.Target != "" {
		b.WriteString(t.Target + ".")
	}
	b.WriteString(string(t.Quantity) + string(t.Cmp))
	switch {
	case t.IsRatio(), t.Quantity == Throughput:
		b.WriteString(strconv.FormatFloat(t.Limit, 'g', -1, 64))
	case t.Quantity.Latency():
		b.WriteString(time.Duration(math.Round(t.Limit * 1e9)).String())
	default:
		b.WriteString(strconv.FormatFloat(t.Limit*100, 'g', -1, 64) + "%")
	}
	return b.String()
}

func orAll(s string) string {
	if s == "" {
		return All
	}
	return s
}

// Format writes a value of t's quantity as the threshold's limit is
// written: "3.12ms", "0.15%", "11691 ops/s", "1.07".
func (t Threshold) Format(v float64) string {
	switch {
	case t.IsRatio():
		return strconv.FormatFloat(v, 'f', 3, 64)
	case t.Quantity.Latency():
		return FormatSeconds(v)
	case t.Quantity.Share():
		return Sig3(v*100) + "%"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " ops/s"
}

// FormatSeconds writes a latency with three significant digits in the unit
// that suits it: 850µs, 3.12ms, 1.25s.
func FormatSeconds(s float64) string {
	switch {
	case s >= 1:
		return Sig3(s) + "s"
	case s >= 1e-3:
		return Sig3(s*1e3) + "ms"
	}
	return Sig3(s*1e6) + "µs"
}

// Sig3 writes x with three significant digits, and all the digits of its
// integer part: 0.00123, 1.23, 12.3, 1234.
func Sig3(x float64) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	decimals := max(2-int(math.Floor(math.Log10(math.Abs(x)))), 0)
	return strconv.FormatFloat(x, 'f', decimals, 64)
}

func join(qs []Quantity) string {
	s := make([]string, len(qs))
	for i, q := range qs {
		s[i] = string(q)
	}
	return strings.Join(s, ", ")
}
