package workload

import (
	"context"
	"io"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestPreloadFailure checks which command a failed preload pipeline is
// blamed on: the one the server refused, or, when the connection broke and
// every command got the same error, the largest, never the DEL before it.
func TestPreloadFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pipeline := func(errs ...error) []redis.Cmder {
		del := redis.NewIntCmd(ctx, "del", "k:0")
		hset := redis.NewIntCmd(ctx, "hset", "k:0", "f:0", "v")
		hset2 := redis.NewIntCmd(ctx, "hset", "k:0", "f:1", "v")
		cmds := []redis.Cmder{del, hset, hset2}
		for i, err := range errs {
			cmds[i].SetErr(err)
		}
		return cmds
	}
	sizes := []int{3, 1 << 20, 4096}
	tests := []struct {
		name string
		cmds []redis.Cmder
		want string // "" for none
	}{
		{"every command answered", pipeline(), ""},
		{"the server refused one", pipeline(nil, proto("OOM command not allowed")),
			"preload: hset k:0: OOM command not allowed"},
		{"a refusal after a broken connection's errors", pipeline(io.EOF, proto("ERR Protocol error: invalid bulk length"), io.EOF),
			"preload: hset k:0: ERR Protocol error: invalid bulk length"},
		{"no reply at all: the largest, not the DEL", pipeline(io.EOF, io.EOF, io.EOF),
			"preload: hset k:0 (1048576 bytes, the largest of 3 commands of 1052675 bytes sent together) got no reply: EOF"},
		{"no reply after the first", pipeline(nil, nil, io.EOF),
			"preload: hset k:0 (4096 bytes, the largest of 3 commands of 1052675 bytes sent together) got no reply: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := preloadFailure(tt.cmds, sizes, 1052675)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want none", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

// proto is a server's error reply: a redis.Error, as go-redis parses one.
func proto(msg string) error { return replyError(msg) }

type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

var _ redis.Error = replyError("")
