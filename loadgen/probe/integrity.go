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

// maxBatch bounds the records read back in one pipeline, so that the backlog
// after a long outage drains in bounded steps.
const maxBatch = 512

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
	// keyspace stays bounded. It must exceed VerifyDelay/Interval, so that a
	// record is read back before its key is rewritten. Default 10000.
	Keys int
	// Interval between writes. Default 100ms.
	Interval time.Duration
	// Timeout bounds each write and each read-back batch. Default 1s.
	Timeout time.Duration
	// ValueSize is each record's size in bytes, at least MinValueSize.
	// Default 128.
	ValueSize int
	// VerifyDelay is how long after its acknowledgement a record is read
	// back. Default 10s.
	VerifyDelay time.Duration
	// Sample is the share of acknowledged writes that are read back, in
	// (0, 1]. The choice is a hash of (Seed, seq), so probes with the same
	// seed check the same writes. Default 1 (all).
	Sample float64
	// Window bounds the ledger of acknowledged writes awaiting read-back.
	// When it is full the oldest is read back early. It must hold the writes
	// of one VerifyDelay (VerifyDelay/Interval × Sample) and at most Keys.
	// Default Keys.
	Window int
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
	if o.Sample == 0 {
		o.Sample = 1
	}
	if o.Window == 0 {
		o.Window = o.Keys
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
		if o.Sample > 0 && o.Sample <= 1 && o.Window > 0 {
			if need := int64(math.Ceil(float64(perDelay) * o.Sample)); int64(o.Window) < need {
				bad("window: must be >= verify_delay/interval × sample = %d, got %d", need, o.Window)
			}
		}
	}
	if o.Timeout < 0 {
		bad("timeout: must be > 0, got %v", o.Timeout)
	}
	if o.ValueSize < MinValueSize {
		bad("value_size: must be >= %d, got %d", MinValueSize, o.ValueSize)
	}
	if !(o.Sample > 0 && o.Sample <= 1) {
		bad("sample: must be in (0, 1], got %g", o.Sample)
	}
	if o.Keys >= 1 && (o.Window < 1 || o.Window > o.Keys) {
		bad("window: must be in [1, keys = %d], got %d", o.Keys, o.Window)
	}
	return o, errors.Join(errs...)
}

// Integrity writes sequenced records to one target and reads them back.
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

	epoch     uint64
	next      uint64 // sequence number of the next write
	sampleMax uint64 // a seq is sampled when mix(seed^seq) < sampleMax (Sample < 1)
	l         *ledger
	discarded Range // from a state file that did not fit, reported by Run

	val   []byte             // scratch for the record written
	cmds  []*redis.StringCmd // scratch for a read-back batch
	dirty bool               // the state changed since the last save
	saved time.Time          // when the state was last saved

	nextSeq atomic.Uint64 // mirrors next for Next
	pending atomic.Int64  // mirrors l.len() for Pending
}

// NewIntegrity returns a probe of c. With a StateFile it resumes the run
// saved there (same epoch, next sequence number and ledger); a file saved for
// another Prefix or Keys, or with more entries than Window, is not resumed,
// and its ledger is reported as unchecked when Run starts. It fails on
// invalid options and on a state file that exists but cannot be read or
// parsed, or cannot be written.
func NewIntegrity(c redis.UniversalClient, o IntegrityOptions, s IntegritySink) (*Integrity, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	i := &Integrity{c: c, o: o, sink: s, now: time.Now, epoch: rand.Uint64(), l: newLedger(o.Window)}
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
	i.pending.Store(int64(i.l.len()))
	return i, nil
}

// Options returns the options with their defaults filled in.
func (i *Integrity) Options() IntegrityOptions { return i.o }

// Next returns the sequence number of the next write: every one below it has
// been acknowledged (by this process, or by the run it resumed). Safe for
// concurrent use.
func (i *Integrity) Next() uint64 { return i.nextSeq.Load() }

// Pending returns how many acknowledged writes await read-back. Safe for
// concurrent use.
func (i *Integrity) Pending() int { return int(i.pending.Load()) }

