package runner

import (
	"context"
	"time"

	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// The raw path: closed-loop workers that send their requests with
// hand-written RESP2 (package resp) on a connection of their own, in
// place of go-redis, when Config.Raw is set and every op is a
// workload.RawOp.
//
// Why (docs/performance.md, issue 20): at pipeline 1 go-redis and the
// runtime around it cost ~8,230 user-space instructions per command (its
// writer ~1,230, hooks and retries ~650, five allocations ~1,500,
// deadlines ~1,190), a prototype of this loop 3,140, and valkey-benchmark
// 3,460. A request here is one Write of its commands' bytes, appended to
// the worker's reused buffer, and one read per reply into a summary the
// worker reuses; the only allocations are the workload's own (its key
// strings). Measured in `ecbench bench` with callgrind (difference of two
// run lengths, GET:SET 1:1, 50 workers, idle loop and per-second
// summaries left out): 11,600–12,200 → 7,700 instructions per command at
// pipeline 1, 5,260 → 1,890 at pipeline 16; allocations 5 → 1 and 6 → 1
// per command; syscalls unchanged (3.0 and 0.19). What is left at
// pipeline 1 is mostly not the client's: the syscalls and netpoller
// (~1,900), deadlines (~1,800, re-armed at every request under callgrind,
// where a request takes over the coarse deadlines' millisecond) and
// ecbench's recording (~1,500).
//
// What is measured is what Runner.do measures: the same intended, sent
// and done times, one result per command with the outcome and class
// go-redis' path gives it (workload.RawOutcome, tested op by op on both
// engines), batched the same way, the same canceled rule once the
// requests' context is cancelled, and the same broken rule (a failure
// without a reply). Like the go-redis path's sticky connection
// (workerConn), a worker dials lazily with the target's dialer (its
// back-off, TLS and maxclients watch), dials again after a failure
// without a reply, and every stickyConnRefresh, so that a DNS change
// after a failover is followed.
//
// The open loop's raw path (connworkers.go) has a worker per connection,
// at most Config.RawPool.Size of them, with go-redis' pool rules for how
// long a request waits for one and when a connection is replaced.

// errNothingToSend is the error of a command whose op had nothing to
// write (a replay command without words), as the replay's Issue gives it
// on the go-redis path.
var errNothingToSend = workload.ErrTraceEnded

// pastDeadline cuts a read or a write short: a deadline that has passed.
var pastDeadline = time.Unix(1, 0)

// rawConn is a raw worker's connection and its reused buffers.
type rawConn struct {
	dialer resp.Dialer
	// ctx is the requests' context: its cancellation (Config.Drain over)
	// cuts an in-flight read or write short, through stop's AfterFunc.
	ctx   context.Context
	c     *resp.Conn // nil until a request needs one
	since time.Time
	stop  func() bool // stops the AfterFunc of c

	// pooled, if set, replaces the closed loop's stickyConnRefresh by the
	// rules of go-redis' pool (the open loop's connection workers).
	pooled *pooledConn
	counts *connCounters // the runner's

	buf     []byte      // the request's commands
	replies []int       // replies each command gets
	results []rawResult // each command's result
	// rep is the reply being read. It lives here, not on exchange's
	// stack, because RawOp.RawMissed takes it through an interface, which
	// would move a local to the heap at every request (1 allocation, 48
	// bytes, per command at pipeline 1: BenchmarkClosedLoop).
	rep resp.Reply
}

// rawResult is one command's result before its times are known.
type rawResult struct {
	outcome result.Outcome
	class   result.Class
	noReply bool // failed without a reply from the server
}

// rawWorker is a closed-loop worker of the raw path (closedLoop's loop
// with doRaw for do).
func (r *Runner) rawWorker(ctx, reqCtx context.Context, draw func(*workload.Request) bool) {
	w := &rawConn{dialer: r.cfg.Raw, ctx: reqCtx, counts: &r.conns}
	defer w.drop()
	req := &workload.Request{}
	for ctx.Err() == nil {
		if !draw(req) {
			return
		}
		r.inflight.Add(1)
		sent := time.Now()
		done, broken := r.doRaw(reqCtx, w, req, sent, sent, sent)
		r.replied(done, !broken)
		r.inflight.Add(-1)
	}
}

// doRaw is do on the raw path: it sends req on w's connection and records
// a result per command, intended at intended and sent at sent. start is
// when it starts on its connection, after any wait for one: its timeouts
// run from then, as go-redis arms them when it writes.
func (r *Runner) doRaw(ctx context.Context, w *rawConn, req *workload.Request, intended, sent, start time.Time) (done time.Time, broken bool) {
	r.prepare(w, req)
	r.exchange(ctx, w, req, start)
	done = time.Now()
	if w.pooled != nil && w.c != nil {
		w.pooled.used(done)
	}
	return done, r.recordRaw(ctx, w, req, intended, sent, done)
}

// failRaw records req as failed with err, sent at sent, without sending it
// (a request that waited too long for a connection).
func (r *Runner) failRaw(ctx context.Context, w *rawConn, req *workload.Request, err error, intended, sent time.Time) (done time.Time, broken bool) {
	r.prepare(w, req)
	w.failFrom(0, err)
	done = time.Now()
	return done, r.recordRaw(ctx, w, req, intended, sent, done)
}

// prepare writes req's commands into w's buffer and readies a result for
// each; a command with nothing to write fails at once, as the replay's
// Issue fails it on the go-redis path.
func (r *Runner) prepare(w *rawConn, req *workload.Request) {
	w.buf, w.replies, w.results = w.buf[:0], w.replies[:0], w.results[:0]
	for i := range req.Cmds {
		cmd := &req.Cmds[i]
		var n int
		w.buf, n = r.raw[cmd.Op].AppendRaw(w.buf, &cmd.Args)
		w.replies = append(w.replies, n)
		res := rawResult{}
		if n == 0 {
			res = failed(errNothingToSend)
		}
		w.results = append(w.results, res)
	}
}

// recordRaw records w's results of req and reports whether one failed
// without a reply.
func (r *Runner) recordRaw(ctx context.Context, w *rawConn, req *workload.Request, intended, sent, done time.Time) (broken bool) {
	canceled := ctx.Err() != nil
	var bs batches
	for i, res := range w.results {
		broken = broken || res.outcome == result.Error && res.noReply
		if canceled && res.outcome == result.Error {
			res.class = result.ClassCanceled
		}
		bs.add(r.cfg.Recorder, result.Result{Op: req.Cmds[i].Op, Intended: intended, Sent: sent, Done: done, Outcome: res.outcome, Class: res.class})
	}
	bs.flush(r.cfg.Recorder, intended, sent, done)
	return broken
}

// exchange writes the request's commands in one write and reads their
// replies into w.results. A command's first reply decides its outcome;
// the others (a capped push's LTRIM) are read and do not. A failure
// fails the commands not answered yet, as go-redis fails the rest of a
// pipeline, and drops the connection: its place in the reply stream is
// lost.
func (r *Runner) exchange(ctx context.Context, w *rawConn, req *workload.Request, start time.Time) {
	if len(w.buf) == 0 {
		return // nothing to send: no connection needed, as go-redis sends nothing
	}
	c, err := w.get(start)
	if err == nil {
		err = c.ArmDeadlines(ctx, start)
	}
	if err == nil && ctx.Err() != nil {
		// Cancelled meanwhile: the AfterFunc's past deadline may have
		// been overwritten by the one just armed.
		err = c.SetDeadline(pastDeadline)
	}
	if err == nil {
		_, err = c.Write(w.buf)
	}
	if err != nil {
		w.fail(0, err)
		return
	}
	for i, n := range w.replies {
		for j := range n {
			if err := c.ReadReply(&w.rep); err != nil {
				if j > 0 {
					i++ // its own reply was read: its outcome stands
				}
				w.fail(i, err)
				return
			}
			if j == 0 {
				o, cl := workload.RawOutcome(r.raw[req.Cmds[i].Op], &w.rep)
				w.results[i] = rawResult{outcome: o, class: cl}
			}
		}
	}
}

// fail gives err to the commands from the i-th on that had something to
// send, and drops the connection (if the error came from it).
func (w *rawConn) fail(i int, err error) {
	w.failFrom(i, err)
	if w.pooled != nil && withoutReply(err) {
		w.pooled.failed()
	}
	if w.c != nil {
		w.drop()
		w.counts.stale.Add(1)
	}
}

// failFrom gives err to the commands from the i-th on that had something
// to send.
func (w *rawConn) failFrom(i int, err error) {
	for ; i < len(w.results); i++ {
		if w.replies[i] > 0 {
			w.results[i] = failed(err)
		}
	}
}

func failed(err error) rawResult {
	return rawResult{outcome: result.Error, class: result.Classify(err), noReply: withoutReply(err)}
}

// get returns the worker's connection for a request that starts at now,
// dialling one when it has none or the one it has is stale: in the closed
// loop after stickyConnRefresh, in the open loop by go-redis' pool rules
// (pooledConn).
func (w *rawConn) get(now time.Time) (*resp.Conn, error) {
	if w.c != nil && w.stale(now) {
		w.drop()
		w.counts.stale.Add(1)
	}
	if w.c != nil {
		w.counts.hits.Add(1)
		return w.c, nil
	}
	w.counts.misses.Add(1)
	c, err := w.dialer.Dial(w.ctx)
	if err != nil {
		w.counts.stale.Add(1)
		return nil, err
	}
	w.counts.conns.Add(1)
	w.c, w.since = c, now
	if w.pooled != nil {
		w.pooled.dialled(now)
	}
	w.stop = context.AfterFunc(w.ctx, func() { _ = c.SetDeadline(pastDeadline) })
	return w.c, nil
}

// stale reports whether the connection must be replaced before a request
// at now.
func (w *rawConn) stale(now time.Time) bool {
	if w.pooled != nil {
		return w.pooled.stale(w.c, now)
	}
	return now.Sub(w.since) >= stickyConnRefresh
}

// drop closes the connection, if there is one.
func (w *rawConn) drop() {
	if w.c != nil {
		w.counts.conns.Add(-1)
		w.stop()
		_ = w.c.Close()
		w.c = nil
	}
}
