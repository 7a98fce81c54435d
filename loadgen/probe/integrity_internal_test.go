package probe

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
)

// These tests drive the integrity probe one step at a time on a fake clock,
// against real servers, so that which write is where, and which read finds
// what, is exact.

type calls struct {
	mu     sync.Mutex
	checks []Check
	sweeps []SweepReport
}

func (c *calls) Checked(x Check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks = append(c.checks, x)
}

func (c *calls) SweepDone(r SweepReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweeps = append(c.sweeps, r)
}

// String lists the checks as "found by: result N from-to; ".
func (c *calls) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, x := range c.checks {
		fmt.Fprintf(&b, "%s: %s %d %d-%d; ", x.Sweep.Kind, x.Result, x.N, x.From, x.To)
	}
	return b.String()
}

// firstChecks counts the writes judged by first checks.
func (c *calls) firstChecks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range c.checks {
		if x.Sweep.Kind == FirstCheck {
			n += x.N
		}
	}
	return n
}

func (c *calls) done(k SweepKind) []SweepReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []SweepReport
	for _, r := range c.sweeps {
		if r.Sweep.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// reset forgets the checks (not the sweep reports).
func (c *calls) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks = nil
}

// stepper is an Integrity with a clock that moves only when told.
type stepper struct {
	*Integrity
	clock time.Time
	sink  *calls
	ctx   context.Context
	gets  atomic.Int64 // GETs sent
}

// getCounter counts the GETs in pipelines: the probe's reads.
type getCounter struct{ n *atomic.Int64 }

func (getCounter) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (getCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (g getCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "get" {
				g.n.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

func newStepper(t *testing.T, addr string, o IntegrityOptions) *stepper {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	s := &stepper{sink: &calls{}, clock: time.Unix(1_700_000_000, 0)}
	c.AddHook(getCounter{&s.gets})
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

// steps runs n steps. The clock stands still: nothing becomes due, and the
// continuous sweep gets no reads, until the test moves it.
func (s *stepper) steps(n int) {
	for range n {
		s.step(s.ctx)
	}
}

// Read back after an hour, by the fake clock.
var hourly = IntegrityOptions{Prefix: "s:", Interval: time.Hour, VerifyDelay: time.Hour, Timeout: 2 * time.Second}

func expect(t *testing.T, s *stepper, what, want string) {
	t.Helper()
	if got := s.sink.String(); got != want {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
	s.sink.reset()
}

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
			// Seqs 4-7 reuse keys 0-3: each old record gets its first check
			// (not yet due, but its key is about to be rewritten) before the
			// write.
			s.steps(4)
			expect(t, s, "early first checks", "first check: verified 1 0-0; first check: verified 1 1-1; first check: verified 1 2-2; first check: verified 1 3-3; ")

			srv.Kill()
			srv.Restart() // from the snapshot: seqs 0-3
			s.clock = s.clock.Add(2 * time.Hour)
			s.step(s.ctx)
			expect(t, s, "after restoring the snapshot", "first check: stale 4 4-7; ")
		})
	}
}

// TestVerdictsOnTamperedKeys: each way a key can differ from the acknowledged
// record gets its verdict, in sequence order, merged into runs. Later, the
// continuous sweep finds writes lost after their first check, and does not
// report again what was reported once.
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
	expect(t, s, "first checks", "first check: verified 2 0-1; first check: lost 2 2-3; first check: corrupted 2 4-5; first check: verified 1 6-6; first check: corrupted 1 7-7; ")
	if s.Pending() != 1 { // the write made after the first checks
		t.Errorf("pending %d, want 1", s.Pending())
	}

	// Verified writes lost later, and a reported one deleted for good.
	must(admin.Del(s.ctx, "s:0", "s:1", "s:2", "s:6").Err())
	s.clock = s.clock.Add(time.Second) // 1000 reads of credit: a whole pass
	s.step(s.ctx)
	expect(t, s, "the continuous sweep", "continuous sweep: lost 2 0-1; continuous sweep: lost 1 6-6; ")
	s.clock = s.clock.Add(time.Second)
	s.step(s.ctx)
	expect(t, s, "the next pass", "")
	s.Sweep("role change")
	s.step(s.ctx)
	// Seqs 8-10 were acknowledged in the last steps: young, but read (and
	// verified) by a full sweep. The writes reported already are not read.
	expect(t, s, "a requested sweep", "requested sweep: verified 3 8-10; ")
	reqs := s.sink.done(RequestedSweep)
	if len(reqs) != 1 || !reqs[0].Complete || reqs[0].Sweep.Reason != "role change" || reqs[0].Read != 3 || reqs[0].Found[Verified] != 3 {
		t.Errorf("requested sweep reports %+v, want one complete, reason role change, 3 read, 3 verified", reqs)
	}
}