// Run writes one record every Interval and reads back those that are due,
// until ctx is done. Then, with a StateFile, it saves the ledger for the next
// run; without one, it reports the writes still awaiting read-back as
// unchecked. It returns an error only when the state file cannot be saved.
// Call Run once.
func (i *Integrity) Run(ctx context.Context) error {
	if i.discarded.N > 0 {
		i.sink.Checked(Unchecked, i.discarded.N, i.discarded.From, i.discarded.To)
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
	if i.o.StateFile != "" {
		return i.save()
	}
	if n := i.l.len(); n > 0 {
		i.sink.Checked(Unchecked, n, i.l.at(0).seq, i.l.at(n-1).seq)
	}
	return nil
}

// step reads back what is due, then writes the next record.
//
// Entries must be read back early, whatever their age, when the next write
// would reuse their key (seq <= next-Keys) or would not fit in the ledger.
// If that read-back fails the write waits: a record is never overwritten
// before it was checked, and the ledger never grows past Window.
func (i *Integrity) step(ctx context.Context) {
	keys := uint64(i.o.Keys)
	forced := 0
	for forced < i.l.len() && i.l.at(forced).seq+keys <= i.next {
		forced++
	}
	if i.l.full() {
		forced = max(forced, 1)
	}
	due := forced
	cutoff := i.now().Add(-i.o.VerifyDelay).UnixNano()
	for due < i.l.len() && due < maxBatch && i.l.at(due).at <= cutoff {
		due++
	}
	if due > 0 {
		i.verify(ctx, due)
	}
	if ctx.Err() != nil || i.l.full() || (i.l.len() > 0 && i.l.at(0).seq+keys <= i.next) {
		return
	}
	i.write(ctx)
}

// key returns the ring key of seq.
func (i *Integrity) key(seq uint64) string {
	return i.o.Prefix + strconv.FormatUint(seq%uint64(i.o.Keys), 10)
}

// write writes record next; on acknowledgement it advances next and, if the
// write is sampled, adds it to the ledger.
func (i *Integrity) write(ctx context.Context) {
	key := i.key(i.next)
	i.val = appendRecord(i.val[:0], key, i.epoch, i.next, i.o.Seed, i.o.ValueSize)
	wctx, cancel := context.WithTimeout(ctx, i.o.Timeout)
	err := i.c.Set(wctx, key, i.val, 0).Err()
	cancel()
	if err != nil {
		reloadTopology(ctx, i.c)
		return // not acknowledged: the same record is written next time
	}
	if i.sampled(i.next) {
		i.l.push(entry{seq: i.next, at: i.now().UnixNano()})
		i.pending.Store(int64(i.l.len()))
	}
	i.next++
	i.nextSeq.Store(i.next)
	i.dirty = true
}

// verify reads back the k oldest entries in one pipeline and judges them in
// order, up to the first read that failed: that one and those after it stay
// in the ledger and are read again next time. A failed read is no verdict.
func (i *Integrity) verify(ctx context.Context, k int) {
	rctx, cancel := context.WithTimeout(ctx, i.o.Timeout)
	defer cancel()
	pipe := i.c.Pipeline()
	i.cmds = i.cmds[:0]
	for j := range k {
		i.cmds = append(i.cmds, pipe.Get(rctx, i.key(i.l.at(j).seq)))
	}
	_, _ = pipe.Exec(rctx) // each command carries its own error

	var (
		run    Range
		judged int
	)
	for j, cmd := range i.cmds {
		v, err := cmd.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			break
		}
		seq := i.l.at(j).seq
		r := judge(i.key(seq), v, err == nil, i.epoch, seq)
		if judged > 0 && r == run.Result {
			run.N++
			run.To = seq
		} else {
			if judged > 0 {
				i.sink.Checked(run.Result, run.N, run.From, run.To)
			}
			run = Range{Result: r, N: 1, From: seq, To: seq}
		}
		judged++
	}
	clear(i.cmds) // do not keep replies alive until the next batch
	if judged < k {
		reloadTopology(ctx, i.c)
	}
	if judged == 0 {
		return
	}
	i.sink.Checked(run.Result, run.N, run.From, run.To)
	i.l.drop(judged)
	i.pending.Store(int64(i.l.len()))
	i.dirty = true
}

// sampled reports whether write seq is read back.
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
