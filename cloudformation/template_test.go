package cloudformation

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

func mustLoad(t *testing.T) *loadedTemplate {
	t.Helper()
	l, err := loaded()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// baseParams are the parameters without defaults, plus an AUTH token: the
// least a deploy command passes.
func baseParams() map[string]string {
	return map[string]string{
		"AdminCidr": "203.0.113.7/32",
		"KeyName":   "ecbench-test",
		"AuthToken": "0123456789abcdef-Token!",
	}
}

func with(p map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range p {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestGoformationOpens opens the template the way goformation users do, with
// goformation's own intrinsic processing, and finds both engines in it.
func TestGoformationOpens(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	if got, want := len(l.opened.Resources), len(section(l.raw, "Resources")); got != want {
		t.Errorf("goformation.Open: %d resources, the file has %d", got, want)
	}
	engines := map[string]string{}
	for name, rg := range l.opened.GetAllElastiCacheReplicationGroupResources() {
		if rg.Engine != nil {
			engines[name] = *rg.Engine
		}
	}
	want := map[string]string{"RedisReplicationGroup": "redis", "ValkeyReplicationGroup": "valkey"}
	if fmt.Sprint(engines) != fmt.Sprint(want) {
		t.Errorf("replication groups' engines: %v, want %v", engines, want)
	}
}

func TestParameters(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	params := section(l.raw, "Parameters")
	param := func(name string) map[string]any {
		p, ok := params[name].(map[string]any)
		if !ok {
			t.Fatalf("no parameter %s", name)
		}
		return p
	}
	allowed := func(name string) []string {
		var out []string
		for _, v := range param(name)["AllowedValues"].([]any) {
			s, _ := scalar(v)
			out = append(out, s)
		}
		return out
	}
	if got := allowed("RedisEngineVersion"); !slices.Equal(got, []string{"6.2", "7.0", "7.1"}) {
		t.Errorf("RedisEngineVersion allows %q, want Redis OSS up to 7.1", got)
	}
	if got := allowed("ValkeyEngineVersion"); !slices.Equal(got, []string{"7.2", "8.0", "8.1", "8.2"}) {
		t.Errorf("ValkeyEngineVersion allows %q", got)
	}
	if got := allowed("AuthMode"); !slices.Equal(got, []string{"token", "rbac", "none"}) {
		t.Errorf("AuthMode allows %q", got)
	}
	if p := param("TransitEncryption"); p["Default"] != "true" {
		t.Errorf("TransitEncryption defaults to %v: in-transit encryption is on by default", p["Default"])
	}
	if p := param("ImageId"); p["Type"] != "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" ||
		p["Default"] != "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" {
		t.Errorf("ImageId: %v", p)
	}
	if _, ok := param("AdminCidr")["Default"]; ok {
		t.Error("AdminCidr has a default: whoever deploys must choose who may reach SSH and Grafana")
	}
	var noEcho []string
	for name, p := range params {
		pm := p.(map[string]any)
		if pm["NoEcho"] == true {
			noEcho = append(noEcho, name)
		}
		if d, _ := pm["Description"].(string); strings.TrimSpace(d) == "" {
			t.Errorf("parameter %s has no description", name)
		}
	}
	if !slices.Equal(noEcho, []string{"AuthToken"}) {
		t.Errorf("NoEcho parameters: %q, want [AuthToken]", noEcho)
	}
}

// TestAuthTokenParameter checks the token's pattern against ElastiCache's
// rules: 16 to 128 printable ASCII characters, no space, '/', '"' or '@'.
func TestAuthTokenParameter(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	p := section(l.raw, "Parameters")["AuthToken"].(map[string]any)
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{"", true}, // AuthMode=none; the rules require one otherwise
		{"0123456789abcdef", true},
		{strings.Repeat("x", 128), true},
		{"!#$%&'()*+,-.:;<=>?[\\]^_`{|}~AZaz09", true},
		{"0123456789abcde", false},
		{strings.Repeat("x", 129), false},
		{"0123456789/abcdef", false},
		{"0123456789@abcdef", false},
		{`0123456789"abcdef`, false},
		{"0123456789 abcdef", false},
		{"0123456789abcdefé", false},
	} {
		_, err := checkParameter("AuthToken", p, tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("AuthToken %q: accepted %t, want %t (%v)", tc.token, err == nil, tc.ok, err)
		}
	}
}

// TestAuthTokenStaysSecret checks where the NoEcho token may flow: into the
// replication groups' AuthToken, the RBAC users' passwords, the Secrets
// Manager secret the generators read, and the rules; never into user data,
// tags or outputs.
func TestAuthTokenStaysSecret(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	allowed := []string{
		"Resources.RedisReplicationGroup.Properties.AuthToken.",
		"Resources.ValkeyReplicationGroup.Properties.AuthToken.",
		"Resources.RedisUser.Properties.AuthenticationMode.Passwords[",
		"Resources.ValkeyUser.Properties.AuthenticationMode.Passwords[",
		"Resources.AuthSecret.Properties.SecretString.",
		"Rules.",
	}
	var seen []string
	for _, r := range references(t, l.raw) {
		if r.kind != "Ref" || r.target != "AuthToken" {
			continue
		}
		seen = append(seen, r.path)
		if !slices.ContainsFunc(allowed, func(prefix string) bool { return strings.HasPrefix(r.path, prefix) }) {
			t.Errorf("the AuthToken parameter flows into %s", r.path)
		}
	}
	sort.Strings(seen)
	if len(seen) < 5 {
		t.Errorf("AuthToken is used at %q only", seen)
	}
	// Both replication groups take it only under AuthMode=token.
	for _, rg := range []string{"RedisReplicationGroup", "ValkeyReplicationGroup"} {
		prop := section(section(section(l.raw, "Resources"), rg), "Properties")["AuthToken"]
		want := map[string]any{"Fn::If": []any{"AuthTokenMode", map[string]any{"Ref": "AuthToken"}, map[string]any{"Ref": "AWS::NoValue"}}}
		if fmt.Sprint(prop) != fmt.Sprint(want) {
			t.Errorf("%s AuthToken: %v, want %v", rg, prop, want)
		}
	}
}

// expectedRejections says which rules must refuse a parameter set (sorted).
func expectedRejections(p map[string]string) []string {
	var rules []string
	if p["AuthMode"] != "none" && p["TransitEncryption"] == "false" {
		rules = append(rules, "AuthNeedsTLS")
	}
	if p["AuthMode"] != "none" && p["AuthToken"] == "" {
		rules = append(rules, "AuthNeedsToken")
	}
	if p["MultiAZ"] != "false" && p["ReplicasPerShard"] == "0" {
		rules = append(rules, "MultiAZNeedsReplica")
	}
	if p["ClusterMode"] != "enabled" && p["NumShards"] != "" && p["NumShards"] != "1" {
		rules = append(rules, "ShardsNeedClusterMode")
	}
	return rules
}

func TestRules(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	for _, tc := range []struct {
		name   string
		params map[string]string
	}{
		{"token without TLS", with(baseParams(), "TransitEncryption", "false")},
		{"rbac without TLS", with(baseParams(), "AuthMode", "rbac", "TransitEncryption", "false")},
		{"token without a token", with(baseParams(), "AuthToken", "")},
		{"rbac without a password", with(baseParams(), "AuthMode", "rbac", "AuthToken", "")},
		{"Multi-AZ without replicas", with(baseParams(), "ReplicasPerShard", "0")},
		{"shards without cluster mode", with(baseParams(), "NumShards", "3")},
		{"no auth, no TLS", with(baseParams(), "AuthMode", "none", "TransitEncryption", "false", "AuthToken", "")},
		{"one node, no Multi-AZ", with(baseParams(), "ReplicasPerShard", "0", "MultiAZ", "false")},
		{"shards with cluster mode", with(baseParams(), "NumShards", "3", "ClusterMode", "enabled")},
		{"everything wrong", with(baseParams(), "TransitEncryption", "false", "AuthToken", "", "ReplicasPerShard", "0", "NumShards", "2")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(l.raw, tc.params)
			want := expectedRejections(tc.params)
			var rejected *rejection
			switch {
			case len(want) == 0 && err != nil:
				t.Errorf("refused: %v", err)
			case len(want) > 0 && !errors.As(err, &rejected):
				t.Errorf("accepted (err %v), want rules %q to refuse it", err, want)
			case len(want) > 0 && !slices.Equal(rejected.rules, want):
				t.Errorf("refused by %q, want %q", rejected.rules, want)
			}
		})
	}
}

// TestRendererHasTeeth breaks the template in the ways the other tests are
// there to catch and checks that rendering fails: the checks are only as
// good as the renderer under them.
func TestRendererHasTeeth(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	for _, tc := range []struct {
		name  string
		spoil func(raw map[string]any)
		want  string
	}{
		{"misspelt property", func(raw map[string]any) {
			props(raw, "RedisReplicationGroup")["Engnie"] = "redis"
		}, "unknown field"},
		{"wrong type", func(raw map[string]any) {
			props(raw, "RedisReplicationGroup")["TransitEncryptionEnabled"] = "yes"
		}, "TransitEncryptionEnabled"},
		{"unknown attribute", func(raw map[string]any) {
			props(raw, "CacheSubnetGroup")["Description"] = map[string]any{"Fn::GetAtt": "RedisReplicationGroup.Endpoint.Address"}
		}, "has no attribute"},
		{"Ref to nothing", func(raw map[string]any) {
			props(raw, "CacheSubnetGroup")["Description"] = map[string]any{"Ref": "Nothing"}
		}, "no such parameter or resource"},
		{"Sub of nothing", func(raw map[string]any) {
			props(raw, "CacheSubnetGroup")["Description"] = map[string]any{"Fn::Sub": "${Nothing}"}
		}, "no such parameter or resource"},
		{"Ref to a removed resource", func(raw map[string]any) {
			props(raw, "CacheSubnetGroup")["Description"] = map[string]any{"Ref": "RedisUserGroup"}
		}, "its condition removes it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := deepCopy(l.raw).(map[string]any)
			tc.spoil(raw)
			_, err := render(raw, baseParams())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("rendered with err %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func props(raw map[string]any, resource string) map[string]any {
	return section(section(section(raw, "Resources"), resource), "Properties")
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = deepCopy(item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = deepCopy(item)
		}
		return out
	}
	return v
}
