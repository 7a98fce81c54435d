package workload

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors of NewOp, wrapped with the name at fault and the allowed names.
var (
	ErrUnknownKind = errors.New("unknown workload kind")
	ErrUnknownOp   = errors.New("unknown op")
)

// opNames are the op label values of each kind, in canonical order. No name
// appears under two kinds.
var opNames = map[Kind][]string{
	KindKV:   {"get", "set", "set_ttl", "mget", "incr", "del"},
	KindList: {"lpush", "rpush", "lpop", "rpop", "lrange", "llen", "lindex"},
	KindHash: {"hset", "hget", "hmget", "hgetall", "hincrby", "hdel", "hlen"},
	KindSet:  {"sadd", "srem", "sismember", "smembers", "scard", "srandmember", "sinter"},
	KindZSet: {"zadd", "zincrby", "zscore", "zrank", "zrange", "zrangebyscore", "zrevrange", "zrem", "zcard"},
}

// opKind is the kind of every op name, for NewStream's check that a
// workload's ops act on the kind its keys hold.
var opKind = func() map[string]Kind {
	m := map[string]Kind{}
	for k, names := range opNames {
		for _, n := range names {
			m[n] = k
		}
	}
	return m
}()

// newStructureOp builds the data-structure op of each name for a normalized,
// valid structure.
var newStructureOp = map[string]func(Structure) Op{
	"lpush":  func(s Structure) Op { return lpush{dsOp{s}} },
	"rpush":  func(s Structure) Op { return rpush{dsOp{s}} },
	"lpop":   func(s Structure) Op { return lpop{dsOp{s}} },
	"rpop":   func(s Structure) Op { return rpop{dsOp{s}} },
	"lrange": func(s Structure) Op { return lrange{dsOp{s}} },
	"llen":   func(s Structure) Op { return llen{dsOp{s}} },
	"lindex": func(s Structure) Op { return lindex{dsOp{s}} },

	"hset":    func(s Structure) Op { return hset{dsOp{s}} },
	"hget":    func(s Structure) Op { return hget{dsOp{s}} },
	"hmget":   func(s Structure) Op { return hmget{dsOp{s}} },
	"hgetall": func(s Structure) Op { return hgetall{dsOp{s}} },
	"hincrby": func(s Structure) Op { return hincrby{dsOp{s}} },
	"hdel":    func(s Structure) Op { return hdel{dsOp{s}} },
	"hlen":    func(s Structure) Op { return hlen{dsOp{s}} },

	"sadd":        func(s Structure) Op { return sadd{dsOp{s}} },
	"srem":        func(s Structure) Op { return srem{dsOp{s}} },
	"sismember":   func(s Structure) Op { return sismember{dsOp{s}} },
	"smembers":    func(s Structure) Op { return smembers{dsOp{s}} },
	"scard":       func(s Structure) Op { return scard{dsOp{s}} },
	"srandmember": func(s Structure) Op { return srandmember{dsOp{s}} },
	"sinter":      func(s Structure) Op { return sinter{dsOp{s}} },

	"zadd":          func(s Structure) Op { return zadd{dsOp{s}} },
	"zincrby":       func(s Structure) Op { return zincrby{dsOp{s}} },
	"zscore":        func(s Structure) Op { return zscore{dsOp{s}} },
	"zrank":         func(s Structure) Op { return zrank{dsOp{s}} },
	"zrange":        func(s Structure) Op { return zrange{dsOp{s}} },
	"zrangebyscore": func(s Structure) Op { return zrangebyscore{dsOp{s}} },
	"zrevrange":     func(s Structure) Op { return zrevrange{dsOp{s}} },
	"zrem":          func(s Structure) Op { return zrem{dsOp{s}} },
	"zcard":         func(s Structure) Op { return zcard{dsOp{s}} },
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
	return name == "mget" || name == "sinter"
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
	if !slices.Contains(allowed, name) {
		return nil, fmt.Errorf("%w %q for kind %s: want one of %s", ErrUnknownOp, name, k, strings.Join(allowed, ", "))
	}
	switch name {
	case "get":
		return Get{}, nil
	case "set":
		return Set{}, nil
	case "set_ttl":
		if p.TTL <= 0 {
			return nil, fmt.Errorf("op set_ttl: ttl must be > 0, got %v", p.TTL)
		}
		return SetTTL{TTL: p.TTL}, nil
	case "mget":
		return MGet{Batch: p.MGetBatch}, nil
	case "incr":
		return Incr{}, nil
	case "del":
		return Del{}, nil
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
	return newStructureOp[name](s), nil
}

// dsOp is what every data-structure op holds: its workload's structure.
type dsOp struct{ s Structure }

func (o dsOp) structure() Structure { return o.s }

// structured is implemented by the data-structure ops.
type structured interface {
	structure() Structure
}

// checkOp reports an op that does not fit a workload of structure s: one of
// another kind (its commands would fail with WRONGTYPE on s's keys), or one
// built for another structure. Ops this package does not know pass.
func checkOp(op Op, s Structure) error {
	if k, ok := opKind[op.Name()]; ok && k != s.Kind {
		return fmt.Errorf("op %s is a %s op, but the workload's keys hold %s", op.Name(), k, s.Kind)
	}
	if so, ok := op.(structured); ok && so.structure() != s {
		return fmt.Errorf("op %s: built for structure %+v, but the workload's is %+v", op.Name(), so.structure(), s)
	}
	return nil
}
