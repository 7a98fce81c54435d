package profile

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/target"
)

// TestAllowListReadOnly: the allow-list holds none of the commands the
// profiler must never send, and none of the writes ecbench's ops send.
func TestAllowListReadOnly(t *testing.T) {
	t.Parallel()
	never := []string{"keys", "monitor", "flushall", "flushdb", "config|get", "config|set", "config|resetstat", "debug",
		"set", "del", "unlink", "expire", "hset", "lpush", "sadd", "zadd", "eval", "evalsha", "script|load", "client|kill", "shutdown"}
	allow := AllowList()
	for _, name := range never {
		if slices.Contains(allow, name) {
			t.Errorf("%s is in the allow-list", name)
		}
	}
	for name, why := range allowed {
		if why == "" {
			t.Errorf("%s: the allow-list says not why", name)
		}
	}
}

// TestGuardRefuses sends commands outside the allow-list through a
// profiler's session, alone and in a pipeline: each fails with
// ErrNotAllowed and the server never sees it.
func TestGuardRefuses(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	ctx := context.Background()
	s, err := connect(ctx, target.Options{Addrs: []string{srv.Addr}}, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.close() }()
	c := s.primaries[0]
	tests := []struct {
		name string
		send func() error
	}{
		{"SET", func() error { return c.Set(ctx, "k", "v", 0).Err() }},
		{"KEYS", func() error { return c.Keys(ctx, "*").Err() }},
		{"FLUSHALL", func() error { return c.FlushAll(ctx).Err() }},
		{"CONFIG GET", func() error { return c.ConfigGet(ctx, "*").Err() }},
		{"DEBUG", func() error { return c.Do(ctx, "DEBUG", "SLEEP", "0").Err() }},
		{"a pipeline with one write", func() error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Type(ctx, "k")
				p.Del(ctx, "k")
				return nil
			})
			return err
		}},
	}
	for _, tt := range tests {
		if err := tt.send(); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: got %v, want ErrNotAllowed", tt.name, err)
		}
	}
	info := srv.Client().Info(ctx, "commandstats").Val()
	stats := target.ParseNodeStats("", time.Now(), map[string]target.InfoFields{"c": target.ParseInfoFields(info)}).Commands
	for _, name := range []string{"set", "keys", "flushall", "config|get", "debug", "del", "type"} {
		if stats[name].Calls != 0 {
			t.Errorf("the server ran %s %d times", name, stats[name].Calls)
		}
	}
	if got := s.counts.snapshot(); got["set"] != 0 || got["type"] != 0 {
		t.Errorf("refused commands were counted as sent: %v", got)
	}
}

func TestCommandName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		cmd  redis.Cmder
		want string
	}{
		{redis.NewStringCmd(ctx, "GET", "k"), "get"},
		{redis.NewIntCmd(ctx, "MEMORY", "USAGE", "k"), "memory|usage"},
		{redis.NewSliceCmd(ctx, "cluster", "slots"), "cluster|slots"},
		{redis.NewStringCmd(ctx, "INFO", "commandstats"), "info"},
		{redis.NewStringCmd(ctx, "CONFIG"), "config"},
	}
	for _, tt := range tests {
		if got := commandName(tt.cmd); got != tt.want {
			t.Errorf("commandName(%v) = %q, want %q", tt.cmd.Args(), got, tt.want)
		}
	}
}

// TestLimiter: n commands at rate r are spread over (n-1)/r at least,
// whatever the pipelines they come in.
func TestLimiter(t *testing.T) {
	t.Parallel()
	l := newLimiter(2000)
	ctx := context.Background()
	start := time.Now()
	for range 20 {
		if err := l.wait(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	// 200 slots: the last pipeline starts 190 slots, 95 ms, after the first.
	if d := time.Since(start); d < 95*time.Millisecond {
		t.Errorf("200 commands at 2000/s took %v, want at least 95ms", d)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.wait(cancelled, 1000); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait returned %v", err)
	}
}
