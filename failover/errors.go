package failover

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/ecbench/ecbench/loadgen/scenario"
)

// Errors of the failover action. Those from an AWS call also wrap the SDK's
// typed error.
var (
	ErrDisabled           = fmt.Errorf("failover: not enabled, so ElastiCache TestFailover is not called: %w", scenario.ErrSkipped)
	ErrNoClient           = errors.New("failover: enabled without an ElastiCache client")
	ErrNoReplicationGroup = errors.New("failover: enabled without a replication group")

	ErrReplicationGroupNotFound = errors.New("failover: replication group not found")
	ErrNodeGroupNotFound        = errors.New("failover: node group not found")
	ErrInvalidState             = errors.New("failover: the replication group cannot fail over now")
	ErrNotAvailable             = errors.New("failover: ElastiCache refused TestFailover")
	ErrRateExceeded             = errors.New("failover: AWS API call rate exceeded")
	ErrInvalidParameter         = errors.New("failover: ElastiCache rejected a parameter")
	ErrTimeout                  = errors.New("failover: not complete in time")
)

// apiError maps err from the AWS call op to a clear error that wraps it.
func (a *Action) apiError(op string, err error) error {
	rg, ng := a.o.ReplicationGroup, a.o.NodeGroup
	var (
		rgNotFound *types.ReplicationGroupNotFoundFault
		ngNotFound *types.NodeGroupNotFoundFault
		rgState    *types.InvalidReplicationGroupStateFault
		ccState    *types.InvalidCacheClusterStateFault
		notAvail   *types.TestFailoverNotAvailableFault
		rate       *types.APICallRateForCustomerExceededFault
		value      *types.InvalidParameterValueException
		combo      *types.InvalidParameterCombinationException
	)
	switch {
	case errors.As(err, &rgNotFound):
		return fmt.Errorf("%w: %q (check its id and the AWS region): %s: %w", ErrReplicationGroupNotFound, rg, op, err)
	case errors.As(err, &ngNotFound):
		return fmt.Errorf("%w: %q in replication group %q: %s: %w", ErrNodeGroupNotFound, ng, rg, op, err)
	case errors.As(err, &rgState), errors.As(err, &ccState):
		return fmt.Errorf("%w: %q must be available, with automatic failover enabled and a replica in node group %s, and no other failover under way: %s: %w", ErrInvalidState, rg, ng, op, err)
	case errors.As(err, &notAvail):
		return fmt.Errorf("%w for %s node group %s: AWS allows test failovers of a limited number of node groups per rolling 24 hours (15 at the time of writing) and may block the API during large-scale events: %s: %w", ErrNotAvailable, rg, ng, op, err)
	case errors.As(err, &rate):
		return fmt.Errorf("%w: %s: %w", ErrRateExceeded, op, err)
	case errors.As(err, &value), errors.As(err, &combo):
		return fmt.Errorf("%w: replication group %q, node group %q: %s: %w", ErrInvalidParameter, rg, ng, op, err)
	}
	return fmt.Errorf("failover: %s %s node group %s: %w", op, rg, ng, err)
}
