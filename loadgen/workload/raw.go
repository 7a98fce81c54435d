package workload

import (
	"time"

	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
)

// RawOp is an op that writes its own command in RESP2 and reads its own
// outcome from a reply summary, for the runner's raw path (package resp:
// a third of go-redis' instructions per command at pipeline 1). Every op
// of the registry and the replay's op implement it.
//
// AppendRaw appends to dst exactly the bytes go-redis writes for Issue
// with the same Args (the same words in the same order, the same options)
// and returns how many replies they get: more than one when the op sends
// a helper after its command (a capped push's LTRIM), whose replies do
// not decide the outcome; 0 when there is nothing to send (a replay
// command without words), which is then an error as on the go-redis path.
//
// RawMissed reports whether the op's reply (the first of its replies),
// neither an error nor a nil, is a miss by the same rule as Outcome's.
//
// Why by hand: go-redis makes a Cmd, its []any of arguments and a box per
// argument for every command, and writes them through an interface type
// switch; with its reply those are 4 of the 5 allocations per command at
// pipeline 1, and with its writer ~3,300 of the ~12,000 instructions per
// command of the closed loop (callgrind; package resp and the runner's
// raw.go have the figures after: 1 allocation, ~7,700 instructions).
type RawOp interface {
	AppendRaw(dst []byte, a *Args) (out []byte, replies int)
	RawMissed(r *resp.Reply) bool
}

var (
	_ RawOp = Get{}
	_ RawOp = Set{}
	_ RawOp = SetTTL{}
	_ RawOp = MGet{}
	_ RawOp = Incr{}
	_ RawOp = Del{}
	_ RawOp = (*structureOp)(nil)
	_ RawOp = (*replayOp)(nil)
)

// RawOps returns w's ops as RawOps, by op index, or nil when one of them
// has no raw side (an op from outside this package, or a data-structure
// op whose spec has no raw): the runner then uses go-redis.
func RawOps(w *Workload) []RawOp {
	out := make([]RawOp, len(w.Ops))
	for i, o := range w.Ops {
		r, ok := o.Op.(RawOp)
		if !ok {
			return nil
		}
		if so, ok := o.Op.(*structureOp); ok {
			if so.spec.raw.send == nil {
				return nil
			}
			r = boundRawOp{s: &so.s, raw: &so.spec.raw}
		}
		out[i] = r
	}
	return out
}

// RawOutcome classifies the reply of a command of op that the raw path
// read, as Outcome classifies go-redis' Cmder: an error reply by its class,
// a nil (go-redis' redis.Nil) as a miss, else a miss when the op says so.
func RawOutcome(op RawOp, r *resp.Reply) (result.Outcome, result.Class) {
	switch r.Kind {
	case resp.KindError:
		return result.Error, result.Classify(r.Err)
	case resp.KindNil:
		return result.Miss, result.ClassNone
	}
	if op.RawMissed(r) {
		return result.Miss, result.ClassNone
	}
	return result.OK, result.ClassNone
}

// The raw miss rules, each the counterpart of a rule of op.go: false for
// a reply of another type, which go-redis would not have read as one.

// rawAllNil is allNil: every value of an MGET or HMGET reply is nil.
func rawAllNil(r *resp.Reply) bool { return r.Kind == resp.KindArray && r.AllNil }

// rawZeroInt is zeroInt: an integer reply of 0.
func rawZeroInt(r *resp.Reply) bool { return r.Kind == resp.KindInt && r.Int == 0 }

// rawEmpty is noStrings and noFields: an empty array (RESP2 sends a hash
// as an array of its fields and values).
func rawEmpty(r *resp.Reply) bool { return r.Kind == resp.KindArray && r.Len == 0 }

// rawFalse is isFalse: SISMEMBER's 0. (go-redis reads a nil as false
// too, which RawOutcome counts as a miss before asking.)
func rawFalse(r *resp.Reply) bool { return r.Kind == resp.KindInt && r.Int == 0 }

func rawNever(*resp.Reply) bool { return false }

// The kv ops, as kv.go issues them with go-redis.

func (Get) AppendRaw(dst []byte, a *Args) ([]byte, int) { return onKeyRaw(dst, "get", a.Key), 1 }
func (Get) RawMissed(*resp.Reply) bool                  { return false }

func (Set) AppendRaw(dst []byte, a *Args) ([]byte, int) { return appendSet(dst, a.Key, a.Value, 0), 1 }
func (Set) RawMissed(*resp.Reply) bool                  { return false }

