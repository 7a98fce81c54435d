package workload

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// The list ops. Items are Structure.ElementSize fixed bytes. A read of an
// item that is not there (an empty or missing list, an index past the end)
// is a miss.
var (
	_ Op = lpush{}
	_ Op = rpush{}
	_ Op = lpop{}
	_ Op = rpop{}
	_ Op = lrange{}
	_ Op = llen{}
	_ Op = lindex{}
)

// lpush is a capped push: LPUSH one item, then LTRIM the list to its first
// Elements items, in the same round trip. Its latency and outcome are the
// LPUSH's, its latency covering the LTRIM too. A list never holds more than
// Elements items once a push's LTRIM has run; in between, concurrent pushes
// can take it to Elements plus the pushes in flight.
type lpush struct{ dsOp }

func (lpush) Name() string { return "lpush" }
func (lpush) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Value = g.Value()
}
func (o lpush) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return cappedPush(ctx, c, a, int64(o.s.Elements), true)
}

// rpush is lpush's mirror: RPUSH, then LTRIM to the last Elements items.
type rpush struct{ dsOp }

func (rpush) Name() string { return "rpush" }
func (rpush) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Value = g.Value()
}
func (o rpush) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return cappedPush(ctx, c, a, int64(o.s.Elements), false)
}

// cappedPush queues the push and its LTRIM on c when c is a pipeline (the
// runner sends it with the rest of the request), and otherwise sends both
// in a pipeline of their own. It returns the push.
func cappedPush(ctx context.Context, c redis.Cmdable, a *Args, keep int64, head bool) redis.Cmder {
	p, queued := c.(redis.Pipeliner)
	if !queued {
		p = c.Pipeline()
	}
	var push *redis.IntCmd
	if head {
		push = p.LPush(ctx, a.Key, a.Value)
		p.LTrim(ctx, a.Key, 0, keep-1)
	} else {
		push = p.RPush(ctx, a.Key, a.Value)
		p.LTrim(ctx, a.Key, -keep, -1)
	}
	if !queued {
		// Exec's error repeats the first command error; the push carries
		// its own. A failed LTRIM after a successful push is not reported:
		// it can only fail as the push did, or on a broken connection,
		// which the push sees as well.
		_, _ = p.Exec(ctx)
	}
	return push
}

// lpop pops the first item; an empty list is a miss.
type lpop struct{ dsOp }

func (lpop) Name() string            { return "lpop" }
func (lpop) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (lpop) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.LPop(ctx, a.Key)
}

// rpop pops the last item; an empty list is a miss.
type rpop struct{ dsOp }

func (rpop) Name() string            { return "rpop" }
func (rpop) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (rpop) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.RPop(ctx, a.Key)
}

// lrange reads RangeLen items from a uniform start in [0, Elements-RangeLen];
// no item back is a miss.
type lrange struct{ dsOp }

func (lrange) Name() string { return "lrange" }
func (o lrange) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Start, a.Stop = g.window(o.s.RangeLen)
}
func (lrange) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.LRange(ctx, a.Key, a.Start, a.Stop)
}
func (lrange) Missed(cmd redis.Cmder) bool { return noStrings(cmd) }

// llen reads a list's length; 0, a missing list, is a miss.
type llen struct{ dsOp }

func (llen) Name() string            { return "llen" }
func (llen) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (llen) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.LLen(ctx, a.Key)
}
func (llen) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }

// lindex reads the item at a uniform index in [0, Elements); past the end
// of the list is a miss.
type lindex struct{ dsOp }

func (lindex) Name() string { return "lindex" }
func (lindex) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Start = int64(g.element())
}
func (lindex) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.LIndex(ctx, a.Key, a.Start)
}
