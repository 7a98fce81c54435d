package trace

import (
	"slices"
	"sync"
)

// Command is a command that a replay can send: its name and where its keys
// and values are among its arguments. Positions count the name as 0, as
// Redis' own key specs do.
type Command struct {
	name string
	// arity is Redis': n > 0 is exactly n words with the name, n < 0 at
	// least -n.
	arity int
	// Keys are the words firstKey, firstKey+keyStep, ... up to lastKey
	// (< 0: counted from the end, -1 the last word). firstKey 0: no keys.
	firstKey, lastKey, keyStep int
	// Values are the words firstValue, firstValue+valueStep, ... to the
	// end (valueStep 0: firstValue alone). firstValue 0: no values. A value
	// is data the client stored; a replay synthesizes it at its size.
	firstValue, valueStep int
	// pairsFrom, when > 0, is where words come in pairs up to the end
	// (MSET's keys and values, HSET's fields and values).
	pairsFrom int
}

// Name is the command's lowercase name, which Redis' commandstats list as
// cmdstat_<name>.
func (c *Command) Name() string { return c.name }

// Role is what a word of a command is, for a replay.
type Role uint8

// The roles of a command's words after its name.
const (
	// Literal words are sent as recorded: fields, members, scores, options.
	Literal Role = iota
	// Key words get the workload's prefix.
	Key
	// Value words are replaced by synthesized bytes of the same size.
	Value
)

// role returns the role of word i (1 or more) of a command of argc words.
func (c *Command) role(i, argc int) Role {
	if c.firstValue > 0 && i >= c.firstValue && (c.valueStep == 0 && i == c.firstValue || c.valueStep > 0 && (i-c.firstValue)%c.valueStep == 0) {
		return Value
	}
	if c.firstKey > 0 && i >= c.firstKey {
		last := c.lastKey
		if last < 0 {
			last += argc
		}
		if i <= last && (i-c.firstKey)%c.keyStep == 0 {
			return Key
		}
	}
	return Literal
}

// fits reports whether argc words (the name included) are a valid call.
func (c *Command) fits(argc int) bool {
	if c.arity > 0 && argc != c.arity || c.arity < 0 && argc < -c.arity {
		return false
	}
	return c.pairsFrom == 0 || (argc-c.pairsFrom)%2 == 0
}

// cmd builds a table entry with one key, the first word.
func cmd(name string, arity int) Command {
	return Command{name: name, arity: arity, firstKey: 1, lastKey: 1, keyStep: 1}
}

// keys sets the key words; values sets the value words; pairs says where
// pairs start.
func (c Command) keys(first, last, step int) Command {
	c.firstKey, c.lastKey, c.keyStep = first, last, step
	return c
}
func (c Command) values(first, step int) Command { c.firstValue, c.valueStep = first, step; return c }
func (c Command) pairs(from int) Command         { c.pairsFrom = from; return c }

