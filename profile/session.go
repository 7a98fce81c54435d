package profile

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/ecbench/ecbench/loadgen/target"
)

// session is the profiler's connection to a target: one client per
// primary, every one of them behind the guard (allow-list, rate limit,
// counts).
type session struct {
	counts    *counter
	primaries []*redis.Client // sorted by address
	close     func() error
}

// connect opens a session on o, sending at most rate commands a second.
// In cluster mode it finds every primary from the cluster's map; a
// standalone target is its one node.
func connect(ctx context.Context, o target.Options, rate float64) (*session, error) {
	tlsCfg, err := o.TLS.Config()
	if err != nil {
		return nil, err
	}
	g := guard{limiter: newLimiter(rate), counts: newCounter()}
	s := &session{counts: g.counts}
	// One connection per node for the sampler and one for INFO: the
	// profiler must be a light client. No retries, so that what it sent
	// is what it counted; no CLIENT SETINFO, no maintenance notifications.
	if o.Mode != target.Cluster {
		c := redis.NewClient(&redis.Options{
			Addr: o.Addrs[0], Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: tlsCfg,
			Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: 2, PipelinePoolSize: -1,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})
		c.AddHook(g)
		s.primaries, s.close = []*redis.Client{c}, c.Close
		if err := c.Ping(ctx).Err(); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("connect to %s: %w", o.Addrs[0], err)
		}
		return s, nil
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: o.Addrs, Username: o.Username, Password: o.Password, TLSConfig: tlsCfg,
		Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: 2, PipelinePoolSize: -1,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	// Before any command: every node client go-redis creates, the seeds
	// it asks for the cluster's map included, goes through the guard.
	cc.OnNewNode(func(c *redis.Client) { c.AddHook(g) })
	cc.AddHook(g)
	s.close = cc.Close
	var mu sync.Mutex
	err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		mu.Lock()
		s.primaries = append(s.primaries, c)
		mu.Unlock()
		return c.Ping(ctx).Err()
	})
	if err == nil && len(s.primaries) == 0 {
		err = target.ErrNoPrimary
	}
	if err != nil {
		_ = cc.Close()
		return nil, fmt.Errorf("connect to cluster %s: %w", strings.Join(o.Addrs, ","), err)
	}
	slices.SortFunc(s.primaries, func(a, b *redis.Client) int { return strings.Compare(a.Options().Addr, b.Options().Addr) })
	return s, nil
}
