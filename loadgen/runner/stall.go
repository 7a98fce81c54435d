package runner

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// StallGap is the shortest reply gap that counts as a stall of the server:
// requests were in flight and none was answered for at least this long.
// A server answering normally leaves gaps of a service time or so between
// replies (microseconds to a few milliseconds); the generator's own
// hiccups show as schedule lag, which is judged against its own threshold.
const StallGap = 100 * time.Millisecond

// StallRecorder takes the length of every stall (a reply gap of at least
// StallGap) when it ends. It is called from a worker, rarely, and must not
// block.
type StallRecorder interface {
	RecordStall(time.Duration)
}

// Who was the bottleneck is told apart by watching replies:
//
//	server stall:    in flight ▁▂▄▆██████▆▂▁   replies ▮▮▮▮▯▯▯▯▯▯▯▯▮▮▮▮   (a long reply gap)
//	generator late:  in flight ▁▁▁▁▁▁▁▁▁▁▁▁▁   schedule lag grows, no gap
//	bound too small: in flight ████████████   replies ▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮▮   (drops, replies flowing)
//
// A reply gap is measured at each reply as now − max(previous reply, the
// start of the current stretch with requests in flight): the longest time
// requests were waiting and the server said nothing. A reply is any answer
// from the server, an error reply included; a timeout, a refused or reset
// connection is not one (the gap goes on through them). Each reply costs
// one atomic swap (lastReply); the rest are plain loads, and stores only
// when a gap or a drop needs them.

// replied does the reply bookkeeping of a request that completed at done
// (answered if the server replied) and returns when the stretch without
// replies that it ends (or is in) began.
func (r *Runner) replied(done time.Time, answered bool) (quietSince int64) {
	now := done.UnixNano()
	var prev int64
	if answered {
		prev = r.lastReply.Swap(now)
	} else {
		prev = r.lastReply.Load()
	}
	quietSince = max(prev, r.busySince.Load())
	if !answered {
		return quietSince
	}
	if gap := now - quietSince; gap >= int64(StallGap) || gap > r.takeGap.Load() {
		r.noteGap(gap)
	}
	return quietSince
}

// noteGap keeps gap as the largest since Run and since TakeMaxReplyGap, and
// reports it as a stall if it is one. It is off the common path: most
// replies do not beat the largest gap so far.
func (r *Runner) noteGap(gap int64) {
	for _, m := range []*atomic.Int64{&r.maxGap, &r.takeGap} {
		for old := m.Load(); gap > old && !m.CompareAndSwap(old, gap); old = m.Load() {
		}
	}
	if gap >= int64(StallGap) && r.cfg.Stalls != nil {
		r.cfg.Stalls.RecordStall(time.Duration(gap))
	}
}

// ReplyGap is how long requests have been in flight without a reply right
// now: 0 when nothing is in flight.
func (r *Runner) ReplyGap() time.Duration {
	if r.inflight.Load() == 0 {
		return 0
	}
	since := r.quietSince()
	if since == 0 {
		return 0
	}
	return time.Duration(max(time.Now().UnixNano()-since, 0))
}

// MaxReplyGap is the longest reply gap since Run started, the one going on
// now included.
func (r *Runner) MaxReplyGap() time.Duration {
	return max(time.Duration(r.maxGap.Load()), r.ReplyGap())
}

// TakeMaxReplyGap returns the longest reply gap since the previous call
// (the one going on now included), for periodic summaries.
func (r *Runner) TakeMaxReplyGap() time.Duration {
	return max(time.Duration(r.takeGap.Swap(0)), r.ReplyGap())
}

// StallDrops is how many dropped commands (a dropped request counts its
// pipeline's commands, as its results do) were dropped during a stall: the
// reply gap they fell in lasted at least StallGap. The others were dropped
// while replies were flowing: the in-flight bound is below rate × latency.
// Drops are counted when they are recorded, once their lower bound is known.
func (r *Runner) StallDrops() uint64 { return r.stallDrops.Load() }

// maxPendingDrops bounds the drops waiting for their lower bound: 32,768
// entries of 16 bytes (512 KiB, allocated at a runner's first drop), 33 s of
// drops at 1,000 requests/s. Past it a drop is recorded at once with an
// unknown bound (zero Done), so memory stays bounded in a stall of any
// length.
const maxPendingDrops = 1 << 15

// pendingDrop is a dropped request's commands of one op, waiting for the
// completion that gives their lower bound.
type pendingDrop struct {
	intended int64 // unix nanos
	op       int32
	n        int32 // commands of the op in the request
}

// dropRing holds the pending drops in drop order. The dispatcher is its one
// producer (push); workers consume it under mu when a request completes.
// head and tail are atomics so that a completion can see "nothing pending"
// with two loads and no lock.
type dropRing struct {
	mu   sync.Mutex    // serialises consumers
	size int           // the capacity; 0 means maxPendingDrops
	buf  []pendingDrop // nil until the first push
	head atomic.Uint64 // next to consume; written under mu
	tail atomic.Uint64 // next to fill; written by the producer only

	groups []batch // the producer's scratch for a request's ops
}

