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
