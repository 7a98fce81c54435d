package failover_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecbench/ecbench/failover"
	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/loadgen/scenario"
)

// groups sets up "rg", a group of two node groups with a primary and a
// replica each, and "single", a group without a replica.
func groups(fake *awsfake.Server) {
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg", Engine: "valkey", NodeGroups: []awsfake.NodeGroup{
		{ID: "0001", Members: []awsfake.Member{{CacheCluster: "rg-0001-001", Node: "0001"}, {CacheCluster: "rg-0001-002", Node: "0001"}}},
		{ID: "0002", Members: []awsfake.Member{{CacheCluster: "rg-0002-001", Node: "0001"}, {CacheCluster: "rg-0002-002", Node: "0001"}}, Primary: 1},
	}})
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "single", NodeGroups: []awsfake.NodeGroup{
		{ID: "0001", Members: []awsfake.Member{{CacheCluster: "single-001", Node: "0001"}}},
	}})
}

// member is a node group member in describeXML; role "" leaves CurrentRole
// out, as AWS does for cluster-mode-enabled groups.
type member struct{ cluster, role string }

// describeXML is a DescribeReplicationGroups answer for group id, in the AWS
// Query protocol, with one node group 0001.
func describeXML(id, status, ngStatus string, members ...member) []byte {
	var ms strings.Builder
	for _, m := range members {
		role := ""
		if m.role != "" {
			role = "<CurrentRole>" + m.role + "</CurrentRole>"
		}
		fmt.Fprintf(&ms, "<NodeGroupMember><CacheClusterId>%s</CacheClusterId><CacheNodeId>0001</CacheNodeId>%s</NodeGroupMember>", m.cluster, role)
	}
	return fmt.Appendf(nil, `<DescribeReplicationGroupsResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">
  <DescribeReplicationGroupsResult>
    <ReplicationGroups>
      <ReplicationGroup>
        <ReplicationGroupId>%s</ReplicationGroupId>
        <Status>%s</Status>
        <NodeGroups><NodeGroup><NodeGroupId>0001</NodeGroupId><Status>%s</Status><NodeGroupMembers>%s</NodeGroupMembers></NodeGroup></NodeGroups>
        <AutomaticFailover>enabled</AutomaticFailover>
      </ReplicationGroup>
    </ReplicationGroups>
  </DescribeReplicationGroupsResult>
  <ResponseMetadata><RequestId>5b1e2c3d-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</DescribeReplicationGroupsResponse>
`, id, status, ngStatus, ms.String())
}

// actions returns the Action of every ElastiCache call so far, in order.
func actions(fake *awsfake.Server) []string {
	var out []string
	for _, f := range fake.ElastiCacheCalls("") {
		out = append(out, f.Get("Action"))
	}
	return out
}

// requests counts the requested callbacks and keeps the last time.
type requests struct {
	mu    sync.Mutex
	times []time.Time
}

func (r *requests) report(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times = append(r.times, at)
}

func (r *requests) get() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.times)
}

func newAction(t *testing.T, fake *awsfake.Server, o failover.Options) *failover.Action {
	t.Helper()
	_, ec := fake.Clients(t)
	o.Enabled = true
	if o.PollInterval == 0 {
		o.PollInterval = 10 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	a, err := failover.New(ec, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRun fails over node group 0002 through the real SDK client: the
// primary is read, TestFailover is called with the right ids, the request is
// reported, and completion is the first Describe showing the replica
// promoted.
func TestRun(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	groups(fake)
	a := newAction(t, fake, failover.Options{ReplicationGroup: "rg", NodeGroup: "0002"})
	if a.Name() != "failover" {
		t.Errorf("Name() = %q", a.Name())
	}
	var reqs requests
	res, err := a.Run(t.Context(), reqs.report)
	if err != nil {
		t.Fatal(err)
	}
	if got := reqs.get(); len(got) != 1 || !got[0].Equal(res.Requested) {
		t.Errorf("requested reported %v, want once at %v", got, res.Requested)
	}
	if res.Requested.IsZero() || res.Completed.Before(res.Requested) {
		t.Errorf("requested %v, completed %v", res.Requested, res.Completed)
	}
	var forms []string
	for _, f := range fake.ElastiCacheCalls("TestFailover") {
		forms = append(forms, f.Encode())
	}
	if want := []string{"Action=TestFailover&NodeGroupId=0002&ReplicationGroupId=rg&Version=2015-02-02"}; !slices.Equal(forms, want) {
		t.Errorf("TestFailover calls %q, want %q", forms, want)
	}
	if got, want := actions(fake), []string{"DescribeReplicationGroups", "TestFailover", "DescribeReplicationGroups"}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	if g, _ := fake.ReplicationGroup("rg"); g.NodeGroups[1].Primary != 0 || g.NodeGroups[0].Primary != 0 {
		t.Errorf("after the failover: %+v", g.NodeGroups)
	}
}

// TestRunWaitsForNewPrimary: completion is not the TestFailover answer, nor
// the group still "available" before AWS starts, nor "modifying", but the
// first Describe showing the group available with another primary.
func TestRunWaitsForNewPrimary(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	groups(fake) // TestFailover needs the group; Describe answers the XML
	old := []member{{"rg-0001-001", "primary"}, {"rg-0001-002", "replica"}}
	fake.SetReplicationGroupXML("rg", describeXML("rg", "available", "available", old...))
	var swapped atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait()
	fake.OnTestFailover(func(string, string) {
		wg.Go(func() {
			time.Sleep(50 * time.Millisecond)
			fake.SetReplicationGroupXML("rg", describeXML("rg", "modifying", "modifying", old...))
			time.Sleep(50 * time.Millisecond)
			fake.SetReplicationGroupXML("rg", describeXML("rg", "modifying", "modifying", member{"rg-0001-001", "replica"}, member{"rg-0001-002", "primary"}))
			time.Sleep(50 * time.Millisecond)
			swapped.Store(time.Now().UnixNano())
			fake.SetReplicationGroupXML("rg", describeXML("rg", "available", "available", member{"rg-0001-001", "replica"}, member{"rg-0001-002", "primary"}))
		})
	})
	a := newAction(t, fake, failover.Options{ReplicationGroup: "rg"})
	res, err := a.Run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(0, swapped.Load())
	if swapped.Load() == 0 || res.Completed.Before(at) {
		t.Fatalf("completed at %v, before the new primary was available at %v", res.Completed, at)
	}
	if late := res.Completed.Sub(at); late > time.Second {
		t.Errorf("completed %v after the swap; polling every 10ms", late)
	}
	if n := len(fake.ElastiCacheCalls("DescribeReplicationGroups")); n < 5 {
		t.Errorf("%d Describe calls: did not poll through the failover", n)
	}
}

// TestRunClusterModeEnabled: without roles in the answer, completion is the
// group available again after it was seen busy; if it is never seen busy,
// the action times out.
func TestRunClusterModeEnabled(t *testing.T) {
	t.Parallel()
	noRoles := []member{{"rg-0001-001", ""}, {"rg-0001-002", ""}}
	t.Run("busy then available", func(t *testing.T) {
		t.Parallel()
		fake := awsfake.New(t)
		groups(fake)
		fake.SetReplicationGroupXML("rg", describeXML("rg", "available", "available", noRoles...))
		var back atomic.Int64
		var wg sync.WaitGroup
		defer wg.Wait()
		fake.OnTestFailover(func(string, string) {
			// The node group is busy while the group still says available.
			fake.SetReplicationGroupXML("rg", describeXML("rg", "available", "modifying", noRoles...))
			wg.Go(func() {
				time.Sleep(100 * time.Millisecond)
				back.Store(time.Now().UnixNano())
				fake.SetReplicationGroupXML("rg", describeXML("rg", "available", "available", noRoles...))
			})
		})
		res, err := newAction(t, fake, failover.Options{ReplicationGroup: "rg"}).Run(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Completed.Before(time.Unix(0, back.Load())) {
			t.Errorf("completed at %v, before the node group was available again", res.Completed)
		}
	})
	t.Run("never seen busy", func(t *testing.T) {
		t.Parallel()
		fake := awsfake.New(t)
		groups(fake)
		fake.SetReplicationGroupXML("rg", describeXML("rg", "available", "available", noRoles...))
		res, err := newAction(t, fake, failover.Options{ReplicationGroup: "rg", Timeout: 150 * time.Millisecond}).Run(t.Context(), nil)
		if !errors.Is(err, failover.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || scenario.ResultOf(err) != "timeout" {
			t.Fatalf("err %v, want a timeout", err)
		}
		want := "failover: not complete in time: rg node group 0001 after 150ms (last seen: group available, node group available, primary not shown): context deadline exceeded"
		if err.Error() != want {
			t.Errorf("err\n%v\nwant\n%s", err, want)
		}
		if res.Requested.IsZero() || !res.Completed.IsZero() {
			t.Errorf("result %+v, want requested and not completed", res)
		}
	})
}

// TestRunPollErrors: a Describe that fails while polling is retried.
func TestRunPollErrors(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	groups(fake)
	var describes atomic.Int32
	fake.FailElastiCache(func(action string) *awsfake.Error {
		if action != "DescribeReplicationGroups" {
			return nil
		}
		switch describes.Add(1) {
		case 2:
			return &awsfake.Error{Status: 400, Code: "Throttling", Message: "Rate exceeded"}
		case 3:
			return &awsfake.Error{Hangup: true}
		}
		return nil
	})
	res, err := newAction(t, fake, failover.Options{ReplicationGroup: "rg"}).Run(t.Context(), nil)
	if err != nil || res.Completed.IsZero() {
		t.Fatalf("%+v, %v", res, err)
	}
	if n := describes.Load(); n != 4 {
		t.Errorf("%d Describe calls, want 4 (before, two failed polls, the one that saw completion)", n)
	}
}

// TestRunErrors maps each failure to its sentinel and keeps the SDK's typed
// error; nothing is reported requested unless TestFailover succeeded.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		rg, ng    string
		inject    string // error code for TestFailover
		hook      func(fake *awsfake.Server)
		want      error
		sdk       any
		prefix    string
		requested bool
		calls     []string
	}{
		{
			name: "unknown group", rg: "nope", want: failover.ErrReplicationGroupNotFound, sdk: &types.ReplicationGroupNotFoundFault{},
			prefix: `failover: replication group not found: "nope" (check its id and the AWS region): DescribeReplicationGroups: operation error ElastiCache: DescribeReplicationGroups, https response error StatusCode: 404`,
			calls:  []string{"DescribeReplicationGroups"},
		},
		{
			name: "unknown node group", rg: "rg", ng: "0009", want: failover.ErrNodeGroupNotFound,
			prefix: `failover: node group not found: "0009" in replication group "rg" (node groups: 0001, 0002)`,
			calls:  []string{"DescribeReplicationGroups"},
		},
		{
			name: "no replica", rg: "single", want: failover.ErrInvalidState, sdk: &types.InvalidReplicationGroupStateFault{},
			prefix: `failover: the replication group cannot fail over now: "single" must be available, with automatic failover enabled and a replica in node group 0001, and no other failover under way: TestFailover: operation error`,
		},
		{
			name: "daily limit", rg: "rg", inject: "TestFailoverNotAvailableFault", want: failover.ErrNotAvailable, sdk: &types.TestFailoverNotAvailableFault{},
			prefix: "failover: ElastiCache refused TestFailover for rg node group 0001: AWS allows test failovers of a limited number of node groups per rolling 24 hours",
		},
		{
			name: "node group gone", rg: "rg", inject: "NodeGroupNotFoundFault", want: failover.ErrNodeGroupNotFound, sdk: &types.NodeGroupNotFoundFault{},
			prefix: `failover: node group not found: "0001" in replication group "rg": TestFailover: operation error`,
		},
		{
			name: "cluster state", rg: "rg", inject: "InvalidCacheClusterState", want: failover.ErrInvalidState, sdk: &types.InvalidCacheClusterStateFault{},
			prefix: "failover: the replication group cannot fail over now:",
		},
		{
			name: "api rate", rg: "rg", inject: "APICallRateForCustomerExceeded", want: failover.ErrRateExceeded, sdk: &types.APICallRateForCustomerExceededFault{},
			prefix: "failover: AWS API call rate exceeded: TestFailover: operation error",
		},
		{
			name: "parameter", rg: "rg", inject: "InvalidParameterValue", want: failover.ErrInvalidParameter, sdk: &types.InvalidParameterValueException{},
			prefix: `failover: ElastiCache rejected a parameter: replication group "rg", node group "0001": TestFailover: operation error`,
		},
		{
			name: "throttled", rg: "rg", inject: "Throttling",
			prefix: "failover: TestFailover rg node group 0001: operation error ElastiCache: TestFailover, exceeded maximum number of attempts, 1, https response error StatusCode: 400",
		},
		{
			name: "deleted while polling", rg: "rg", want: failover.ErrReplicationGroupNotFound, sdk: &types.ReplicationGroupNotFoundFault{},
			hook: func(fake *awsfake.Server) {
				fake.OnTestFailover(func(rg, _ string) { fake.RemoveReplicationGroup(rg) })
			},
			prefix:    `failover: replication group not found: "rg"`,
			requested: true, calls: []string{"DescribeReplicationGroups", "TestFailover", "DescribeReplicationGroups"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := awsfake.New(t)
			groups(fake)
			if tc.inject != "" {
				fake.FailElastiCache(func(action string) *awsfake.Error {
					if action == "TestFailover" {
						return &awsfake.Error{Status: 400, Code: tc.inject}
					}
					return nil
				})
			}
			if tc.hook != nil {
				tc.hook(fake)
			}
			var reqs requests
			res, err := newAction(t, fake, failover.Options{ReplicationGroup: tc.rg, NodeGroup: tc.ng}).Run(t.Context(), reqs.report)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
			if tc.sdk != nil && !asType(err, tc.sdk) {
				t.Errorf("err %T %v does not wrap %T", err, err, tc.sdk)
			}
			if !strings.HasPrefix(err.Error(), tc.prefix) {
				t.Errorf("err\n%v\nwant it to begin\n%s", err, tc.prefix)
			}
			if got := scenario.ResultOf(err); got != "error" {
				t.Errorf("result %q, want error", got)
			}
			if got := len(reqs.get()); (got == 1) != tc.requested || got > 1 || res.Requested.IsZero() == tc.requested {
				t.Errorf("requested reported %d times, result %+v", got, res)
			}
			calls := tc.calls
			if calls == nil {
				calls = []string{"DescribeReplicationGroups", "TestFailover"}
			}
			if got := actions(fake); !slices.Equal(got, calls) {
				t.Errorf("calls %v, want %v", got, calls)
			}
		})
	}
}

// asType reports whether err wraps an error of target's type.
func asType(err error, target any) bool {
	switch target.(type) {
	case *types.ReplicationGroupNotFoundFault:
		var e *types.ReplicationGroupNotFoundFault
		return errors.As(err, &e)
	case *types.NodeGroupNotFoundFault:
		var e *types.NodeGroupNotFoundFault
		return errors.As(err, &e)
	case *types.InvalidReplicationGroupStateFault:
		var e *types.InvalidReplicationGroupStateFault
		return errors.As(err, &e)
	case *types.InvalidCacheClusterStateFault:
		var e *types.InvalidCacheClusterStateFault
		return errors.As(err, &e)
	case *types.TestFailoverNotAvailableFault:
		var e *types.TestFailoverNotAvailableFault
		return errors.As(err, &e)
	case *types.APICallRateForCustomerExceededFault:
		var e *types.APICallRateForCustomerExceededFault
		return errors.As(err, &e)
	case *types.InvalidParameterValueException:
		var e *types.InvalidParameterValueException
		return errors.As(err, &e)
	}
	return false
}

// TestRunCanceled gives up promptly when ctx is cancelled mid-failover.
func TestRunCanceled(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	groups(fake)
	old := []member{{"rg-0001-001", "primary"}, {"rg-0001-002", "replica"}}
	fake.SetReplicationGroupXML("rg", describeXML("rg", "modifying", "modifying", old...)) // never completes
	ctx, cancel := context.WithCancel(t.Context())
	fake.OnTestFailover(func(string, string) { time.AfterFunc(50*time.Millisecond, cancel) })
	began := time.Now()
	res, err := newAction(t, fake, failover.Options{ReplicationGroup: "rg"}).Run(ctx, nil)
	if !errors.Is(err, context.Canceled) || scenario.ResultOf(err) != "canceled" {
		t.Fatalf("err %v, want canceled", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("returned %v after the start", took)
	}
	if want := "failover: rg node group 0001: gave up waiting for completion (last seen: group modifying, node group modifying, primary rg-0001-001): context canceled"; err.Error() != want {
		t.Errorf("err\n%v\nwant\n%s", err, want)
	}
	if res.Requested.IsZero() || !res.Completed.IsZero() {
		t.Errorf("result %+v", res)
	}
}

// TestDisabled: without the explicit switch nothing is called and the action
// is reported skipped.
func TestDisabled(t *testing.T) {
	t.Parallel()
	a, err := failover.New(nil, failover.Options{ReplicationGroup: "rg"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Run(t.Context(), func(time.Time) { t.Error("a disabled failover reported a request") })
	if !errors.Is(err, failover.ErrDisabled) || !errors.Is(err, scenario.ErrSkipped) || scenario.ResultOf(err) != "skipped" {
		t.Errorf("err %v, want ErrDisabled (skipped)", err)
	}
	if res != (scenario.ActionResult{}) {
		t.Errorf("result %+v", res)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	_, ec := fake.Clients(t)
	if _, err := failover.New(nil, failover.Options{Enabled: true, ReplicationGroup: "rg"}); !errors.Is(err, failover.ErrNoClient) {
		t.Errorf("no client: %v", err)
	}
	if _, err := failover.New(ec, failover.Options{Enabled: true}); !errors.Is(err, failover.ErrNoReplicationGroup) {
		t.Errorf("no group: %v", err)
	}
	a, err := failover.New(ec, failover.Options{Enabled: true, ReplicationGroup: "rg"})
	if err != nil {
		t.Fatal(err)
	}
	want := failover.Options{Enabled: true, ReplicationGroup: "rg", NodeGroup: "0001", PollInterval: 5 * time.Second, Timeout: 15 * time.Minute, Name: "failover"}
	if got := a.Options(); got != want {
		t.Errorf("options %+v, want %+v", got, want)
	}
	if n := fake.Requests(); n != 0 {
		t.Errorf("New made %d requests", n)
	}
}
