package failover

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecbench/ecbench/loadgen/scenario"
)

// API is the part of the ElastiCache client the action uses;
// *elasticache.Client implements it.
type API interface {
	TestFailover(ctx context.Context, in *elasticache.TestFailoverInput, optFns ...func(*elasticache.Options)) (*elasticache.TestFailoverOutput, error)
	DescribeReplicationGroups(ctx context.Context, in *elasticache.DescribeReplicationGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeReplicationGroupsOutput, error)
}

var _ API = (*elasticache.Client)(nil)

// Defaults for the zero Options fields.
const (
	DefaultName         = "failover"
	DefaultNodeGroup    = "0001" // the only node group of a cluster-mode-disabled group
	DefaultPollInterval = 5 * time.Second
	DefaultTimeout      = 15 * time.Minute
)

// Options configures the action.
type Options struct {
	// Enabled must be true for Run to call AWS at all; see the package doc.
	Enabled bool
	// ReplicationGroup is the replication group's id; required when Enabled.
	ReplicationGroup string
	// NodeGroup is the node group (shard) to fail over; "" is
	// DefaultNodeGroup.
	NodeGroup string
	// PollInterval is how often DescribeReplicationGroups is polled for
	// completion, and so the resolution of the completed time; 0 is
	// DefaultPollInterval.
	PollInterval time.Duration
	// Timeout bounds the whole action, from the first call to completion;
	// 0 is DefaultTimeout.
	Timeout time.Duration
	// Name is the action's label value; "" is DefaultName.
	Name string
}

// Action fails over one node group; it implements scenario.Action. Create it
// with New.
type Action struct {
	api API
	o   Options
}

var _ scenario.Action = (*Action)(nil)

// New returns the failover action for o, with o's zero fields defaulted. api
// may be nil when o is not Enabled.
func New(api API, o Options) (*Action, error) {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.NodeGroup == "" {
		o.NodeGroup = DefaultNodeGroup
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Enabled {
		switch {
		case api == nil:
			return nil, ErrNoClient
		case o.ReplicationGroup == "":
			return nil, ErrNoReplicationGroup
		}
	}
	return &Action{api: api, o: o}, nil
}

// Name implements scenario.Action.
func (a *Action) Name() string { return a.o.Name }

// Options returns the action's options, defaults filled in.
func (a *Action) Options() Options { return a.o }

// Run implements scenario.Action: it reads the node group's primary, calls
// TestFailover, reports the request, and polls DescribeReplicationGroups
// every PollInterval until the failover has completed (see the package doc),
// Timeout passes or ctx is done. A failed Describe while polling is retried
// at the next poll (the API can throttle, the network can blink); its error
// is in the timeout's. Errors wrap this package's sentinels and the SDK's
// typed errors, and a timeout also wraps context.DeadlineExceeded.
func (a *Action) Run(ctx context.Context, requested func(time.Time)) (scenario.ActionResult, error) {
	var res scenario.ActionResult
	if !a.o.Enabled {
		return res, ErrDisabled
	}
	ctx, cancel := context.WithTimeout(ctx, a.o.Timeout)
	defer cancel()
	rg, ng := a.o.ReplicationGroup, a.o.NodeGroup

	before, err := a.describe(ctx)
	if err != nil {
		return res, err
	}
	if !before.listed {
		return res, fmt.Errorf("%w: %q in replication group %q (node groups: %s)", ErrNodeGroupNotFound, ng, rg, strings.Join(before.nodeGroups, ", "))
	}

	sent := time.Now()
	if _, err := a.api.TestFailover(ctx, &elasticache.TestFailoverInput{ReplicationGroupId: aws.String(rg), NodeGroupId: aws.String(ng)}); err != nil {
		return res, a.apiError("TestFailover", err)
	}
	res.Requested = sent
	if requested != nil {
		requested(sent)
	}

	ticker := time.NewTicker(a.o.PollInterval)
	defer ticker.Stop()
	last, busy := before, false
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return res, a.unfinished(ctx, last, lastErr)
		case <-ticker.C:
		}
		now, err := a.describe(ctx)
		switch {
		case ctx.Err() != nil:
			return res, a.unfinished(ctx, last, lastErr)
		case errors.Is(err, ErrReplicationGroupNotFound):
			return res, err // deleted under our feet: no point in waiting
		case err != nil:
			lastErr = err
			continue
		}
		last, lastErr = now, nil
		busy = busy || !now.available()
		if now.completes(before, busy) {
			res.Completed = time.Now()
			return res, nil
		}
	}
}

// state is what one DescribeReplicationGroups says about the node group.
type state struct {
	status     string   // the replication group's
	listed     bool     // the node group is in the answer
	ngStatus   string   // the node group's
	primary    string   // the CacheClusterId whose CurrentRole is primary; "" if roles are not shown
	nodeGroups []string // every node group listed
}

func (s state) available() bool {
	return s.status == "available" && (!s.listed || s.ngStatus == "" || s.ngStatus == "available")
}

// completes reports whether s, seen after the failover was requested, shows
// it complete: available with another primary, or, where the roles are not
// shown, available again after it was seen busy.
func (s state) completes(before state, busy bool) bool {
	if !s.available() {
		return false
	}
	if before.primary != "" {
		return s.primary != "" && s.primary != before.primary
	}
	return busy
}

func (s state) String() string {
	primary := s.primary
	if primary == "" {
		primary = "not shown"
	}
	return fmt.Sprintf("group %s, node group %s, primary %s", orNone(s.status), orNone(s.ngStatus), primary)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (a *Action) describe(ctx context.Context) (state, error) {
	rg := a.o.ReplicationGroup
	out, err := a.api.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(rg)})
	if err != nil {
		return state{}, a.apiError("DescribeReplicationGroups", err)
	}
	i := slices.IndexFunc(out.ReplicationGroups, func(g types.ReplicationGroup) bool { return aws.ToString(g.ReplicationGroupId) == rg })
	if i < 0 {
		return state{}, fmt.Errorf("%w: %q: DescribeReplicationGroups answered without it", ErrReplicationGroupNotFound, rg)
	}
	g := &out.ReplicationGroups[i]
	s := state{status: aws.ToString(g.Status)}
	for _, n := range g.NodeGroups {
		id := aws.ToString(n.NodeGroupId)
		s.nodeGroups = append(s.nodeGroups, id)
		if id != a.o.NodeGroup {
			continue
		}
		s.listed, s.ngStatus = true, aws.ToString(n.Status)
		for _, m := range n.NodeGroupMembers {
			if aws.ToString(m.CurrentRole) == "primary" {
				s.primary = aws.ToString(m.CacheClusterId)
			}
		}
	}
	return s, nil
}

// unfinished is the error of a failover given up on: ctx's error (canceled,
// or the deadline of Timeout) with what was seen last.
func (a *Action) unfinished(ctx context.Context, last state, lastErr error) error {
	rg, ng := a.o.ReplicationGroup, a.o.NodeGroup
	seen := last.String()
	if lastErr != nil {
		seen += "; last poll failed: " + lastErr.Error()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %s node group %s after %v (last seen: %s): %w", ErrTimeout, rg, ng, a.o.Timeout, seen, context.DeadlineExceeded)
	}
	return fmt.Errorf("failover: %s node group %s: gave up waiting for completion (last seen: %s): %w", rg, ng, seen, ctx.Err())
}
