package workload

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Errors of NewOp, wrapped with the name at fault and the allowed names.
var (
	ErrUnknownKind = errors.New("unknown workload kind")
	ErrUnknownOp   = errors.New("unknown op")
)

// opSpec is everything the package knows of one op. A kv op is one of the
// exported types of kv.go, which build makes from the op's parameters; a
// data-structure op is a structureOp run by draw, send and missed.
type opSpec struct {
	name string // the op label value
	kind Kind   // what the keys it acts on hold
	// multiKey: the op names keys of different hash slots in one command, so
	// it fails with CROSSSLOT on a cluster.
	multiKey bool
	// payload is what bounds the bytes one command sends or gets back,
	// for the in-flight budget (payload.go); the zero value is keys only.
	payload Payload

	build func(OpParams) (Op, error) // a kv op

	draw   drawFunc               // a data-structure op's arguments
	send   sendFunc               // its command
	missed func(redis.Cmder) bool // when a reply that is not redis.Nil is a miss; nil: never
	raw    rawSpec                // its command and miss rule on the raw path (raw.go)
}

// specs is every op, each kind's in canonical order. OpNamesFor lists them
// in this order, config builds a workload's mix in this order whatever
// order its file lists them in, and the seeded op choice indexes the mix:
// reordering entries changes every seeded sequence, so a new op goes last
// of its kind. No name appears twice.
//
// Adding an op is adding its entry here (its payload included, or the
// in-flight budget undercounts it; its raw side, or its closed-loop
// workloads fall back to go-redis), and, for a kv op, its type in kv.go
// (with AppendRaw and RawMissed in raw.go), or for a data-structure op
// whose arguments or command fit none of the shapes of structure_op.go
// and raw.go, its shape there.
var specs = [...]opSpec{
	// Strings: the exported types of kv.go.
	{name: "get", kind: KindKV, payload: PayloadValue, build: func(OpParams) (Op, error) { return Get{}, nil }},
	{name: "set", kind: KindKV, payload: PayloadValue, build: func(OpParams) (Op, error) { return Set{}, nil }},
	{name: "set_ttl", kind: KindKV, payload: PayloadValue, build: newSetTTL},
	{name: "mget", kind: KindKV, payload: PayloadBatch, multiKey: true, build: func(p OpParams) (Op, error) { return MGet{Batch: p.MGetBatch}, nil }},
	{name: "incr", kind: KindKV, build: func(OpParams) (Op, error) { return Incr{}, nil }},
	{name: "del", kind: KindKV, build: func(OpParams) (Op, error) { return Del{}, nil }},

	// Lists. Items are ElementSize fixed bytes. A read of an item that is
	// not there (an empty or missing list, an index past the end) is a miss.
	//
	// lpush and rpush are capped pushes; see cappedPush.
	{name: "lpush", kind: KindList, payload: PayloadElement, draw: drawItem, send: cappedPush(true), raw: rawSpec{send: cappedPushRaw(true), missed: rawNever}},
	{name: "rpush", kind: KindList, payload: PayloadElement, draw: drawItem, send: cappedPush(false), raw: rawSpec{send: cappedPushRaw(false), missed: rawNever}},
	{name: "lpop", kind: KindList, payload: PayloadElement, draw: drawKey, send: onKey(redis.Cmdable.LPop), raw: rawSpec{send: onKeyCmd("lpop"), missed: rawNever}},
	{name: "rpop", kind: KindList, payload: PayloadElement, draw: drawKey, send: onKey(redis.Cmdable.RPop), raw: rawSpec{send: onKeyCmd("rpop"), missed: rawNever}},
	{name: "lrange", kind: KindList, payload: PayloadRange, draw: drawWindow, send: onRange(redis.Cmdable.LRange), missed: noStrings, raw: rawSpec{send: onRangeCmd("lrange"), missed: rawEmpty}},
	{name: "llen", kind: KindList, draw: drawKey, send: onKey(redis.Cmdable.LLen), missed: zeroInt, raw: rawSpec{send: onKeyCmd("llen"), missed: rawZeroInt}},
	{name: "lindex", kind: KindList, payload: PayloadElement, draw: drawIndex, send: sendLIndex, raw: rawSpec{send: rawLIndex, missed: rawNever}},

	// Hashes. Fields "f:<i>" hold ElementSize fixed bytes; hincrby's
	// counters live in fields "n:<i>" of their own, because HINCRBY on a
	// field that HSET filled with bytes is an error, not a measurement. A
	// hash thus holds at most 2×Elements fields. A read of a field or hash
	// that is not there is a miss; adding or overwriting a field, or
	// incrementing a missing counter (it starts at 0), never is. hmget's
	// fields may repeat, and it misses only when none exists, as mget.
	{name: "hset", kind: KindHash, payload: PayloadElement, draw: drawFieldValue, send: sendHSet, raw: rawSpec{send: rawHSet, missed: rawNever}},
	{name: "hget", kind: KindHash, payload: PayloadElement, draw: drawField, send: onMember(redis.Cmdable.HGet), raw: rawSpec{send: onMemberCmd("hget"), missed: rawNever}},
	{name: "hmget", kind: KindHash, payload: PayloadRange, draw: drawFields, send: sendHMGet, missed: allNil, raw: rawSpec{send: rawHMGet, missed: rawAllNil}},
	{name: "hgetall", kind: KindHash, payload: PayloadAll, draw: drawKey, send: onKey(redis.Cmdable.HGetAll), missed: noFields, raw: rawSpec{send: onKeyCmd("hgetall"), missed: rawEmpty}},
	{name: "hincrby", kind: KindHash, draw: drawCounter, send: sendHIncrBy, raw: rawSpec{send: rawHIncrBy, missed: rawNever}},
	{name: "hdel", kind: KindHash, draw: drawField, send: sendHDel, missed: zeroInt, raw: rawSpec{send: onMemberCmd("hdel"), missed: rawZeroInt}},
	{name: "hlen", kind: KindHash, draw: drawKey, send: onKey(redis.Cmdable.HLen), missed: zeroInt, raw: rawSpec{send: onKeyCmd("hlen"), missed: rawZeroInt}},

	// Sets. Members are "m:<i>" padded to ElementSize, so a set never holds
	// more than Elements members. A lookup that finds nothing (a missing
	// member, an empty or missing set) is a miss; adding a member that is
	// there is not. srandmember's member is the server's choice, so its
	// reply differs between engines but its outcome does not. sinter's two
	// sets (maybe the same one) come from the key distribution.
	{name: "sadd", kind: KindSet, payload: PayloadElement, draw: drawMember, send: onMembers(redis.Cmdable.SAdd), raw: rawSpec{send: onMemberCmd("sadd"), missed: rawNever}},
	{name: "srem", kind: KindSet, payload: PayloadElement, draw: drawMember, send: onMembers(redis.Cmdable.SRem), missed: zeroInt, raw: rawSpec{send: onMemberCmd("srem"), missed: rawZeroInt}},
	{name: "sismember", kind: KindSet, payload: PayloadElement, draw: drawMember, send: sendSIsMember, missed: isFalse, raw: rawSpec{send: onMemberCmd("sismember"), missed: rawFalse}},
	{name: "smembers", kind: KindSet, payload: PayloadAll, draw: drawKey, send: onKey(redis.Cmdable.SMembers), missed: noStrings, raw: rawSpec{send: onKeyCmd("smembers"), missed: rawEmpty}},
	{name: "scard", kind: KindSet, draw: drawKey, send: onKey(redis.Cmdable.SCard), missed: zeroInt, raw: rawSpec{send: onKeyCmd("scard"), missed: rawZeroInt}},
	{name: "srandmember", kind: KindSet, payload: PayloadElement, draw: drawKey, send: onKey(redis.Cmdable.SRandMember), raw: rawSpec{send: onKeyCmd("srandmember"), missed: rawNever}},
	{name: "sinter", kind: KindSet, payload: PayloadAll, multiKey: true, draw: drawTwoKeys, send: sendSInter, missed: noStrings, raw: rawSpec{send: rawSInter, missed: rawEmpty}},

	// Sorted sets: members as sets'. Member i's home score is i: zadd and
	// Preload put it there, zincrby moves it by ±1, even odds, so scores
	// wander around home rather than drift (a missing member is added at
	// ±1: never a miss). zrangebyscore reads the scores in a window, which
	// holds RangeLen members while scores are at home. zrevrange is zrange
	// from the highest rank down. A lookup that finds nothing is a miss.
	{name: "zadd", kind: KindZSet, payload: PayloadElement, draw: drawHomeScore, send: sendZAdd, raw: rawSpec{send: onScoredMemberCmd("zadd"), missed: rawNever}},
	{name: "zincrby", kind: KindZSet, payload: PayloadElement, draw: drawStep, send: sendZIncrBy, raw: rawSpec{send: onScoredMemberCmd("zincrby"), missed: rawNever}},
	{name: "zscore", kind: KindZSet, payload: PayloadElement, draw: drawMember, send: onMember(redis.Cmdable.ZScore), raw: rawSpec{send: onMemberCmd("zscore"), missed: rawNever}},
	{name: "zrank", kind: KindZSet, payload: PayloadElement, draw: drawMember, send: onMember(redis.Cmdable.ZRank), raw: rawSpec{send: onMemberCmd("zrank"), missed: rawNever}},
	{name: "zrange", kind: KindZSet, payload: PayloadRange, draw: drawWindow, send: onRange(redis.Cmdable.ZRange), missed: noStrings, raw: rawSpec{send: onRangeCmd("zrange"), missed: rawEmpty}},
	{name: "zrangebyscore", kind: KindZSet, payload: PayloadRange, draw: drawWindow, send: sendZRangeByScore, missed: noStrings, raw: rawSpec{send: onRangeCmd("zrangebyscore"), missed: rawEmpty}},
	{name: "zrevrange", kind: KindZSet, payload: PayloadRange, draw: drawWindow, send: onRange(redis.Cmdable.ZRevRange), missed: noStrings, raw: rawSpec{send: onRangeCmd("zrevrange"), missed: rawEmpty}},
	{name: "zrem", kind: KindZSet, payload: PayloadElement, draw: drawMember, send: onMembers(redis.Cmdable.ZRem), missed: zeroInt, raw: rawSpec{send: onMemberCmd("zrem"), missed: rawZeroInt}},
	{name: "zcard", kind: KindZSet, draw: drawKey, send: onKey(redis.Cmdable.ZCard), missed: zeroInt, raw: rawSpec{send: onKeyCmd("zcard"), missed: rawZeroInt}},
}

