package workload

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// The hash ops. Fields "f:<i>" hold Structure.ElementSize fixed bytes;
// hincrby's counters live in fields "n:<i>" of their own, because HINCRBY on
// a field that HSET filled with bytes is an error, not a measurement. A
// hash thus holds at most 2×Elements fields. A read of a field or hash that
// is not there is a miss.
var (
	_ Op = hset{}
	_ Op = hget{}
	_ Op = hmget{}
	_ Op = hgetall{}
	_ Op = hincrby{}
	_ Op = hdel{}
	_ Op = hlen{}
)

// hset writes one field. Adding a field and overwriting one are both ok.
type hset struct{ dsOp }

func (hset) Name() string { return "hset" }
func (hset) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member = g.field()
	a.Value = g.Value()
}
func (hset) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.HSet(ctx, a.Key, a.Member, a.Value)
}

// hget reads one field.
type hget struct{ dsOp }

func (hget) Name() string { return "hget" }
func (hget) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member = g.field()
}
func (hget) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.HGet(ctx, a.Key, a.Member)
}

// hmget reads RangeLen fields, drawn independently (a field may repeat). It
// is a miss only when none of them exists, as mget.
type hmget struct{ dsOp }

func (hmget) Name() string { return "hmget" }
func (o hmget) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Members = a.Members[:0]
	for range o.s.RangeLen {
		a.Members = append(a.Members, g.field())
	}
}
func (hmget) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.HMGet(ctx, a.Key, a.Members...)
}
func (hmget) Missed(cmd redis.Cmder) bool { return allNil(cmd) }

// hgetall reads the whole hash; a missing hash is a miss.
type hgetall struct{ dsOp }

func (hgetall) Name() string            { return "hgetall" }
func (hgetall) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (hgetall) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.HGetAll(ctx, a.Key)
}
func (hgetall) Missed(cmd redis.Cmder) bool {
	mc, ok := cmd.(*redis.MapStringStringCmd)
	return ok && len(mc.Val()) == 0
}

// hincrby adds 1 to a counter field; a missing one starts at 0, so it is
// never a miss.
type hincrby struct{ dsOp }

func (hincrby) Name() string { return "hincrby" }
func (hincrby) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member = g.counterField()
}
func (hincrby) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.HIncrBy(ctx, a.Key, a.Member, 1)
}

// hdel deletes one value field; deleting one that is not there is a miss,
// as del.
type hdel struct{ dsOp }

func (hdel) Name() string { return "hdel" }
func (hdel) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member = g.field()
}
func (hdel) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.HDel(ctx, a.Key, a.Member)
}
func (hdel) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }

// hlen reads the number of fields; 0, a missing hash, is a miss.
type hlen struct{ dsOp }

func (hlen) Name() string            { return "hlen" }
func (hlen) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (hlen) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.HLen(ctx, a.Key)
}
func (hlen) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }
