package workload_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// replyError is a server error reply, as go-redis hands it over.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

var _ redis.Error = replyError("")

// TestOutcome classifies hand-built finished commands, including the cases
// a server is slow to produce (a timeout) or never produces for that op.
func TestOutcome(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	str := func(val string, err error) redis.Cmder {
		c := redis.NewStringCmd(ctx, "get", "k")
		c.SetVal(val)
		c.SetErr(err)
		return c
	}
	slice := func(val ...any) redis.Cmder {
		c := redis.NewSliceCmd(ctx, "mget", "a", "b")
		c.SetVal(val)
		return c
	}
	integer := func(val int64, err error) redis.Cmder {
		c := redis.NewIntCmd(ctx, "del", "k")
		c.SetVal(val)
		c.SetErr(err)
		return c
	}
	status := func(val string) redis.Cmder {
		c := redis.NewStatusCmd(ctx, "set", "k", "v")
		c.SetVal(val)
		return c
	}
	tests := []struct {
		name    string
		op      workload.Op
		cmd     redis.Cmder
		outcome result.Outcome
		class   result.Class
	}{
		{"get hit", workload.Get{}, str("v", nil), result.OK, result.ClassNone},
		{"get hit on empty value", workload.Get{}, str("", nil), result.OK, result.ClassNone},
		{"get nil is a miss", workload.Get{}, str("", redis.Nil), result.Miss, result.ClassNone},
		{"get wrapped nil is a miss", workload.Get{}, str("", fmt.Errorf("pipeline: %w", redis.Nil)), result.Miss, result.ClassNone},
		{"get wrongtype", workload.Get{}, str("", replyError("WRONGTYPE Operation against a key holding the wrong kind of value")), result.Error, result.ClassWrongType},
		{"get timeout", workload.Get{}, str("", context.DeadlineExceeded), result.Error, result.ClassTimeout},
		{"get canceled", workload.Get{}, str("", context.Canceled), result.Error, result.ClassCanceled},
		{"set ok", workload.Set{}, status("OK"), result.OK, result.ClassNone},
		{"set_ttl oom", workload.SetTTL{TTL: time.Second}, func() redis.Cmder {
			c := redis.NewStatusCmd(ctx, "set")
			c.SetErr(replyError("OOM command not allowed when used memory > 'maxmemory'."))
			return c
		}(), result.Error, result.ClassOOM},
		{"mget all nil is a miss", workload.MGet{Batch: 2}, slice(nil, nil), result.Miss, result.ClassNone},
		{"mget partial is ok", workload.MGet{Batch: 2}, slice(nil, "v"), result.OK, result.ClassNone},
		{"mget all present is ok", workload.MGet{Batch: 2}, slice("v", "w"), result.OK, result.ClassNone},
		{"mget empty string is a hit", workload.MGet{Batch: 1}, slice(""), result.OK, result.ClassNone},
		{"mget error", workload.MGet{Batch: 2}, func() redis.Cmder {
			c := redis.NewSliceCmd(ctx, "mget")
			c.SetErr(replyError("CROSSSLOT Keys in request don't hash to the same slot"))
			return c
		}(), result.Error, result.ClassCrossSlot},
		{"mget with another cmd type is not a miss", workload.MGet{Batch: 2}, status("OK"), result.OK, result.ClassNone},
		{"del of a missing key is a miss", workload.Del{}, integer(0, nil), result.Miss, result.ClassNone},
		{"del of an existing key is ok", workload.Del{}, integer(1, nil), result.OK, result.ClassNone},
		{"del error", workload.Del{}, integer(0, replyError("READONLY You can't write against a read only replica.")), result.Error, result.ClassReadonly},
		{"del with another cmd type is not a miss", workload.Del{}, status("OK"), result.OK, result.ClassNone},
		{"incr to zero is not a miss", workload.Incr{}, integer(0, nil), result.OK, result.ClassNone},
		{"incr ok", workload.Incr{}, integer(7, nil), result.OK, result.ClassNone},
		{"incr on a non-integer", workload.Incr{}, integer(0, replyError("ERR value is not an integer or out of range")), result.Error, result.ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			outcome, class := workload.Outcome(tt.op, tt.cmd)
			if outcome != tt.outcome || class != tt.class {
				t.Errorf("Outcome(%s, %v) = (%v, %q), want (%v, %q)", tt.op.Name(), tt.cmd, outcome, class, tt.outcome, tt.class)
			}
		})
	}
}

