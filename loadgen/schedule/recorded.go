package schedule

import (
	"errors"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// Recorded replays a trace's own timing: request n is due when the trace's
// n-th command (of those a replay sends, in order) was recorded, counted
// from the first and divided by Speed.
//
//	rate ▲      ╷╷  ╷      ╷╷╷╷╷        ╷   ╷╷       (the trace's arrivals,
//	     │  ╷ ╷ ││ ╷│ ╷    │││││   ╷   ╷│ ╷ ││         whatever their shape)
//	     └──┴─┴─┴┴─┴┴─┴────┴┴┴┴┴───┴───┴┴─┴─┴┴──▶ t
//
//	Due(n) = (t[n] − t[0]) / speed                   in the first pass
//	       = k·(L + g)/speed + (t[m] − t[0])/speed   in pass k of a loop, m = n − k·N
//
// where N is the number of commands in the trace, L = t[N−1] − t[0] its
// span, and g the gap between passes: the format's resolution, else the
// trace's mean gap L/(N−1), else (a trace with no span) a second. A trace
// written in whole seconds (Twitter's) has the requests of each second
// spread evenly across it, request j of m at t + j/m·1 s, rather than sent
// at once. A time earlier than the one before it (an unsorted ecbench
// trace) is taken as the one before: Due never decreases. Without Loop,
// Due is not ok past the last command.
//
// Recorded streams its own reader of the trace file: Due is meant to be
// asked in order, n = 0, 1, 2, ..., as a runner does, and then costs one
// line of the trace; asking for an earlier n reads the file again from
// its start. Rate is the rate of the last 64 requests asked for, not of
// elapsed. Count reads the trace afresh up to elapsed on every call: it is
// for tests and checks, not for a runner. Recorded is safe for concurrent
// use, but concurrent callers of Due take turns.
type Recorded struct {
	src   trace.Source
	speed float64
	loop  bool
	res   time.Duration

	mu   sync.Mutex
	file *trace.File
	err  error // what stopped the trace being read; Due is then not ok
	// The group being served: the commands gFirst to gFirst+gLen-1, all
	// recorded at the offset gOff from the first command (spread over res
	// when res > 0).
	gFirst, gLen int64
	gOff         time.Duration
	started      bool          // t0 is known
	t0           time.Duration // the first command's recorded time
	last         time.Duration // the latest offset of this pass, for monotonicity
	ahead        bool          // aheadTime is the next command's time, already read
	aheadTime    time.Duration
	atEOF        bool // the pass ended while reading ahead
	done         bool // no command after the group
	pass         int64
	passStart    int64         // n of this pass's first command
	perPass      int64         // commands in a pass; -1 until the first pass ends
	span         time.Duration // the first pass's largest offset

	recent [64]time.Duration // the last due times served, for Rate
	served int64
	rate   atomic.Uint64 // float64 bits
}

var _ Schedule = (*Recorded)(nil)

// ErrNoTrace is returned by RecordedParams' checks for a rate of type
// recorded that was given no trace: one outside a replay workload.
var ErrNoTrace = errors.New("recorded timing needs a trace")

// NewRecorded returns the timing of the trace in src at speed times its
// recorded pace (speed > 0), started over at its end when loop is set. The
// file is opened at the first Due.
func NewRecorded(src trace.Source, speed float64, loop bool) *Recorded {
	if !(speed > 0) || math.IsInf(speed, 1) {
		speed = 1
	}
	return &Recorded{src: src, speed: speed, loop: loop, res: src.Format.Resolution(), perPass: -1}
}

// Err returns what stopped the trace being read (opening or reading the
// file), or nil.
func (r *Recorded) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close closes the trace file; a later Due opens it again.
func (r *Recorded) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closeFile()
}

func (r *Recorded) closeFile() error {
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	return err
}

