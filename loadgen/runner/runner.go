package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// Config is what one Runner needs.
type Config struct {
	// Client sends the requests. Closed-loop workers of a *redis.Client
	// each take a connection of their own with Client.Conn(); such a client
	// must have maintenance notifications disabled (see package target),
	// whose "auto" mode races with its Conns in go-redis.
	Client redis.UniversalClient
	// Raw, if set, is the target's dialer for the raw path (raw.go): the
	// closed-loop workers then send on connections of their own with
	// hand-written RESP2 instead of go-redis, with the same results, when
	// every op of the workload is a workload.RawOp. A workload with
	// another op uses Client.
	Raw resp.Dialer
	// RawPool is the open loop's raw path (connworkers.go): with Raw and a
	// Size > 0, open-loop requests are sent on at most Size raw
	// connections with these limits (the target's go-redis pool
	// settings); otherwise the open loop uses Client.
	RawPool  resp.PoolLimits
	Workload *workload.Workload
	// Schedule is the open-loop arrival schedule in requests per second; nil
	// means closed loop with Workers workers.
	Schedule schedule.Schedule
	Workers  int
	// MaxInFlight bounds the requests sent but not yet answered (open
	// loop); a request due when it is reached is dropped. MaxInFlightFor
	// sizes it to ride out a stall; < 1 means 1.
	MaxInFlight int
	// Drain is how long requests in flight at shutdown may take before their
	// context is cancelled (they are then counted as errors of class canceled).
	Drain    time.Duration
	Recorder result.Recorder
	// Lag, if set, takes the schedule lag of every open-loop request, sent
	// or dropped, so that its distribution is exact (the ScheduleLag gauge
	// only shows the latest).
	Lag LagRecorder
	// Stalls, if set, takes the length of every reply gap of at least
	// StallGap when it ends (see ReplyGap).
	Stalls StallRecorder
	// Requests, when > 0, ends the run after that many requests have been
	// scheduled (sent or dropped); Run then returns once they are answered.
	// Zero runs until the context is done.
	Requests int64
	// Start is the schedule's time zero; zero means when Run starts. Runners of
	// the same workload share it so both engines see the same offered load at
	// the same wall-clock time.
	Start time.Time
	// Budget, if set, is the cap in bytes that this runner's in-flight
	// requests share with the other runners given the same Budget: an
	// open-loop request it cannot take is dropped (CapDrops).
	Budget *Budget
	// StopAtEnd ends the run when the stream ends (a replay that does not
	// loop reached the end of its trace) or the schedule does: Run then
	// returns once the requests sent are answered, as after Requests.
	// Otherwise the runner sends nothing more and waits for the context,
	// as a daemon's workload does.
	StopAtEnd bool
}

// LagRecorder takes schedule lags. RecordLag is called from one goroutine
// per runner, once per request, and must be cheap.
type LagRecorder interface {
	RecordLag(time.Duration)
}

