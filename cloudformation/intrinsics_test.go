package cloudformation

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The intrinsic functions the template uses, evaluated as CloudFormation
// does, with stand-in values for what only exists once deployed (endpoints,
// IDs, the instance's address).

type intrinsic func(s *stack, arg any) (any, error)

var intrinsicFuncs map[string]intrinsic

func init() {
	intrinsicFuncs = map[string]intrinsic{
		"Ref":           (*stack).ref,
		"Fn::GetAtt":    (*stack).getAtt,
		"Fn::Sub":       (*stack).sub,
		"Fn::If":        (*stack).fnIf,
		"Fn::Equals":    (*stack).equals,
		"Fn::And":       (*stack).and,
		"Fn::Or":        (*stack).or,
		"Fn::Not":       (*stack).not,
		"Fn::Select":    (*stack).selectItem,
		"Fn::GetAZs":    (*stack).getAZs,
		"Fn::Split":     (*stack).split,
		"Fn::Join":      (*stack).join,
		"Fn::Base64":    (*stack).base64,
		"Fn::FindInMap": (*stack).findInMap,
		"Fn::Cidr":      (*stack).cidr,
	}
}

// eval evaluates every intrinsic function in v.
func (s *stack) eval(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if fn, ok := intrinsicFuncs[k]; ok {
					return fn(s, arg)
				}
				if strings.HasPrefix(k, "Fn::") {
					return nil, fmt.Errorf("%s is not simulated", k)
				}
			}
		}
		out := map[string]any{}
		for k, item := range x {
			r, err := s.eval(item)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if r != noValue {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := []any{}
		for i, item := range x {
			r, err := s.eval(item)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if r != noValue {
				out = append(out, r)
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

func (s *stack) args(name string, arg any, n int) ([]any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) != n {
		return nil, fmt.Errorf("%s takes a list of %d, got %v", name, n, arg)
	}
	return list, nil
}

var pseudoParameters = map[string]any{
	"AWS::Region":    sampleRegion,
	"AWS::AccountId": sampleAccount,
	"AWS::StackName": sampleStackName,
	"AWS::StackId":   sampleStackID,
	"AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com",
	"AWS::NoValue":   noValue,
}

func (s *stack) ref(arg any) (any, error) {
	name, ok := arg.(string)
	if !ok {
		return nil, fmt.Errorf("Ref of %v", arg)
	}
	if v, ok := pseudoParameters[name]; ok {
		return v, nil
	}
	if v, ok := s.params[name]; ok {
		return v, nil
	}
	r, ok := section(s.raw, "Resources")[name]
	if !ok {
		return nil, fmt.Errorf("Ref %s: no such parameter or resource", name)
	}
	if s.removed[name] {
		return nil, fmt.Errorf("Ref %s: its condition removes it in this rendering", name)
	}
	return physicalID(name, r.(map[string]any)["Type"].(string)), nil
}

// physicalID is a stand-in for what Ref returns for a resource.
func physicalID(name, typ string) string {
	lower := strings.ToLower(name)
	switch typ {
	case "AWS::SecretsManager::Secret":
		return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", sampleRegion, sampleAccount, lower)
	case "AWS::ElastiCache::ReplicationGroup":
		return "ecb-" + lower
	}
	return lower + "-0123456789"
}

// getAttNames are the attributes that Fn::GetAtt may read, by resource type
// (from the CloudFormation resource reference).
var getAttNames = map[string][]string{
	"AWS::ElastiCache::ReplicationGroup": {
		"ConfigurationEndPoint.Address", "ConfigurationEndPoint.Port",
		"PrimaryEndPoint.Address", "PrimaryEndPoint.Port",
		"ReaderEndPoint.Address", "ReaderEndPoint.Port",
	},
	"AWS::EC2::Instance":        {"AvailabilityZone", "PrivateDnsName", "PrivateIp", "PublicDnsName", "PublicIp"},
	"AWS::EC2::SecurityGroup":   {"GroupId", "VpcId"},
	"AWS::EC2::Subnet":          {"AvailabilityZone", "SubnetId", "VpcId"},
	"AWS::IAM::InstanceProfile": {"Arn"},
	"AWS::IAM::Role":            {"Arn", "RoleId"},
	"AWS::EC2::LaunchTemplate":  {"DefaultVersionNumber", "LatestVersionNumber", "LaunchTemplateId"},
}

// splitGetAtt reads both forms: "Resource.Attribute.With.Dots" and
// [Resource, "Attribute.With.Dots"].
func splitGetAtt(arg any) (string, string, error) {
	switch x := arg.(type) {
	case string:
		res, attr, ok := strings.Cut(x, ".")
		if ok {
			return res, attr, nil
		}
	case []any:
		if len(x) == 2 {
			res, ok1 := x[0].(string)
			attr, ok2 := x[1].(string)
			if ok1 && ok2 {
				return res, attr, nil
			}
		}
	}
	return "", "", fmt.Errorf("Fn::GetAtt of %v", arg)
}

func (s *stack) getAtt(arg any) (any, error) {
	name, attr, err := splitGetAtt(arg)
	if err != nil {
		return nil, err
	}
	r, ok := section(s.raw, "Resources")[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", name, attr)
	}
	if s.removed[name] {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: its condition removes it in this rendering", name, attr)
	}
	typ := r["Type"].(string)
	if !slices.Contains(getAttNames[typ], attr) {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: %s has no attribute %s (known: %v)", name, attr, typ, attr, getAttNames[typ])
	}
	props, _ := r["Properties"].(map[string]any)
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(attr, "EndPoint.Port"):
		// The replication group's own port.
		p, err := s.eval(props["Port"])
		if err != nil {
			return nil, err
		}
		return scalar(p)
	case attr == "ConfigurationEndPoint.Address":
		return fmt.Sprintf("clustercfg.ecb-%s.abc123.euw1.cache.amazonaws.com", lower), nil
	case attr == "PrimaryEndPoint.Address":
		return fmt.Sprintf("master.ecb-%s.abc123.euw1.cache.amazonaws.com", lower), nil
	case attr == "ReaderEndPoint.Address":
		return fmt.Sprintf("replica.ecb-%s.abc123.euw1.cache.amazonaws.com", lower), nil
	case typ == "AWS::EC2::Subnet" && attr == "AvailabilityZone":
		az, err := s.eval(props["AvailabilityZone"])
		if err != nil {
			return nil, err
		}
		return scalar(az)
	case attr == "PublicDnsName":
		return "ec2-203-0-113-10.eu-west-1.compute.amazonaws.com", nil
	case attr == "PublicIp":
		return "203.0.113.10", nil
	case attr == "PrivateIp":
		return "10.42.0.10", nil
	case attr == "LatestVersionNumber" || attr == "DefaultVersionNumber":
		return "1", nil
	case attr == "Arn":
		return fmt.Sprintf("arn:aws:iam::%s:%s/%s", sampleAccount, strings.ToLower(strings.TrimPrefix(typ, "AWS::IAM::")), lower), nil
	}
	return fmt.Sprintf("%s-%s", lower, strings.ToLower(attr)), nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (s *stack) sub(arg any) (any, error) {
	var text string
	vars := map[string]any{}
	switch x := arg.(type) {
	case string:
		text = x
	case []any:
		if len(x) != 2 {
			return nil, fmt.Errorf("Fn::Sub takes a string or [string, map], got %v", arg)
		}
		var ok bool
		if text, ok = x[0].(string); !ok {
			return nil, fmt.Errorf("Fn::Sub: the template must be a literal string")
		}
		m, ok := x[1].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub: the variables must be a map")
		}
		for k, v := range m {
			r, err := s.eval(v)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = r
		}
	default:
		return nil, fmt.Errorf("Fn::Sub of %v", arg)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // ${!Literal}
		}
		var v any
		var err error
		switch val, ok := vars[name]; {
		case ok:
			v = val
		case strings.Contains(name, "."):
			v, err = s.getAtt(name)
		default:
			v, err = s.ref(name)
		}
		if err == nil && v == noValue {
			err = fmt.Errorf("${%s} is AWS::NoValue", name)
		}
		var str string
		if err == nil {
			str, err = scalar(v)
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		return str
	})
	return out, firstErr
}

func (s *stack) fnIf(arg any) (any, error) {
	list, err := s.args("Fn::If", arg, 3)
	if err != nil {
		return nil, err
	}
	on, err := s.condition(fmt.Sprint(list[0]))
	if err != nil {
		return nil, err
	}
	if on {
		return s.eval(list[1])
	}
	return s.eval(list[2])
}

func (s *stack) equals(arg any) (any, error) {
	list, err := s.args("Fn::Equals", arg, 2)
	if err != nil {
		return nil, err
	}
	var strs [2]string
	for i, item := range list {
		v, err := s.eval(item)
		if err != nil {
			return nil, err
		}
		if strs[i], err = scalar(v); err != nil {
			return nil, fmt.Errorf("Fn::Equals: %w", err)
		}
	}
	return strs[0] == strs[1], nil
}

func (s *stack) and(arg any) (any, error) { return s.fold("Fn::And", arg, true) }
func (s *stack) or(arg any) (any, error)  { return s.fold("Fn::Or", arg, false) }

// fold is Fn::And (all) or Fn::Or (any) over 2 to 10 conditions.
func (s *stack) fold(name string, arg any, all bool) (any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) < 2 || len(list) > 10 {
		return nil, fmt.Errorf("%s takes 2 to 10 conditions, got %v", name, arg)
	}
	result := all
	for _, c := range list {
		b, err := s.boolean(c)
		if err != nil {
			return nil, err
		}
		if b != all {
			result = !all
		}
	}
	return result, nil
}

