package servertest

import (
	"context"
	"testing"
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
