package cloudformation

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	goformation "github.com/awslabs/goformation/v7"
	cfn "github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
)

const templateFile = "ecbench.yaml"

// What the renderer pretends the deployment looks like.
const (
	sampleRegion    = "eu-west-1"
	sampleAccount   = "123456789012"
	sampleStackName = "ecb-test"
	sampleStackID   = "arn:aws:cloudformation:eu-west-1:123456789012:stack/ecb-test/1c2fa620-982a-11e3-aff7-50e2416294e0"
	sampleAMI       = "ami-0123456789abcdef0"
)

// loaded is the template read once: goformation's YAML reader registers its
// tag handlers in a package map on every call, so concurrent calls race.
var loaded = sync.OnceValues(func() (*loadedTemplate, error) {
	data, err := os.ReadFile(templateFile)
	if err != nil {
		return nil, err
	}
	// The long form of every short-form tag, intrinsics left as they are.
	js, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("goformation cannot read %s: %w", templateFile, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, err
	}
	// goformation's own processing: Refs to parameter defaults, conditions
	// unevaluated. It proves the file opens as goformation users open it.
	opened, err := goformation.Open(templateFile)
	if err != nil {
		return nil, fmt.Errorf("goformation.Open: %w", err)
	}
	return &loadedTemplate{raw: raw, opened: opened}, nil
})

type loadedTemplate struct {
	raw    map[string]any // long-form intrinsics, as written
	opened *cfn.Template  // goformation.Open's result
}

// section returns a top-level section of the raw template as a map.
func section(raw map[string]any, name string) map[string]any {
	m, _ := raw[name].(map[string]any)
	return m
}

// errRejected wraps the description of a rule assertion that failed:
// CloudFormation refuses such a parameter set before creating anything.
var errRejected = errors.New("the template's rules reject these parameters")

// noValue is what AWS::NoValue evaluates to: the property or list item that
// holds it is dropped.
type noValueT struct{}

var noValue = noValueT{}

// stack is one rendering of the template for one set of parameter values.
type stack struct {
	raw        map[string]any
	params     map[string]any // string, or float64 for Number parameters
	conditions map[string]bool
	evaluating map[string]bool // conditions being evaluated, to catch cycles
	removed    map[string]bool // resources whose condition is false
}

// rendered is the template as CloudFormation would see it for one parameter
// set: every intrinsic function evaluated, conditional resources and outputs
// dropped, and the result parsed into goformation's typed resources.
type rendered struct {
	*stack
	tree  map[string]any
	typed *cfn.Template
}

// render evaluates the template for the given parameter values (defaults
// for the rest). It returns an error wrapping errRejected when the rules
// refuse the values, and any other error for a template that is broken.
func render(raw map[string]any, given map[string]string) (*rendered, error) {
	s := &stack{raw: raw, conditions: map[string]bool{}, evaluating: map[string]bool{}, removed: map[string]bool{}}
	if err := s.resolveParameters(given); err != nil {
		return nil, err
	}
	if err := s.checkRules(); err != nil {
		return nil, err
	}
	for name := range section(raw, "Conditions") {
		if _, err := s.condition(name); err != nil {
			return nil, err
		}
	}
	resources := section(raw, "Resources")
	for name, r := range resources {
		if c, ok := r.(map[string]any)["Condition"]; ok {
			on, err := s.condition(fmt.Sprint(c))
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", name, err)
			}
			s.removed[name] = !on
		}
	}

	out := map[string]any{}
	for name, r := range resources {
		if s.removed[name] {
			continue
		}
		res, err := s.renderResource(name, r.(map[string]any))
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", name, err)
		}
		out[name] = res
	}
	outputs := map[string]any{}
	for name, o := range section(raw, "Outputs") {
		om := o.(map[string]any)
		if c, ok := om["Condition"]; ok {
			on, err := s.condition(fmt.Sprint(c))
			if err != nil {
				return nil, fmt.Errorf("output %s: %w", name, err)
			}
			if !on {
				continue
			}
		}
		v, err := s.eval(om["Value"])
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		str, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		outputs[name] = map[string]any{"Value": str, "Description": om["Description"]}
	}
	tree := map[string]any{
		"AWSTemplateFormatVersion": raw["AWSTemplateFormatVersion"],
		"Description":              raw["Description"],
		"Parameters":               raw["Parameters"],
		"Resources":                out,
		"Outputs":                  outputs,
	}
	js, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	// Strict: an unknown property or a value of the wrong type is an error.
	typed, err := goformation.ParseJSONWithOptions(js, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("goformation refuses the rendered template: %w", err)
	}
	return &rendered{stack: s, tree: tree, typed: typed}, nil
}

