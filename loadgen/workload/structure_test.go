package workload_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// TestStructureIssueCommands checks the commands each data-structure op
// queues for its arguments, helpers included, on a pipeline that is never
// executed.
func TestStructureIssueCommands(t *testing.T) {
	t.Parallel()
	v := []byte("item")
	list := workload.Structure{Kind: workload.KindList, Elements: 50, RangeLen: 5}
	hash := workload.Structure{Kind: workload.KindHash, Elements: 50}
	set := workload.Structure{Kind: workload.KindSet, Elements: 50}
	zset := workload.Structure{Kind: workload.KindZSet, Elements: 50}
	tests := []struct {
		s    workload.Structure
		op   string
		args workload.Args
		want [][]any
	}{
		// A capped push is the push, then the trim to Elements items.
		{list, "lpush", workload.Args{Key: "l:1", Value: v}, [][]any{{"lpush", "l:1", v}, {"ltrim", "l:1", int64(0), int64(49)}}},
		{list, "rpush", workload.Args{Key: "l:1", Value: v}, [][]any{{"rpush", "l:1", v}, {"ltrim", "l:1", int64(-50), int64(-1)}}},
		{list, "lpop", workload.Args{Key: "l:2", Value: v, Member: "stale"}, [][]any{{"lpop", "l:2"}}},
		{list, "rpop", workload.Args{Key: "l:2"}, [][]any{{"rpop", "l:2"}}},
		{list, "lrange", workload.Args{Key: "l:3", Start: 7, Stop: 11}, [][]any{{"lrange", "l:3", int64(7), int64(11)}}},
		{list, "llen", workload.Args{Key: "l:4"}, [][]any{{"llen", "l:4"}}},
		{list, "lindex", workload.Args{Key: "l:5", Start: 42}, [][]any{{"lindex", "l:5", int64(42)}}},

		{hash, "hset", workload.Args{Key: "h:1", Member: "f:07", Value: v}, [][]any{{"hset", "h:1", "f:07", v}}},
		{hash, "hget", workload.Args{Key: "h:1", Member: "f:07"}, [][]any{{"hget", "h:1", "f:07"}}},
		{hash, "hmget", workload.Args{Key: "h:2", Members: []string{"f:01", "f:02", "f:01"}}, [][]any{{"hmget", "h:2", "f:01", "f:02", "f:01"}}},
		{hash, "hgetall", workload.Args{Key: "h:3"}, [][]any{{"hgetall", "h:3"}}},
		{hash, "hincrby", workload.Args{Key: "h:4", Member: "n:03"}, [][]any{{"hincrby", "h:4", "n:03", int64(1)}}},
		{hash, "hdel", workload.Args{Key: "h:5", Member: "f:04"}, [][]any{{"hdel", "h:5", "f:04"}}},
		{hash, "hlen", workload.Args{Key: "h:6"}, [][]any{{"hlen", "h:6"}}},

		{set, "sadd", workload.Args{Key: "s:1", Member: "m:01"}, [][]any{{"sadd", "s:1", "m:01"}}},
		{set, "srem", workload.Args{Key: "s:1", Member: "m:01"}, [][]any{{"srem", "s:1", "m:01"}}},
		{set, "sismember", workload.Args{Key: "s:2", Member: "m:02"}, [][]any{{"sismember", "s:2", "m:02"}}},
		{set, "smembers", workload.Args{Key: "s:3"}, [][]any{{"smembers", "s:3"}}},
		{set, "scard", workload.Args{Key: "s:4"}, [][]any{{"scard", "s:4"}}},
		{set, "srandmember", workload.Args{Key: "s:5"}, [][]any{{"srandmember", "s:5"}}},
		{set, "sinter", workload.Args{Key: "stale", Keys: []string{"s:6", "s:7"}}, [][]any{{"sinter", "s:6", "s:7"}}},

		{zset, "zadd", workload.Args{Key: "z:1", Member: "m:03", Score: 3}, [][]any{{"zadd", "z:1", float64(3), "m:03"}}},
		{zset, "zincrby", workload.Args{Key: "z:1", Member: "m:03", Score: -1}, [][]any{{"zincrby", "z:1", float64(-1), "m:03"}}},
		{zset, "zscore", workload.Args{Key: "z:2", Member: "m:04"}, [][]any{{"zscore", "z:2", "m:04"}}},
		{zset, "zrank", workload.Args{Key: "z:3", Member: "m:05"}, [][]any{{"zrank", "z:3", "m:05"}}},
		{zset, "zrange", workload.Args{Key: "z:4", Start: 3, Stop: 12}, [][]any{{"zrange", "z:4", int64(3), int64(12)}}},
		{zset, "zrangebyscore", workload.Args{Key: "z:5", Start: 3, Stop: 12}, [][]any{{"zrangebyscore", "z:5", "3", "12"}}},
		{zset, "zrevrange", workload.Args{Key: "z:6", Start: 0, Stop: 9}, [][]any{{"zrevrange", "z:6", int64(0), int64(9)}}},
		{zset, "zrem", workload.Args{Key: "z:7", Member: "m:06"}, [][]any{{"zrem", "z:7", "m:06"}}},
		{zset, "zcard", workload.Args{Key: "z:8"}, [][]any{{"zcard", "z:8"}}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.op] = true
		t.Run(tt.op, func(t *testing.T) {
			t.Parallel()
			got := queuedArgs(mustOp(t, tt.s, tt.op), &tt.args)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s queued %q, want %q", tt.op, got, tt.want)
			}
		})
	}
	for _, k := range workload.Kinds()[1:] {
		for _, name := range workload.OpNamesFor(k) {
			if !covered[name] {
				t.Errorf("op %s has no case", name)
			}
		}
	}
}