func (SetTTL) AppendRaw(dst []byte, a *Args) ([]byte, int) {
	return appendSet(dst, a.Key, a.Value, a.TTL), 1
}
func (SetTTL) RawMissed(*resp.Reply) bool { return false }

func (MGet) AppendRaw(dst []byte, a *Args) ([]byte, int) { return onKeysRaw(dst, "mget", a.Keys), 1 }
func (MGet) RawMissed(r *resp.Reply) bool                { return rawAllNil(r) }

func (Incr) AppendRaw(dst []byte, a *Args) ([]byte, int) { return onKeyRaw(dst, "incr", a.Key), 1 }
func (Incr) RawMissed(*resp.Reply) bool                  { return false }

func (Del) AppendRaw(dst []byte, a *Args) ([]byte, int) { return onKeyRaw(dst, "del", a.Key), 1 }
func (Del) RawMissed(r *resp.Reply) bool                { return rawZeroInt(r) }

// appendSet is go-redis' Set: SET key value, then PX milliseconds for a
// TTL that is not whole seconds (or under one), else EX seconds.
func appendSet(dst []byte, key string, value []byte, ttl time.Duration) []byte {
	if ttl <= 0 {
		dst = resp.AppendArray(dst, 3)
	} else {
		dst = resp.AppendArray(dst, 5)
	}
	dst = resp.AppendString(dst, "set")
	dst = resp.AppendString(dst, key)
	dst = resp.AppendBytes(dst, value)
	switch {
	case ttl <= 0:
	case ttl < time.Second || ttl%time.Second != 0:
		dst = resp.AppendString(dst, "px")
		dst = resp.AppendInt(dst, max(int64(ttl/time.Millisecond), 1))
	default:
		dst = resp.AppendString(dst, "ex")
		dst = resp.AppendInt(dst, int64(ttl/time.Second))
	}
	return dst
}

// The data-structure ops: each spec's command, by its name, and its miss
// rule, the counterpart of the spec's missed.

// rawSpec is how a data-structure op writes its command and reads its
// reply on the raw path.
type rawSpec struct {
	send   func(dst []byte, s *Structure, a *Args) ([]byte, int)
	missed func(*resp.Reply) bool
}

// The data-structure ops' commands of the raw path that fit none of the
// shapes below; each spec's entry names its raw side (registry.go: raw).

// rawLIndex is sendLIndex: LINDEX key index.
func rawLIndex(dst []byte, _ *Structure, a *Args) ([]byte, int) {
	dst = resp.AppendArray(dst, 3)
	dst = resp.AppendString(dst, "lindex")
	dst = resp.AppendString(dst, a.Key)
	return resp.AppendInt(dst, a.Start), 1
}

// rawHSet is sendHSet: HSET key field value.
func rawHSet(dst []byte, _ *Structure, a *Args) ([]byte, int) {
	dst = resp.AppendArray(dst, 4)
	dst = resp.AppendString(dst, "hset")
	dst = resp.AppendString(dst, a.Key)
	dst = resp.AppendString(dst, a.Member)
	return resp.AppendBytes(dst, a.Value), 1
}

// rawHMGet is sendHMGet: HMGET key field...
func rawHMGet(dst []byte, _ *Structure, a *Args) ([]byte, int) {
	dst = resp.AppendArray(dst, 2+len(a.Members))
	dst = resp.AppendString(dst, "hmget")
	dst = resp.AppendString(dst, a.Key)
	for _, f := range a.Members {
		dst = resp.AppendString(dst, f)
	}
	return dst, 1
}

// rawHIncrBy is hincrby's command: HINCRBY key field 1.
func rawHIncrBy(dst []byte, _ *Structure, a *Args) ([]byte, int) {
	dst = resp.AppendArray(dst, 4)
	dst = resp.AppendString(dst, "hincrby")
	dst = resp.AppendString(dst, a.Key)
	dst = resp.AppendString(dst, a.Member)
	return resp.AppendInt(dst, 1), 1
}

// rawSInter is sinter's command: SINTER key...
func rawSInter(dst []byte, _ *Structure, a *Args) ([]byte, int) {
	return onKeysRaw(dst, "sinter", a.Keys), 1
}

// onScoredMemberCmd is a command on the key, a score and a member: ZADD
// key score member, ZINCRBY key increment member.
func onScoredMemberCmd(name string) func([]byte, *Structure, *Args) ([]byte, int) {
	return func(dst []byte, _ *Structure, a *Args) ([]byte, int) {
		dst = resp.AppendArray(dst, 4)
		dst = resp.AppendString(dst, name)
		dst = resp.AppendString(dst, a.Key)
		dst = resp.AppendFloat(dst, a.Score)
		return resp.AppendString(dst, a.Member), 1
	}
}

