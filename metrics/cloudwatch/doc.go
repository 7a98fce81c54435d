// Package cloudwatch puts ElastiCache's own server-side metrics (CloudWatch
// namespace AWS/ElastiCache) into ecbench's /metrics, beside ecbench's
// client-side measurements of the same target.
//
// # What is polled
//
// Each ecbench target names one ElastiCache resource (a Source):
//
//   - a replication group: its member nodes are discovered with
//     DescribeReplicationGroups (node group members, for cluster mode
//     disabled and enabled) and refreshed every DiscoveryInterval (default
//     5m), so a node replacement or a shard change is followed;
//   - cache clusters: their nodes come from DescribeCacheClusters with
//     ShowCacheNodeInfo, refreshed the same way;
//   - explicit nodes (cache cluster id and node id, such as "0001"), polled
//     as given;
//   - a serverless cache, whose metrics carry the dimension clusterId.
//
// A node-based node is queried with the dimensions CacheClusterId (the
// member cluster, such as "rg-001", not the replication group id) and
// CacheNodeId. Every PollInterval (default 60s) the poller asks
// GetMetricData, for every node × metric × statistic, for the datapoints of
// the last Lookback (default 10m) at Period resolution (default 60s, a
// multiple of 60s: ElastiCache publishes once a minute). The window ends at
// the start of the current period, so the newest datapoint covers a whole
// period. Queries are sent in calls of at most 500 (the API's limit),
// following NextToken.
//
// The newest datapoint of each series is kept in memory, and a scrape
// reads only that memory: /metrics never waits for AWS. A series keeps its
// last good value when its result is partial, missing or failed, or a call
// fails; it disappears when CloudWatch answers it completely with nothing
// in the lookback window and the kept datapoint is older than the window
// (a replica's ReplicationLag after it was promoted, say), or when its node
// leaves the discovered node list.
//
// When a call is throttled after the SDK's own retries, the whole poller
// backs off (throttling is an account-wide rate limit): exponentially from
// a quarter of the poll interval up to four poll intervals, with jitter,
// and then resumes with the throttled call. Series not yet refreshed keep
// their values meanwhile.
//
// # Metrics
//
//	ecbench_cloudwatch_value{target,engine,cluster,node,metric,stat}                   newest datapoint, in the metric's CloudWatch unit
//	ecbench_cloudwatch_value_timestamp_seconds{target,engine,cluster,node,metric,stat} start of that datapoint's period
//	ecbench_cloudwatch_last_success_timestamp_seconds{target}                          end of the target's last fully successful round; 0 before
//	ecbench_cloudwatch_errors_total{api,reason}                                        throttled, access_denied, not_found, invalid, network, server, other
//	ecbench_cloudwatch_requests_total{api}                                             GetMetricData (per page), DescribeReplicationGroups, DescribeCacheClusters
//	ecbench_cloudwatch_metric_queries_total                                            queries sent: what GetMetricData is billed on
//
// cluster and node are the CacheClusterId and CacheNodeId dimensions; for a
// serverless cache, cluster is the cache's name and node is empty. metric
// and stat come from the configuration; engine is the target's detected
// engine, else the one ElastiCache reports, else "unknown". A datapoint's
// age is time() - ecbench_cloudwatch_value_timestamp_seconds - period;
// ElastiCache's datapoints usually arrive a minute or two late.
//
// # Cost
//
// GetMetricData is billed per metric requested (USD 0.01 per 1,000 in
// us-east-1 at the time of writing; not covered by the free tier), whatever
// the lookback. A round requests nodes × metrics × statistics: one
// replication group of 3 nodes with the 17 default metrics and one
// statistic is 51 per round, 2.2 million per 30 days at the default 60s
// interval, about USD 22. A longer poll interval or fewer metrics cost
// proportionally less. The poller logs its plan (queries per round and per
// 30 days) whenever the node lists change. The Describe calls are free.
//
// # IAM
//
// Credentials and the region come from the SDK's default chain (see
// NewClients), so an EC2 instance role works. The role needs:
//
//   - cloudwatch:GetMetricData
//   - elasticache:DescribeReplicationGroups, for replication group sources
//   - elasticache:DescribeCacheClusters, for cache cluster sources
//
// Explicit nodes and serverless caches need no ElastiCache permission.
package cloudwatch
