package workload

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// structureOp is every list, hash, set and zset op: its entry in specs says
// what it draws, sends and counts as a miss, and s is its workload's
// structure (normalized and valid).
type structureOp struct {
	spec *opSpec
	s    Structure
}

var _ Op = (*structureOp)(nil)

func (o *structureOp) Name() string                { return o.spec.name }
func (o *structureOp) Prepare(g *Gen, a *Args)     { o.spec.draw(g, &o.s, a) }
func (o *structureOp) Missed(cmd redis.Cmder) bool { return o.spec.missed != nil && o.spec.missed(cmd) }
func (o *structureOp) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return o.spec.send(ctx, c, &o.s, a)
}

// drawFunc is what an op draws before its command: always its key first,
// then its elements. The order of draws is part of the seeded sequence.
type drawFunc func(g *Gen, s *Structure, a *Args)

// The argument shapes of the data-structure ops.
func drawKey(g *Gen, _ *Structure, a *Args) { a.Key = g.Key() }

// drawItem draws a list item to push.
func drawItem(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	a.Value = g.Value()
}

// drawIndex draws a list index, uniform in [0, Elements): past the end of
// a shorter list is a miss.
func drawIndex(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	a.Start = int64(g.element())
}

// drawWindow draws a range of RangeLen items from a uniform start in
// [0, Elements-RangeLen]: list or rank indexes, or zrangebyscore's scores.
func drawWindow(g *Gen, s *Structure, a *Args) {
	a.Key = g.Key()
	a.Start, a.Stop = g.window(s.RangeLen)
}

func drawField(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	a.Member = g.field()
}

func drawFieldValue(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	a.Member = g.field()
	a.Value = g.Value()
}

// drawCounter draws a field of hincrby's own namespace.
func drawCounter(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	a.Member = g.counterField()
}

// drawFields draws RangeLen fields independently: one may repeat.
func drawFields(g *Gen, s *Structure, a *Args) {
	a.Key = g.Key()
	a.Members = a.Members[:0]
	for range s.RangeLen {
		a.Members = append(a.Members, g.field())
	}
}

func drawMember(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
}

// drawHomeScore draws a member and its home score, its index.
func drawHomeScore(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	var i int
	a.Member, i = g.member()
	a.Score = float64(i)
}

// drawStep draws a member and a score step of +1 or -1.
func drawStep(g *Gen, _ *Structure, a *Args) {
	a.Key = g.Key()
	a.Member, _ = g.member()
	a.Score = g.sign()
}

// drawTwoKeys draws two keys from the key distribution; they may be the
// same.
func drawTwoKeys(g *Gen, _ *Structure, a *Args) {
	a.Keys = append(a.Keys[:0], g.Key(), g.Key())
}

// sendFunc sends an op's command on c, or queues it when c is a pipeline,
// and returns the command whose reply is the op's.
type sendFunc func(ctx context.Context, c redis.Cmdable, s *Structure, a *Args) redis.Cmder

// The command shapes most ops share, each taking a redis.Cmdable method
// expression (redis.Cmdable.LLen) so that the op sends exactly go-redis's
// command and reads its typed reply.

// onKey is a command on the key alone: LLEN key.
func onKey[C redis.Cmder](cmd func(redis.Cmdable, context.Context, string) C) sendFunc {
	return func(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
		return cmd(c, ctx, a.Key)
	}
}

// onMember is a command on the key and one member or field: HGET key field.
func onMember[C redis.Cmder](cmd func(redis.Cmdable, context.Context, string, string) C) sendFunc {
	return func(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
		return cmd(c, ctx, a.Key, a.Member)
	}
}

// onMembers is onMember for the variadic commands: SADD key member.
func onMembers[C redis.Cmder](cmd func(redis.Cmdable, context.Context, string, ...any) C) sendFunc {
	return func(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
		return cmd(c, ctx, a.Key, a.Member)
	}
}

// onRange is a command on the key and a range: LRANGE key start stop.
func onRange[C redis.Cmder](cmd func(redis.Cmdable, context.Context, string, int64, int64) C) sendFunc {
	return func(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
		return cmd(c, ctx, a.Key, a.Start, a.Stop)
	}
}

// The commands of one op each.

func sendLIndex(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.LIndex(ctx, a.Key, a.Start)
}

func sendHSet(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.HSet(ctx, a.Key, a.Member, a.Value)
}

func sendHMGet(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.HMGet(ctx, a.Key, a.Members...)
}

func sendHIncrBy(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.HIncrBy(ctx, a.Key, a.Member, 1)
}

func sendHDel(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.HDel(ctx, a.Key, a.Member)
}

func sendSIsMember(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.SIsMember(ctx, a.Key, a.Member)
}

// sendSInter intersects the two keys. They fall in different hash slots,
// so on a cluster it fails with CROSSSLOT: the spec is multiKey.
func sendSInter(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.SInter(ctx, a.Keys...)
}

func sendZAdd(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.ZAdd(ctx, a.Key, redis.Z{Score: a.Score, Member: a.Member})
}

func sendZIncrBy(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.ZIncrBy(ctx, a.Key, a.Score, a.Member)
}

func sendZRangeByScore(ctx context.Context, c redis.Cmdable, _ *Structure, a *Args) redis.Cmder {
	return c.ZRangeByScore(ctx, a.Key, &redis.ZRangeBy{
		Min: strconv.FormatInt(a.Start, 10),
		Max: strconv.FormatInt(a.Stop, 10),
	})
}

// cappedPush is lpush (head) or rpush: push one item, then LTRIM the list
// to its first (or last) Elements items, in the same round trip. Its
// latency and outcome are the push's, its latency covering the LTRIM too.
// A list never holds more than Elements items once a push's LTRIM has run;
// in between, concurrent pushes can take it to Elements plus the pushes in
// flight.
//
// On a pipeline (the runner's request) both are queued with the rest; on a
// plain client they go in a pipeline of their own.
func cappedPush(head bool) sendFunc {
	return func(ctx context.Context, c redis.Cmdable, s *Structure, a *Args) redis.Cmder {
		keep := int64(s.Elements)
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
			// its own. A failed LTRIM after a successful push is not
			// reported: it can only fail as the push did, or on a broken
			// connection, which the push sees as well.
			_, _ = p.Exec(ctx)
		}
		return push
	}
}