// Runner drives one workload against one target.
type Runner struct {
	cfg    Config
	stream *workload.Stream
	start  atomic.Int64 // unix nanos of the schedule's time zero; 0 before Run
	// startAt is the same time zero as given, with its monotonic clock
	// reading (time.Now's): intended starts made from it carry one, so
	// that a latency from an intended start, like any other Sub of two
	// times from time.Now, is a difference of monotonic readings, immune to
	// a step of the wall clock during a soak, and the cheap Sub (the wall
	// clock's took 15 of BenchmarkRecord's 125 ns). Set by RunAt, read by
	// the dispatcher it runs.
	startAt time.Time

	inflight atomic.Int64
	// nextDue is the unix-nano time the next request is due; the schedule lag
	// is how far the clock has passed it, so a stuck scheduler shows a growing
	// lag even though it dispatches nothing.
	nextDue atomic.Int64
	// lastLag is the lag of the most recent dispatch, for when the runner is
	// keeping up and nextDue is in the future.
	lastLag atomic.Int64
	maxLag  atomic.Int64 // largest lag since the last TakeMaxLag

	// Reply bookkeeping (stall.go), in unix nanos.
	lastReply  atomic.Int64 // the latest reply from the server
	busySince  atomic.Int64 // when in-flight last rose from 0
	maxGap     atomic.Int64 // the longest reply gap since Run
	takeGap    atomic.Int64 // the longest since TakeMaxReplyGap
	stallDrops atomic.Uint64
	capDrops   atomic.Uint64 // commands dropped for the shared Budget
	drops      dropRing      // dropped requests waiting for their lower bound

	cost int64 // bytes a request is charged in the Budget: RequestBytes

	raw   []workload.RawOp // by op index: the raw path; nil: go-redis
	conns connCounters     // the raw path's connections

	free chan *pending

	ended atomic.Bool // the stream or the schedule ended: nothing more to send

	workerIdle time.Duration // an idle open-loop worker exits after this
	workers    atomic.Int64  // open-loop workers running
}

// pending is a request on its way to a worker.
type pending struct {
	workload.Request
	intended time.Time
	// sent is when it was dispatched: on the raw path (connworkers.go) a
	// request that waits for a free connection waits within its service
	// time, as it does in go-redis' pool.
	sent time.Time
}

// ErrNoOps is returned when the workload cannot build a request stream.
var ErrNoOps = errors.New("runner: workload has no ops")

// New returns a Runner for cfg. It fails only when the workload cannot build
// its request stream.
func New(cfg Config) (*Runner, error) {
	if cfg.Workload == nil {
		return nil, ErrNoOps
	}
	stream, err := cfg.Workload.NewStream()
	if err != nil {
		return nil, err
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 1
	}
	if cfg.Recorder == nil {
		cfg.Recorder = result.Discard
	}
	if cfg.Schedule == nil && cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	r := &Runner{cfg: cfg, stream: stream, free: make(chan *pending, cfg.MaxInFlight), workerIdle: workerIdle,
		cost: RequestBytes(cfg.Workload.Pipeline, cfg.Workload.MaxCommandBytes())}
	if cfg.Raw != nil && (cfg.Schedule == nil || cfg.RawPool.Size > 0) {
		r.raw = workload.RawOps(cfg.Workload)
	}
	return r, nil
}

// Raw reports whether the runner sends on the raw path (Config.Raw).
func (r *Runner) Raw() bool { return r.raw != nil }

// OfferedRate is the schedule's rate right now in operations per second
// (requests times pipeline depth); 0 before Run and for closed loop.
func (r *Runner) OfferedRate() float64 {
	start := r.start.Load()
	if r.cfg.Schedule == nil || start == 0 {
		return 0
	}
	elapsed := time.Duration(time.Now().UnixNano() - start)
	return r.cfg.Schedule.Rate(max(elapsed, 0)) * float64(max(r.cfg.Workload.Pipeline, 1))
}

// InFlight is the number of requests sent and not yet answered.
func (r *Runner) InFlight() int64 { return r.inflight.Load() }

// MaxInFlight is the in-flight bound (closed loop: the worker count).
func (r *Runner) MaxInFlight() int64 {
	if r.cfg.Schedule == nil {
		return int64(r.cfg.Workers)
	}
	return int64(r.cfg.MaxInFlight)
}

// ScheduleLag is how far the runner is behind its schedule right now.
func (r *Runner) ScheduleLag() time.Duration {
	due := r.nextDue.Load()
	if due == 0 {
		return 0
	}
	if behind := time.Now().UnixNano() - due; behind > 0 {
		return time.Duration(behind)
	}
	return time.Duration(r.lastLag.Load())
}

// TakeMaxLag returns the largest schedule lag seen since the previous call.
func (r *Runner) TakeMaxLag() time.Duration {
	m := time.Duration(r.maxLag.Swap(0))
	return max(m, r.ScheduleLag())
}

