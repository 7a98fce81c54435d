package awsfake

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// twoShards is a cluster-mode-enabled group of two shards, a primary and a
// replica each.
func twoShards() ReplicationGroup {
	return ReplicationGroup{ID: "rg", Engine: "valkey", NodeGroups: []NodeGroup{
		{ID: "0001", Members: []Member{{"rg-0001-001", "0001"}, {"rg-0001-002", "0001"}}},
		{ID: "0002", Members: []Member{{"rg-0002-001", "0001"}, {"rg-0002-002", "0001"}}, Primary: 1},
	}}
}

// roles returns "cluster:role" for every member the SDK decoded.
func roles(rg *ectypes.ReplicationGroup) []string {
	var out []string
	for _, ng := range rg.NodeGroups {
		for _, m := range ng.NodeGroupMembers {
			out = append(out, aws.ToString(ng.NodeGroupId)+"/"+aws.ToString(m.CacheClusterId)+":"+aws.ToString(m.CurrentRole))
		}
	}
	return out
}

// TestTestFailover calls TestFailover through the real SDK client: the
// answer decodes into the group as it was, the call is recorded, the hook
// runs, and a later DescribeReplicationGroups shows the replica promoted.
func TestTestFailover(t *testing.T) {
	t.Parallel()
	fake := New(t)
	fake.SetReplicationGroup(twoShards())
	var mu sync.Mutex
	var hooked []string
	fake.OnTestFailover(func(rg, ng string) {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, rg+"/"+ng)
	})
	_, ec := fake.Clients(t)
	ctx := t.Context()

	out, err := ec.TestFailover(ctx, &elasticache.TestFailoverInput{ReplicationGroupId: aws.String("rg"), NodeGroupId: aws.String("0002")})
	if err != nil {
		t.Fatal(err)
	}
	rg := out.ReplicationGroup
	if rg == nil || aws.ToString(rg.ReplicationGroupId) != "rg" || aws.ToString(rg.Status) != "available" ||
		aws.ToString(rg.Engine) != "valkey" || rg.AutomaticFailover != ectypes.AutomaticFailoverStatusEnabled {
		t.Fatalf("TestFailover answered %+v", rg)
	}
	if want := []string{"rg-0001-001", "rg-0001-002", "rg-0002-001", "rg-0002-002"}; !slices.Equal(rg.MemberClusters, want) {
		t.Errorf("MemberClusters %v, want %v", rg.MemberClusters, want)
	}
	before := []string{"0001/rg-0001-001:primary", "0001/rg-0001-002:replica", "0002/rg-0002-001:replica", "0002/rg-0002-002:primary"}
	if got := roles(rg); !slices.Equal(got, before) {
		t.Errorf("TestFailover answered roles %v, want the roles before the failover %v", got, before)
	}

	var forms []string
	for _, f := range fake.ElastiCacheCalls("TestFailover") {
		forms = append(forms, f.Encode())
	}
	if want := []string{"Action=TestFailover&NodeGroupId=0002&ReplicationGroupId=rg&Version=2015-02-02"}; !slices.Equal(forms, want) {
		t.Errorf("recorded %q, want %q", forms, want)
	}
	mu.Lock()
	if want := []string{"rg/0002"}; !slices.Equal(hooked, want) {
		t.Errorf("hook saw %v, want %v", hooked, want)
	}
	mu.Unlock()

	desc, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("rg")})
	if err != nil {
		t.Fatal(err)
	}
	after := []string{"0001/rg-0001-001:primary", "0001/rg-0001-002:replica", "0002/rg-0002-001:primary", "0002/rg-0002-002:replica"}
	if len(desc.ReplicationGroups) != 1 || !slices.Equal(roles(&desc.ReplicationGroups[0]), after) {
		t.Errorf("Describe after the failover: %v, want %v", desc.ReplicationGroups, after)
	}
	if g, _ := fake.ReplicationGroup("rg"); g.NodeGroups[1].Primary != 0 {
		t.Errorf("ReplicationGroup(rg) has primary %d in node group 0002, want 0", g.NodeGroups[1].Primary)
	}
}

