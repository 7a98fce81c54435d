package runner

import "sync/atomic"

// ConnStats are a runner's own raw connections (raw.go, connworkers.go),
// which go-redis' pool statistics do not see, in the terms of those
// statistics (redis.PoolStats), so that the two can be added up: the
// connections a generator holds to a target, whichever path it sends on.
type ConnStats struct {
	Conns   int64 // open, busy or idle
	Idle    int64 // open-loop connections waiting for a request
	Pending int64 // open-loop requests waiting for a connection

	Hits     uint64 // requests sent on a connection already open
	Misses   uint64 // dials, successful or not
	Waits    uint64 // open-loop requests that waited for a connection
	WaitNs   int64  // how long they waited, in all
	Timeouts uint64 // ... and of them, those that waited too long (pool_timeout)
	Stale    uint64 // connections dropped (broken, stale or past their lifetime), and failed dials
}

// connCounters are ConnStats as they are counted.
type connCounters struct {
	conns, idle, pending atomic.Int64
	hits, misses, waits  atomic.Uint64
	waitNs               atomic.Int64
	timeouts, stale      atomic.Uint64
}

// ConnStats returns the runner's raw connections now (all zero on the
// go-redis path).
func (r *Runner) ConnStats() ConnStats {
	c := &r.conns
	return ConnStats{
		Conns: c.conns.Load(), Idle: c.idle.Load(), Pending: c.pending.Load(),
		Hits: c.hits.Load(), Misses: c.misses.Load(), Waits: c.waits.Load(), WaitNs: c.waitNs.Load(),
		Timeouts: c.timeouts.Load(), Stale: c.stale.Load(),
	}
}
