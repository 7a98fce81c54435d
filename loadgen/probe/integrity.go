package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultIntegrityPrefix is the integrity probe's key prefix when none is
// given.
const DefaultIntegrityPrefix = "ecbench:probe:integrity:"

// MaxReadBatch bounds the writes read in one pipeline (GETs, which a cluster
// client splits per node), so that a sweep or the backlog after an outage
// proceeds in bounded steps and a reply batch holds at most MaxReadBatch
// values.
const MaxReadBatch = 512

// DefaultSweepRate is IntegrityOptions.SweepRate when none is given: the
// default ring of 10,000 keys is read again every 10 s.
const DefaultSweepRate = 1000

// maxScan bounds the slots one batch of a sweep looks at, so that a ring of
// mostly unsampled or already reported writes costs bounded work per step.
const maxScan = 16 * MaxReadBatch

// stateEvery is how often the state file is rewritten while the ledger
// changes.
const stateEvery = time.Second

// IntegrityOptions configure an integrity probe. Zero values take the
// defaults.
type IntegrityOptions struct {
	// Prefix of the ring's keys: Prefix+"0" .. Prefix+(Keys-1). Default
	// DefaultIntegrityPrefix. Each probe needs its own prefix (or target).
	Prefix string
	// Keys is the ring size: write seq goes to key seq mod Keys, so the
	// keyspace stays bounded, and a write is watched until write seq+Keys
	// reuses its key. It must exceed VerifyDelay/Interval, so that a write
	// gets its first check before its key is rewritten. It sets the ledger's
	// memory: IntegrityMemory(Keys). Default 10000.
	Keys int
	// Interval between writes. Default 100ms.
	Interval time.Duration
	// Timeout bounds each write and each read batch, and the final sweep as
	// a whole. Default 1s.
	Timeout time.Duration
	// ValueSize is each record's size in bytes, at least MinValueSize.
	// Default 128.
	ValueSize int
	// VerifyDelay is how long after its acknowledgement a write gets its
	// first check. Default 10s.
	VerifyDelay time.Duration
	// SweepRate is how many writes per second the continuous sweep reads
	// again, round the ring (Keys/SweepRate seconds a pass). Default
	// DefaultSweepRate.
	SweepRate float64
	// Sample is the share of acknowledged writes that are checked, in
	// (0, 1]. The choice is a hash of (Seed, seq), so probes with the same
	// seed check the same writes. Default 1 (all).
	Sample float64
	// StateFile, when set, keeps the ledger across restarts of ecbench: it is
	// rewritten (atomically) every second while the ledger changes and when
	// Run returns, and read by NewIntegrity. Each probe needs its own file.
	StateFile string
	// Seed makes payloads and the sample reproducible.
	Seed uint64
}

func (o IntegrityOptions) withDefaults() (IntegrityOptions, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...))
	}
	if o.Prefix == "" {
		o.Prefix = DefaultIntegrityPrefix
	}
	if o.Keys == 0 {
		o.Keys = 10000
	}
	if o.Interval == 0 {
		o.Interval = 100 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	if o.ValueSize == 0 {
		o.ValueSize = 128
	}
	if o.VerifyDelay == 0 {
		o.VerifyDelay = 10 * time.Second
	}
	if o.SweepRate == 0 {
		o.SweepRate = DefaultSweepRate
	}
	if o.Sample == 0 {
		o.Sample = 1
	}
	switch {
	case o.Keys < 1:
		bad("keys: must be >= 1, got %d", o.Keys)
	case o.Interval < 0:
		bad("interval: must be > 0, got %v", o.Interval)
	case o.VerifyDelay < 0:
		bad("verify_delay: must be > 0, got %v", o.VerifyDelay)
	default:
		// Writes in one VerifyDelay, and the key of the write after them.
		perDelay := int64(math.Ceil(float64(o.VerifyDelay) / float64(o.Interval)))
		if int64(o.Keys) <= perDelay {
			bad("keys: must be > verify_delay/interval = %d, so that a record is read back before its key is rewritten, got %d", perDelay, o.Keys)
		}
	}
	if o.Timeout < 0 {
		bad("timeout: must be > 0, got %v", o.Timeout)
	}
	if o.ValueSize < MinValueSize {
		bad("value_size: must be >= %d, got %d", MinValueSize, o.ValueSize)
	}
	switch {
	case !(o.SweepRate > 0) || math.IsInf(o.SweepRate, 0):
		bad("sweep_rate: must be > 0 and finite (writes read again per second), got %g", o.SweepRate)
	case o.Interval > 0 && o.Sample > 0 && o.Sample <= 1:
		// A sweep slower than the checked writes arrive never comes round.
		if perSecond := o.Sample / o.Interval.Seconds(); o.SweepRate <= perSecond {
			bad("sweep_rate: must be > sample/interval = %g (the checked writes per second), got %g", perSecond, o.SweepRate)
		}
	}
	if !(o.Sample > 0 && o.Sample <= 1) {
		bad("sample: must be in (0, 1], got %g", o.Sample)
	}
	return o, errors.Join(errs...)
}

