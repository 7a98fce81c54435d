package cloudwatch

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// DescribeAPI is the part of the ElastiCache client that node discovery
// uses; *elasticache.Client implements it.
type DescribeAPI interface {
	elasticache.DescribeReplicationGroupsAPIClient
	elasticache.DescribeCacheClustersAPIClient
}

var _ DescribeAPI = (*elasticache.Client)(nil)

// API names: the values of the api label.
const (
	apiGetMetricData             = "GetMetricData"
	apiDescribeReplicationGroups = "DescribeReplicationGroups"
	apiDescribeCacheClusters     = "DescribeCacheClusters"
)

// soleNode is the node id of every Valkey and Redis OSS cache cluster: each
// member cluster of a replication group holds exactly one node.
const soleNode = "0001"

// discoverDue refreshes the node list of every source whose discovery is
// due. A failed discovery keeps the previous list, fails the target's
// round and is retried next round.
func (p *Poller) discoverDue(ctx context.Context, now time.Time) {
	for _, s := range p.sources {
		if !s.discovered() || now.Before(s.nextDiscovery) {
			continue
		}
		nodes, engine, api, err := p.describe(ctx, s)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			reason := classify(err)
			p.errors.WithLabelValues(api, reason).Inc()
			p.failed[s.Target] = true
			s.nextDiscovery = time.Time{}
			p.o.Log.Warn("cloudwatch: node discovery failed, keeping the previous node list",
				"target", s.Target, "api", api, "reason", reason, "nodes", len(s.nodes), "error", err)
			continue
		}
		s.nextDiscovery = now.Add(p.o.DiscoveryInterval)
		nodes = sortNodes(nodes)
		p.mu.Lock()
		p.engines[s.Target] = engine
		p.mu.Unlock()
		if slices.Equal(nodes, s.nodes) {
			continue
		}
		added, removed := diff(nodes, s.nodes), diff(s.nodes, nodes)
		p.o.Log.Info("cloudwatch: node list changed",
			"target", s.Target, "nodes", nodeIDs(nodes), "added", nodeIDs(added), "removed", nodeIDs(removed))
		p.forget(s.Target, removed)
		s.nodes = nodes
		p.stale = true
	}
}

// describe asks ElastiCache for the nodes of s. api names the call that
// failed.
func (p *Poller) describe(ctx context.Context, s *source) (nodes []Node, engine, api string, err error) {
	if s.ReplicationGroup != "" {
		nodes, engine, err = p.describeReplicationGroup(ctx, s.ReplicationGroup)
		return nodes, engine, apiDescribeReplicationGroups, err
	}
	for _, id := range s.CacheClusters {
		ns, e, err := p.describeCacheCluster(ctx, id)
		if err != nil {
			return nil, "", apiDescribeCacheClusters, err
		}
		nodes = append(nodes, ns...)
		engine = cmp.Or(engine, e)
	}
	return nodes, engine, apiDescribeCacheClusters, nil
}

// describeReplicationGroup returns the member nodes of a replication group:
// the node group members (cluster mode disabled and enabled), and any
// member cluster not listed there with its sole node.
func (p *Poller) describeReplicationGroup(ctx context.Context, id string) ([]Node, string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	p.requests.WithLabelValues(apiDescribeReplicationGroups).Inc()
	out, err := p.o.ElastiCache.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{
		ReplicationGroupId: aws.String(id),
	})
	if err != nil {
		return nil, "", err
	}
	for _, rg := range out.ReplicationGroups {
		if aws.ToString(rg.ReplicationGroupId) != id {
			continue
		}
		var nodes []Node
		listed := map[string]bool{}
		for _, ng := range rg.NodeGroups {
			for _, m := range ng.NodeGroupMembers {
				cc := aws.ToString(m.CacheClusterId)
				if cc == "" {
					continue
				}
				nodes = append(nodes, Node{CacheCluster: cc, Node: cmp.Or(aws.ToString(m.CacheNodeId), soleNode)})
				listed[cc] = true
			}
		}
		for _, cc := range rg.MemberClusters {
			if !listed[cc] {
				nodes = append(nodes, Node{CacheCluster: cc, Node: soleNode})
			}
		}
		return nodes, aws.ToString(rg.Engine), nil
	}
	return nil, "", fmt.Errorf("replication group %q: %w", id, errNotFound)
}

// describeCacheCluster returns the nodes of a cache cluster.
func (p *Poller) describeCacheCluster(ctx context.Context, id string) ([]Node, string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	p.requests.WithLabelValues(apiDescribeCacheClusters).Inc()
	out, err := p.o.ElastiCache.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{
		CacheClusterId:    aws.String(id),
		ShowCacheNodeInfo: aws.Bool(true),
	})
	if err != nil {
		return nil, "", err
	}
	for _, cc := range out.CacheClusters {
		if aws.ToString(cc.CacheClusterId) != id {
			continue
		}
		var nodes []Node
		for _, n := range cc.CacheNodes {
			if nid := aws.ToString(n.CacheNodeId); nid != "" {
				nodes = append(nodes, Node{CacheCluster: id, Node: nid})
			}
		}
		return nodes, aws.ToString(cc.Engine), nil
	}
	return nil, "", fmt.Errorf("cache cluster %q: %w", id, errNotFound)
}

// forget drops the series of the given nodes of a target.
func (p *Poller) forget(target string, nodes []Node) {
	if len(nodes) == 0 {
		return
	}
	gone := map[Node]bool{}
	for _, n := range nodes {
		gone[n] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.values {
		if k.target == target && gone[Node{CacheCluster: k.cluster, Node: k.node}] {
			delete(p.values, k)
		}
	}
}

// diff returns the nodes of a that are not in b; both are sorted.
func diff(a, b []Node) []Node {
	var d []Node
	for _, n := range a {
		if _, found := slices.BinarySearchFunc(b, n, compareNodes); !found {
			d = append(d, n)
		}
	}
	return d
}

func nodeIDs(ns []Node) []string {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.CacheCluster + "/" + n.Node
	}
	return ids
}
