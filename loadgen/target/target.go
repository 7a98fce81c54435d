package target

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Reconnect settings. After a failover an endpoint's DNS name points at a
// new primary; go-redis drops a connection that gets READONLY or a network
// error, but one to an old primary that is still up (now a replica) would
// go on serving reads from it. Connections are therefore renewed, with
// jitter, after connMaxLifetime, which costs one dial (and TLS handshake)
// per connection per period.
const (
	connMaxLifetime       = 5 * time.Minute
	connMaxIdleTime       = time.Minute // the pool follows recent concurrency, not its peak
	clusterReloadInterval = 5 * time.Second
)

// Target is one endpoint under test: a client, the engine it was detected to
// run and its health. All methods are safe for concurrent use.
type Target struct {
	opts        Options // Password cleared: the clients hold the only copies
	hasPassword bool
	client      redis.UniversalClient
	// infoClient is the monitor's: it reads INFO (PollInfo, Detect) and
	// sends the health checks on connections of its own, so that runners
	// holding every connection of client cannot delay or fail a check, nor
	// a check a request, and it dials without the back-off (dialer.go).
	infoClient redis.UniversalClient
	dialer     *dialer // both clients', with their shared dial back-off
	watch      infoWatch
	recheck    chan struct{} // Recheck's request to Monitor; never blocks

	info  atomic.Pointer[Info] // last successful detection; nil before
	up    atomic.Bool          // last health check (Detect or PING) succeeded
	ready atomic.Bool          // answered at least once

	// clusterPool is the cluster client's pool statistics as of the last
	// health check: reading them live may reload the cluster topology, and a
	// scrape of /metrics must never do network I/O.
	clusterPool atomic.Pointer[redis.PoolStats]
}

// New validates o and builds the clients. It does not connect: a target
// that is down at start is reported by Monitor, not refused here.
func New(o Options) (*Target, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := o.TLS.Config()
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", o.Name, err)
	}
	t := &Target{opts: o, hasPassword: o.Password != "", recheck: make(chan struct{}, 1),
		dialer: newDialer(o.DialTimeout, tlsCfg)}
	t.client = newClient(o, tlsCfg, t.dialer.dial, o.PoolSize)
	// One connection per node: a check is one pipeline at a time.
	t.infoClient = newClient(o, tlsCfg, t.dialer.dialAlways, 1)
	t.opts.Password = ""
	return t, nil
}

// connBufferSize is each connection's read and write buffer. go-redis'
// default, 32 KiB each, was 7.0 of the 26 MiB live heap of a daemon with 2
// targets × 6 workloads (about 110 connections): 8 KiB holds a pipeline of
// 16 small commands or replies many times over, and a longer value is read
// and written through the buffer, not into it.
const connBufferSize = 8 << 10

// newClient builds a client of o with poolSize connections per node (0: the
// go-redis default) that dials with dial.
func newClient(o Options, tlsCfg *tls.Config, dial func(context.Context, string, string) (net.Conn, error), poolSize int) redis.UniversalClient {
	switch o.mode() {
	case Cluster:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:    o.Addrs,
			Username: o.Username,
			Password: o.Password,
			// MaxRedirects (0 = go-redis's default of 3) bounds how many MOVED
			// and ASK redirects one command follows: following them is how a
			// cluster client works, and a redirect is part of the request's
			// measured latency. MaxRetries -1 means no plain retries on a node.
			// Beware that the cluster loop also re-sends a command that failed
			// with a network error or LOADING/TRYAGAIN/CLUSTERDOWN within that
			// same MaxRedirects budget; go-redis offers no switch to separate
			// the two, and turning redirects off would break cluster mode.
			MaxRetries: -1,
			Protocol:   o.protocol(),
			// Maintenance notifications are a RESP3 push extension of Redis
			// Enterprise/Cloud. Off: the handshake would cost a round trip per
			// connection, and its "auto" fallback rewrites the options that a
			// closed-loop worker's dedicated Conn shares without a common lock.
			MaintNotificationsConfig: noMaintNotifications(),
			// Read from primaries only: a benchmark compares engines, and
			// replica reads would add replication lag to what is measured.
			ReadOnly: false,

			// The dialer does TLS itself; TLSConfig only tells go-redis
			// that the connection is encrypted.
			TLSConfig: tlsCfg,
			Dialer:    dial,
			// See the standalone options.
			DialerRetries:         1,
			PoolSize:              poolSize,
			DialTimeout:           o.DialTimeout,
			ReadTimeout:           o.ReadTimeout,
			WriteTimeout:          o.WriteTimeout,
			ContextTimeoutEnabled: true,
			// After a failover the cluster map must follow the new primaries
			// quickly: go-redis reloads it on MOVED, but not after connection
			// errors to a dead node, only on this timer (default 60s).
			ClusterStateReloadInterval: clusterReloadInterval,
			ConnMaxLifetime:            connMaxLifetime,
			ConnMaxLifetimeJitter:      connMaxLifetime / 10,
			ConnMaxIdleTime:            connMaxIdleTime,
			ReadBufferSize:             connBufferSize,
			WriteBufferSize:            connBufferSize,
		})
	default:
		opts := &redis.Options{
			Addr:     o.Addrs[0],
			Username: o.Username,
			Password: o.Password,
			DB:       o.DB,
			// No retries: a retried request would be measured as one slow
			// success and hide the failure that caused it. Every request is
			// sent once and its outcome (error class included) recorded.
			MaxRetries: -1,
			Protocol:   o.protocol(),
			// See the cluster options.
			MaintNotificationsConfig: noMaintNotifications(),

			TLSConfig: tlsCfg,
			// The dialer replaces go-redis' dial back-off with one that
			// follows a restarted server within redialInterval (dialer.go).
			Dialer:          dial,
			ReadBufferSize:  connBufferSize,
			WriteBufferSize: connBufferSize,
			PoolSize:        poolSize,
			DialTimeout:     o.DialTimeout,
			ReadTimeout:     o.ReadTimeout,
			WriteTimeout:    o.WriteTimeout,
			// One dial attempt per new connection, for the same reason: the
			// default 5 attempts 100ms apart would turn "connection refused"
			// into 400ms of invisible waiting. (The dialer never reports a
			// failure to go-redis, so this is belt and braces.)
			DialerRetries: 1,
			// Honour request deadlines (a runner's shutdown grace period, the
			// monitor's checks) on the socket, not only before sending.
			ContextTimeoutEnabled: true,
			ConnMaxLifetime:       connMaxLifetime,
			ConnMaxLifetimeJitter: connMaxLifetime / 10,
			ConnMaxIdleTime:       connMaxIdleTime,
		}
		if poolSize == 1 {
			opts.PipelinePoolSize = -1 // pipelines on that one connection too
		}
		return redis.NewClient(opts)
	}
}

