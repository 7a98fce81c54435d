package workload

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// The sorted-set ops. Members are "m:<i>" padded to Structure.ElementSize, i
// in [0, Elements), so a sorted set never holds more than Elements members.
// Member i's home score is i: zadd and Preload put it there, zincrby moves
// it by ±1. A lookup that finds nothing is a miss.
var (
	_ Op = zadd{}
	_ Op = zincrby{}
	_ Op = zscore{}
	_ Op = zrank{}
	_ Op = zrange{}
	_ Op = zrangebyscore{}
	_ Op = zrevrange{}
	_ Op = zrem{}
	_ Op = zcard{}
)

// zadd adds one member at its home score, or moves it back there.
type zadd struct{ dsOp }

func (zadd) Name() string { return "zadd" }
func (zadd) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	var i int
	a.Member, i = g.member()
	a.Score = float64(i)
}
func (zadd) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZAdd(ctx, a.Key, redis.Z{Score: a.Score, Member: a.Member})
}

// zincrby moves one member's score by +1 or -1, even odds, so that scores
// wander around their home rather than drift (a missing member is added
// at ±1: never a miss).
type zincrby struct{ dsOp }

func (zincrby) Name() string { return "zincrby" }
func (zincrby) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
	a.Score = g.sign()
}
func (zincrby) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZIncrBy(ctx, a.Key, a.Score, a.Member)
}

// zscore reads one member's score.
type zscore struct{ dsOp }

func (zscore) Name() string { return "zscore" }
func (zscore) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
}
func (zscore) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZScore(ctx, a.Key, a.Member)
}

// zrank reads one member's rank.
type zrank struct{ dsOp }

func (zrank) Name() string { return "zrank" }
func (zrank) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
}
func (zrank) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZRank(ctx, a.Key, a.Member)
}

// zrange reads RangeLen members by rank from a uniform start in
// [0, Elements-RangeLen]; no member back is a miss.
type zrange struct{ dsOp }

func (zrange) Name() string { return "zrange" }
func (o zrange) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Start, a.Stop = g.window(o.s.RangeLen)
}
func (zrange) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZRange(ctx, a.Key, a.Start, a.Stop)
}
func (zrange) Missed(cmd redis.Cmder) bool { return noStrings(cmd) }

// zrangebyscore reads the members scored in [lo, lo+RangeLen-1], lo uniform
// in [0, Elements-RangeLen]: RangeLen members while scores are at home. No
// member back is a miss.
type zrangebyscore struct{ dsOp }

func (zrangebyscore) Name() string { return "zrangebyscore" }
func (o zrangebyscore) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Start, a.Stop = g.window(o.s.RangeLen)
}
func (zrangebyscore) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZRangeByScore(ctx, a.Key, &redis.ZRangeBy{
		Min: strconv.FormatInt(a.Start, 10),
		Max: strconv.FormatInt(a.Stop, 10),
	})
}
func (zrangebyscore) Missed(cmd redis.Cmder) bool { return noStrings(cmd) }

// zrevrange is zrange from the highest rank down.
type zrevrange struct{ dsOp }

func (zrevrange) Name() string { return "zrevrange" }
func (o zrevrange) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Start, a.Stop = g.window(o.s.RangeLen)
}
func (zrevrange) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZRevRange(ctx, a.Key, a.Start, a.Stop)
}
func (zrevrange) Missed(cmd redis.Cmder) bool { return noStrings(cmd) }

// zrem removes one member; removing one that is not there is a miss, as del.
type zrem struct{ dsOp }

func (zrem) Name() string { return "zrem" }
func (zrem) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
}
func (zrem) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZRem(ctx, a.Key, a.Member)
}
func (zrem) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }

// zcard reads the number of members; 0, a missing sorted set, is a miss.
type zcard struct{ dsOp }

func (zcard) Name() string            { return "zcard" }
func (zcard) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (zcard) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.ZCard(ctx, a.Key)
}
func (zcard) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }
