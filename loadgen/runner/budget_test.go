package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/workload"
)

func TestBudgetTakeAndRelease(t *testing.T) {
	t.Parallel()
	b := NewBudget(100)
	steps := []struct {
		name string
		do   func() bool
		want bool
		used int64
	}{
		{"take 60", func() bool { return b.take(60) }, true, 60},
		{"take 50: over", func() bool { return b.take(50) }, false, 60},
		{"take 40: exactly full", func() bool { return b.take(40) }, true, 100},
		{"release 60", func() bool { b.release(60, time.Now()); return true }, true, 40},
		{"reserve past the cap", func() bool { b.reserve(100); return true }, true, 140},
		{"take 1 while over", func() bool { return b.take(1) }, false, 140},
		{"release the reservation", func() bool { b.release(100, time.Now()); return b.room(60) }, true, 40},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want || b.InUse() != s.used {
			t.Fatalf("%s: %v with %d in use, want %v with %d", s.name, got, b.InUse(), s.want, s.used)
		}
	}
	if NewBudget(0).Limit() != 1 {
		t.Error("a budget below 1 byte must be 1")
	}
}

// TestBudgetConcurrent charges and releases from many goroutines: the
// budget is never over its cap and ends empty.
func TestBudgetConcurrent(t *testing.T) {
	t.Parallel()
	b := NewBudget(1000)
	var over atomic.Bool
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 10_000 {
				n := int64(g*10 + 7)
				if b.take(n) {
					if b.InUse() > b.Limit() {
						over.Store(true)
					}
					b.release(n, time.Now())
				}
			}
		})
	}
	wg.Wait()
	if over.Load() || b.InUse() != 0 {
		t.Errorf("over the cap: %v; %d in use at the end, want 0", over.Load(), b.InUse())
	}
}

// TestBudgetDropLowerBound: a request dropped for want of bytes is held
// until a release, by any runner, makes room for it, and gets that
// release's time as its lower bound; a release too small for it does not
// settle it.
func TestBudgetDropLowerBound(t *testing.T) {
	t.Parallel()
	var col collector
	w := kvWorkload(1)
	b := NewBudget(RequestBytes(1, w.MaxCommandBytes()) * 3 / 2) // room for one request
	r, err := New(Config{Workload: w, Schedule: schedule.Constant{PerSecond: 1}, MaxInFlight: 10, Recorder: &col, Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	if !b.take(r.Cost()) { // another runner's request holds the room
		t.Fatal("the first request does not fit")
	}
	t0 := time.Unix(1000, 0)
	req := &workload.Request{Cmds: []workload.Command{{Op: 0}, {Op: 1}}}
	r.recordDropped(req, t0, t0.Add(time.Millisecond), true)
	if n := len(col.snapshot()); n != 0 {
		t.Fatalf("%d results before any release, want the drop held", n)
	}
	b.release(1, t0.Add(2*time.Millisecond)) // too little: still no room
	if n := len(col.snapshot()); n != 0 {
		t.Fatalf("%d results after a release that made no room, want the drop held", n)
	}
	at := t0.Add(3 * time.Millisecond)
	b.release(r.Cost()-1, at)
	rs := col.snapshot()
	if len(rs) != 2 {
		t.Fatalf("%d results after the release, want the request's 2 commands", len(rs))
	}
	for _, res := range rs {
		if res.Outcome != result.Dropped || !res.Done.Equal(at) {
			t.Errorf("drop %+v, want dropped with Done at the release %v", res, at)
		}
	}
	if r.drops.pending() || b.nWaiting.Load() != 0 {
		t.Errorf("after the release: pending %v, %d runners waiting; want none", r.drops.pending(), b.nWaiting.Load())
	}

	// Room already there when the drop is recorded (a release raced the
	// charge): settled at once, at the drop.
	r.recordDropped(req, t0.Add(4*time.Millisecond), t0.Add(5*time.Millisecond), true)
	if rs := col.snapshot()[2:]; len(rs) != 2 || !rs[0].Done.Equal(t0.Add(5*time.Millisecond)) {
		t.Errorf("drop racing a release: %+v, want settled at the drop", rs)
	}
}

// TestBudgetAcrossRunners runs two runners at 1,000 requests/s each,
// sharing a budget of 100 requests, against one server frozen for 1 s.
// Their in-flight requests together never pass the budget, the excess is
// dropped (CapDrops) with a lower bound no earlier than the thaw that
// freed the room, the dispatchers never wait for bytes (no schedule lag),
// and the budget ends empty.
func TestBudgetAcrossRunners(t *testing.T) {
	srv := servertest.Start(t, servertest.Valkey)
	w := kvWorkload(1)
	cost := RequestBytes(1, w.MaxCommandBytes())
	const fit = 100
	b := NewBudget(fit * cost)
	var cols [2]collector
	var rs [2]*Runner
	for i := range rs {
		r, err := New(Config{
			Client: defaultClient(t, srv.Addr, 5*time.Second), Workload: w,
			Schedule: schedule.Constant{PerSecond: 1000}, MaxInFlight: 5000,
			Drain: 5 * time.Second, Recorder: &cols[i], Budget: b,
		})
		if err != nil {
			t.Fatal(err)
		}
		rs[i] = r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(func() { r.Run(ctx) })
	}
	var most int64 // the most requests in flight together, sampled
	sample := time.NewTicker(time.Millisecond)
	defer sample.Stop()
	var thawing time.Time
	var frozeAt atomic.Int64 // unix nanoseconds once the freeze holds
	go func() {
		time.Sleep(time.Second)
		srv.Freeze()
		frozeAt.Store(time.Now().UnixNano())
	}()
	for deadline := time.Now().Add(2500 * time.Millisecond); time.Now().Before(deadline); <-sample.C {
		most = max(most, rs[0].InFlight()+rs[1].InFlight())
		if used := b.InUse(); used > b.Limit() {
			t.Errorf("budget %d in use, over its cap %d", used, b.Limit())
		}
		if thawing.IsZero() && most >= fit && frozeAt.Load() != 0 {
			// Frozen with the budget full: thaw after 1 s of it.
			thawing = time.Now().Add(time.Second)
			time.AfterFunc(time.Second, srv.Thaw)
		}
	}
	wg.Wait()
	if thawing.IsZero() {
		t.Fatalf("the budget never filled: at most %d in flight", most)
	}
	froze := time.Unix(0, frozeAt.Load())
	var capDrops uint64
	dropped, bounded, early := 0, 0, 0
	for i, r := range rs {
		capDrops += r.CapDrops()
		for _, res := range cols[i].snapshot() {
			if res.Outcome != result.Dropped {
				continue
			}
			dropped++
			if !res.Done.IsZero() {
				bounded++
				// A request meant to start while the server was frozen
				// found room only at the thaw, not before (a little slack
				// for the timer). Those meant before the freeze held can
				// be settled, rightly, by the last replies before it.
				if res.Intended.After(froze.Add(100*time.Millisecond)) && res.Done.Before(thawing.Add(-50*time.Millisecond)) {
					early++
				}
				if res.Done.Before(res.Intended) {
					t.Errorf("drop %+v: Done before its intended start", res)
				}
			}
		}
		if lag := r.TakeMaxLag(); lag > 200*time.Millisecond {
			t.Errorf("runner %d: schedule lag %v: the dispatcher waited", i, lag)
		}
	}
	t.Logf("at most %d in flight together (budget %d), %d dropped (%d for the budget), %d with a lower bound, %d before the thaw",
		most, fit, dropped, capDrops, bounded, early)
	if most > fit {
		t.Errorf("%d requests in flight together, more than the budget's %d", most, fit)
	}
	if capDrops == 0 || uint64(dropped) != capDrops {
		t.Errorf("%d dropped, %d for the budget; want drops, all for the budget (each runner's own bound is far)", dropped, capDrops)
	}
	// On a loaded host the budget can fill for a moment just before the
	// freeze takes hold (51 of 1,314 drops in one CI run); those are not
	// counted as early above.
	if bounded < dropped*9/10 || early > dropped/100 {
		t.Errorf("%d of %d drops with a lower bound, %d of them before the thaw; want nearly all, hardly any early", bounded, dropped, early)
	}
	if b.InUse() != 0 {
		t.Errorf("budget %d in use after the run, want 0", b.InUse())
	}
}