// TestCappedPushDirect checks that a capped push given a plain client (not
// a pipeline) sends its LTRIM in one pipeline with the push, one round
// trip, and returns the push.
func TestCappedPushDirect(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = c.Close() })
	ctx := t.Context()
	var sent [][]string
	c.AddHook(pipelineRecorder{&sent})
	s := workload.Structure{Kind: workload.KindList, Elements: 3}
	for i, name := range []string{"lpush", "rpush"} {
		sent = nil
		cmd := mustOp(t, s, name).Issue(ctx, c, &workload.Args{Key: "direct", Value: []byte("v")})
		if ic, ok := cmd.(*redis.IntCmd); !ok || cmd.Name() != name || ic.Val() != int64(i+1) {
			t.Errorf("%s returned %v, want the %s, answered %d", name, cmd, name, i+1)
		}
		if want := [][]string{{name, "ltrim"}}; !reflect.DeepEqual(sent, want) {
			t.Errorf("%s sent %q, want one pipeline %q", name, sent, want)
		}
	}
}

// pipelineRecorder is a go-redis hook that records the command names of
// each pipeline sent, and of each single command, but for the connection
// handshake's.
type pipelineRecorder struct{ sent *[][]string }

var handshake = []string{"hello", "client", "auth", "select", "ping"}

func (pipelineRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h pipelineRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !slices.Contains(handshake, cmd.Name()) {
			*h.sent = append(*h.sent, []string{"single " + cmd.Name()})
		}
		return next(ctx, cmd)
	}
}
func (h pipelineRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var names []string
		for _, c := range cmds {
			if !slices.Contains(handshake, c.Name()) {
				names = append(names, c.Name())
			}
		}
		if names != nil {
			*h.sent = append(*h.sent, names)
		}
		return next(ctx, cmds)
	}
}