func noMaintNotifications() *maintnotifications.Config {
	return &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// Name returns the target's name.
func (t *Target) Name() string { return t.opts.Name }

// String describes the target without its password.
func (t *Target) String() string { return t.opts.describe(t.hasPassword) }

// Client returns the target's client, a *redis.Client or *redis.ClusterClient.
func (t *Target) Client() redis.UniversalClient { return t.client }

// Info returns the last detected Info; ok is false before the first success.
func (t *Target) Info() (Info, bool) {
	if p := t.info.Load(); p != nil {
		return *p, true
	}
	return Info{}, false
}

// Engine returns the detected engine, else the declared one, else Unknown.
// It is a single atomic load, cheap enough for the metrics hot path.
func (t *Target) Engine() engine.Engine {
	if p := t.info.Load(); p != nil {
		return p.Engine
	}
	if t.opts.DeclaredEngine != "" {
		return t.opts.DeclaredEngine
	}
	return engine.Unknown
}

// DeclaredEngine returns the engine the configuration claims, or "".
func (t *Target) DeclaredEngine() engine.Engine { return t.opts.DeclaredEngine }

// Up reports whether the last health check (Detect or PING) succeeded.
func (t *Target) Up() bool { return t.up.Load() }

// Ready reports whether the target has answered at least once since New.
func (t *Target) Ready() bool { return t.ready.Load() }

// PoolStats returns the client's connection pool statistics: live for a
// standalone client, summed over nodes as of the last health check in
// cluster mode. It never does network I/O.
func (t *Target) PoolStats() *redis.PoolStats {
	if _, ok := t.client.(*redis.ClusterClient); !ok {
		return t.client.PoolStats()
	}
	if p := t.clusterPool.Load(); p != nil {
		return p
	}
	return &redis.PoolStats{}
}

// refreshPoolStats caches the cluster client's pool statistics; Monitor
// calls it after every check, off the scrape path.
func (t *Target) refreshPoolStats() {
	if c, ok := t.client.(*redis.ClusterClient); ok {
		t.clusterPool.Store(c.PoolStats())
	}
}

// Close closes the clients.
func (t *Target) Close() error {
	return errors.Join(t.client.Close(), t.infoClient.Close())
}

// Detect asks the target what it runs (INFO server and INFO replication,
// with PollInfo), stores the answer and marks the target up, or marks it
// down on error. In cluster mode it asks every node at once and takes the
// first primary's answer, so one unreachable shard does not hide the
// engine of the others. It does not compare the answer with earlier ones:
// Monitor's polls do.
func (t *Target) Detect(ctx context.Context) (Info, error) {
	polls, err := t.PollInfo(ctx)
	if err != nil {
		t.up.Store(false)
		return Info{}, fmt.Errorf("target %q: detect: %w", t.opts.Name, err)
	}
	in, _ := identity(polls)
	t.storeInfo(in)
	t.markUp()
	return in, nil
}

// storeInfo keeps what INFO said, and records that the target answered.
func (t *Target) storeInfo(in Info) {
	t.info.Store(&in)
	t.ready.Store(true)
}

func (t *Target) markUp() {
	t.up.Store(true)
	t.ready.Store(true)
}

// ping is the periodic health check, and marks the target up or down. It
// goes over the monitor's own connections (infoClient).
//
// In cluster mode every primary must answer: with one shard gone, a share of
// the workload's keys fail, and the target is not healthy. (A plain PING
// through the cluster client goes to one node and would not notice.)
func (t *Target) ping(ctx context.Context) error {
	var err error
	switch c := t.infoClient.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return node.Ping(ctx).Err()
		})
	default:
		err = t.infoClient.Ping(ctx).Err()
	}
	if err != nil {
		t.up.Store(false)
		return fmt.Errorf("target %q: ping: %w", t.opts.Name, err)
	}
	t.markUp()
	return nil
}
