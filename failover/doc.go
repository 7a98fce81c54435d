// Package failover is the scenario action that fails over an ElastiCache
// node group on purpose, with the TestFailover API of aws-sdk-go-v2's
// service/elasticache, so that a soak measures what a failover costs each
// engine.
//
// The action records two moments, which the metrics package exports as
// ecbench_action_requested_timestamp_seconds and
// ecbench_action_completed_timestamp_seconds:
//
//	requested  just before the TestFailover call that AWS accepted
//	completed  the first DescribeReplicationGroups afterwards that shows the
//	           group and node group "available" again with another primary
//
// The outage itself is not the action's to judge: the availability probes
// and the runners' latency and error series measure it from the client's
// side, and the two timestamps frame it on the dashboards.
//
// DescribeReplicationGroups lists the node members' roles (CurrentRole) only
// for cluster-mode-disabled groups. For a cluster-mode-enabled group the
// action cannot see the primary change, and takes the group (or node group)
// leaving "available" and coming back as completion instead; if a poll
// misses that window, the action times out. AWS's own advice for that case
// is to follow the failover events (DescribeEvents), which this action does
// not read.
//
// A failover disturbs the cluster and AWS allows only a few per day (test
// failovers on at most 15 node groups in a rolling 24 hours at the time of
// writing), so nothing is called unless Options.Enabled is set: the
// configuration's explicit switch. A disabled action is still a valid
// action; its Run returns ErrDisabled at once (reported as skipped), so a
// scenario with a failover phase runs unchanged where there is no AWS.
package failover
