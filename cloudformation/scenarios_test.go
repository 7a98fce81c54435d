package cloudformation

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/elasticache"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
)

// scenarios are the parameter sets the scenario tests render: every
// combination of the parameters that interact (cluster mode, replicas,
// Multi-AZ, auth, TLS), each with its own pick of the others' values, so that
// every value of every parameter occurs. Combinations the rules refuse are
// among them: they must be refused, by exactly the rules expected.
func scenarios() []map[string]string {
	out := []map[string]string{baseParams()}
	for _, dim := range []struct {
		param  string
		values []string
	}{
		{"ClusterMode", []string{"disabled", "enabled"}},
		{"ReplicasPerShard", []string{"0", "1", "5"}},
		{"MultiAZ", []string{"true", "false"}},
		{"AuthMode", []string{"token", "rbac", "none"}},
		{"TransitEncryption", []string{"true", "false"}},
	} {
		var next []map[string]string
		for _, p := range out {
			for _, v := range dim.values {
				next = append(next, with(p, dim.param, v))
			}
		}
		out = next
	}
	others := []struct {
		param  string
		values []string
	}{
		{"NumShards", []string{"1", "3"}},
		{"AtRestEncryption", []string{"true", "false"}},
		{"EnableFailoverTests", []string{"false", "true"}},
		{"GeneratorCount", []string{"1", "3", "8"}},
		{"RedisEngineVersion", []string{"6.2", "7.0", "7.1"}},
		{"ValkeyEngineVersion", []string{"7.2", "8.0", "8.1", "8.2"}},
		{"CachePort", []string{"6379", "7000"}},
		{"TotalRate", []string{"10000", "1"}},
	}
	// Each combination three times, with different picks of the others.
	var all []map[string]string
	for pass := range 3 {
		for i, p := range out {
			p = with(p)
			for d, o := range others {
				// A different stride per parameter, so that their values do
				// not move in step with each other or with the combinations.
				p[o.param] = o.values[((i+pass*len(out))/(d+1)+d)%len(o.values)]
			}
			all = append(all, p)
		}
	}
	return all
}

func scenarioName(p map[string]string) string {
	keys := slices.Sorted(maps.Keys(p))
	var parts []string
	for _, k := range keys {
		if _, base := baseParams()[k]; !base {
			parts = append(parts, k+"="+p[k])
		}
	}
	return strings.Join(parts, ",")
}

// TestScenarios renders the template for every scenario and checks, on
// goformation's typed resources, what must hold in each.
func TestScenarios(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	accepted := 0
	for _, p := range scenarios() {
		r, err := render(l.raw, p)
		want := expectedRejections(p)
		var rejected *rejection
		switch {
		case len(want) > 0 && errors.As(err, &rejected) && slices.Equal(rejected.rules, want):
			continue
		case len(want) > 0:
			t.Errorf("%s: want rules %q to refuse it, got %v", scenarioName(p), want, err)
			continue
		case err != nil:
			t.Errorf("%s: %v", scenarioName(p), err)
			continue
		}
		accepted++
		t.Run(scenarioName(p), func(t *testing.T) {
			t.Parallel()
			checkCaches(t, p, r)
			checkIAM(t, p, r)
			checkNetwork(t, p, r)
			checkGenerators(t, p, r)
			checkOutputs(t, p, r)
			checkGeneratorConfig(t, p, r)
		})
	}
	if accepted < 100 {
		t.Errorf("only %d scenarios rendered", accepted)
	}
}

func output(t *testing.T, r *rendered, name string) string {
	t.Helper()
	o, ok := r.typed.Outputs[name]
	if !ok {
		t.Fatalf("no output %s", name)
	}
	s, ok := o.Value.(string)
	if !ok || s == "" || strings.Contains(s, "${") {
		t.Fatalf("output %s does not resolve to a string: %v", name, o.Value)
	}
	return s
}

// num is a Number parameter's value in this scenario.
func num(t *testing.T, r *rendered, name string) int {
	t.Helper()
	n, err := strconv.Atoi(param(r, name))
	if err != nil {
		t.Fatalf("%s=%q", name, param(r, name))
	}
	return n
}

// param is a parameter's value in this scenario, given or default.
func param(r *rendered, name string) string {
	s, _ := scalar(r.params[name])
	return s
}

func isTrue(b *bool) bool { return b != nil && *b }

func checkCaches(t *testing.T, p map[string]string, r *rendered) {
	rgs := r.typed.GetAllElastiCacheReplicationGroupResources()
	if len(rgs) != 2 {
		t.Fatalf("%d replication groups, want 2", len(rgs))
	}
	cluster := param(r, "ClusterMode") == "enabled"
	replicas := num(t, r, "ReplicasPerShard")
	tls := param(r, "TransitEncryption") == "true"
	auth := param(r, "AuthMode")
	for name, want := range map[string]struct{ engine, version, family string }{
		"RedisReplicationGroup":  {"redis", param(r, "RedisEngineVersion"), map[bool]string{true: "redis6.x", false: "redis7"}[param(r, "RedisEngineVersion") == "6.2"]},
		"ValkeyReplicationGroup": {"valkey", param(r, "ValkeyEngineVersion"), map[bool]string{true: "valkey7", false: "valkey8"}[param(r, "ValkeyEngineVersion") == "7.2"]},
	} {
		rg := rgs[name]
		if rg == nil {
			t.Fatalf("no %s", name)
		}
		errorf := func(format string, args ...any) { t.Errorf(name+": "+format, args...) }
		if rg.Engine == nil || *rg.Engine != want.engine || rg.EngineVersion == nil || *rg.EngineVersion != want.version {
			errorf("engine %s %s, want %s %s", show(rg.Engine), show(rg.EngineVersion), want.engine, want.version)
		}
		wantGroup := "default." + want.family
		if cluster {
			wantGroup += ".cluster.on"
		}
		if deref(rg.CacheParameterGroupName) != wantGroup {
			errorf("parameter group %v, want %s", deref(rg.CacheParameterGroupName), wantGroup)
		}
		// In-transit encryption explicitly set (ElastiCache's default differs
		// between engines), and on whenever a password is involved.
		if rg.TransitEncryptionEnabled == nil || *rg.TransitEncryptionEnabled != tls {
			errorf("TransitEncryptionEnabled %s, want %t", show(rg.TransitEncryptionEnabled), tls)
		}
		if rg.AuthToken != nil && !isTrue(rg.TransitEncryptionEnabled) {
			errorf("AuthToken without TransitEncryptionEnabled")
		}
		if len(rg.UserGroupIds) > 0 && !isTrue(rg.TransitEncryptionEnabled) {
			errorf("RBAC user group without TransitEncryptionEnabled")
		}
		if (rg.AuthToken != nil) != (auth == "token") || (rg.AuthToken != nil && *rg.AuthToken != p["AuthToken"]) {
			errorf("AuthToken set %t under AuthMode=%s, or not the AuthToken parameter", rg.AuthToken != nil, auth)
		}
		if (len(rg.UserGroupIds) == 1) != (auth == "rbac") {
			errorf("UserGroupIds %v under AuthMode=%s", rg.UserGroupIds, auth)
		}
		if isTrue(rg.AtRestEncryptionEnabled) != (param(r, "AtRestEncryption") == "true") || rg.AtRestEncryptionEnabled == nil {
			errorf("AtRestEncryptionEnabled %s", show(rg.AtRestEncryptionEnabled))
		}
		if rg.Port == nil || strconv.Itoa(*rg.Port) != param(r, "CachePort") {
			errorf("port %s", show(rg.Port))
		}
		if isTrue(rg.MultiAZEnabled) != (param(r, "MultiAZ") == "true") {
			errorf("MultiAZEnabled %s", show(rg.MultiAZEnabled))
		}
		if isTrue(rg.MultiAZEnabled) && (!isTrue(rg.AutomaticFailoverEnabled) || replicas < 1) {
			errorf("Multi-AZ needs automatic failover and a replica")
		}
		if cluster {
			if deref(rg.NumNodeGroups) != num(t, r, "NumShards") || deref(rg.ReplicasPerNodeGroup) != replicas ||
				rg.NumCacheClusters != nil || rg.PreferredCacheClusterAZs != nil {
				errorf("cluster mode: NumNodeGroups %s ReplicasPerNodeGroup %s NumCacheClusters %s", show(rg.NumNodeGroups), show(rg.ReplicasPerNodeGroup), show(rg.NumCacheClusters))
			}
			if !isTrue(rg.AutomaticFailoverEnabled) {
				errorf("cluster mode enabled without automatic failover")
			}
		} else {
			if deref(rg.NumCacheClusters) != replicas+1 || rg.NumNodeGroups != nil || rg.ReplicasPerNodeGroup != nil {
				errorf("NumCacheClusters %s NumNodeGroups %s, want %d nodes", show(rg.NumCacheClusters), show(rg.NumNodeGroups), replicas+1)
			}
			if isTrue(rg.AutomaticFailoverEnabled) != isTrue(rg.MultiAZEnabled) {
				errorf("AutomaticFailoverEnabled %s MultiAZEnabled %s", show(rg.AutomaticFailoverEnabled), show(rg.MultiAZEnabled))
			}
			// The primary beside the generators (AZ a), replicas alternating.
			var want []string
			for i := range replicas + 1 {
				want = append(want, sampleRegion+string(rune('a'+i%2)))
			}
			if !slices.Equal(rg.PreferredCacheClusterAZs, want) {
				errorf("PreferredCacheClusterAZs %q, want %q", rg.PreferredCacheClusterAZs, want)
			}
		}
		if !slices.Equal(rg.SecurityGroupIds, []string{"cachesecuritygroup-groupid"}) || deref(rg.CacheSubnetGroupName) == "" {
			errorf("security groups %q subnet group %v", rg.SecurityGroupIds, deref(rg.CacheSubnetGroupName))
		}
	}
	// Same shape: apart from what names the engine, the two are identical.
	shape := func(rg *elasticache.ReplicationGroup) string {
		var m struct{ Properties map[string]any }
		b, _ := json.Marshal(rg) // goformation wraps the properties in {Type, Properties}
		_ = json.Unmarshal(b, &m)
		for _, k := range []string{"Engine", "EngineVersion", "CacheParameterGroupName", "ReplicationGroupDescription", "Tags", "UserGroupIds"} {
			delete(m.Properties, k)
		}
		b, _ = json.Marshal(m.Properties)
		return string(b)
	}
	if a, b := shape(rgs["RedisReplicationGroup"]), shape(rgs["ValkeyReplicationGroup"]); a != b {
		t.Errorf("the replication groups differ in shape:\n%s\n%s", a, b)
	}
}

