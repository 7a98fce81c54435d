package profile

import (
	"strings"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// opOf is the ecbench op a server command is reproduced by, and the kind
// of keys it works on.
type opOf struct {
	kind workload.Kind
	op   string
}

// commandOps maps the commands that commandstats counts to ecbench's ops
// (loadgen/workload's op table). A command is mapped to the op that sends
// it, or to the op closest in cost and reply: SETNX is a SET, UNLINK a DEL,
// ZREVRANK a ZRANK. DEL and UNLINK are kv's del, whatever the type of the
// keys they delete: the counters do not say. SET is split into set and
// set_ttl by the share of sampled strings that have a TTL (a SET with EX
// is counted as a SET).
var commandOps = map[string]opOf{
	"get": {workload.KindKV, "get"}, "getex": {workload.KindKV, "get"},
	"set": {workload.KindKV, "set"}, "setnx": {workload.KindKV, "set"},
	"setex": {workload.KindKV, "set_ttl"}, "psetex": {workload.KindKV, "set_ttl"},
	"mget": {workload.KindKV, "mget"},
	"incr": {workload.KindKV, "incr"}, "incrby": {workload.KindKV, "incr"},
	"decr": {workload.KindKV, "incr"}, "decrby": {workload.KindKV, "incr"},
	"del": {workload.KindKV, "del"}, "unlink": {workload.KindKV, "del"},

	"lpush": {workload.KindList, "lpush"}, "lpushx": {workload.KindList, "lpush"},
	"rpush": {workload.KindList, "rpush"}, "rpushx": {workload.KindList, "rpush"},
	"lpop": {workload.KindList, "lpop"}, "rpop": {workload.KindList, "rpop"},
	"lrange": {workload.KindList, "lrange"}, "llen": {workload.KindList, "llen"},
	"lindex": {workload.KindList, "lindex"},

	"hset": {workload.KindHash, "hset"}, "hmset": {workload.KindHash, "hset"}, "hsetnx": {workload.KindHash, "hset"},
	"hget": {workload.KindHash, "hget"}, "hmget": {workload.KindHash, "hmget"},
	"hgetall": {workload.KindHash, "hgetall"},
	"hincrby": {workload.KindHash, "hincrby"}, "hincrbyfloat": {workload.KindHash, "hincrby"},
	"hdel": {workload.KindHash, "hdel"}, "hlen": {workload.KindHash, "hlen"},

	"sadd": {workload.KindSet, "sadd"}, "srem": {workload.KindSet, "srem"},
	"sismember": {workload.KindSet, "sismember"}, "smismember": {workload.KindSet, "sismember"},
	"smembers": {workload.KindSet, "smembers"}, "scard": {workload.KindSet, "scard"},
	"srandmember": {workload.KindSet, "srandmember"}, "sinter": {workload.KindSet, "sinter"},

	"zadd": {workload.KindZSet, "zadd"}, "zincrby": {workload.KindZSet, "zincrby"},
	"zscore": {workload.KindZSet, "zscore"}, "zmscore": {workload.KindZSet, "zscore"},
	"zrank": {workload.KindZSet, "zrank"}, "zrevrank": {workload.KindZSet, "zrank"},
	"zrange": {workload.KindZSet, "zrange"}, "zrevrange": {workload.KindZSet, "zrevrange"},
	"zrangebyscore": {workload.KindZSet, "zrangebyscore"}, "zrevrangebyscore": {workload.KindZSet, "zrangebyscore"},
	"zrem": {workload.KindZSet, "zrem"}, "zcard": {workload.KindZSet, "zcard"},
}

// adminCommands are connection and server commands: no workload sends
// them, and they are left out of the mix, not counted as unreproduced.
var adminCommands = map[string]bool{
	"ping": true, "echo": true, "info": true, "auth": true, "hello": true, "select": true, "quit": true,
	"reset": true, "readonly": true, "readwrite": true, "time": true, "dbsize": true, "lastsave": true,
	"role": true, "replconf": true, "psync": true, "sync": true, "wait": true, "waitaof": true, "monitor": true,
}

// adminContainers are the container commands whose every subcommand is
// an admin command: "client|setinfo", "cluster|slots", "config|get".
var adminContainers = map[string]bool{
	"client": true, "cluster": true, "command": true, "config": true, "slowlog": true, "latency": true,
	"memory": true, "acl": true, "module": true,
}

// isAdmin reports whether the command named as commandstats names it is
// a connection or server command.
func isAdmin(name string) bool {
	if adminCommands[name] {
		return true
	}
	container, _, ok := strings.Cut(name, "|")
	return ok && adminContainers[container]
}

// kindOfType is the workload kind of a Redis TYPE; other types (streams,
// modules' types) have none.
var kindOfType = map[string]workload.Kind{
	"string": workload.KindKV, "list": workload.KindList, "hash": workload.KindHash,
	"set": workload.KindSet, "zset": workload.KindZSet,
}

// typeOfKind is kindOfType's inverse.
func typeOfKind(k workload.Kind) string {
	for t, kk := range kindOfType {
		if kk == k {
			return t
		}
	}
	return ""
}