func (d *dropRing) pending() bool { return d.tail.Load() != d.head.Load() }

// push appends e; false if the ring is full. Producer only.
func (d *dropRing) push(e pendingDrop) bool {
	if d.buf == nil {
		if d.size == 0 {
			d.size = maxPendingDrops
		}
		d.buf = make([]pendingDrop, d.size)
	}
	t := d.tail.Load()
	if t-d.head.Load() >= uint64(len(d.buf)) {
		return false
	}
	d.buf[t%uint64(len(d.buf))] = e
	d.tail.Store(t + 1) // publishes buf and the entry to consumers
	return true
}

// recordDropped holds the commands of a request dropped at droppedAt for
// their lower bound, or records them at once without one if too many drops
// are held already. Dispatcher only.
//
// The lower bound is the Done of the first request to complete after the
// drop: it freed the slot the dropped request lacked, so the request could
// not have been sent, let alone answered, before it. Every drop held when a
// request completes gets that completion's time, although a queue would
// have sent only the first of them into the freed slot: the bound is loose
// for a backlog, never above the truth.
//
// A drop forBytes (the shared Budget could not take the request) waits for
// the release that makes room for it instead, by any runner (Budget).
func (r *Runner) recordDropped(req *workload.Request, intended, droppedAt time.Time, forBytes bool) {
	d := &r.drops
	d.groups = opGroups(req, d.groups)
	for _, b := range d.groups {
		e := pendingDrop{intended: intended.UnixNano(), op: int32(b.op), n: int32(b.n)}
		if !d.push(e) {
			r.recordDrop(e, 0, droppedAt.UnixNano()-r.quietSince())
		}
	}
	if forBytes {
		r.cfg.Budget.wait(r)
		// A release between the failed charge and the wait did not see
		// this runner waiting: settled now, as below.
		if !r.cfg.Budget.room(r.cost) {
			return
		}
	}
	// A completion between the bound check and the push may have looked
	// for pending drops before this one was there. The slot it freed is
	// this drop's earliest send, so the drop is settled now, with the time
	// the bound was found full: just before that slot freed.
	if r.inflight.Load() < int64(r.cfg.MaxInFlight) {
		at := droppedAt.UnixNano()
		r.settleDrops(at, at-r.quietSince())
	}
}

// quietSince is when the current stretch without replies began.
func (r *Runner) quietSince() int64 { return max(r.lastReply.Load(), r.busySince.Load()) }

// opGroups returns the commands of req grouped by op, in out's storage.
func opGroups(req *workload.Request, out []batch) []batch {
	out = out[:0]
	for i := range req.Cmds {
		op := req.Cmds[i].Op
		j := 0
		for j < len(out) && out[j].op != op {
			j++
		}
		if j < len(out) {
			out[j].n++
		} else {
			out = append(out, batch{op: op, n: 1})
		}
	}
	return out
}

// settleDrops records the pending drops due by at (unix nanos) with at as
// their Done: a request completed at at and freed its slot. quiet is how
// long the server had been silent with requests in flight by then: the
// drops fell in a stall if it is at least StallGap.
func (r *Runner) settleDrops(at, quiet int64) {
	d := &r.drops
	d.mu.Lock()
	defer d.mu.Unlock()
	h, t := d.head.Load(), d.tail.Load()
	for ; h < t; h++ {
		e := d.buf[h%uint64(len(d.buf))]
		if e.intended > at { // due after the completion: the next one settles it
			break
		}
		r.recordDrop(e, at, quiet)
	}
	d.head.Store(h) // frees the entries for the producer
}

// settleRemaining records the drops still pending once every request has
// completed (none completed after them) without a lower bound.
func (r *Runner) settleRemaining() {
	d := &r.drops
	if !d.pending() {
		return
	}
	quiet := time.Now().UnixNano() - r.quietSince()
	d.mu.Lock()
	defer d.mu.Unlock()
	h, t := d.head.Load(), d.tail.Load()
	for ; h < t; h++ {
		r.recordDrop(d.buf[h%uint64(len(d.buf))], 0, quiet)
	}
	d.head.Store(h)
}

// recordDrop records the n dropped commands of e with Done at done (0:
// unknown), and counts them as stall drops if quiet reached StallGap. They
// are recorded before they are counted, so that a reader of StallDrops
// finds them in the recorder's counts.
func (r *Runner) recordDrop(e pendingDrop, done, quiet int64) {
	res := result.Result{Op: int(e.op), Intended: time.Unix(0, e.intended), Outcome: result.Dropped}
	if done != 0 {
		res.Done = time.Unix(0, max(done, e.intended))
	}
	result.RecordN(r.cfg.Recorder, res, int(e.n))
	if quiet >= int64(StallGap) {
		r.stallDrops.Add(uint64(e.n))
	}
}
