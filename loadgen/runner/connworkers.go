package runner

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/resp"
)

// connWorkers is the open loop's raw path: one worker per connection, at
// most Config.RawPool.Size of them, each sending its requests on its own
// raw connection (raw.go). A due request goes to an idle worker, or to a
// new one while there are fewer than Size; otherwise it waits in a queue
// that the workers serve as they finish, for at most RawPool.Timeout, then
// fails with go-redis' ErrPoolTimeout (class pool_timeout). That is what
// go-redis' pool does with the go-redis path's requests: the same number
// of connections, the same wait and the same failure, with the wait inside
// the request's service time.
//
// Why a worker per connection and not a pool of connections taken by a
// worker per request (workerPool): at 50,000 requests/s on one CPU the
// per-request hand-offs were what the generator could not afford (issue
// 20). go-redis' pool cost 18% of the open loop's CPU (its turn, 8%, and
// the MSG_PEEK health check of every connection it hands out, 7.6%); a raw
// pool in its image still spent ~8% waiting for turns with a timer each
// whenever the connections were all busy, and a worker's select on its
// request and its idle timer another ~5%. Here a request is one channel
// send to a parked worker, no timer is armed per request, a worker that
// finishes takes the next queued request without a hand-off, and a
// connection is peeked at only when it may have been closed (pooledConn).
type connWorkers struct {
	r   *Runner
	ctx context.Context // the requests'
	wg  *sync.WaitGroup
	lim resp.PoolLimits
	// failures counts the connections that failed without a reply: a
	// server that closes its connections closes those in flight too, so
	// an idle connection last used before the latest failure is checked
	// before it is used again (pooledConn).
	failures atomic.Uint64

	mu      sync.Mutex
	idle    []*connWorker // a stack: the most recently idle on top
	running int           // workers, busy or idle
	queue   []*pending    // requests waiting for a connection, oldest first
	head    int           // queue[head:] are waiting
	expiry  *time.Timer   // fails the oldest waiting request at its timeout
	closed  bool

	expired rawConn // the buffers expire records its failures in, under expiredMu
	// expiredMu serializes expire's calls: a timer reset from within its
	// own callback may fire again before that callback returns.
	expiredMu sync.Mutex
}

// defaultPoolTimeout is go-redis' PoolTimeout without a read timeout, for
// limits that set none.
const defaultPoolTimeout = 30 * time.Second

type connWorker struct {
	work chan *pending // holds at most the one request it was picked for
	raw  rawConn
}

func newConnWorkers(r *Runner, ctx context.Context, wg *sync.WaitGroup) *connWorkers {
	p := &connWorkers{r: r, ctx: ctx, wg: wg, lim: r.cfg.RawPool}
	p.lim.Size = max(p.lim.Size, 1)
	if p.lim.Timeout <= 0 {
		p.lim.Timeout = defaultPoolTimeout
	}
	p.expired = rawConn{ctx: ctx, counts: &r.conns}
	p.expiry = time.AfterFunc(time.Hour, p.expire)
	p.expiry.Stop()
	return p
}

// dispatch gives req, sent at req.sent, to an idle worker, a new one, or
// the queue; it never blocks.
func (p *connWorkers) dispatch(req *pending) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		retired := p.retireIdle(req.sent)
		p.r.conns.idle.Store(int64(len(p.idle)))
		p.mu.Unlock()
		w.work <- req // the slot is free: an idle worker holds no request
		if retired != nil {
			close(retired.work)
		}
		return
	}
	if p.running < p.lim.Size {
		p.running++
		p.r.workers.Add(1)
		p.mu.Unlock()
		w := &connWorker{work: make(chan *pending, 1)}
		w.raw = rawConn{dialer: p.r.cfg.Raw, ctx: p.ctx, pooled: &pooledConn{owner: p}, counts: &p.r.conns}
		w.work <- req
		p.wg.Add(1)
		go p.run(w)
		return
	}
	p.queue = append(p.queue, req)
	waiting := len(p.queue) - p.head
	if waiting == 1 {
		p.expiry.Reset(p.lim.Timeout)
	}
	p.r.conns.pending.Store(int64(waiting))
	p.mu.Unlock()
	p.r.conns.waits.Add(1)
}

// retireIdle takes the longest-idle worker off the idle list when its
// connection has been idle for MaxIdle, so that the connections follow
// the concurrency the load needs now (go-redis closes such a connection
// when it next reaches it). Under p.mu; the caller closes its channel.
func (p *connWorkers) retireIdle(now time.Time) *connWorker {
	if len(p.idle) == 0 || p.lim.MaxIdle <= 0 {
		return nil
	}
	w := p.idle[0]
	if now.Sub(w.raw.pooled.usedAt) < p.lim.MaxIdle {
		return nil
	}
	copy(p.idle, p.idle[1:])
	p.idle[len(p.idle)-1] = nil
	p.idle = p.idle[:len(p.idle)-1]
	p.running--
	return w
}