// Due returns when command n of the trace (counting passes, in a loop) is
// due: see Recorded.
func (r *Recorded) Due(n int64) (time.Duration, bool) {
	if n < 0 {
		return 0, true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, false
	}
	if r.file == nil && !r.done || n < r.gFirst {
		if !r.restart(n) {
			return 0, false
		}
	}
	for n >= r.gFirst+r.gLen {
		if !r.nextGroup() {
			return 0, false
		}
	}
	off := r.gOff
	if r.res > 0 && r.gLen > 1 {
		off += time.Duration(float64(r.res) * float64(n-r.gFirst) / float64(r.gLen))
	}
	sec := (float64(r.pass)*float64(r.cycle()) + float64(off)) / r.speed
	if sec >= maxNanos {
		return 0, false
	}
	at := time.Duration(sec)
	r.served++
	r.recent[r.served%int64(len(r.recent))] = at
	if k := min(r.served, int64(len(r.recent))); k > 1 {
		oldest := r.recent[(r.served-k+1)%int64(len(r.recent))]
		if d := at - oldest; d > 0 {
			r.rate.Store(math.Float64bits(float64(k-1) / d.Seconds()))
		}
	}
	return at, true
}

// restart positions the reader before the first command of the pass that
// holds n, from the file's start.
func (r *Recorded) restart(n int64) bool {
	pass := int64(0)
	if r.perPass > 0 && r.loop {
		pass = n / r.perPass
	}
	if r.file == nil {
		f, err := r.src.Open(nil)
		if err != nil {
			r.err = err
			return false
		}
		r.file = f
	} else if err := r.file.Rewind(); err != nil {
		r.err = err
		return false
	}
	r.pass, r.passStart = pass, pass*max(r.perPass, 0)
	r.gFirst, r.gLen, r.last = r.passStart, 0, 0
	r.ahead, r.atEOF, r.done = false, false, false
	return true
}

// cycle is a pass's length plus the gap before the next, unscaled.
func (r *Recorded) cycle() time.Duration {
	if r.perPass < 0 || r.pass == 0 {
		return 0 // not needed yet: pass 0 starts at 0
	}
	gap := r.res
	switch {
	case gap > 0:
	case r.perPass > 1 && r.span > 0:
		gap = r.span / time.Duration(r.perPass-1)
	default:
		gap = time.Second
	}
	return r.span + gap
}

// nextGroup reads the next group of commands, starting the next pass when
// the trace ends and it loops; false when there is none.
func (r *Recorded) nextGroup() bool {
	if r.done {
		return false
	}
	var t time.Duration
	switch {
	case r.ahead:
		t, r.ahead = r.aheadTime, false
	default:
		rec, err := r.read()
		if err != nil {
			return errors.Is(err, io.EOF) && r.endPass() && r.nextGroup()
		}
		t = rec.Time
	}
	if !r.started {
		r.t0, r.started = t, true
	}
	off := max(t-r.t0, r.last)
	r.gFirst += r.gLen
	r.gLen, r.gOff, r.last = 1, off, off
	if r.res == 0 {
		return true
	}
	for { // the group: every command recorded at the same time
		rec, err := r.read()
		if err != nil {
			r.atEOF = errors.Is(err, io.EOF)
			return true
		}
		if rec.Time != t {
			r.ahead, r.aheadTime = true, rec.Time
			return true
		}
		r.gLen++
	}
}

// read returns the next command of the file, io.EOF at its end (also once
// a read-ahead met it), or the error that stops the trace.
func (r *Recorded) read() (*trace.Record, error) {
	if r.atEOF {
		r.atEOF = false
		return nil, io.EOF
	}
	rec, err := r.file.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return rec, err
}

// endPass handles the end of the file: the pass's size and span are known
// after the first, and a loop starts the next one.
func (r *Recorded) endPass() bool {
	if r.perPass < 0 {
		r.perPass = r.gFirst + r.gLen - r.passStart
		r.span = r.last
	}
	if !r.loop || r.perPass == 0 {
		r.done = true
		_ = r.closeFile()
		return false
	}
	if err := r.file.Rewind(); err != nil {
		r.err = err
		return false
	}
	r.pass++
	r.passStart += r.perPass
	r.last = 0
	return true
}