// Integrity writes sequenced records to one target and reads them back,
// again and again, until their keys are reused.
//
// Sequence numbers count acknowledged writes: a write that fails is retried
// with the same sequence number and, since a record is a function of its
// sequence number, the very same bytes, so a write that failed but was
// applied anyway is harmless. Every sequence number below Next has been
// acknowledged.
type Integrity struct {
	c    redis.UniversalClient
	o    IntegrityOptions
	sink IntegritySink
	now  func() time.Time

	fenceKey  string // a key no write uses: see read
	epoch     uint64
	next      uint64 // sequence number of the next write
	sampleMax uint64 // a seq is sampled when mix(seed^seq) < sampleMax (Sample < 1)
	l         *ledger
	unchecked int     // writes in the ring awaiting their first check
	firstSeq  uint64  // no write below it awaits its first check
	discarded []Check // the unchecked writes of a state file that did not fit, reported by Run
	resumed   bool    // a state file was resumed: Run starts with a resume sweep

	full      *fullSweep // the full sweep under way, or nil
	pass      passState  // the continuous sweep's current pass
	credit    float64    // reads the continuous sweep may make now
	lastStep  time.Time  // when the credit was last topped up
	sweepIDs  uint64     // the last Sweep.ID given out
	requested atomic.Pointer[string]

	// writeFailed and readFailed: the last write, or read batch, failed. The
	// next success ends the probe's own outage and starts a recovery sweep
	// (recover), since whatever made it fail (a restart, a failover) may
	// have taken acknowledged writes with it.
	writeFailed, readFailed, recover bool
	reuseRead                        bool // this step read the write whose key the next write reuses

	val   []byte             // scratch for the record written
	items []readItem         // scratch for a read batch
	cmds  []*redis.StringCmd // scratch for a read batch's replies
	dirty bool               // the state changed since the last save
	saved time.Time          // when the state was last saved

	nextSeq atomic.Uint64 // mirrors next for Next
	pending atomic.Int64  // mirrors unchecked for Pending
}

// NewIntegrity returns a probe of c. With a StateFile it resumes the run
// saved there (same epoch, next sequence number and ledger; version 1 and 2
// files); a file saved for another Prefix or Keys is not resumed, and its
// writes awaiting their first check are reported as unchecked when Run
// starts. It fails on invalid options and on a state file that exists but
// cannot be read or parsed, or cannot be written.
func NewIntegrity(c redis.UniversalClient, o IntegrityOptions, s IntegritySink) (*Integrity, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	i := &Integrity{c: c, o: o, sink: s, now: time.Now, fenceKey: o.Prefix + "fence", epoch: rand.Uint64(), l: newLedger(o.Keys)}
	if o.Sample < 1 {
		i.sampleMax = uint64(o.Sample * (1 << 64)) // < 2^64: Sample < 1
	}
	if o.StateFile != "" {
		if err := i.resume(); err != nil {
			return nil, err
		}
		// Fail now rather than at the first save if the file cannot be
		// written (a missing directory, no permission).
		if err := i.save(); err != nil {
			return nil, err
		}
	}
	i.nextSeq.Store(i.next)
	i.pending.Store(int64(i.unchecked))
	return i, nil
}

// Options returns the options with their defaults filled in.
func (i *Integrity) Options() IntegrityOptions { return i.o }

// Next returns the sequence number of the next write: every one below it has
// been acknowledged (by this process, or by the run it resumed). Safe for
// concurrent use.
func (i *Integrity) Next() uint64 { return i.nextSeq.Load() }

// Pending returns how many acknowledged writes await their first check.
// Safe for concurrent use.
func (i *Integrity) Pending() int { return int(i.pending.Load()) }

// Sweep asks for a full sweep of the ring at the probe's next step: every
// write still in it is read, those younger than VerifyDelay included, and
// verdicts are reported as found by a RequestedSweep with this reason. A
// full sweep under way is cut short and the new one starts from the oldest
// write. The daemon calls it when something may have taken writes with it:
// an outage ended, the target's role changed, the server restarted. It never
// blocks, and is safe for concurrent use; requests made before the probe
// gets to them coalesce into the last one.
func (i *Integrity) Sweep(reason string) { i.requested.Store(&reason) }