// commands are the commands a replay sends: the data commands whose keys sit
// at fixed positions and that neither block nor change the connection's
// state. Arities are Redis 7.2's. Values (synthesized at their size) are
// the bytes a client stores: string values, hash field values and list
// items; set and sorted-set members, hash fields, scores and options are
// sent as recorded, since they name things rather than carry data.
var commands = [...]Command{
	// Strings.
	cmd("get", 2), cmd("set", -3).values(2, 0), cmd("setnx", 3).values(2, 0),
	cmd("setex", 4).values(3, 0), cmd("psetex", 4).values(3, 0), cmd("getset", 3).values(2, 0),
	cmd("getdel", 2), cmd("getex", -2), cmd("append", 3).values(2, 0), cmd("strlen", 2),
	cmd("incr", 2), cmd("decr", 2), cmd("incrby", 3), cmd("decrby", 3), cmd("incrbyfloat", 3),
	cmd("mget", -2).keys(1, -1, 1), cmd("mset", -3).keys(1, -1, 2).values(2, 2).pairs(1),
	cmd("msetnx", -3).keys(1, -1, 2).values(2, 2).pairs(1), cmd("setrange", 4).values(3, 0),
	cmd("getrange", 4), cmd("substr", 4),
	cmd("setbit", 4), cmd("getbit", 3), cmd("bitcount", -2), cmd("bitpos", -3),

	// Keys.
	cmd("del", -2).keys(1, -1, 1), cmd("unlink", -2).keys(1, -1, 1), cmd("exists", -2).keys(1, -1, 1),
	cmd("touch", -2).keys(1, -1, 1), cmd("expire", -3), cmd("pexpire", -3), cmd("expireat", -3),
	cmd("pexpireat", -3), cmd("expiretime", 2), cmd("pexpiretime", 2), cmd("ttl", 2), cmd("pttl", 2),
	cmd("persist", 2), cmd("type", 2), cmd("rename", 3).keys(1, 2, 1), cmd("renamenx", 3).keys(1, 2, 1),
	cmd("copy", -3).keys(1, 2, 1),

	// Hashes.
	cmd("hset", -4).values(3, 2).pairs(2), cmd("hmset", -4).values(3, 2).pairs(2), cmd("hsetnx", 4).values(3, 0),
	cmd("hget", 3), cmd("hmget", -3), cmd("hgetall", 2), cmd("hdel", -3), cmd("hexists", 3),
	cmd("hincrby", 4), cmd("hincrbyfloat", 4), cmd("hlen", 2), cmd("hkeys", 2), cmd("hvals", 2),
	cmd("hstrlen", 3), cmd("hrandfield", -2),

	// Lists.
	cmd("lpush", -3).values(2, 1), cmd("rpush", -3).values(2, 1), cmd("lpushx", -3).values(2, 1),
	cmd("rpushx", -3).values(2, 1), cmd("lpop", -2), cmd("rpop", -2), cmd("llen", 2), cmd("lrange", 4),
	cmd("lindex", 3), cmd("lset", 4).values(3, 0), cmd("ltrim", 4), cmd("lrem", 4),
	cmd("linsert", 5).values(4, 0), cmd("lpos", -3), cmd("lmove", 5).keys(1, 2, 1), cmd("rpoplpush", 3).keys(1, 2, 1),

	// Sets.
	cmd("sadd", -3), cmd("srem", -3), cmd("sismember", 3), cmd("smismember", -3), cmd("smembers", 2),
	cmd("scard", 2), cmd("spop", -2), cmd("srandmember", -2), cmd("smove", 4).keys(1, 2, 1),
	cmd("sinter", -2).keys(1, -1, 1), cmd("sunion", -2).keys(1, -1, 1), cmd("sdiff", -2).keys(1, -1, 1),
	cmd("sinterstore", -3).keys(1, -1, 1), cmd("sunionstore", -3).keys(1, -1, 1), cmd("sdiffstore", -3).keys(1, -1, 1),

	// Sorted sets.
	cmd("zadd", -4), cmd("zincrby", 4), cmd("zscore", 3), cmd("zmscore", -3), cmd("zrank", -3),
	cmd("zrevrank", -3), cmd("zrange", -4), cmd("zrevrange", -4), cmd("zrangebyscore", -4),
	cmd("zrevrangebyscore", -4), cmd("zrangebylex", 4), cmd("zrevrangebylex", 4), cmd("zrem", -3),
	cmd("zcard", 2), cmd("zcount", 4), cmd("zlexcount", 4), cmd("zpopmin", -2), cmd("zpopmax", -2),
	cmd("zrandmember", -2), cmd("zremrangebyrank", 4), cmd("zremrangebyscore", 4), cmd("zremrangebylex", 4),

	// HyperLogLogs, geo, streams: keyed by their first word.
	cmd("pfadd", -2), cmd("pfcount", -2).keys(1, -1, 1), cmd("pfmerge", -2).keys(1, -1, 1),
	cmd("geoadd", -5), cmd("geodist", -4), cmd("geohash", -2), cmd("geopos", -2), cmd("geosearch", -7),
	cmd("xadd", -5), cmd("xlen", 2), cmd("xrange", -4), cmd("xrevrange", -4), cmd("xdel", -3),
	cmd("xtrim", -4), cmd("xack", -4),
}

