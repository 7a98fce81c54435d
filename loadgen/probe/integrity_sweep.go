package probe

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// readItem is one write to read in a batch, and which read it is.
type readItem struct {
	seq   uint64
	sweep Sweep
	rep   *SweepReport // the sweep's tally; nil for first checks and checks before reuse
	// adjacent: no sampled write lies between the previous item of the same
	// sweep in this batch and this one, so a verdict run may span them.
	adjacent bool
}

// seqRange is the writes [from, to).
type seqRange struct{ from, to uint64 }

// fullSweep is a full sweep under way: the ranges it has yet to read, in
// order.
type fullSweep struct {
	todo    []seqRange
	report  SweepReport
	started time.Time
}

// passState is the continuous sweep's current pass round the ring.
type passState struct {
	at      uint64 // the next write it looks at
	report  SweepReport
	started time.Time
}

func (i *Integrity) nextSweep(kind SweepKind, reason string) Sweep {
	i.sweepIDs++
	return Sweep{Kind: kind, Reason: reason, ID: i.sweepIDs}
}

// startFull begins a full sweep of every write in the ring, oldest first; a
// full sweep under way is cut short. The final sweep reads the writes that
// await their first check first, since those are the ones it would
// otherwise report unchecked.
func (i *Integrity) startFull(kind SweepKind, reason string, now time.Time) {
	if i.full != nil {
		i.finishFull(false)
	}
	lo := i.l.windowStart(i.next)
	f := &fullSweep{report: SweepReport{Sweep: i.nextSweep(kind, reason)}, started: now}
	if kind == FinalSweep {
		first := max(i.firstSeq, lo)
		f.todo = []seqRange{{first, i.next}, {lo, first}}
	} else {
		f.todo = []seqRange{{lo, i.next}}
	}
	i.full = f
}

// finishFull reports the full sweep under way, if any, as done.
func (i *Integrity) finishFull(complete bool) {
	f := i.full
	if f == nil {
		return
	}
	i.full = nil
	f.report.Complete = complete
	f.report.Took = i.now().Sub(f.started)
	i.sink.SweepDone(f.report)
}

// fullBatch returns the next batch of the full sweep, and where its scan
// ended; no items and done when the sweep has read everything.
func (i *Integrity) fullBatch() (items []readItem, scanEnd uint64, done bool) {
	f := i.full
	lo := i.l.windowStart(i.next)
	items = i.items[:0]
	for len(f.todo) > 0 {
		r := &f.todo[0]
		// Writes that left the ring meanwhile were read before their keys
		// were reused.
		r.from = max(r.from, lo)
		if r.from >= r.to {
			f.todo = f.todo[1:]
			continue
		}
		s, adjacent := r.from, false
		for ; s < r.to && len(items) < MaxReadBatch && s-r.from < maxScan; s++ {
			switch i.l.get(s) {
			case slotUnchecked, slotVerified:
				items = append(items, readItem{seq: s, sweep: f.report.Sweep, rep: &f.report, adjacent: adjacent})
				adjacent = true
			case slotReported:
				adjacent = false
			}
		}
		return items, s, false
	}
	return items, 0, true
}

// runFull reads batches of the full sweep until it is done, a read fails,
// or deadline passes (after one batch at least). It returns false when a
// read failed.
func (i *Integrity) runFull(ctx context.Context, deadline time.Time) bool {
	for n := 0; ; n++ {
		if n > 0 && !i.now().Before(deadline) {
			return true
		}
		items, scanEnd, done := i.fullBatch()
		if done {
			i.finishFull(true)
			return true
		}
		judged, ok := i.read(ctx, items)
		i.advanceFull(items, judged, scanEnd)
		if !ok {
			return false
		}
	}
}

// advanceFull moves the full sweep past what it judged of a batch.
func (i *Integrity) advanceFull(items []readItem, judged int, scanEnd uint64) {
	if judged < len(items) {
		i.full.todo[0].from = items[judged].seq
	} else {
		i.full.todo[0].from = scanEnd
	}
}

