package workload

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// The set ops. Members are "m:<i>" padded to Structure.ElementSize, i in
// [0, Elements), so a set never holds more than Elements members. A lookup
// that finds nothing (a missing member, an empty or missing set) is a miss.
var (
	_ Op = sadd{}
	_ Op = srem{}
	_ Op = sismember{}
	_ Op = smembers{}
	_ Op = scard{}
	_ Op = srandmember{}
	_ Op = sinter{}
)

// sadd adds one member. Adding one that is already there is still ok: a
// write does not miss.
type sadd struct{ dsOp }

func (sadd) Name() string { return "sadd" }
func (sadd) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
}
func (sadd) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.SAdd(ctx, a.Key, a.Member)
}

// srem removes one member; removing one that is not there is a miss, as del.
type srem struct{ dsOp }

func (srem) Name() string { return "srem" }
func (srem) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
}
func (srem) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.SRem(ctx, a.Key, a.Member)
}
func (srem) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }

// sismember looks one member up; not a member is a miss, as a GET of a
// missing key.
type sismember struct{ dsOp }

func (sismember) Name() string { return "sismember" }
func (sismember) Prepare(g *Gen, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
}
func (sismember) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.SIsMember(ctx, a.Key, a.Member)
}
func (sismember) Missed(cmd redis.Cmder) bool {
	bc, ok := cmd.(*redis.BoolCmd)
	return ok && !bc.Val()
}

// smembers reads the whole set; a missing set is a miss.
type smembers struct{ dsOp }

func (smembers) Name() string            { return "smembers" }
func (smembers) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (smembers) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.SMembers(ctx, a.Key)
}
func (smembers) Missed(cmd redis.Cmder) bool { return noStrings(cmd) }

// scard reads the number of members; 0, a missing set, is a miss.
type scard struct{ dsOp }

func (scard) Name() string            { return "scard" }
func (scard) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (scard) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.SCard(ctx, a.Key)
}
func (scard) Missed(cmd redis.Cmder) bool { return zeroInt(cmd) }

// srandmember reads one random member (the server's choice, so the reply
// differs between engines but its outcome does not); a missing set is a
// miss.
type srandmember struct{ dsOp }

func (srandmember) Name() string            { return "srandmember" }
func (srandmember) Prepare(g *Gen, a *Args) { a.Key = g.Key() }
func (srandmember) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.SRandMember(ctx, a.Key)
}

// sinter intersects two sets of the workload, both drawn from its key
// distribution (they may be the same set). An empty intersection is a miss.
// Its keys fall in different hash slots, so on a cluster it fails with
// CROSSSLOT: MultiKey reports it, and config validation keeps it off
// cluster targets.
type sinter struct{ dsOp }

func (sinter) Name() string { return "sinter" }
func (sinter) Prepare(g *Gen, a *Args) {
	a.Keys = append(a.Keys[:0], g.Key(), g.Key())
}
func (sinter) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return c.SInter(ctx, a.Keys...)
}
func (sinter) Missed(cmd redis.Cmder) bool { return noStrings(cmd) }
