package deploy

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// A small PromQL scanner: enough of the language to find every vector
// selector of the expressions the dashboards and rules are written in, with
// its matchers, its range window, its offset and the function it is the
// direct argument of. (Prometheus' own parser is not a dependency of this
// module; promtool checks the syntax of the rules, and the end-to-end test
// runs every dashboard query against a real Prometheus.)

// promSelector is one vector selector of an expression.
type promSelector struct {
	metric   string         // "" for a selector of matchers only
	matchers []labelMatcher // in the order written
	window   string         // the range of a range selector, without the brackets; "" for an instant selector
	offset   string         // the offset modifier's duration, if any
	call     string         // the function or aggregation whose parentheses hold it most closely ("rate", "sum"); "" at the top
	prev     string         // the token before the selector ("unless", "(")
	next     string         // the token after the selector and its window and offset
}

// String is the selector as written, for messages.
func (s promSelector) String() string {
	var ms []string
	for _, m := range s.matchers {
		ms = append(ms, m.label+m.op+`"`+m.value+`"`)
	}
	out := s.metric
	if len(ms) > 0 || s.metric == "" {
		out += "{" + strings.Join(ms, ", ") + "}"
	}
	if s.window != "" {
		out += "[" + s.window + "]"
	}
	if s.offset != "" {
		out += " offset " + s.offset
	}
	return out
}

// has reports whether the selector has the matcher label op value.
func (s promSelector) has(label, op, value string) bool {
	for _, m := range s.matchers {
		if m.label == label && m.op == op && m.value == value {
			return true
		}
	}
	return false
}

// promToken is a token of PromQL: an identifier (metric, function, keyword,
// label name or a $variable), a number or duration, a string, a matcher
// block {…}, a range […] or a single punctuation or operator.
type promToken struct {
	kind byte // 'i' identifier, 'n' number, 's' string, '{' matchers, '[' range, 'p' punctuation or operator
	text string
}

func lexPromQL(expr string) ([]promToken, error) {
	var out []promToken
	rs := []rune(expr)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '#': // a comment, to the end of the line
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case r == '"' || r == '\'' || r == '`':
			j := i + 1
			for ; j < len(rs) && rs[j] != r; j++ {
				if rs[j] == '\\' && r != '`' {
					j++
				}
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, promToken{'s', string(rs[i : j+1])})
			i = j + 1
		case r == '{' || r == '[':
			closing := map[rune]rune{'{': '}', '[': ']'}[r]
			j := i + 1
			for ; j < len(rs) && rs[j] != closing; j++ {
				if rs[j] == '"' { // a matcher's value may hold the closing bracket
					for j++; j < len(rs) && rs[j] != '"'; j++ {
						if rs[j] == '\\' {
							j++
						}
					}
				}
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated %c at %d", r, i)
			}
			out = append(out, promToken{byte(r), strings.TrimSpace(string(rs[i+1 : j]))})
			i = j + 1
		case r == '$' || r == '_' || r == ':' || unicode.IsLetter(r):
			j := i + 1
			if r == '$' && j < len(rs) && rs[j] == '{' { // ${name}
				for j < len(rs) && rs[j] != '}' {
					j++
				}
				j++
			} else {
				for j < len(rs) && (rs[j] == '_' || rs[j] == ':' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
					j++
				}
			}
			out = append(out, promToken{'i', string(rs[i:min(j, len(rs))])})
			i = j
		case unicode.IsDigit(r) || (r == '.' && i+1 < len(rs) && unicode.IsDigit(rs[i+1])):
			j := i + 1
			for j < len(rs) && (unicode.IsDigit(rs[j]) || unicode.IsLetter(rs[j]) || rs[j] == '.' ||
				((rs[j] == '+' || rs[j] == '-') && (rs[j-1] == 'e' || rs[j-1] == 'E'))) {
				j++
			}
			out = append(out, promToken{'n', string(rs[i:j])})
			i = j
		default:
			// Operators of two characters, else one.
			if i+1 < len(rs) && strings.Contains("== != <= >= =~ !~", string(rs[i:i+2])) {
				out = append(out, promToken{'p', string(rs[i : i+2])})
				i += 2
				continue
			}
			out = append(out, promToken{'p', string(r)})
			i++
		}
	}
	return out, nil
}

// PromQL's words that are not metric names.
var (
	promAggregations = map[string]bool{"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true,
		"stdvar": true, "count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
		"limitk": true, "limit_ratio": true}
	promLabelLists = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}
	promKeywords   = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
		"inf": true, "nan": true, "Inf": true, "NaN": true}
)

// promSelectors returns every vector selector of expr.
func promSelectors(expr string) ([]promSelector, error) {
	toks, err := lexPromQL(expr)
	if err != nil {
		return nil, err
	}
	at := func(i int) promToken {
		if i < 0 || i >= len(toks) {
			return promToken{}
		}
		return toks[i]
	}
	var out []promSelector
	var calls []string // the function of each open parenthesis ("" for grouping)
	pending := ""      // an aggregation whose parenthesis comes after its label list
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == 'p' && t.text == "(":
			calls = append(calls, pending)
			pending = ""
		case t.kind == 'p' && t.text == ")":
			if len(calls) == 0 {
				return nil, fmt.Errorf("unbalanced ) in %q", expr)
			}
			calls = calls[:len(calls)-1]
		case t.kind == 'i' && promLabelLists[t.text]:
			// A list of label names follows (not for group_left without one).
			if at(i+1).text == "(" {
				j := i + 2
				for j < len(toks) && toks[j].text != ")" {
					j++
				}
				i = j
			}
		case t.kind == 'i' && t.text == "offset":
			i++ // its duration
		case t.kind == 'i' && promKeywords[t.text]:
		case t.kind == 'i' && promAggregations[t.text] && (at(i+1).text == "by" || at(i+1).text == "without"):
			pending = t.text
		case t.kind == 'i' && at(i+1).text == "(":
			pending = t.text
		case t.kind == 'i' && strings.HasPrefix(t.text, "$"):
			// A variable outside a string: a number or duration to be.
		case t.kind == 'i' || t.kind == '{':
			s := promSelector{prev: at(i - 1).text}
			if len(calls) > 0 {
				s.call = calls[len(calls)-1]
			}
			if t.kind == 'i' {
				s.metric = t.text
				if at(i+1).kind == '{' {
					i++
				}
			}
			if toks[i].kind == '{' {
				for _, m := range matcher.FindAllStringSubmatch(toks[i].text, -1) {
					s.matchers = append(s.matchers, labelMatcher{metric: s.metric, label: m[1], op: m[2], value: strings.Trim(m[3], `"`)})
				}
			}
			if at(i+1).kind == '[' {
				i++
				s.window = toks[i].text
			}
			if at(i+1).text == "offset" {
				s.offset = at(i + 2).text
				i += 2
			}
			s.next = at(i + 1).text
			out = append(out, s)
		}
	}
	if len(calls) != 0 {
		return nil, fmt.Errorf("unbalanced ( in %q", expr)
	}
	return out, nil
}

func TestPromSelectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want []string // selector|call|prev|next
	}{
		{`up`, []string{`up|||`}},
		{`rate(ecbench_ops_total{outcome="ok", target=~"$target"}[$__rate_interval])`,
			[]string{`ecbench_ops_total{outcome="ok", target=~"$target"}[$__rate_interval]|rate|(|)`}},
		{`histogram_quantile(0.99, sum by (target, le) (rate(x_bucket{a="}"}[5m])))`,
			[]string{`x_bucket{a="}"}[5m]|rate|(|)`}},
		{`sum by (target) (a) * on (target) group_left (engine) topk by (target) (1, group by (target, engine) (b{c="d"}))`,
			[]string{`a|sum|(|)`, `b{c="d"}|group|(|)`}},
		{`sum(rate(a[1m])) by (x) / ignoring (y) b offset 10m`,
			[]string{`a[1m]|rate|(|)`, `b offset 10m||)|`}},
		{`label_replace(c unless c offset $__range, "estimate", "new", "", "") > bool 0`,
			[]string{`c|label_replace|(|unless`, `c offset $__range|label_replace|unless|,`}},
		{`{__name__="x"} and time() - y # a comment {z}`,
			[]string{`{__name__="x"}|||and`, `y||-|`}},
		{`max_over_time(g[$__range]) * 1e3 and on (job, instance) group_left () h`,
			[]string{`g[$__range]|max_over_time|(|)`, `h||)|`}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			sels, err := promSelectors(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range sels {
				got = append(got, strings.Join([]string{s.String(), s.call, s.prev, s.next}, "|"))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
	for _, bad := range []string{`sum(a`, `a)`, `a{b="c"`, `"open`} {
		if _, err := promSelectors(bad); err == nil {
			t.Errorf("promSelectors(%q): no error", bad)
		}
	}
}

func TestSelectorProblems(t *testing.T) {
	t.Parallel()
	const ji = `job=~"$job", instance=~"$instance"`
	tests := []struct {
		name string
		expr string
		kind queryKind
		want []string // substrings of the problems, in order
	}{
		{"fine", `sum by (target) (rate(ecbench_ops_total{` + ji + `}[$__rate_interval]))`, rangeQuery, nil},
		{"no job", `ecbench_target_up{instance=~"$instance"}`, rangeQuery, []string{`does not match job=~"$job"`}},
		{"job by =", `ecbench_target_up{job="$job", instance=~"$instance"}`, rangeQuery, []string{`does not match job=~"$job"`}},
		{"fixed window", `rate(ecbench_ops_total{` + ji + `}[5m])`, rangeQuery, []string{`range [5m]`}},
		{"range in a range query", `increase(ecbench_ops_total{` + ji + `}[$__range])`, rangeQuery, []string{`[$__range] in a range query`}},
		{"range in an instant query", `increase(ecbench_ops_total{` + ji + `}[$__range])`, instantQuery, nil},
		{"raw counter", `sum(ecbench_ops_total{` + ji + `})`, rangeQuery, []string{`counter ecbench_ops_total`}},
		{"counter in max_over_time", `max_over_time(ecbench_ops_total{` + ji + `}[$__rate_interval])`, rangeQuery, []string{`counter ecbench_ops_total`}},
		{"appeared in the range", `c_total{` + ji + `} unless c_total{` + ji + `} offset $__range`, instantQuery, nil},
		{"fixed offset", `c_total{` + ji + `} unless c_total{` + ji + `} offset 1h`, instantQuery, []string{"counter c_total", "offset 1h", "counter c_total"}},
		{"a variable's series", `ecbench_ops_total{` + ji + `}`, queryVariable, nil},
		{"no selector", `vector(1)`, rangeQuery, []string{"no selector"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := selectorProblems(tt.expr, []string{"job", "instance"}, tt.kind)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d matching %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