// specByName indexes specs; opNames lists each kind's names in canonical
// order.
var specByName, opNames = func() (map[string]*opSpec, map[Kind][]string) {
	byName := make(map[string]*opSpec, len(specs))
	names := make(map[Kind][]string, len(Kinds()))
	for i := range specs {
		s := &specs[i]
		if _, dup := byName[s.name]; dup {
			panic("workload: op " + s.name + " is in specs twice")
		}
		byName[s.name] = s
		names[s.kind] = append(names[s.kind], s.name)
	}
	return byName, names
}()

func newSetTTL(p OpParams) (Op, error) {
	if p.TTL <= 0 {
		return nil, fmt.Errorf("op set_ttl: ttl must be > 0, got %v", p.TTL)
	}
	return SetTTL{TTL: p.TTL}, nil
}

// OpNamesFor returns the op names of kind k in canonical order (the kind ""
// is kv), or nil for an unknown kind. The slice is the caller's.
func OpNamesFor(k Kind) []string {
	return slices.Clone(opNames[Structure{Kind: k}.normalized().Kind])
}

// MultiKey reports whether the op names more than one key in one command
// (mget, sinter). Its keys fall in different hash slots, so it fails with
// CROSSSLOT on a cluster; config validation keeps it off cluster targets.
func MultiKey(name string) bool {
	s, ok := specByName[name]
	return ok && s.multiKey
}