// readDue reads the writes due for their first check (acknowledged
// VerifyDelay ago, or about to leave the ring unchecked) and the verified
// write whose key the next write reuses, in one batch. It returns false
// when a read failed.
func (i *Integrity) readDue(ctx context.Context, now time.Time) bool {
	items := i.items[:0]
	keys := i.l.keys
	lo := i.l.windowStart(i.next)
	if i.next >= keys && !i.reuseRead && i.l.get(i.next-keys) == slotVerified {
		items = append(items, readItem{seq: i.next - keys, sweep: Sweep{Kind: ReuseCheck}})
	}
	i.firstSeq = max(i.firstSeq, lo)
	for i.firstSeq < i.next && i.l.get(i.firstSeq) != slotUnchecked {
		i.firstSeq++
	}
	// The write at lo is the one the next write displaces (when the ring is
	// full): it is due whatever its age.
	cutoff := now.Add(-i.o.VerifyDelay).UnixNano()
	adjacent := false
	for s := i.firstSeq; s < i.next && len(items) < MaxReadBatch; s++ {
		switch i.l.get(s) {
		case slotEmpty:
			continue
		case slotUnchecked:
		default:
			adjacent = false
			continue
		}
		if i.l.ackAt(s) > cutoff && (i.next < keys || s != lo) {
			break // acknowledged in order: the later ones are younger still
		}
		items = append(items, readItem{seq: s, sweep: Sweep{Kind: FirstCheck}, adjacent: adjacent})
		adjacent = true
	}
	_, ok := i.read(ctx, items)
	return ok
}

// sweepOn lets the continuous sweep read verified writes, batch after
// batch, while its credit lasts or until deadline passes (after one batch at
// least). A pass that reaches the newest write ends and the next one starts
// from the oldest, at most once a step.
func (i *Integrity) sweepOn(ctx context.Context, deadline time.Time) {
	if i.pass.report.Sweep.ID == 0 {
		i.pass = passState{report: SweepReport{Sweep: i.nextSweep(ContinuousSweep, "")}, started: i.now()}
	}
	wrapped := false
	for n := 0; i.credit >= 1; n++ {
		if n > 0 && !i.now().Before(deadline) {
			return
		}
		i.pass.at = max(i.pass.at, i.l.windowStart(i.next))
		if i.pass.at >= i.next {
			if wrapped {
				return // the whole ring in one step: enough
			}
			i.endPass()
			wrapped = true
			continue
		}
		items, adjacent := i.items[:0], false
		limit := min(MaxReadBatch, int(i.credit))
		s := i.pass.at
		for ; s < i.next && len(items) < limit && s-i.pass.at < maxScan; s++ {
			switch i.l.get(s) {
			case slotVerified:
				items = append(items, readItem{seq: s, sweep: i.pass.report.Sweep, rep: &i.pass.report, adjacent: adjacent})
				adjacent = true
			case slotUnchecked, slotReported:
				adjacent = false
			}
		}
		judged, ok := i.read(ctx, items)
		i.credit -= float64(judged)
		if judged < len(items) {
			i.pass.at = items[judged].seq
		} else {
			i.pass.at = s
		}
		if !ok {
			return
		}
	}
}

// endPass reports the continuous sweep's pass, if it read anything, and
// starts the next one from the oldest write.
func (i *Integrity) endPass() {
	if i.pass.report.Read == 0 {
		i.pass.at, i.pass.started = 0, i.now()
		return // nothing to say; keep the ID
	}
	i.pass.report.Complete = true
	i.pass.report.Took = i.now().Sub(i.pass.started)
	i.sink.SweepDone(i.pass.report)
	i.pass = passState{report: SweepReport{Sweep: i.nextSweep(ContinuousSweep, "")}, started: i.now()}
}