// skippedNames are the commands a replay does not send, by name: a fixed
// set (a bounded label value), and "other" for every command it does not
// know. They are the commands that change the connection's state (SELECT,
// MULTI, WATCH, SUBSCRIBE), block (BLPOP, XREAD … BLOCK), run code
// (EVAL, FCALL), administer the server, or whose keys cannot be found by
// position (ZUNIONSTORE's numkeys, SORT's BY patterns, XREAD's STREAMS).
var skippedNames = []string{
	"auth", "hello", "select", "ping", "echo", "quit", "reset", "info", "config", "client", "command",
	"cluster", "readonly", "readwrite", "asking", "monitor", "debug", "slowlog", "latency", "memory",
	"object", "dbsize", "time", "lastsave", "save", "bgsave", "bgrewriteaof", "shutdown", "replicaof",
	"slaveof", "sync", "psync", "replconf", "wait", "waitaof", "failover", "role", "acl", "module",
	"flushdb", "flushall", "swapdb", "move", "keys", "scan", "sscan", "hscan", "zscan", "randomkey",
	"dump", "restore", "migrate", "sort", "sort_ro",
	"multi", "exec", "discard", "watch", "unwatch",
	"eval", "evalsha", "eval_ro", "evalsha_ro", "script", "fcall", "fcall_ro", "function",
	"subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "publish",
	"spublish", "pubsub",
	"blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop",
	"lmpop", "zmpop", "sintercard", "zintercard", "zunionstore", "zinterstore", "zdiffstore",
	"zrangestore", "zunion", "zinter", "zdiff", "bitop", "bitfield", "bitfield_ro", "lcs",
	"georadius", "georadius_ro", "georadiusbymember", "georadiusbymember_ro", "geosearchstore",
	"xread", "xreadgroup", "xgroup", "xinfo", "xclaim", "xautoclaim", "xpending", "xsetid",
	Other,
}

// Other is the skipped name of every command neither sent nor named in
// SkippedNames.
const Other = "other"

// maxNameLen is longer than any command name; a longer word is no command.
const maxNameLen = 32

var (
	commandIndex = func() map[string]*Command {
		m := make(map[string]*Command, len(commands))
		for i := range commands {
			c := &commands[i]
			if _, dup := m[c.name]; dup || slices.Contains(skippedNames, c.name) {
				panic("trace: command " + c.name + " is listed twice")
			}
			m[c.name] = c
		}
		return m
	}()
	skippedIndex = func() map[string]int {
		m := make(map[string]int, len(skippedNames))
		for i, n := range skippedNames {
			m[n] = i
		}
		return m
	}()
	commandNames = sync.OnceValue(func() []string {
		names := make([]string, len(commands))
		for i := range commands {
			names[i] = commands[i].name
		}
		return names
	})
)

// CommandNames returns the names of the commands a replay sends, in table
// order. The slice is the caller's.
func CommandNames() []string { return slices.Clone(commandNames()) }

// SkippedNames returns the names skipped commands are counted under, Other
// last; a count by skipped name is indexed like it. The slice is the
// caller's.
func SkippedNames() []string { return slices.Clone(skippedNames) }

// LookupCommand returns the command called name (any case), or nil when a
// replay does not send it.
func LookupCommand(name string) *Command {
	var buf [maxNameLen]byte
	return lookup(lower(buf[:0], []byte(name)))
}

func lookup(lowerName []byte) *Command { return commandIndex[string(lowerName)] }

// skipped returns the index in SkippedNames of the lowercase name.
func skipped(lowerName []byte) int {
	if i, ok := skippedIndex[string(lowerName)]; ok {
		return i
	}
	return len(skippedNames) - 1
}

// lower appends name in lower case to dst, or returns nil when name is too
// long to be a command.
func lower(dst, name []byte) []byte {
	if len(name) > maxNameLen {
		return nil
	}
	for _, b := range name {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		dst = append(dst, b)
	}
	return dst
}