// OpParams are the parameters ops take from their workload's config.
type OpParams struct {
	TTL       time.Duration // set_ttl's expiry
	MGetBatch int           // keys per mget; below 1 means 1
	Structure Structure     // the workload's structure, for list, hash, set and zset ops
}

// NewOp returns the op called name of kind k. Its errors name the allowed
// kinds or ops, or what is wrong with p.Structure:
//
//	unknown op "get" for kind list: want one of lpush, rpush, lpop, rpop, lrange, llen, lindex
//
// A data-structure op keeps p.Structure (with its defaults filled in), and
// NewStream checks that it is the workload's.
func NewOp(k Kind, name string, p OpParams) (Op, error) {
	k = Structure{Kind: k}.normalized().Kind
	allowed, ok := opNames[k]
	if !ok {
		return nil, unknownKind(k)
	}
	spec, ok := specByName[name]
	if !ok || spec.kind != k {
		return nil, fmt.Errorf("%w %q for kind %s: want one of %s", ErrUnknownOp, name, k, strings.Join(allowed, ", "))
	}
	if spec.build != nil {
		return spec.build(p)
	}
	s := p.Structure
	if s.Kind == "" {
		s.Kind = k
	}
	if s = s.normalized(); s.Kind != k {
		return nil, fmt.Errorf("op %s: structure is of kind %s, want %s", name, s.Kind, k)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("op %s: %w", name, err)
	}
	return &structureOp{spec: spec, s: s}, nil
}

// checkOp reports an op that does not fit a workload of structure s: one of
// another kind (its commands would fail with WRONGTYPE on s's keys), or one
// built for another structure. Ops this package does not know pass.
func checkOp(op Op, s Structure) error {
	if spec, ok := specByName[op.Name()]; ok && spec.kind != s.Kind {
		return fmt.Errorf("op %s is a %s op, but the workload's keys hold %s", op.Name(), spec.kind, s.Kind)
	}
	if so, ok := op.(*structureOp); ok && so.s != s {
		return fmt.Errorf("op %s: built for structure %s, but the workload's is %s", op.Name(), so.s.describe(), s.describe())
	}
	return nil
}