// Run writes one record every Interval and reads back what is due, until ctx
// is done. Then it runs a final sweep, bounded by Timeout, and with a
// StateFile saves the ledger for the next run; without one, it reports the
// writes that never got a check as unchecked. It returns an error only when
// the state file cannot be saved. Call Run once.
func (i *Integrity) Run(ctx context.Context) error {
	for _, c := range i.discarded {
		i.sink.Checked(c)
	}
	if i.resumed && i.next > 0 {
		i.startFull(ResumeSweep, "", i.now())
	}
	tick := time.NewTicker(i.o.Interval)
	defer tick.Stop()
	for ctx.Err() == nil {
		i.step(ctx)
		if i.o.StateFile != "" && i.dirty && i.now().Sub(i.saved) >= stateEvery {
			if err := i.save(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	complete := i.finalSweep(ctx)
	if i.o.StateFile == "" {
		i.reportUnchecked()
	}
	i.finishFull(complete)
	if i.o.StateFile != "" {
		return i.save()
	}
	return nil
}

// step starts a requested or recovery sweep if one is due, runs the full
// sweep under way for up to half an interval, reads the writes that are due
// for their first check and the one whose key the next write reuses, lets
// the continuous sweep read what its rate allows, and then writes the next
// record.
//
// A write's key is rewritten only after a read of the write in it succeeded
// in this step (or the write was reported bad already, or is not sampled):
// if that read fails the next write waits, so no write leaves the ring
// without a last look.
func (i *Integrity) step(ctx context.Context) {
	now := i.now()
	deadline := now.Add(i.o.Interval / 2)
	i.topUp(now)
	i.reuseRead = false
	switch r := i.requested.Swap(nil); {
	case r != nil:
		i.recover = false // the requested sweep covers it
		i.startFull(RequestedSweep, *r, now)
	case i.recover:
		i.recover = false
		i.startFull(RecoverySweep, "", now)
	}
	ok := true
	if i.full != nil {
		ok = i.runFull(ctx, deadline)
	}
	if ok && ctx.Err() == nil {
		ok = i.readDue(ctx, now)
	}
	if ok && ctx.Err() == nil {
		i.sweepOn(ctx, deadline)
	}
	if ctx.Err() != nil || !i.mayReuse() {
		return
	}
	i.write(ctx)
}

// mayReuse reports whether the next write may rewrite its key: the write
// there was read in this step, was reported bad already, or is not checked.
func (i *Integrity) mayReuse() bool {
	if i.next < i.l.keys || i.reuseRead {
		return true
	}
	st := i.l.get(i.next - i.l.keys)
	return st == slotEmpty || st == slotReported
}

// topUp gives the continuous sweep the reads its rate allows since the last
// step, holding at most two intervals' worth so that a stalled probe does
// not catch up in a burst.
func (i *Integrity) topUp(now time.Time) {
	if i.lastStep.IsZero() {
		i.lastStep = now
		return
	}
	dt := now.Sub(i.lastStep)
	i.lastStep = now
	if dt <= 0 {
		return
	}
	most := max(1, i.o.SweepRate*2*i.o.Interval.Seconds())
	i.credit = min(most, i.credit+i.o.SweepRate*dt.Seconds())
}

// key returns the ring key of seq.
func (i *Integrity) key(seq uint64) string {
	return i.o.Prefix + strconv.FormatUint(seq%uint64(i.o.Keys), 10)
}

// write writes record next; on acknowledgement it advances next and, if the
// write is sampled, marks it as awaiting its first check.
func (i *Integrity) write(ctx context.Context) {
	key := i.key(i.next)
	i.val = appendRecord(i.val[:0], key, i.epoch, i.next, i.o.Seed, i.o.ValueSize)
	wctx, cancel := context.WithTimeout(ctx, i.o.Timeout)
	err := i.c.Set(wctx, key, i.val, 0).Err()
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			i.writeFailed = true
			reloadTopology(ctx, i.c)
		}
		return // not acknowledged: the same record is written next time
	}
	if i.writeFailed {
		i.writeFailed, i.recover = false, true
	}
	if i.sampled(i.next) {
		i.l.set(i.next, slotUnchecked)
		i.l.setAckAt(i.next, i.now().UnixNano())
		i.addUnchecked(1)
	} else {
		i.l.set(i.next, slotEmpty)
	}
	i.next++
	i.nextSeq.Store(i.next)
	i.dirty = true
}

func (i *Integrity) addUnchecked(n int) {
	i.unchecked += n
	i.pending.Store(int64(i.unchecked))
}

// sampled reports whether write seq is checked.
func (i *Integrity) sampled(seq uint64) bool {
	return i.o.Sample >= 1 || mix64(i.o.Seed^seq) < i.sampleMax
}

// mix64 is the SplitMix64 finaliser: a bijection that spreads consecutive
// sequence numbers uniformly over 64 bits.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