// TestTestFailoverErrors decodes each failure into the SDK's typed error.
func TestTestFailoverErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		rg, ng   string
		inject   *Error
		wantCode string
		wantType any
	}{
		{"unknown group", "nope", "0001", nil, "ReplicationGroupNotFoundFault", &ectypes.ReplicationGroupNotFoundFault{}},
		{"unknown node group", "rg", "0009", nil, "NodeGroupNotFoundFault", &ectypes.NodeGroupNotFoundFault{}},
		{"no replica", "single", "0001", nil, "InvalidReplicationGroupState", &ectypes.InvalidReplicationGroupStateFault{}},
		{"injected", "rg", "0001", &Error{Status: 400, Code: "TestFailoverNotAvailableFault"}, "TestFailoverNotAvailableFault", &ectypes.TestFailoverNotAvailableFault{}},
		{"injected throttling", "rg", "0001", &Error{Status: 400, Code: "Throttling"}, "Throttling", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fake := New(t)
			fake.SetReplicationGroup(twoShards())
			fake.SetReplicationGroup(ReplicationGroup{ID: "single", NodeGroups: []NodeGroup{{ID: "0001", Members: []Member{{"single-001", "0001"}}}}})
			fake.FailElastiCache(func(action string) *Error {
				if action != "TestFailover" {
					t.Errorf("action %q", action)
				}
				return c.inject
			})
			fake.OnTestFailover(func(string, string) { t.Error("the hook ran for a failed TestFailover") })
			_, ec := fake.Clients(t)
			_, err := ec.TestFailover(t.Context(), &elasticache.TestFailoverInput{ReplicationGroupId: aws.String(c.rg), NodeGroupId: aws.String(c.ng)})
			var api interface{ ErrorCode() string }
			if !errors.As(err, &api) || api.ErrorCode() != c.wantCode {
				t.Fatalf("err %v, want code %s", err, c.wantCode)
			}
			switch want := c.wantType.(type) {
			case *ectypes.ReplicationGroupNotFoundFault:
				mustAs(t, err, &want)
			case *ectypes.NodeGroupNotFoundFault:
				mustAs(t, err, &want)
			case *ectypes.InvalidReplicationGroupStateFault:
				mustAs(t, err, &want)
			case *ectypes.TestFailoverNotAvailableFault:
				mustAs(t, err, &want)
			}
			if n := len(fake.ElastiCacheCalls("TestFailover")); n != 1 {
				t.Errorf("%d TestFailover calls recorded, want 1", n)
			}
			if g, _ := fake.ReplicationGroup("rg"); g.NodeGroups[0].Primary != 0 {
				t.Error("a failed TestFailover promoted a replica")
			}
		})
	}
}

func mustAs[T error](t *testing.T, err error, target *T) {
	t.Helper()
	if !errors.As(err, target) {
		t.Errorf("err %T %v, want %T", err, err, *target)
	}
}

// TestSetValue answers GetMetricData from SetValue's table through the real
// SDK client: the value two periods before the window's end, for node and
// serverless dimensions, and nothing for the rest.
func TestSetValue(t *testing.T) {
	t.Parallel()
	fake := New(t)
	fake.SetValue("rg-001", "EngineCPUUtilization", "Average", 12.5)
	fake.SetValue("sls", "ElastiCacheProcessingUnits", "Maximum", 2500)
	cw, _ := fake.Clients(t)
	end := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	out, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(end.Add(-10 * time.Minute)), EndTime: aws.Time(end),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			query("a", "EngineCPUUtilization", "Average", "CacheClusterId", "rg-001", "CacheNodeId", "0001"),
			query("b", "EngineCPUUtilization", "Maximum", "CacheClusterId", "rg-001", "CacheNodeId", "0001"),
			query("c", "ElastiCacheProcessingUnits", "Maximum", "clusterId", "sls"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.MetricDataResults {
		var b strings.Builder
		for i := range r.Values {
			b.WriteString(r.Timestamps[i].UTC().Format("15:04") + "=" + strconvF(r.Values[i]))
		}
		got[aws.ToString(r.Id)] = string(r.StatusCode) + " " + b.String()
	}
	want := map[string]string{"a": "Complete 11:58=12.5", "b": "Complete ", "c": "Complete 11:58=2500"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("result %s = %q, want %q", k, got[k], v)
		}
	}
	calls := fake.MetricDataCalls()
	if len(calls) != 1 || len(calls[0].Queries) != 3 || calls[0].Queries[2].Dim("clusterId") != "sls" || !calls[0].End.Equal(end) {
		t.Errorf("recorded %+v", calls)
	}
}

func strconvF(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func query(id, metric, stat string, dims ...string) cwtypes.MetricDataQuery {
	var ds []cwtypes.Dimension
	for i := 0; i+1 < len(dims); i += 2 {
		ds = append(ds, cwtypes.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String(metric), Dimensions: ds},
		Period: aws.Int32(60), Stat: aws.String(stat),
	}}
}