// Run drives the workload until ctx is done, then gives requests in flight
// up to Config.Drain to finish and returns once every worker has exited.
// The schedule's time zero is Config.Start.
func (r *Runner) Run(ctx context.Context) { r.RunAt(ctx, r.cfg.Start) }

// RunAt is Run with the schedule's time zero at start (zero: now) rather
// than Config.Start: for a time zero known only once the runners are built,
// as the daemon's is after its preload.
func (r *Runner) RunAt(ctx context.Context, start time.Time) {
	if start.IsZero() {
		start = time.Now()
	}
	r.start.Store(start.UnixNano())
	r.startAt = start

	// Requests use their own context so that stopping the schedule does not
	// cut off answers already on their way; it is cancelled after Drain.
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	var workers sync.WaitGroup
	if r.cfg.Schedule == nil {
		if b := r.cfg.Budget; b != nil {
			held := int64(r.cfg.Workers) * r.cost
			b.reserve(held)
			defer func() { b.release(held, time.Now()) }()
		}
		r.closedLoop(ctx, reqCtx, &workers)
	} else {
		r.openLoop(ctx, reqCtx, &workers)
	}
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	// Every return below follows <-done: no request can complete any more,
	// so drops still waiting for one get no lower bound.
	defer r.settleRemaining()
	if b := r.cfg.Budget; b != nil {
		defer b.forget(r)
	}
	if ctx.Err() == nil { // all Requests scheduled, or the end: wait for their answers
		select {
		case <-done:
			if !r.ended.Load() || r.cfg.StopAtEnd {
				return
			}
			<-ctx.Done() // nothing more to send: idle until told to stop
		case <-ctx.Done():
		}
	}
	timer := time.NewTimer(r.cfg.Drain)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		cancelReqs()
		<-done
	}
}

// dispatcher hands the open loop's due requests to whoever sends them:
// a workerPool on go-redis, connWorkers on the raw path.
type dispatcher interface {
	dispatch(req *pending) // never blocks
	close()                // the schedule is over: finish what was dispatched
}

// openLoop dispatches requests at their due times until ctx is done.
func (r *Runner) openLoop(ctx, reqCtx context.Context, workers *sync.WaitGroup) {
	var pool dispatcher
	if r.raw != nil {
		pool = newConnWorkers(r, reqCtx, workers)
	} else {
		pool = newWorkerPool(r, reqCtx, workers)
	}
	defer pool.close()
	start := r.startAt
	pace := newPacer()
	defer pace.close()
	scratch := &workload.Request{}
	for n := int64(0); r.cfg.Requests <= 0 || n < r.cfg.Requests; n++ {
		at, ok := r.cfg.Schedule.Due(n)
		if !ok {
			r.nextDue.Store(0)
			r.ended.Store(true)
			return
		}
		intended := start.Add(at)
		r.nextDue.Store(intended.UnixNano())
		now := time.Now()
		if intended.After(now) {
			if !pace.until(ctx, intended) {
				return
			}
			now = time.Now()
		} else if ctx.Err() != nil {
			return
		}
		lag := max(now.Sub(intended), 0)
		r.lastLag.Store(int64(lag))
		if int64(lag) > r.maxLag.Load() {
			r.maxLag.Store(int64(lag))
		}
		if r.cfg.Lag != nil {
			r.cfg.Lag.RecordLag(lag)
		}

		// Only this goroutine adds to inflight, so the check and the add
		// cannot race; workers only subtract.
		if r.inflight.Load() >= int64(r.cfg.MaxInFlight) {
			// The request is drawn anyway so that both engines keep the same
			// sequence for the requests that are sent.
			if !r.next(scratch) {
				return
			}
			r.recordDropped(scratch, intended, now, false)
			continue
		}
		if b := r.cfg.Budget; b != nil && !b.take(r.cost) {
			if !r.next(scratch) {
				return
			}
			r.capDrops.Add(uint64(len(scratch.Cmds)))
			r.recordDropped(scratch, intended, now, true)
			continue
		}
		req := r.getRequest()
		if !r.next(&req.Request) {
			r.putRequest(req)
			if b := r.cfg.Budget; b != nil {
				b.release(r.cost, now) // taken above for this request
			}
			return
		}
		req.intended, req.sent = intended, now
		if r.inflight.Add(1) == 1 {
			r.busySince.Store(now.UnixNano())
		}
		pool.dispatch(req)
	}
}