// show prints a pointer's value, or "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// statement is one IAM policy statement, with Action and Resource as lists.
type statement struct {
	Effect   string
	Action   []string
	Resource []string
}

func policyStatements(t *testing.T, doc any) []statement {
	t.Helper()
	var raw struct{ Statement []map[string]any }
	b, _ := json.Marshal(doc)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("policy document: %v", err)
	}
	list := func(v any) []string {
		switch x := v.(type) {
		case string:
			return []string{x}
		case []any:
			var out []string
			for _, s := range x {
				out = append(out, fmt.Sprint(s))
			}
			return out
		}
		t.Fatalf("policy element %v", v)
		return nil
	}
	var out []statement
	for _, s := range raw.Statement {
		for k := range s {
			if !slices.Contains([]string{"Sid", "Effect", "Action", "Resource"}, k) {
				t.Errorf("statement %v: unexpected %s", s, k)
			}
		}
		out = append(out, statement{Effect: fmt.Sprint(s["Effect"]), Action: list(s["Action"]), Resource: list(s["Resource"])})
	}
	return out
}

// checkIAM checks the generators' only role: the ecbench policy holds
// exactly what the daemon needs, the monitoring policy what the first boot,
// Prometheus and Grafana need, and the narrow ones are scoped to their
// resources.
func checkIAM(t *testing.T, p map[string]string, r *rendered) {
	roles := r.typed.GetAllIAMRoleResources()
	role := roles["GeneratorRole"]
	if len(roles) != 1 || role == nil {
		t.Fatalf("roles %v, want only GeneratorRole", slices.Collect(maps.Keys(roles)))
	}
	if len(role.ManagedPolicyArns) != 0 {
		t.Errorf("managed policies %q", role.ManagedPolicyArns)
	}
	if b, _ := json.Marshal(role.AssumeRolePolicyDocument); !strings.Contains(string(b), `"Service":"ec2.amazonaws.com"`) {
		t.Errorf("trust policy %s", b)
	}
	rgARN := func(name string) string {
		return fmt.Sprintf("arn:aws:elasticache:%s:%s:replicationgroup:%s", sampleRegion, sampleAccount, physicalID(name, "AWS::ElastiCache::ReplicationGroup"))
	}
	want := map[string]map[string][]string{
		"ecbench": {
			"cloudwatch:GetMetricData": {"*"},
			"cloudwatch:ListMetrics":   {"*"},
			"elasticache:Describe*":    {"*"},
		},
		"monitoring": {"ec2:DescribeInstances": {"*"}, "ec2:DescribeRegions": {"*"}},
	}
	if p["EnableFailoverTests"] == "true" {
		want["ecbench"]["elasticache:TestFailover"] = []string{rgARN("RedisReplicationGroup"), rgARN("ValkeyReplicationGroup")}
	}
	if param(r, "AuthMode") != "none" {
		want["monitoring"]["secretsmanager:GetSecretValue"] = []string{physicalID("AuthSecret", "AWS::SecretsManager::Secret")}
	}
	got := map[string]map[string][]string{}
	for _, pol := range role.Policies {
		got[pol.PolicyName] = map[string][]string{}
		for _, s := range policyStatements(t, pol.PolicyDocument) {
			if s.Effect != "Allow" {
				t.Errorf("policy %s: effect %s", pol.PolicyName, s.Effect)
			}
			for _, a := range s.Action {
				got[pol.PolicyName][a] = append(got[pol.PolicyName][a], s.Resource...)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("role policies:\n got %v\nwant %v", got, want)
	}
}

func checkNetwork(t *testing.T, p map[string]string, r *rendered) {
	sgs := r.typed.GetAllEC2SecurityGroupResources()
	admin := p["AdminCidr"]
	var ports []int
	for _, in := range sgs["GeneratorSecurityGroup"].SecurityGroupIngress {
		if deref(in.CidrIp) != admin || in.SourceSecurityGroupId != nil || deref(in.FromPort) != deref(in.ToPort) {
			t.Errorf("generator ingress from %s/%s port %s-%s: want one port from AdminCidr only", show(in.CidrIp), show(in.SourceSecurityGroupId), show(in.FromPort), show(in.ToPort))
		}
		ports = append(ports, deref(in.FromPort))
	}
	if !slices.Equal(ports, []int{22, 3000, 9478}) {
		t.Errorf("generator ports %v, want SSH, Grafana and metrics", ports)
	}
	cache := sgs["CacheSecurityGroup"].SecurityGroupIngress
	port, _ := strconv.Atoi(param(r, "CachePort"))
	if len(cache) != 1 || cache[0].CidrIp != nil || deref(cache[0].SourceSecurityGroupId) != "generatorsecuritygroup-groupid" ||
		deref(cache[0].FromPort) != port || deref(cache[0].ToPort) != port {
		t.Errorf("cache ingress %s: want the cache port from the generators' security group only", ingressRules(cache))
	}
	for name, in := range r.typed.GetAllEC2SecurityGroupIngressResources() {
		if in.CidrIp != nil || deref(in.SourceSecurityGroupId) != "generatorsecuritygroup-groupid" ||
			deref(in.GroupId) != "generatorsecuritygroup-groupid" || deref(in.FromPort) != 9478 {
			t.Errorf("%s: from %s/%s to %s port %s: want only generators scraping generators", name, show(in.CidrIp), show(in.SourceSecurityGroupId), show(in.GroupId), show(in.FromPort))
		}
	}
	subnets := r.typed.GetAllEC2SubnetResources()
	for name, az := range map[string]string{"PublicSubnetA": "a", "PublicSubnetB": "b", "PrivateSubnetA": "a", "PrivateSubnetB": "b"} {
		s := subnets[name]
		if s == nil {
			t.Errorf("no subnet %s", name)
			continue
		}
		if deref(s.AvailabilityZone) != sampleRegion+az || isTrue(s.MapPublicIpOnLaunch) != strings.HasPrefix(name, "Public") {
			t.Errorf("%s: AZ %s, public IPs %s", name, show(s.AvailabilityZone), show(s.MapPublicIpOnLaunch))
		}
	}
	if len(subnets) != 4 {
		t.Errorf("%d subnets", len(subnets))
	}
	if sg := r.typed.GetAllElastiCacheSubnetGroupResources()["CacheSubnetGroup"]; sg == nil ||
		!slices.Equal(sg.SubnetIds, []string{"privatesubneta-0123456789", "privatesubnetb-0123456789"}) {
		t.Error("the cache subnet group is not the two private subnets")
	}
	for name, rt := range r.typed.GetAllEC2RouteResources() {
		if rt.RouteTableId != "publicroutetable-0123456789" || deref(rt.GatewayId) != "internetgateway-0123456789" {
			t.Errorf("route %s: table %s to %s: only the public subnets route out", name, rt.RouteTableId, show(rt.GatewayId))
		}
	}
}

func ingressRules(rules []ec2.SecurityGroup_Ingress) string {
	var out []string
	for _, in := range rules {
		out = append(out, fmt.Sprintf("{from %s/%s port %s-%s}", show(in.CidrIp), show(in.SourceSecurityGroupId), show(in.FromPort), show(in.ToPort)))
	}
	return strings.Join(out, " ")
}

func tagValue(ts []tags.Tag, key string) string {
	for _, tg := range ts {
		if tg.Key == key {
			return tg.Value
		}
	}
	return ""
}

func checkGenerators(t *testing.T, p map[string]string, r *rendered) {
	lt := r.typed.GetAllEC2LaunchTemplateResources()["GeneratorLaunchTemplate"]
	if lt == nil || lt.LaunchTemplateData == nil {
		t.Fatal("no launch template")
	}
	d := lt.LaunchTemplateData
	if deref(d.ImageId) != sampleAMI || deref(d.KeyName) != p["KeyName"] || deref(d.InstanceType) != param(r, "InstanceType") {
		t.Errorf("launch template image %v key %v type %v", deref(d.ImageId), deref(d.KeyName), deref(d.InstanceType))
	}
	// IMDSv2 only, and the instance's tags readable there (the first boot
	// reads its role from them).
	if m := d.MetadataOptions; m == nil || deref(m.HttpTokens) != "required" || deref(m.InstanceMetadataTags) != "enabled" {
		t.Error("the launch template does not require IMDSv2 with instance tags")
	}
	g0 := r.typed.GetAllEC2InstanceResources()["Generator0"]
	if g0 == nil || g0.LaunchTemplate == nil || deref(g0.LaunchTemplate.LaunchTemplateId) != "generatorlaunchtemplate-0123456789" ||
		deref(g0.SubnetId) != "publicsubneta-0123456789" {
		t.Fatal("Generator0 is not launched from the launch template into public subnet A")
	}
	if tagValue(g0.Tags, "ecbench-role") != "monitor" || tagValue(g0.Tags, "ecbench-stack") != sampleStackName {
		t.Errorf("Generator0 tags %v", g0.Tags)
	}
	if cp := g0.AWSCloudFormationCreationPolicy; cp == nil || cp.ResourceSignal == nil || cp.ResourceSignal.Count != 1 {
		t.Error("Generator0 has no CreationPolicy waiting for one signal from its first boot")
	}
	asg := r.typed.GetAllAutoScalingAutoScalingGroupResources()["GeneratorGroup"]
	extra := strconv.Itoa(num(t, r, "GeneratorCount") - 1)
	if asg == nil || asg.MinSize != extra || asg.MaxSize != extra || deref(asg.DesiredCapacity) != extra {
		t.Fatalf("the generator group does not hold exactly %s instances beside Generator0", extra)
	}
	if asg.LaunchTemplate == nil || deref(asg.LaunchTemplate.LaunchTemplateId) != "generatorlaunchtemplate-0123456789" ||
		!slices.Equal(asg.VPCZoneIdentifier, []string{"publicsubneta-0123456789"}) {
		t.Errorf("the generator group does not launch from the launch template into public subnet A (subnets %q)", asg.VPCZoneIdentifier)
	}
	asgTags := map[string]string{}
	for _, tg := range asg.Tags {
		if !tg.PropagateAtLaunch {
			t.Errorf("tag %s is not propagated to the instances", tg.Key)
		}
		asgTags[tg.Key] = tg.Value
	}
	if asgTags["ecbench-role"] != "generator" || asgTags["ecbench-stack"] != sampleStackName {
		t.Errorf("generator group tags %v", asgTags)
	}
}

func checkOutputs(t *testing.T, p map[string]string, r *rendered) {
	prefix := "master."
	if param(r, "ClusterMode") == "enabled" {
		prefix = "clustercfg."
	}
	for _, name := range []string{"RedisEndpoint", "ValkeyEndpoint"} {
		ep := output(t, r, name)
		host, port, ok := strings.Cut(ep, ":")
		if !ok || !strings.HasPrefix(host, prefix) || port != param(r, "CachePort") {
			t.Errorf("%s = %q, want %s…:%s", name, ep, prefix, param(r, "CachePort"))
		}
	}
	for name, port := range map[string]string{"GrafanaURL": "3000", "MetricsURL": "9478"} {
		u, err := url.Parse(output(t, r, name))
		if err != nil || u.Scheme != "http" || u.Port() != port || u.Hostname() == "" {
			t.Errorf("%s = %v (%v)", name, u, err)
		}
	}
	if ssh := output(t, r, "SSHCommand"); !strings.HasPrefix(ssh, "ssh -i ~/.ssh/"+p["KeyName"]+".pem ec2-user@ec2-") {
		t.Errorf("SSHCommand = %q", ssh)
	}
}