// TestReadBackFailureHoldsWrites: a write whose key the next write reuses
// must be read first; while the server is down that read fails, so the
// write waits. When the server is back (empty), the read finds the write
// lost, and the recovery sweep that the probe starts when its reads succeed
// again reports the rest of the ring.
func TestReadBackFailureHoldsWrites(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	o := hourly
	o.Keys = 4
	s := newStepper(t, srv.Addr, o)
	s.steps(5) // seqs 0-4; seq 0 gets its first check early, before seq 4 reuses its key
	expect(t, s, "before the outage", "first check: verified 1 0-0; ")
	srv.Kill()
	s.steps(5)
	if s.Next() != 5 || s.Pending() != 4 {
		t.Errorf("with the server down: next %d, pending %d; want 5 and 4", s.Next(), s.Pending())
	}
	expect(t, s, "while down", "")
	srv.Restart() // empty
	s.steps(1)
	expect(t, s, "after the restart", "first check: lost 1 1-1; ")
	s.steps(1)
	expect(t, s, "the recovery sweep", "recovery sweep: lost 3 2-4; recovery sweep: verified 1 5-5; ")
	if s.Next() != 7 || s.Pending() != 1 {
		t.Errorf("after the recovery: next %d, pending %d; want 7 and 1", s.Next(), s.Pending())
	}
	if rs := s.sink.done(RecoverySweep); len(rs) != 1 || !rs[0].Complete || rs[0].Found[Lost] != 3 {
		t.Errorf("recovery sweep reports %+v, want one complete with 3 lost", rs)
	}
}

// TestReadBackBatches: a backlog larger than one batch drains MaxReadBatch
// at a time, one batch per step.
func TestReadBackBatches(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	o := IntegrityOptions{Prefix: "b:", Interval: time.Millisecond, VerifyDelay: time.Second, Keys: 3000, SweepRate: 2000}
	s := newStepper(t, srv.Addr, o)
	s.steps(MaxReadBatch + 100)
	// The first step reads MaxReadBatch and writes seq 612, acknowledged
	// now and so not due in the second.
	s.clock = s.clock.Add(time.Hour)
	s.step(s.ctx)
	expect(t, s, "first batch", fmt.Sprintf("first check: verified %d 0-%d; ", MaxReadBatch, MaxReadBatch-1))
	s.step(s.ctx)
	expect(t, s, "second batch", fmt.Sprintf("first check: verified 100 %d-%d; ", MaxReadBatch, MaxReadBatch+99))
}

// TestContinuousSweepRate: the continuous sweep reads SweepRate writes a
// second (by the clock), oldest first, and ends a pass when it reaches the
// newest verified write.
func TestContinuousSweepRate(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	o := IntegrityOptions{Prefix: "r:", Interval: 100 * time.Millisecond, VerifyDelay: time.Second, Keys: 2000, SweepRate: 1000}
	s := newStepper(t, srv.Addr, o)
	s.steps(600)
	s.clock = s.clock.Add(2 * time.Second)
	s.steps(2) // the 600 first checks; the second step's sweep has no credit yet
	if got := s.sink.firstChecks(); got != 600 {
		t.Fatalf("%d first checks, want 600", got)
	}
	s.sink.reset()
	before := s.gets.Load()
	const steps = 20
	for range steps {
		s.clock = s.clock.Add(o.Interval)
		s.step(s.ctx)
	}
	sweepReads := s.gets.Load() - before - int64(s.sink.firstChecks())
	if want := int64(steps * 100); sweepReads != want {
		t.Errorf("%d sweep reads in %d steps of %v at %v/s, want %d", sweepReads, steps, o.Interval, o.SweepRate, want)
	}
	passes := s.sink.done(ContinuousSweep)
	if len(passes) == 0 || passes[0].Read != 600 || !passes[0].Complete {
		t.Errorf("passes %+v, want the first to read the 600 verified writes", passes)
	}
	if got := s.sink.String(); strings.Contains(got, "continuous") {
		t.Errorf("verdicts %s: the sweep found intact writes and reported them", got)
	}
}

// TestStateRoundTrip: the state file keeps every slot's state and the
// acknowledgement times of the writes awaiting their first check.
func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	o := IntegrityOptions{Keys: 8, Interval: time.Second, VerifyDelay: time.Second, StateFile: filepath.Join(t.TempDir(), "s.json")}
	a, err := NewIntegrity(nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.next = 11 // the window is seqs 3-10
	want := []slotState{slotVerified, slotVerified, slotReported, slotEmpty, slotUnchecked, slotVerified, slotUnchecked, slotUnchecked}
	for j, st := range want {
		seq := uint64(3 + j)
		a.l.set(seq, st)
		if st == slotUnchecked {
			a.l.setAckAt(seq, int64(seq)*int64(time.Millisecond))
			a.unchecked++
		}
	}
	if err := a.save(); err != nil {
		t.Fatal(err)
	}
	b, err := NewIntegrity(nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.next != 11 || b.epoch != a.epoch || b.Pending() != 3 || !b.resumed {
		t.Errorf("resumed next %d epoch %x pending %d resumed %v, want 11, %x, 3, true", b.next, b.epoch, b.Pending(), b.resumed, a.epoch)
	}
	for j, st := range want {
		seq := uint64(3 + j)
		if got := b.l.get(seq); got != st {
			t.Errorf("seq %d: state %d, want %d", seq, got, st)
		}
		if st == slotUnchecked && b.l.ackAt(seq) != int64(seq)*int64(time.Millisecond) {
			t.Errorf("seq %d: acknowledged at %d, want %d", seq, b.l.ackAt(seq), int64(seq)*int64(time.Millisecond))
		}
	}
}