func (p *connWorkers) run(w *connWorker) {
	defer p.wg.Done()
	defer p.r.workers.Add(-1)
	defer w.raw.drop()
	for req := range w.work {
		for req != nil {
			var done time.Time
			var broken bool
			start := time.Now()
			switch {
			case start.Sub(req.sent) >= p.lim.Timeout:
				// Dequeued after its timeout, before expire could fail it.
				p.r.conns.timeouts.Add(1)
				done, broken = p.r.failRaw(p.ctx, &w.raw, &req.Request, redis.ErrPoolTimeout, req.intended, req.sent)
			case p.ctx.Err() != nil:
				// The drain is over: a waiting request fails as it does
				// in go-redis' pool, and the connection is kept.
				done, broken = p.r.failRaw(p.ctx, &w.raw, &req.Request, p.ctx.Err(), req.intended, req.sent)
			default:
				done, broken = p.r.doRaw(p.ctx, &w.raw, &req.Request, req.intended, req.sent, start)
			}
			p.r.completed(done, broken)
			p.r.putRequest(req)
			var exit bool
			if req, exit = p.next(w); exit {
				return
			}
		}
	}
}

// next is the oldest waiting request; without one, w goes back on the
// idle list, or exits (true) once the schedule is over.
func (p *connWorkers) next(w *connWorker) (req *pending, exit bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if req := p.dequeue(); req != nil {
		return req, false
	}
	if p.closed {
		p.running--
		return nil, true
	}
	p.idle = append(p.idle, w)
	p.r.conns.idle.Store(int64(len(p.idle)))
	return nil, false
}

// dequeue takes the oldest waiting request; under p.mu.
func (p *connWorkers) dequeue() *pending {
	if p.head == len(p.queue) {
		return nil
	}
	req := p.queue[p.head]
	p.queue[p.head] = nil
	p.head++
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
		p.expiry.Stop()
	}
	p.r.conns.pending.Store(int64(len(p.queue) - p.head))
	p.r.conns.waitNs.Add(int64(time.Since(req.sent)))
	return req
}

// expire fails the waiting requests whose timeout has passed and arms the
// timer for the next one. It runs while a worker is busy (a request waits
// only when every worker is), so adding to p.wg cannot race its Wait.
func (p *connWorkers) expire() {
	p.expiredMu.Lock()
	defer p.expiredMu.Unlock()
	var late []*pending
	p.mu.Lock()
	now := time.Now()
	for p.head < len(p.queue) && now.Sub(p.queue[p.head].sent) >= p.lim.Timeout {
		late = append(late, p.dequeue())
	}
	if p.head < len(p.queue) {
		p.expiry.Reset(p.lim.Timeout - now.Sub(p.queue[p.head].sent))
	}
	if len(late) > 0 {
		p.wg.Add(1)
		defer p.wg.Done()
	}
	p.mu.Unlock()
	p.r.conns.timeouts.Add(uint64(len(late)))
	for _, req := range late {
		done, broken := p.r.failRaw(p.ctx, &p.expired, &req.Request, redis.ErrPoolTimeout, req.intended, req.sent)
		p.r.completed(done, broken)
		p.r.putRequest(req)
	}
}

// close makes the workers exit once the requests dispatched are answered:
// the idle ones now, the busy ones when the queue is empty.
func (p *connWorkers) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.running -= len(idle)
	p.r.conns.idle.Store(0)
	p.mu.Unlock()
	for _, w := range idle {
		close(w.work)
	}
}

// peekAfter is how long a connection may be idle before it is checked
// (resp.Conn.CheckIdle) when it is used again. A server's own idle
// timeout (`timeout`) is in whole seconds, so a shorter idle cannot have
// met it.
const peekAfter = time.Second

// pooledConn is the state of an open-loop worker's connection that
// go-redis' pool rules need. go-redis replaces a connection past its
// lifetime (with jitter) or idle for MaxIdle, and peeks at every idle
// connection it hands out; this one peeks only when the connection may
// have been closed meanwhile: idle for peekAfter, or a connection of the
// same runner failed without a reply since it was last used. A connection
// the server closed while idle for less than that, with no request failing
// meanwhile, fails the one request that uses it, where go-redis would have
// dialled again for it.
type pooledConn struct {
	owner    *connWorkers // its limits and failures
	expires  time.Time    // zero: never
	usedAt   time.Time
	failures uint64 // owner.failures when it was last used
}

// dialled starts the lifetime of a connection dialled at now.
func (c *pooledConn) dialled(now time.Time) {
	c.usedAt, c.failures, c.expires = now, c.owner.failures.Load(), time.Time{}
	if lim := c.owner.lim; lim.MaxLifetime > 0 {
		life := lim.MaxLifetime
		if j := int64(lim.LifetimeJitter); j > 0 {
			life += time.Duration(rand.Int64N(2*j) - j)
		}
		c.expires = now.Add(life)
	}
}

// used marks the connection used until done.
func (c *pooledConn) used(done time.Time) {
	c.usedAt, c.failures = done, c.owner.failures.Load()
}

// failed counts a connection that failed without a reply.
func (c *pooledConn) failed() { c.owner.failures.Add(1) }

// stale reports whether conn must be replaced before a request at now.
func (c *pooledConn) stale(conn *resp.Conn, now time.Time) bool {
	lim := c.owner.lim
	if !c.expires.IsZero() && now.After(c.expires) {
		return true
	}
	idle := now.Sub(c.usedAt)
	if lim.MaxIdle > 0 && idle >= lim.MaxIdle {
		return true
	}
	if idle < peekAfter && c.failures == c.owner.failures.Load() {
		return false
	}
	return conn.CheckIdle() != nil
}
