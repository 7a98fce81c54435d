package runner

import (
	"context"
	"sync"
	"time"
)

// workerIdle is how long an open-loop worker waits for work before it
// exits: the pool follows the concurrency the load needs now, not the
// highest it ever needed (one stall of the machine would otherwise leave
// hundreds of idle goroutines for the rest of a soak).
const workerIdle = 5 * time.Second

// Workers returns the number of open-loop workers now, busy or idle.
func (r *Runner) Workers() int { return int(r.workers.Load()) }

// workerPool hands each due request to an idle worker, or starts one. Each
// worker has its own one-slot channel, so a request is never queued behind
// a busy worker, and a worker that retires can never strand one: it leaves
// only if it can take itself off the idle list, under the same lock the
// dispatcher uses to pick it.
type workerPool struct {
	r    *Runner
	ctx  context.Context
	wg   *sync.WaitGroup
	mu   sync.Mutex
	idle []*poolWorker // a stack: the most recently idle worker is reused first
	all  map[*poolWorker]struct{}
}

type poolWorker struct {
	work chan *pending // holds at most the one request it was picked for
}

func newWorkerPool(r *Runner, ctx context.Context, wg *sync.WaitGroup) *workerPool {
	return &workerPool{r: r, ctx: ctx, wg: wg, all: map[*poolWorker]struct{}{}}
}

// dispatch gives req to a worker; it never blocks.
func (p *workerPool) dispatch(req *pending) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.work <- req // the slot is free: an idle worker holds no request
		return
	}
	w := &poolWorker{work: make(chan *pending, 1)}
	p.all[w] = struct{}{}
	p.r.workers.Add(1)
	p.mu.Unlock()
	w.work <- req
	p.wg.Add(1)
	go p.run(w)
}

// close tells every worker to finish its request and exit.
func (p *workerPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for w := range p.all {
		close(w.work)
	}
	p.all = nil
	p.idle = nil
}

func (p *workerPool) run(w *poolWorker) {
	defer p.wg.Done()
	defer p.r.workers.Add(-1)
	idle := time.NewTimer(p.r.workerIdle)
	defer idle.Stop()
	for {
		select {
		case req, ok := <-w.work:
			if !ok {
				return
			}
			p.r.complete(p.ctx, req)
			p.r.putRequest(req)
			if !p.available(w) {
				return
			}
			idle.Reset(p.r.workerIdle)
		case <-idle.C:
			if p.retire(w) {
				return
			}
			idle.Reset(p.r.workerIdle) // picked meanwhile: its request is on the way
		}
	}
}

// complete sends req and does the bookkeeping of its completion: the reply
// gap, the freed slot, and the drops that were waiting for a slot to free.
// The drops are settled after the slot is freed, so that a drop the
// dispatcher makes meanwhile is either seen here or seen by the dispatcher
// as a free slot (recordDropped).
func (r *Runner) complete(ctx context.Context, req *pending) {
	done, broken := r.do(ctx, r.cfg.Client, &req.Request, req.intended, time.Now())
	r.completed(done, broken)
}

// completed is complete's bookkeeping, for a request that ended at done.
func (r *Runner) completed(done time.Time, broken bool) {
	quiet := r.replied(done, !broken)
	r.inflight.Add(-1)
	if b := r.cfg.Budget; b != nil {
		b.release(r.cost, done)
	}
	if r.drops.pending() {
		at := done.UnixNano()
		r.settleDrops(at, at-quiet)
	}
}

// available puts w back on the idle list; false once the pool is closed.
func (p *workerPool) available(w *poolWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all == nil {
		return false
	}
	p.idle = append(p.idle, w)
	return true
}

// retire takes w off the idle list if it is still there.
func (p *workerPool) retire(w *poolWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			delete(p.all, w)
			return true
		}
	}
	return p.all == nil
}
