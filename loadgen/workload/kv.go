package workload

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// The key/value ops. Counters for INCR live under their own sub-prefix
// because INCR on a key that SET filled with random bytes is an error, not
// a measurement.
var (
	_ Op = Get{}
	_ Op = Set{}
	_ Op = SetTTL{}
	_ Op = MGet{}
	_ Op = Incr{}
	_ Op = Del{}
)

// Get reads one key; a missing key is a miss.
type Get struct{}

func (Get) Name() string            { return "get" }
func (Get) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (Get) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.Get(ctx, a.Key)
}

// Set writes one key with no expiry.
type Set struct{}

func (Set) Name() string { return "set" }
func (Set) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Value = g.Value()
}
func (Set) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.Set(ctx, a.Key, a.Value, 0)
}

// SetTTL writes one key with the workload's TTL.
type SetTTL struct{ TTL time.Duration }

func (SetTTL) Name() string { return "set_ttl" }
func (s SetTTL) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Value = g.Value()
	a.TTL = s.TTL
}
func (SetTTL) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.Set(ctx, a.Key, a.Value, a.TTL)
}

// MGet reads Batch keys in one command. It is a miss only when none of them
// exists, so the hit ratio is not skewed by partial batches.
type MGet struct{ Batch int }

func (MGet) Name() string { return "mget" }
func (m MGet) Prepare(g *Gen, a *Args) {
	a.Keys = a.Keys[:0]
	for range max(m.Batch, 1) {
		a.Keys = append(a.Keys, g.Key())
	}
}
func (MGet) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.MGet(ctx, a.Keys...)
}

// Missed reports whether no key of the batch existed.
func (MGet) Missed(cmd redis.Cmder) bool { return allNil(cmd) }

// Incr increments a counter key in the counters sub-namespace.
type Incr struct{}

func (Incr) Name() string            { return "incr" }
func (Incr) Prepare(g *Gen, a *Args) { a.Key = g.CounterKey() }
func (Incr) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.Incr(ctx, a.Key)
}

// Del deletes one key; deleting a key that is not there is a miss.
type Del struct{}

func (Del) Name() string            { return "del" }
func (Del) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (Del) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.Del(ctx, a.Key)
}

// Missed reports whether the key did not exist.
func (Del) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }
