package runner

import (
	"sync"
	"sync/atomic"
	"time"
)

// Budget is one cap, in bytes, on what the in-flight requests of several
// runners hold together: each runner's own bound (MaxInFlight) keeps one
// runner within its share, but many runners at their bounds at once (a
// stall of a server that every workload runs against) would add up past
// the generator's memory. The plan gives every runner the same Budget.
//
// An open-loop request is charged its runner's worst case (RequestBytes)
// when it is sent and released when it completes. A request due when the
// budget cannot take it is dropped, as at the runner's own bound, and
// counted in CapDrops: the dispatcher never waits for bytes. Its lower
// bound is the first moment the budget could have taken it: the release
// that made room for it, by whichever runner (or, for a runner at its own
// bound, its own next completion, as for every drop). A closed-loop runner
// holds its workers' requests for the whole run, so it reserves them at
// once when it starts and releases them when it ends.
//
// Safe for concurrent use. The common path is one compare-and-swap to
// charge and one add to release; runners waiting for room are looked at
// only while there are some.
type Budget struct {
	limit int64
	used  atomic.Int64

	nWaiting atomic.Int32 // len(waiting), read without the lock
	mu       sync.Mutex
	waiting  []*Runner // runners holding drops for want of bytes
}

// NewBudget returns a budget of limit bytes; limit < 1 means 1.
func NewBudget(limit int64) *Budget { return &Budget{limit: max(limit, 1)} }

// Limit is the budget's cap in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// InUse is the bytes charged now.
func (b *Budget) InUse() int64 { return b.used.Load() }

// room reports whether n more bytes fit now.
func (b *Budget) room(n int64) bool { return b.used.Load()+n <= b.limit }

// take charges n bytes if they fit.
func (b *Budget) take(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// reserve charges n bytes whether or not they fit: a closed loop's
// workers, which the config's check has counted.
func (b *Budget) reserve(n int64) { b.used.Add(n) }

// release returns n bytes at time at, and settles the drops of the
// runners waiting for room that now fits their requests.
func (b *Budget) release(n int64, at time.Time) {
	b.used.Add(-n)
	if b.nWaiting.Load() == 0 {
		return
	}
	var ready []*Runner
	b.mu.Lock()
	keep := b.waiting[:0]
	for _, r := range b.waiting {
		if b.room(r.cost) {
			ready = append(ready, r)
		} else {
			keep = append(keep, r)
		}
	}
	clear(b.waiting[len(keep):])
	b.waiting = keep
	b.nWaiting.Store(int32(len(keep)))
	b.mu.Unlock()
	for _, r := range ready {
		r.budgetFreed(at)
	}
}

// wait puts r on the list of runners waiting for room, once.
func (b *Budget) wait(r *Runner) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.waiting {
		if w == r {
			return
		}
	}
	b.waiting = append(b.waiting, r)
	b.nWaiting.Store(int32(len(b.waiting)))
}

// forget takes r off the waiting list: its run is over.
func (b *Budget) forget(r *Runner) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, w := range b.waiting {
		if w == r {
			b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
			b.nWaiting.Store(int32(len(b.waiting)))
			return
		}
	}
}

// budgetFreed settles r's pending drops at at, when the budget made room
// for one of its requests. A runner at its own bound waits for its own
// next completion instead: the slot it lacks frees only then.
func (r *Runner) budgetFreed(at time.Time) {
	if !r.drops.pending() || r.inflight.Load() >= int64(r.cfg.MaxInFlight) {
		return
	}
	ns := at.UnixNano()
	r.settleDrops(ns, ns-r.quietSince())
}

// CapDrops is how many commands were dropped because the shared Budget
// could not take their request (a subset of the Dropped results).
func (r *Runner) CapDrops() uint64 { return r.capDrops.Load() }

// Cost is the bytes each of the runner's requests is charged in the
// shared Budget: RequestBytes of its workload.
func (r *Runner) Cost() int64 { return r.cost }
