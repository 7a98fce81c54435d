package probe

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// reloadTopology asks a cluster client to reload the cluster's slot map
// after a failure.
//
// go-redis reloads it by itself after MOVED, ASK and READONLY, and otherwise
// only once the map is older than ClusterStateReloadInterval (60s by
// default). When a primary dies and its replica takes over, the commands for
// its slots fail to connect, which triggers no reload, so without this the
// client would keep dialling the dead node for up to a minute. The reload is
// asynchronous and go-redis runs at most one at a time, 200ms apart, so
// calling it on every failure is cheap. Since the probes usually share the
// target's client, the workloads' requests find the new primary too.
func reloadTopology(ctx context.Context, c redis.UniversalClient) {
	if cc, ok := c.(*redis.ClusterClient); ok {
		cc.ReloadState(ctx)
	}
}