// AppendRaw and RawMissed are the op's spec's raw side.
func (o *structureOp) AppendRaw(dst []byte, a *Args) ([]byte, int) {
	return o.spec.raw.send(dst, &o.s, a)
}

func (o *structureOp) RawMissed(r *resp.Reply) bool { return o.spec.raw.missed(r) }

// boundRawOp is a data-structure op's raw side with its spec resolved.
type boundRawOp struct {
	s   *Structure
	raw *rawSpec
}

func (b boundRawOp) AppendRaw(dst []byte, a *Args) ([]byte, int) { return b.raw.send(dst, b.s, a) }
func (b boundRawOp) RawMissed(r *resp.Reply) bool                { return b.raw.missed(r) }

// The command shapes, as structure_op.go's.

// onKeysRaw writes a command on several keys: MGET key...
func onKeysRaw(dst []byte, name string, keys []string) []byte {
	dst = resp.AppendArray(dst, 1+len(keys))
	dst = resp.AppendString(dst, name)
	for _, k := range keys {
		dst = resp.AppendString(dst, k)
	}
	return dst
}

// onKeyRaw writes a command on one key: GET key.
func onKeyRaw(dst []byte, name, key string) []byte {
	dst = resp.AppendArray(dst, 2)
	dst = resp.AppendString(dst, name)
	return resp.AppendString(dst, key)
}

func onKeyCmd(name string) func([]byte, *Structure, *Args) ([]byte, int) {
	return func(dst []byte, _ *Structure, a *Args) ([]byte, int) { return onKeyRaw(dst, name, a.Key), 1 }
}

// onMemberCmd is a command on the key and one member or field: HGET key
// field, SADD key member.
func onMemberCmd(name string) func([]byte, *Structure, *Args) ([]byte, int) {
	return func(dst []byte, _ *Structure, a *Args) ([]byte, int) {
		dst = resp.AppendArray(dst, 3)
		dst = resp.AppendString(dst, name)
		dst = resp.AppendString(dst, a.Key)
		return resp.AppendString(dst, a.Member), 1
	}
}

// onRangeCmd is a command on the key and a range: LRANGE key start stop;
// zrangebyscore's scores are the same decimal integers (go-redis sends
// them as the strings strconv.FormatInt makes).
func onRangeCmd(name string) func([]byte, *Structure, *Args) ([]byte, int) {
	return func(dst []byte, _ *Structure, a *Args) ([]byte, int) {
		dst = resp.AppendArray(dst, 4)
		dst = resp.AppendString(dst, name)
		dst = resp.AppendString(dst, a.Key)
		dst = resp.AppendInt(dst, a.Start)
		return resp.AppendInt(dst, a.Stop), 1
	}
}

// cappedPushRaw is cappedPush: the push, then the LTRIM to Elements items,
// sent together; the push's reply decides the outcome.
func cappedPushRaw(head bool) func([]byte, *Structure, *Args) ([]byte, int) {
	name := "rpush"
	if head {
		name = "lpush"
	}
	return func(dst []byte, s *Structure, a *Args) ([]byte, int) {
		keep := int64(s.Elements)
		dst = resp.AppendArray(dst, 3)
		dst = resp.AppendString(dst, name)
		dst = resp.AppendString(dst, a.Key)
		dst = resp.AppendBytes(dst, a.Value)
		dst = resp.AppendArray(dst, 4)
		dst = resp.AppendString(dst, "ltrim")
		dst = resp.AppendString(dst, a.Key)
		if head {
			dst = resp.AppendInt(dst, 0)
			dst = resp.AppendInt(dst, keep-1)
		} else {
			dst = resp.AppendInt(dst, -keep)
			dst = resp.AppendInt(dst, -1)
		}
		return dst, 2
	}
}

// The replay's op: its words, as Replay.issue sends them with Do. Only a
// nil is a miss, as for go-redis' generic Cmd.

func (o *replayOp) AppendRaw(dst []byte, a *Args) ([]byte, int) {
	if len(a.Keys) == 0 {
		return dst, 0 // ErrTraceEnded on the go-redis path
	}
	dst = resp.AppendArray(dst, len(a.Keys))
	for _, w := range a.Keys {
		dst = resp.AppendString(dst, w)
	}
	return dst, 1
}

func (o *replayOp) RawMissed(*resp.Reply) bool { return false }