// closedLoop runs Workers workers that each send the next request as soon as
// the previous one is answered. Without a schedule the intended start is the
// actual start.
func (r *Runner) closedLoop(ctx, reqCtx context.Context, workers *sync.WaitGroup) {
	var (
		mu     sync.Mutex // the stream is sequential; workers take turns drawing
		issued int64      // requests drawn, under mu
	)
	// draw takes the next request of the stream, or reports false when the
	// run has no more.
	draw := func(req *workload.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r.cfg.Requests > 0 && issued >= r.cfg.Requests {
			return false
		}
		issued++
		return r.next(req)
	}
	// Workers send back to back: requests are in flight from the start to
	// the end, and a reply gap is the time between two replies.
	r.busySince.Store(time.Now().UnixNano())
	for range r.cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			if r.raw != nil {
				r.rawWorker(ctx, reqCtx, draw)
				return
			}
			conn := newWorkerConn(r.cfg.Client)
			defer conn.release()
			req := &workload.Request{}
			for ctx.Err() == nil {
				if !draw(req) {
					return
				}
				r.inflight.Add(1)
				sent := time.Now()
				done, broken := r.do(reqCtx, conn.get(sent), req, sent, sent)
				if broken {
					conn.release() // broken: the next request takes another
				}
				r.replied(done, !broken)
				r.inflight.Add(-1)
			}
		}()
	}
}

// next draws the stream's next request into req, or reports false when the
// stream has ended: there is nothing more to send. A request cut short by
// the end is sent with the commands it has.
func (r *Runner) next(req *workload.Request) bool {
	if r.ended.Load() {
		return false
	}
	r.stream.Next(req)
	if len(req.Cmds) == 0 {
		r.ended.Store(true)
		return false
	}
	return true
}

// stickyConnRefresh is how long a closed-loop worker keeps its connection
// before it hands it back to the pool and takes one again, so that the
// pool's connection lifetime and idle checks (which follow DNS changes
// after a failover) still apply to long runs.
const stickyConnRefresh = 10 * time.Second

// workerConn is a closed-loop worker's own connection. Taking a pooled
// connection for every request costs a pool turn and a health-check
// syscall each time (a tenth of the client CPU at pipeline 1); a worker that
// is always busy gains nothing from sharing. Each worker holds one
// connection, as valkey-benchmark's -c clients do. Cluster clients have no
// per-connection handle and keep using their per-node pools.
type workerConn struct {
	shared redis.UniversalClient
	client *redis.Client // nil: not a standalone client, use shared
	conn   *redis.Conn   // nil until the next request takes one
	since  time.Time
}

func newWorkerConn(c redis.UniversalClient) *workerConn {
	w := &workerConn{shared: c}
	w.client, _ = c.(*redis.Client)
	return w
}

// get returns what to send the next request on.
func (w *workerConn) get(now time.Time) redis.Cmdable {
	if w.client == nil {
		return w.shared
	}
	if w.conn != nil && now.Sub(w.since) >= stickyConnRefresh {
		w.release()
	}
	if w.conn == nil {
		w.conn = w.client.Conn() // dials lazily, on the first command
		w.since = now
	}
	return w.conn
}

// release hands the connection back to the pool, or drops it if go-redis
// found it broken.
func (w *workerConn) release() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// do sends one request (one command, or a pipeline of them) on c and records
// a result per command. sent is the caller's clock reading just before the
// call, so that the closed loop reads the clock once per request. It returns
// when the request completed, and whether a command failed without a server
// reply (network error, timeout): the connection it used may be broken, and
// the server did not answer.
func (r *Runner) do(ctx context.Context, c redis.Cmdable, req *workload.Request, intended, sent time.Time) (done time.Time, broken bool) {
	ops := r.cfg.Workload.Ops
	// Each command's outcome is read from the Cmder its op returned, not by
	// position in the pipeline's results: an op may queue a helper command
	// after its own (a capped push's LTRIM), which is part of that op.
	var pipe redis.Pipeliner
	if len(req.Cmds) > 1 {
		pipe = c.Pipeline()
	}
	for i := range req.Cmds {
		cmd := &req.Cmds[i]
		if pipe == nil {
			cmd.Reply = ops[cmd.Op].Op.Issue(ctx, c, &cmd.Args)
		} else {
			cmd.Reply = ops[cmd.Op].Op.Issue(ctx, pipe, &cmd.Args)
		}
	}
	if pipe != nil {
		// Exec's own error repeats the first command error; each command
		// carries its own, which is what gets recorded.
		_, _ = pipe.Exec(ctx)
	}
	done = time.Now()
	canceled := ctx.Err() != nil
	var bs batches
	for i := range req.Cmds {
		cmd := &req.Cmds[i]
		res := result.Result{Op: cmd.Op, Intended: intended, Sent: sent, Done: done}
		if cmd.Reply == nil {
			res.Outcome, res.Class = result.Error, result.ClassOther
		} else {
			res.Outcome, res.Class = workload.Outcome(ops[cmd.Op].Op, cmd.Reply)
			broken = broken || res.Outcome == result.Error && withoutReply(cmd.Reply.Err())
		}
		cmd.Reply = nil // do not keep the reply alive in the free list
		if canceled && res.Outcome == result.Error {
			res.Class = result.ClassCanceled
		}
		bs.add(r.cfg.Recorder, res)
	}
	bs.flush(r.cfg.Recorder, intended, sent, done)
	return done, broken
}

// maxBatches bounds the distinct results of one request that are batched;
// further ones are recorded one by one.
const maxBatches = 8

// batches are the results of one request. Its commands share their
// times, so equal results (same op, outcome and class) are recorded as
// one batch.
type batches struct {
	b [maxBatches]batch
	n int
}

// batch is n equal results of one request.
type batch struct {
	op      int
	outcome result.Outcome
	class   result.Class
	n       int
}

// add counts res in its batch, or records it at once when maxBatches
// other results have batches already.
func (bs *batches) add(rec result.Recorder, res result.Result) {
	j := 0
	for j < bs.n && (bs.b[j].op != res.Op || bs.b[j].outcome != res.Outcome || bs.b[j].class != res.Class) {
		j++
	}
	switch {
	case j < bs.n:
		bs.b[j].n++
	case bs.n < maxBatches:
		bs.b[bs.n] = batch{op: res.Op, outcome: res.Outcome, class: res.Class, n: 1}
		bs.n++
	default:
		rec.Record(res)
	}
}

// flush records the batches.
func (bs *batches) flush(rec result.Recorder, intended, sent, done time.Time) {
	for _, b := range bs.b[:bs.n] {
		res := result.Result{Op: b.op, Intended: intended, Sent: sent, Done: done, Outcome: b.outcome, Class: b.class}
		result.RecordN(rec, res, b.n)
	}
}

// withoutReply reports whether a command's error is a failure other than a
// server's reply: the connection it happened on may be unusable.
func withoutReply(err error) bool {
	var reply redis.Error
	return !errors.As(err, &reply)
}

func (r *Runner) getRequest() *pending {
	select {
	case req := <-r.free:
		return req
	default:
		return &pending{}
	}
}

func (r *Runner) putRequest(req *pending) {
	select {
	case r.free <- req:
	default:
	}
}