// TestStructureOutcome classifies hand-built finished commands of the
// data-structure ops: what a miss is for each reply type, and that an
// unexpected reply type is never taken for one.
func TestStructureOutcome(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	integer := func(v int64) redis.Cmder {
		c := redis.NewIntCmd(ctx)
		c.SetVal(v)
		return c
	}
	strs := func(v ...string) redis.Cmder {
		c := redis.NewStringSliceCmd(ctx)
		c.SetVal(v)
		return c
	}
	boolean := func(v bool) redis.Cmder {
		c := redis.NewBoolCmd(ctx)
		c.SetVal(v)
		return c
	}
	slice := func(v ...any) redis.Cmder {
		c := redis.NewSliceCmd(ctx)
		c.SetVal(v)
		return c
	}
	hash := func(v map[string]string) redis.Cmder {
		c := redis.NewMapStringStringCmd(ctx)
		c.SetVal(v)
		return c
	}
	nilStr := func() redis.Cmder {
		c := redis.NewStringCmd(ctx)
		c.SetErr(redis.Nil)
		return c
	}
	failed := func(msg string) redis.Cmder {
		c := redis.NewIntCmd(ctx)
		c.SetErr(replyError(msg))
		return c
	}
	status := redis.NewStatusCmd(ctx)
	status.SetVal("OK")
	wrongType := "WRONGTYPE Operation against a key holding the wrong kind of value"
	s := func(k workload.Kind) workload.Structure { return workload.Structure{Kind: k, Elements: 5} }
	const ok, miss, fail, none = result.OK, result.Miss, result.Error, result.ClassNone
	tests := []struct {
		kind    workload.Kind
		op      string
		cmd     redis.Cmder
		outcome result.Outcome
		class   result.Class
	}{
		{"list", "lpush", integer(1), ok, none},
		{"list", "lpush", failed(wrongType), fail, result.ClassWrongType},
		{"list", "lpush", failed("OOM command not allowed"), fail, result.ClassOOM},
		{"list", "lpop", nilStr(), miss, none},
		{"list", "lrange", strs(), miss, none},
		{"list", "lrange", strs("a"), ok, none},
		{"list", "llen", integer(0), miss, none},
		{"list", "llen", integer(3), ok, none},
		{"list", "lindex", nilStr(), miss, none},
		{"hash", "hset", integer(0), ok, none}, // an overwrite is not a miss
		{"hash", "hget", nilStr(), miss, none},
		{"hash", "hmget", slice(nil, nil), miss, none},
		{"hash", "hmget", slice(nil, "v"), ok, none},
		{"hash", "hgetall", hash(map[string]string{}), miss, none},
		{"hash", "hgetall", hash(map[string]string{"f": "v"}), ok, none},
		{"hash", "hincrby", integer(0), ok, none},
		{"hash", "hincrby", failed("ERR hash value is not an integer"), fail, result.ClassOther},
		{"hash", "hdel", integer(0), miss, none},
		{"hash", "hdel", integer(1), ok, none},
		{"hash", "hlen", integer(0), miss, none},
		{"set", "sadd", integer(0), ok, none}, // already a member is not a miss
		{"set", "srem", integer(0), miss, none},
		{"set", "sismember", boolean(false), miss, none},
		{"set", "sismember", boolean(true), ok, none},
		{"set", "smembers", strs(), miss, none},
		{"set", "scard", integer(0), miss, none},
		{"set", "srandmember", nilStr(), miss, none},
		{"set", "sinter", strs(), miss, none},
		{"set", "sinter", strs("m:1"), ok, none},
		{"set", "sinter", failed("CROSSSLOT Keys in request don't hash to the same slot"), fail, result.ClassCrossSlot},
		{"zset", "zadd", integer(0), ok, none},
		{"zset", "zscore", nilStr(), miss, none},
		{"zset", "zrank", nilStr(), miss, none},
		{"zset", "zrange", strs(), miss, none},
		{"zset", "zrangebyscore", strs(), miss, none},
		{"zset", "zrevrange", strs("m:1"), ok, none},
		{"zset", "zrem", integer(0), miss, none},
		{"zset", "zcard", integer(0), miss, none},
		{"zset", "zcard", integer(2), ok, none},
		// Another reply type is never a miss.
		{"list", "llen", status, ok, none},
		{"list", "lrange", status, ok, none},
		{"hash", "hgetall", status, ok, none},
		{"hash", "hmget", status, ok, none},
		{"set", "sismember", status, ok, none},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.op, tt.cmd), func(t *testing.T) {
			t.Parallel()
			op := mustOp(t, s(tt.kind), tt.op)
			outcome, class := workload.Outcome(op, tt.cmd)
			if outcome != tt.outcome || class != tt.class {
				t.Errorf("Outcome(%s, %v) = (%v, %q), want (%v, %q)", tt.op, tt.cmd, outcome, class, tt.outcome, tt.class)
			}
		})
	}
}