// Rate returns the rate of the last 64 requests asked for, in requests per
// second (0 before two), whatever elapsed is.
func (r *Recorded) Rate(time.Duration) float64 { return math.Float64frombits(r.rate.Load()) }

// Count returns the requests due by elapsed, rising linearly between one
// command's due time and the next's, so that Due(n) is where it passes n.
// It reads the trace from its start on every call.
func (r *Recorded) Count(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	c := NewRecorded(r.src, r.speed, r.loop)
	defer c.Close()
	var prev time.Duration
	for n := int64(0); ; n++ {
		at, ok := c.Due(n)
		if !ok {
			return float64(n)
		}
		if at >= elapsed {
			// n >= 1: request 0 is due at 0, before elapsed.
			return float64(n-1) + float64(elapsed-prev)/float64(at-prev)
		}
		prev = at
	}
}

// MaxSpeed bounds recorded timing's speed: a trace sped up further would
// ask for more than MaxRate of almost any real trace.
const MaxSpeed = 10_000

// RecordedParams configure recorded timing, a replay workload's default:
//
//	rate: {type: recorded, speed: 2}   # the trace's timing, twice as fast
//
// The trace and whether it loops are the workload's (replay.file,
// replay.format, replay.loop): the configuration sets Trace and Loop.
type RecordedParams struct {
	Speed float64 `mapstructure:"speed"` // times the recorded pace; > 0
	// Trace is the trace to time, from the workload; nil outside a replay
	// workload, which Check reports.
	Trace *trace.Source `mapstructure:"-"`
	Loop  bool          `mapstructure:"-"`

	peakOnce sync.Once
	peak     float64
}

var recordedType = Type{Name: "recorded", New: func() Params { return &RecordedParams{Speed: 1} }}

var _ Params = (*RecordedParams)(nil)

// Check checks the speed, and that there is a trace to time.
func (p *RecordedParams) Check(ps Problems) {
	c := checker{ps, "recorded"}
	if !(p.Speed > 0) || p.Speed > MaxSpeed {
		c.Add("speed", "must be > 0 and at most %v (times the recorded pace), got %v", MaxSpeed, p.Speed)
	}
	if p.Trace == nil {
		c.Add("type", "%v replays a trace's own timing: only a workload of type replay has a trace; give this one another type", "recorded")
	}
}

// Schedule returns the trace's Recorded timing.
func (p *RecordedParams) Schedule() Schedule {
	if p.Trace == nil {
		return Constant{} // rejected by Check: nothing is ever due
	}
	return NewRecorded(*p.Trace, p.Speed, p.Loop)
}

// peakScan is how many commands PeakRate reads: enough for a peak, few
// enough to check a config in well under a second.
const peakScan = 200_000

// PeakRate returns the most requests due in any one-second window (of
// 100 ms steps) among the trace's first 200,000 commands at Speed: the
// peak rate that sizes a derived max_inflight. It reads the trace once;
// later calls return the same figure. 0 without a trace or when it cannot
// be read.
func (p *RecordedParams) PeakRate() float64 {
	p.peakOnce.Do(func() {
		if p.Trace == nil {
			return
		}
		s := NewRecorded(*p.Trace, p.Speed, false)
		defer s.Close()
		const step, steps = 100 * time.Millisecond, 10
		var counts [steps]int64
		cur, sum, peak := int64(-1), int64(0), int64(0)
		for n := int64(0); n < peakScan; n++ {
			at, ok := s.Due(n)
			if !ok {
				break
			}
			b := int64(at / step)
			if b-cur >= steps {
				counts, sum, cur = [steps]int64{}, 0, b-1
			}
			for cur < b {
				cur++
				sum -= counts[cur%steps]
				counts[cur%steps] = 0
			}
			counts[b%steps]++
			sum++
			peak = max(peak, sum)
		}
		p.peak = float64(peak)
	})
	return p.peak
}