func (s *stack) not(arg any) (any, error) {
	list, err := s.args("Fn::Not", arg, 1)
	if err != nil {
		return nil, err
	}
	b, err := s.boolean(list[0])
	return !b, err
}

func (s *stack) selectItem(arg any) (any, error) {
	list, err := s.args("Fn::Select", arg, 2)
	if err != nil {
		return nil, err
	}
	idx, err := s.eval(list[0])
	if err != nil {
		return nil, err
	}
	is, err := scalar(idx)
	if err != nil {
		return nil, err
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		return nil, fmt.Errorf("Fn::Select index %q", is)
	}
	items, err := s.eval(list[1])
	if err != nil {
		return nil, err
	}
	l, ok := items.([]any)
	if !ok || i < 0 || i >= len(l) {
		return nil, fmt.Errorf("Fn::Select %d of %v", i, items)
	}
	return l[i], nil
}

func (s *stack) getAZs(arg any) (any, error) {
	if r, _ := arg.(string); r != "" && r != sampleRegion {
		return nil, fmt.Errorf("Fn::GetAZs %q", r)
	}
	return []any{sampleRegion + "a", sampleRegion + "b", sampleRegion + "c"}, nil
}

func (s *stack) split(arg any) (any, error) {
	list, err := s.args("Fn::Split", arg, 2)
	if err != nil {
		return nil, err
	}
	v, err := s.eval(list[1])
	if err != nil {
		return nil, err
	}
	str, err := scalar(v)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, part := range strings.Split(str, fmt.Sprint(list[0])) {
		out = append(out, part)
	}
	return out, nil
}

