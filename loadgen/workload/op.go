package workload

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/result"
)

// Args holds one command's arguments, drawn by Op.Prepare on the scheduling
// goroutine and read by Op.Issue on a worker. Slices are reused between
// requests, so nothing may keep them after Issue returns.
type Args struct {
	Key   string
	Keys  []string
	Value []byte
	TTL   time.Duration

	// Member is a data-structure op's set or zset member or hash field;
	// Members are hmget's fields.
	Member  string
	Members []string
	// Start and Stop are the ends of a range read, both included: list or
	// rank indexes, or zrangebyscore's scores. lindex's index is Start.
	Start, Stop int64
	// Score is zadd's score and zincrby's increment.
	Score float64
}

// Op is one kind of operation in a workload's mix.
type Op interface {
	// Name is the op label value: short, lowercase, from a fixed set.
	Name() string
	// Prepare draws this op's arguments from the stream's generators. It is
	// called in request order on one goroutine, which is what makes the
	// sequence reproducible from the seed.
	Prepare(g *Gen, a *Args)
	// Issue sends the command on c, or queues it when c is a pipeline.
	Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder
}

// misser is implemented by ops whose miss is not simply redis.Nil.
type misser interface {
	Missed(redis.Cmder) bool
}

// Outcome classifies a finished command of op.
func Outcome(op Op, cmd redis.Cmder) (result.Outcome, result.Class) {
	err := cmd.Err()
	switch {
	case errors.Is(err, redis.Nil):
		return result.Miss, result.ClassNone
	case err != nil:
		return result.Error, result.Classify(err)
	}
	if m, ok := op.(misser); ok && m.Missed(cmd) {
		return result.Miss, result.ClassNone
	}
	return result.OK, result.ClassNone
}

// Reply checks: when a reply that is not redis.Nil is a miss. Each is false
// for a reply of another type, which is never taken for a miss.

// allNil reports whether every value of an MGET or HMGET reply is nil.
func allNil(cmd redis.Cmder) bool {
	sc, ok := cmd.(*redis.SliceCmd)
	if !ok {
		return false
	}
	for _, v := range sc.Val() {
		if v != nil {
			return false
		}
	}
	return true
}

// zeroInt reports whether an integer reply is 0: nothing was removed, or
// the structure whose size was asked for does not exist.
func zeroInt(cmd redis.Cmder) bool {
	ic, ok := cmd.(*redis.IntCmd)
	return ok && ic.Val() == 0
}

// noStrings reports whether a reply of strings is empty.
func noStrings(cmd redis.Cmder) bool {
	sc, ok := cmd.(*redis.StringSliceCmd)
	return ok && len(sc.Val()) == 0
}

// noFields reports whether a reply of a hash is empty: a missing hash.
func noFields(cmd redis.Cmder) bool {
	mc, ok := cmd.(*redis.MapStringStringCmd)
	return ok && len(mc.Val()) == 0
}

// isFalse reports whether a boolean reply is false: not a member.
func isFalse(cmd redis.Cmder) bool {
	bc, ok := cmd.(*redis.BoolCmd)
	return ok && !bc.Val()
}