// read reads items in one pipeline and judges them in order, up to the
// first read that failed: a failed read is no verdict, and that write and
// those after it keep their state, to be read again. It returns how many
// were judged and whether all were. Verdicts are reported in runs: writes
// of one sweep with the same verdict and no other checked write between
// them.
//
// The pipeline starts with a fence: a DEL of a key that does not exist, a
// write that changes nothing. A server that takes no writes answers it
// READONLY, and then none of the batch is judged: after a failover behind a
// DNS name the demoted primary, now a replica that is resynchronising,
// would otherwise answer the reads, and report as lost the writes the new
// primary holds. go-redis keeps pipelines on connections of their own, which
// the READONLY of a failed write does not close; a pipeline whose first
// reply is READONLY closes its connection, so the next batch dials the name
// again and reaches the new primary.
func (i *Integrity) read(ctx context.Context, items []readItem) (judged int, ok bool) {
	i.items = items[:0] // keep the batch's capacity for the next one
	if len(items) == 0 {
		return 0, true
	}
	rctx, cancel := context.WithTimeout(ctx, i.o.Timeout)
	defer cancel()
	pipe := i.c.Pipeline()
	fence := pipe.Del(rctx, i.fenceKey)
	cmds := i.cmds[:0]
	for _, it := range items {
		cmds = append(cmds, pipe.Get(rctx, i.key(it.seq)))
	}
	_, _ = pipe.Exec(rctx) // each command carries its own error

	var run Check // N == 0: no run open
	for j, cmd := range cmds {
		if fence.Err() != nil {
			break // not answered by a primary: no verdicts
		}
		v, err := cmd.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			break
		}
		judged++
		it := items[j]
		r, report := i.judgeItem(it, v, err == nil)
		if report && run.N > 0 && it.adjacent && run.Result == r && run.Sweep == it.sweep {
			run.N++
			run.To = it.seq
			continue
		}
		if run.N > 0 {
			i.sink.Checked(run)
			run.N = 0
		}
		if report {
			run = Check{Result: r, N: 1, From: it.seq, To: it.seq, Sweep: it.sweep}
		}
	}
	if run.N > 0 {
		i.sink.Checked(run)
	}
	clear(cmds) // do not keep replies alive until the next batch
	i.cmds = cmds[:0]
	ok = judged == len(items)
	switch {
	case !ok && ctx.Err() == nil:
		i.readFailed = true
		reloadTopology(ctx, i.c)
	case ok && i.readFailed:
		i.readFailed, i.recover = false, true
	}
	return judged, ok
}

// judgeItem judges the value read for it (found is false for a missing key)
// and moves its slot on. It returns the verdict and whether to report it: a
// write's first verdict, and the first one that is not Verified, are
// reported; a verified write found intact again, or one reported already,
// is not.
func (i *Integrity) judgeItem(it readItem, v string, found bool) (CheckResult, bool) {
	seq := it.seq
	if i.next >= i.l.keys && seq == i.next-i.l.keys {
		i.reuseRead = true
	}
	if it.rep != nil {
		it.rep.Read++
	}
	r := judge(i.key(seq), v, found, i.epoch, seq)
	switch i.l.get(seq) {
	case slotUnchecked:
		i.addUnchecked(-1)
		if r == Verified {
			i.l.set(seq, slotVerified)
		} else {
			i.l.set(seq, slotReported)
		}
	case slotVerified:
		if r == Verified {
			return r, false
		}
		i.l.set(seq, slotReported)
	default:
		return r, false // reported already, or nothing to check
	}
	i.dirty = true
	if it.rep != nil {
		it.rep.Found[r]++
	}
	return r, true
}

// finalSweep reads every write in the ring once more when Run stops, those
// awaiting their first check first, within one Timeout in all and up to the
// first failed batch. It reports whether it read everything.
func (i *Integrity) finalSweep(ctx context.Context) bool {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), i.o.Timeout)
	defer cancel()
	i.startFull(FinalSweep, "", i.now())
	for fctx.Err() == nil {
		items, scanEnd, done := i.fullBatch()
		if done {
			return true
		}
		judged, ok := i.read(fctx, items)
		i.advanceFull(items, judged, scanEnd)
		if !ok {
			return false
		}
	}
	return false
}

// reportUnchecked reports the writes that never got a check as Unchecked,
// found by the final sweep (which could not read them), in runs.
func (i *Integrity) reportUnchecked() {
	var sw Sweep
	var rep *SweepReport
	if i.full != nil {
		sw, rep = i.full.report.Sweep, &i.full.report
	} else {
		sw = Sweep{Kind: FinalSweep}
	}
	var run Check
	flush := func() {
		if run.N > 0 {
			i.sink.Checked(run)
			if rep != nil {
				rep.Found[Unchecked] += run.N
			}
			run.N = 0
		}
	}
	for s := i.l.windowStart(i.next); s < i.next; s++ {
		switch i.l.get(s) {
		case slotEmpty:
			continue
		case slotUnchecked:
		default:
			flush()
			continue
		}
		i.l.set(s, slotEmpty)
		i.addUnchecked(-1)
		if run.N > 0 {
			run.N++
			run.To = s
		} else {
			run = Check{Result: Unchecked, N: 1, From: s, To: s, Sweep: sw}
		}
	}
	flush()
}