// TestEnv loads SDK clients the way a separate ecbench process does
// (config.LoadDefaultConfig, nothing but the environment) with the global
// endpoint variable only, the per-service ones only, and all of Env: every
// way reaches the fake and passes its signature check. Not parallel: it sets
// the environment.
func TestEnv(t *testing.T) {
	fake := New(t)
	fake.SetReplicationGroup(twoShards())
	fake.SetValue("rg-0001-001", "CurrConnections", "Average", 7)
	env := map[string]string{}
	for _, kv := range fake.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, c := range []struct {
		name string
		drop []string
	}{
		{"Env", nil},
		{"AWS_ENDPOINT_URL only", []string{"AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_ELASTICACHE"}},
		{"per-service endpoints only", []string{"AWS_ENDPOINT_URL"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Whatever the environment of the test run says otherwise.
			t.Setenv("AWS_DEFAULT_REGION", "eu-west-3")
			t.Setenv("AWS_ACCESS_KEY", "AKIDWRONG")
			t.Setenv("AWS_SECRET_KEY", "WRONG")
			for k, v := range env {
				t.Setenv(k, v)
			}
			for _, k := range c.drop {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			cfg, err := config.LoadDefaultConfig(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != Region || cfg.RetryMaxAttempts != 1 {
				t.Errorf("region %q, max attempts %d", cfg.Region, cfg.RetryMaxAttempts)
			}
			cw, ec := cloudwatch.NewFromConfig(cfg), elasticache.NewFromConfig(cfg)
			defer closeIdle(cfg.HTTPClient)
			if cwEnd, ecEnd := aws.ToString(cw.Options().BaseEndpoint), aws.ToString(ec.Options().BaseEndpoint); cwEnd != fake.URL() || ecEnd != fake.URL() {
				t.Errorf("BaseEndpoints %q, %q, want %q", cwEnd, ecEnd, fake.URL())
			}
			before := fake.Requests()
			if _, err := ec.DescribeReplicationGroups(t.Context(), &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("rg")}); err != nil {
				t.Fatalf("DescribeReplicationGroups: %v", err)
			}
			end := time.Now().Truncate(time.Minute)
			out, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(end.Add(-10 * time.Minute)), EndTime: aws.Time(end),
				MetricDataQueries: []cwtypes.MetricDataQuery{query("q0", "CurrConnections", "Average", "CacheClusterId", "rg-0001-001", "CacheNodeId", "0001")},
			})
			if err != nil {
				t.Fatalf("GetMetricData: %v", err)
			}
			if len(out.MetricDataResults) != 1 || !slices.Equal(out.MetricDataResults[0].Values, []float64{7}) {
				t.Errorf("GetMetricData answered %+v", out.MetricDataResults)
			}
			if n := fake.Requests() - before; n != 2 {
				t.Errorf("the fake received %d requests, want 2", n)
			}
		})
	}
}

func closeIdle(c aws.HTTPClient) {
	if ci, ok := c.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// TestVerifySigV4 accepts what the SDK's signer makes with the fake's
// credentials and rejects a wrong secret, key, region, service or body.
func TestVerifySigV4(t *testing.T) {
	t.Parallel()
	body := []byte("Action=DescribeReplicationGroups&Version=2015-02-02")
	now := time.Now().UTC()
	sign := func(akid, secret, service, region string, signed []byte) *http.Request {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1234/", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.ContentLength = int64(len(signed))
		h := sha256Hex(signed)
		creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, h, service, region, now); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err := verifySigV4(sign(AccessKeyID, SecretAccessKey, "elasticache", Region, body), body, "elasticache"); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	for name, r := range map[string]*http.Request{
		"secret":  sign(AccessKeyID, "WRONG", "elasticache", Region, body),
		"key":     sign("AKIDWRONG", SecretAccessKey, "elasticache", Region, body),
		"region":  sign(AccessKeyID, SecretAccessKey, "elasticache", "eu-west-1", body),
		"service": sign(AccessKeyID, SecretAccessKey, "monitoring", Region, body),
		"body":    sign(AccessKeyID, SecretAccessKey, "elasticache", Region, []byte("Action=TestFailover")),
	} {
		if err := verifySigV4(r, body, "elasticache"); err == nil {
			t.Errorf("wrong %s: accepted", name)
		}
	}
	unsigned, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1234/", nil)
	if err := verifySigV4(unsigned, body, "elasticache"); err == nil {
		t.Error("an unsigned request: accepted")
	}
}
