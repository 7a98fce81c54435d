package probe

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
)

// These tests drive the integrity probe one step at a time on a fake clock,
// against real servers, so that which write is where is exact.

type calls struct {
	mu sync.Mutex
	rs []Range
}

func (c *calls) Checked(r CheckResult, n int, from, to uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rs = append(c.rs, Range{r, n, from, to})
}

func (c *calls) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, r := range c.rs {
		fmt.Fprintf(&b, "%s %d %d-%d; ", r.Result, r.N, r.From, r.To)
	}
	return b.String()
}

func (c *calls) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rs = nil
}

// stepper is an Integrity with a clock that moves only when told.
type stepper struct {
	*Integrity
	clock time.Time
	sink  *calls
	ctx   context.Context
}

func newStepper(t *testing.T, addr string, o IntegrityOptions) *stepper {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	s := &stepper{sink: &calls{}, clock: time.Unix(1_700_000_000, 0)}
	i, err := NewIntegrity(c, o, s.sink)
	if err != nil {
		t.Fatal(err)
	}
	i.now = func() time.Time { return s.clock }
	s.Integrity = i
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s.ctx = ctx
	return s
}

// steps runs n steps. The clock stands still: nothing becomes due until the
// test moves it.
func (s *stepper) steps(n int) {
	for range n {
		s.step(s.ctx)
	}
}

// Read back after an hour, by the fake clock.
var hourly = IntegrityOptions{Prefix: "s:", Interval: time.Hour, VerifyDelay: time.Hour, Timeout: 2 * time.Second}

// TestStaleAfterSnapshotRestore: a server restarted from an older snapshot
// (RDB) holds older records in the ring's keys than were acknowledged: stale,
// not lost.
func TestStaleAfterSnapshotRestore(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			o := hourly
			o.Keys = 4
			s := newStepper(t, srv.Addr, o)
			s.steps(4) // seqs 0-3, one per key, none due
			if got := s.Next(); got != 4 {
				t.Fatalf("next %d after 4 steps", got)
			}
			admin := srv.Client()
			if err := admin.Save(s.ctx).Err(); err != nil {
				t.Fatal(err)
			}
			// Seqs 4-7 reuse keys 0-3: each old record is read back (not yet
			// due, but its key is about to be rewritten) before the write.
			s.steps(4)
			if got, want := s.sink.String(), "verified 1 0-0; verified 1 1-1; verified 1 2-2; verified 1 3-3; "; got != want {
				t.Errorf("early read-backs: %s, want %s", got, want)
			}
			s.sink.reset()

			srv.Kill()
			srv.Restart() // from the snapshot: seqs 0-3
			s.clock = s.clock.Add(2 * time.Hour)
			s.step(s.ctx)
			if got, want := s.sink.String(), "stale 4 4-7; "; got != want {
				t.Errorf("after restoring the snapshot: %s, want %s", got, want)
			}
		})
	}
}

// TestVerdictsOnTamperedKeys: each way a key can differ from the acknowledged
// record gets its verdict, in sequence order, merged into runs.
func TestVerdictsOnTamperedKeys(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	o := hourly
	o.Keys = 16
	s := newStepper(t, srv.Addr, o)
	s.steps(8)
	admin := srv.Client()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(admin.Del(s.ctx, "s:2", "s:3").Err())
	must(admin.Set(s.ctx, "s:4", "garbage", 0).Err())
	v, err := admin.Get(s.ctx, "s:6").Result()
	must(err)
	must(admin.Set(s.ctx, "s:5", v, 0).Err()) // seq 6's record under seq 5's key
	must(admin.SetRange(s.ctx, "s:7", int64(headerLen), "#").Err())

	s.clock = s.clock.Add(2 * time.Hour)
	s.step(s.ctx)
	want := "verified 2 0-1; lost 2 2-3; corrupted 2 4-5; verified 1 6-6; corrupted 1 7-7; "
	if got := s.sink.String(); got != want {
		t.Errorf("verdicts: %s\nwant:     %s", got, want)
	}
	if s.Pending() != 1 { // the write made after the read-back
		t.Errorf("pending %d, want 1", s.Pending())
	}
}

// TestReadBackFailureHoldsWrites: a record whose key the next write reuses
// must be read back first; while the server is down that read fails, so the
// write waits and the ledger stays within its window. Nothing is judged while
// the server cannot answer.
func TestReadBackFailureHoldsWrites(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	o := hourly
	o.Keys, o.Window = 4, 2
	s := newStepper(t, srv.Addr, o)
	s.steps(2) // seqs 0, 1: the window is full
	s.steps(1) // reads back seq 0 early to make room, writes seq 2
	if got, want := s.sink.String(), "verified 1 0-0; "; got != want {
		t.Errorf("verdicts %s, want %s", got, want)
	}
	srv.Kill()
	s.steps(5)
	if s.Next() != 3 || s.Pending() != 2 {
		t.Errorf("with the server down: next %d, pending %d; want 3 and 2", s.Next(), s.Pending())
	}
	if got, want := s.sink.String(), "verified 1 0-0; "; got != want {
		t.Errorf("verdicts while down %s, want %s", got, want)
	}
	srv.Restart() // empty
	s.steps(1)
	if got, want := s.sink.String(), "verified 1 0-0; lost 1 1-1; "; got != want {
		t.Errorf("verdicts after the restart %s, want %s", got, want)
	}
	if s.Next() != 4 || s.Pending() != 2 {
		t.Errorf("after the restart: next %d, pending %d; want 4 and 2", s.Next(), s.Pending())
	}
}

// TestReadBackBatches: a backlog larger than one batch drains maxBatch at a
// time, one batch per step.
func TestReadBackBatches(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	o := IntegrityOptions{Prefix: "b:", Interval: time.Millisecond, VerifyDelay: time.Second, Keys: 3000, Window: 2000}
	s := newStepper(t, srv.Addr, o)
	s.steps(maxBatch + 100)
	// The first step reads back maxBatch and writes seq 612, acknowledged
	// now and so not due in the second.
	s.clock = s.clock.Add(time.Hour)
	s.step(s.ctx)
	if got, want := s.sink.String(), fmt.Sprintf("verified %d 0-%d; ", maxBatch, maxBatch-1); got != want {
		t.Errorf("first batch %s, want %s", got, want)
	}
	s.step(s.ctx)
	if got, want := s.sink.String(), fmt.Sprintf("verified %d 0-%d; verified 100 %d-%d; ", maxBatch, maxBatch-1, maxBatch, maxBatch+99); got != want {
		t.Errorf("second batch %s, want %s", got, want)
	}
}
