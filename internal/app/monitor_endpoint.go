package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// ErrClusterNotFound is returned by FindEndpoint when the id names neither a
// replication group nor a cache cluster in the region.
var ErrClusterNotFound = errors.New("no replication group or cache cluster with this id")

// Endpoint is where an ElastiCache cluster takes commands, as the
// ElastiCache API describes it.
type Endpoint struct {
	Host string
	Port int
	// Cluster is true for a cluster-mode enabled replication group: Host is
	// its configuration endpoint, to be used with the cluster protocol.
	Cluster bool
	TLS     bool   // in-transit encryption is on
	Auth    bool   // an AUTH token is required
	Engine  string // "redis" or "valkey", as ElastiCache reports it; may be empty
	// ReplicationGroup or CacheCluster is what CloudWatch polls: the group
	// the id named (or the group of the cache cluster it named), else the
	// standalone cache cluster.
	ReplicationGroup string
	CacheCluster     string
}

// Addr is Host:Port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// FindEndpoint asks ElastiCache where the cluster id takes commands: for a
// replication group, its primary endpoint (cluster mode disabled) or its
// configuration endpoint (enabled), which follow failovers and in-place
// engine upgrades; for a cache cluster that belongs to a replication group,
// that group's; for a standalone cache cluster, its node's endpoint.
func FindEndpoint(ctx context.Context, ec cloudwatch.DescribeAPI, id string) (Endpoint, error) {
	if id == "" {
		return Endpoint{}, errors.New("cluster id: must not be empty")
	}
	e, err := describeGroupEndpoint(ctx, ec, id)
	if !errors.Is(err, ErrClusterNotFound) {
		return e, err
	}
	out, err := ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{
		CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(true),
	})
	var nf *types.CacheClusterNotFoundFault
	switch {
	case errors.As(err, &nf):
		return Endpoint{}, fmt.Errorf("%q: %w", id, ErrClusterNotFound)
	case err != nil:
		return Endpoint{}, fmt.Errorf("describe cache cluster %q: %w", id, err)
	}
	for _, cc := range out.CacheClusters {
		if aws.ToString(cc.CacheClusterId) != id {
			continue
		}
		if rg := aws.ToString(cc.ReplicationGroupId); rg != "" {
			// A member of a group: its own node may be a replica, or become
			// one at the next failover; the group's endpoint follows the
			// primary.
			return describeGroupEndpoint(ctx, ec, rg)
		}
		for _, n := range cc.CacheNodes {
			if ep := n.Endpoint; ep != nil && aws.ToString(ep.Address) != "" {
				return Endpoint{
					Host: aws.ToString(ep.Address), Port: int(aws.ToInt32(ep.Port)),
					TLS: aws.ToBool(cc.TransitEncryptionEnabled), Auth: aws.ToBool(cc.AuthTokenEnabled),
					Engine: aws.ToString(cc.Engine), CacheCluster: id,
				}, nil
			}
		}
		return Endpoint{}, fmt.Errorf("cache cluster %q has no node endpoint yet (status %q)", id, aws.ToString(cc.CacheClusterStatus))
	}
	return Endpoint{}, fmt.Errorf("%q: %w", id, ErrClusterNotFound)
}

// describeGroupEndpoint is FindEndpoint for a replication group; the error
// wraps ErrClusterNotFound when there is no such group.
func describeGroupEndpoint(ctx context.Context, ec cloudwatch.DescribeAPI, id string) (Endpoint, error) {
	out, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	var nf *types.ReplicationGroupNotFoundFault
	switch {
	case errors.As(err, &nf):
		return Endpoint{}, fmt.Errorf("%q: %w", id, ErrClusterNotFound)
	case err != nil:
		return Endpoint{}, fmt.Errorf("describe replication group %q: %w", id, err)
	}
	for _, rg := range out.ReplicationGroups {
		if aws.ToString(rg.ReplicationGroupId) != id {
			continue
		}
		e := Endpoint{
			TLS: aws.ToBool(rg.TransitEncryptionEnabled), Auth: aws.ToBool(rg.AuthTokenEnabled),
			Engine: aws.ToString(rg.Engine), ReplicationGroup: id,
		}
		ep := rg.ConfigurationEndpoint
		if ep != nil && aws.ToString(ep.Address) != "" {
			e.Cluster = true
		} else if len(rg.NodeGroups) > 0 {
			ep = rg.NodeGroups[0].PrimaryEndpoint
		}
		if ep == nil || aws.ToString(ep.Address) == "" {
			return Endpoint{}, fmt.Errorf("replication group %q has no primary or configuration endpoint yet (status %q)", id, aws.ToString(rg.Status))
		}
		e.Host, e.Port = aws.ToString(ep.Address), int(aws.ToInt32(ep.Port))
		return e, nil
	}
	return Endpoint{}, fmt.Errorf("%q: %w", id, ErrClusterNotFound)
}
