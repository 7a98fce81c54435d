package servertest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestStartBothEngines(t *testing.T) {
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := Start(t, e)
			ctx := context.Background()
			info, err := s.Client().Info(ctx, "server").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(info) == 0 {
				t.Fatal("empty INFO")
			}
			s.Kill()
			if err := s.Client().Ping(ctx).Err(); err == nil {
				t.Fatal("PING succeeded after Kill")
			}
			s.Restart()
			if err := s.Client().Ping(ctx).Err(); err != nil {
				t.Fatalf("PING after Restart: %v", err)
			}
		})
	}
}

// TestFreezeThaw checks that a frozen server answers nothing until thawed,
// and then answers what it was sent meanwhile.
func TestFreezeThaw(t *testing.T) {
	t.Parallel()
	s := Start(t, Valkey)
	c := s.Client()
	impatient := s.Client(func(o *redis.Options) { o.ReadTimeout = 200 * time.Millisecond })
	ctx := context.Background()
	s.Freeze()
	if err := impatient.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered while frozen")
	}
	done := make(chan error, 1)
	go func() { done <- c.Set(ctx, "k", "v", 0).Err() }()
	time.Sleep(100 * time.Millisecond)
	s.Thaw()
	if err := <-done; err != nil {
		t.Fatalf("SET sent while frozen, after Thaw: %v", err)
	}
	start := time.Now()
	s.FreezeFor(300 * time.Millisecond)
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("FreezeFor returned after %v", took)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after FreezeFor: %v", err)
	}
}