// TestIssueCommands checks the command each op queues for its arguments,
// on a pipeline that is never executed, so no server is needed.
func TestIssueCommands(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = c.Close() })
	v := []byte("value")
	tests := []struct {
		op   workload.Op
		args workload.Args
		want []any
	}{
		{workload.Get{}, workload.Args{Key: "k:1"}, []any{"get", "k:1"}},
		{workload.Set{}, workload.Args{Key: "k:2", Value: v}, []any{"set", "k:2", v}},
		// Stale fields of another op in the same slot are ignored.
		{workload.Set{}, workload.Args{Key: "k:2", Value: v, TTL: time.Hour, Keys: []string{"x"}}, []any{"set", "k:2", v}},
		{workload.SetTTL{TTL: time.Minute}, workload.Args{Key: "k:3", Value: v, TTL: time.Minute}, []any{"set", "k:3", v, "ex", int64(60)}},
		{workload.SetTTL{TTL: 1500 * time.Millisecond}, workload.Args{Key: "k:3", Value: v, TTL: 1500 * time.Millisecond}, []any{"set", "k:3", v, "px", int64(1500)}},
		{workload.MGet{Batch: 3}, workload.Args{Keys: []string{"k:4", "k:5", "k:4"}, Key: "stale"}, []any{"mget", "k:4", "k:5", "k:4"}},
		{workload.Incr{}, workload.Args{Key: "k:ctr:6"}, []any{"incr", "k:ctr:6"}},
		{workload.Del{}, workload.Args{Key: "k:7"}, []any{"del", "k:7"}},
	}
	for _, tt := range tests {
		t.Run(tt.op.Name(), func(t *testing.T) {
			t.Parallel()
			cmd := tt.op.Issue(context.Background(), c.Pipeline(), &tt.args)
			if got := cmd.Args(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s queued %q, want %q", tt.op.Name(), got, tt.want)
			}
		})
	}
}

// TestPrepareFillsArgs checks, through a stream, that each op's Prepare
// fills the fields its Issue reads, and only from the right namespace.
func TestPrepareFillsArgs(t *testing.T) {
	t.Parallel()
	const ttl = 90 * time.Second
	tests := []struct {
		op    workload.Op
		check func(*workload.Args) error
	}{
		{workload.Get{}, keyUnder("p:")},
		{workload.Del{}, keyUnder("p:")},
		{workload.Incr{}, keyUnder("p:ctr:")},
		{workload.Set{}, func(a *workload.Args) error {
			if len(a.Value) != 5 {
				return fmt.Errorf("value of %d bytes, want 5", len(a.Value))
			}
			return keyUnder("p:")(a)
		}},
		{workload.SetTTL{TTL: ttl}, func(a *workload.Args) error {
			if a.TTL != ttl || len(a.Value) != 5 {
				return fmt.Errorf("TTL %v and %d-byte value, want %v and 5 bytes", a.TTL, len(a.Value), ttl)
			}
			return keyUnder("p:")(a)
		}},
		{workload.MGet{Batch: 5}, batchOf(5)},
		{workload.MGet{Batch: 1}, batchOf(1)},
		{workload.MGet{Batch: 0}, batchOf(1)}, // at least one key
		{workload.MGet{Batch: -2}, batchOf(1)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %+v", tt.op.Name(), tt.op), func(t *testing.T) {
			t.Parallel()
			w := &workload.Workload{Ops: []workload.Weighted{{Op: tt.op, Weight: 1}}, Keys: workload.Keys{Prefix: "p:", Count: 1000}, Values: workload.Values{Min: 5, Max: 5}, Pipeline: 2}
			s := newStream(t, w)
			var r workload.Request
			for range 100 {
				s.Next(&r)
				for i := range r.Cmds {
					if err := tt.check(&r.Cmds[i].Args); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

func keyUnder(prefix string) func(*workload.Args) error {
	return func(a *workload.Args) error {
		_, err := parseKey(a.Key, prefix, 1000)
		return err
	}
}

func batchOf(n int) func(*workload.Args) error {
	return func(a *workload.Args) error {
		if len(a.Keys) != n {
			return fmt.Errorf("%d keys, want %d", len(a.Keys), n)
		}
		for _, k := range a.Keys {
			if _, err := parseKey(k, "p:", 1000); err != nil {
				return err
			}
		}
		return nil
	}
}