var resourceKeys = []string{"Type", "Properties", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy", "Metadata"}

func (s *stack) renderResource(name string, r map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range r {
		if !slices.Contains(resourceKeys, k) {
			return nil, fmt.Errorf("unknown resource attribute %s", k)
		}
		switch k {
		case "Condition":
		case "DependsOn":
			deps, _ := v.([]any)
			if d, ok := v.(string); ok {
				deps = []any{d}
			}
			for _, d := range deps {
				if _, ok := section(s.raw, "Resources")[fmt.Sprint(d)]; !ok || s.removed[fmt.Sprint(d)] {
					return nil, fmt.Errorf("DependsOn %v: no such resource in this rendering", d)
				}
			}
			out[k] = v
		case "Properties":
			p, err := s.eval(v)
			if err != nil {
				return nil, err
			}
			out[k] = p
		default:
			out[k] = v
		}
	}
	return out, nil
}

func (s *stack) resolveParameters(given map[string]string) error {
	params := section(s.raw, "Parameters")
	for name := range given {
		if _, ok := params[name]; !ok {
			return fmt.Errorf("no parameter %s", name)
		}
	}
	s.params = map[string]any{}
	for name, p := range params {
		pm := p.(map[string]any)
		v, ok := given[name]
		if !ok {
			def, has := pm["Default"]
			if !has {
				return fmt.Errorf("parameter %s has no default and no value", name)
			}
			d, err := scalar(def)
			if err != nil {
				return fmt.Errorf("parameter %s default: %w", name, err)
			}
			v = d
		}
		value, err := checkParameter(name, pm, v)
		if err != nil {
			return err
		}
		s.params[name] = value
	}
	return nil
}

// checkParameter applies a parameter's constraints to v as CloudFormation
// does, and returns the value a Ref gives.
func checkParameter(name string, p map[string]any, v string) (any, error) {
	if allowed, ok := p["AllowedValues"].([]any); ok {
		var vs []string
		for _, a := range allowed {
			s, _ := scalar(a)
			vs = append(vs, s)
		}
		if !slices.Contains(vs, v) {
			return nil, fmt.Errorf("parameter %s=%q: not one of %q", name, v, vs)
		}
	}
	if pat, ok := p["AllowedPattern"].(string); ok {
		// CloudFormation's patterns are Java's; these ones mean the same in Go.
		if !regexp.MustCompile(pat).MatchString(v) {
			return nil, fmt.Errorf("parameter %s=%q: does not match %s", name, v, pat)
		}
	}
	if n, ok := p["MinLength"].(float64); ok && float64(len(v)) < n {
		return nil, fmt.Errorf("parameter %s: shorter than %v", name, n)
	}
	if n, ok := p["MaxLength"].(float64); ok && float64(len(v)) > n {
		return nil, fmt.Errorf("parameter %s: longer than %v", name, n)
	}
	switch typ := p["Type"]; typ {
	case "String":
		return v, nil
	case "Number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("parameter %s=%q: not a number", name, v)
		}
		if lo, ok := p["MinValue"].(float64); ok && f < lo {
			return nil, fmt.Errorf("parameter %s=%v: below %v", name, f, lo)
		}
		if hi, ok := p["MaxValue"].(float64); ok && f > hi {
			return nil, fmt.Errorf("parameter %s=%v: above %v", name, f, hi)
		}
		return f, nil
	case "AWS::EC2::KeyPair::KeyName":
		if v == "" {
			return nil, fmt.Errorf("parameter %s: empty key pair name", name)
		}
		return v, nil
	case "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>":
		if !strings.HasPrefix(v, "/aws/service/ami-amazon-linux-latest/al2023-ami-") {
			return nil, fmt.Errorf("parameter %s=%q: not a public Amazon Linux 2023 AMI parameter", name, v)
		}
		return sampleAMI, nil // what CloudFormation reads from SSM
	default:
		return nil, fmt.Errorf("parameter %s: type %v is not simulated", name, typ)
	}
}

// rejection lists the rules whose assertions fail, as CloudFormation does
// before it creates anything.
type rejection struct {
	rules        []string // sorted
	descriptions []string
}

func (r *rejection) Error() string {
	return fmt.Sprintf("%v: %s", errRejected, strings.Join(r.descriptions, "; "))
}

func (r *rejection) Unwrap() error { return errRejected }

func (s *stack) checkRules() error {
	rej := &rejection{}
	rules := section(s.raw, "Rules")
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		rm := rules[name].(map[string]any)
		if c, ok := rm["RuleCondition"]; ok {
			on, err := s.boolean(c)
			if err != nil {
				return fmt.Errorf("rule %s: %w", name, err)
			}
			if !on {
				continue
			}
		}
		for _, a := range rm["Assertions"].([]any) {
			am := a.(map[string]any)
			ok, err := s.boolean(am["Assert"])
			if err != nil {
				return fmt.Errorf("rule %s: %w", name, err)
			}
			if !ok {
				rej.rules = append(rej.rules, name)
				rej.descriptions = append(rej.descriptions, fmt.Sprintf("%s: %v", name, am["AssertDescription"]))
			}
		}
	}
	if len(rej.rules) > 0 {
		return rej
	}
	return nil
}

// condition evaluates a named condition once.
func (s *stack) condition(name string) (bool, error) {
	if v, ok := s.conditions[name]; ok {
		return v, nil
	}
	expr, ok := section(s.raw, "Conditions")[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	if s.evaluating[name] {
		return false, fmt.Errorf("condition %s depends on itself", name)
	}
	s.evaluating[name] = true
	v, err := s.boolean(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	s.conditions[name] = v
	return v, nil
}

// boolean evaluates a condition expression: an intrinsic that gives a
// boolean, or {Condition: name}.
func (s *stack) boolean(expr any) (bool, error) {
	if m, ok := expr.(map[string]any); ok && len(m) == 1 {
		if name, ok := m["Condition"]; ok {
			return s.condition(fmt.Sprint(name))
		}
	}
	v, err := s.eval(expr)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%v is not a condition", expr)
	}
	return b, nil
}