func (s *stack) join(arg any) (any, error) {
	list, err := s.args("Fn::Join", arg, 2)
	if err != nil {
		return nil, err
	}
	v, err := s.eval(list[1])
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("Fn::Join of %v", v)
	}
	strs := make([]string, len(items))
	for i, item := range items {
		if strs[i], err = scalar(item); err != nil {
			return nil, fmt.Errorf("Fn::Join: %w", err)
		}
	}
	return strings.Join(strs, fmt.Sprint(list[0])), nil
}

func (s *stack) base64(arg any) (any, error) {
	v, err := s.eval(arg)
	if err != nil {
		return nil, err
	}
	str, err := scalar(v)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(str)), nil
}

func (s *stack) findInMap(arg any) (any, error) {
	list, err := s.args("Fn::FindInMap", arg, 3)
	if err != nil {
		return nil, err
	}
	var keys [3]string
	for i, item := range list {
		v, err := s.eval(item)
		if err != nil {
			return nil, err
		}
		if keys[i], err = scalar(v); err != nil {
			return nil, err
		}
	}
	m, ok := section(s.raw, "Mappings")[keys[0]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: no mapping %s", keys[0])
	}
	inner, ok := m[keys[1]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: mapping %s has no key %q", keys[0], keys[1])
	}
	v, ok := inner[keys[2]]
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: %s.%s has no %q", keys[0], keys[1], keys[2])
	}
	return v, nil
}

// cidr is Fn::Cidr: count consecutive blocks of cidrBits host bits each,
// from the start of the IPv4 block.
func (s *stack) cidr(arg any) (any, error) {
	list, err := s.args("Fn::Cidr", arg, 3)
	if err != nil {
		return nil, err
	}
	var strs [3]string
	for i, item := range list {
		v, err := s.eval(item)
		if err != nil {
			return nil, err
		}
		if strs[i], err = scalar(v); err != nil {
			return nil, err
		}
	}
	block, err := netip.ParsePrefix(strs[0])
	if err != nil || !block.Addr().Is4() {
		return nil, fmt.Errorf("Fn::Cidr block %q", strs[0])
	}
	count, err1 := strconv.Atoi(strs[1])
	bits, err2 := strconv.Atoi(strs[2])
	prefix := 32 - bits
	if err1 != nil || err2 != nil || count < 1 || prefix < block.Bits() || count > 1<<(prefix-block.Bits()) {
		return nil, fmt.Errorf("Fn::Cidr count %q cidrBits %q for %s", strs[1], strs[2], block)
	}
	base := block.Masked().Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	var out []any
	for i := range count {
		a := start + uint32(i)<<bits
		addr := netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
		out = append(out, netip.PrefixFrom(addr, prefix).String())
	}
	return out, nil
}

// scalar is a value as the string CloudFormation would substitute or
// compare: numbers without a fractional part print as integers.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		if x == math.Trunc(x) {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	}
	return "", fmt.Errorf("%v (%T) is not a scalar", v, v)
}
