package probe

import (
	"sync"
	"time"
)

// CheckResult is the verdict on an acknowledged write: a fixed, bounded set
// usable as a label value.
type CheckResult uint8

// The verdicts.
const (
	Verified  CheckResult = iota // the key holds the acknowledged record, or a later one of this run
	Lost                         // the key is gone
	Stale                        // the key holds an older record than the acknowledged one
	Corrupted                    // the value does not parse, or its checksum does not match
	Unchecked                    // never read: ecbench stopped and could not read it, without a state file (or the state file did not match)
	numCheckResults
)

// CheckResults lists every verdict, in label order.
var CheckResults = []CheckResult{Verified, Lost, Stale, Corrupted, Unchecked}

var checkResultNames = [numCheckResults]string{"verified", "lost", "stale", "corrupted", "unchecked"}

// String returns the verdict's label value.
func (r CheckResult) String() string {
	if r < numCheckResults {
		return checkResultNames[r]
	}
	return "unknown"
}

// SweepKind says which read of the integrity probe found a verdict: a fixed,
// bounded set.
type SweepKind uint8

// The reads that judge writes. The first two and the last-before-reuse read
// happen to single writes as they come due; the others are full sweeps of
// the ring, which read every write still in it.
const (
	FirstCheck      SweepKind = iota // a write's first read, VerifyDelay after its acknowledgement (earlier if its key is about to be reused)
	ContinuousSweep                  // the rate-bounded sweep that re-reads every verified write, round and round
	ReuseCheck                       // the last read of a verified write, just before its key is rewritten
	RecoverySweep                    // a full sweep after the probe's own writes or reads failed and then succeeded again
	RequestedSweep                   // a full sweep asked for with Integrity.Sweep (an outage ended, a role change, a server restart)
	ResumeSweep                      // a full sweep when a run resumes from its state file
	FinalSweep                       // a full sweep when Run stops
	numSweepKinds
)

var sweepKindNames = [numSweepKinds]string{
	"first check", "continuous sweep", "check before reuse", "recovery sweep",
	"requested sweep", "resume sweep", "final sweep",
}

// String returns what found the verdict, as the daemon logs it
// ("found_by":"recovery sweep").
func (k SweepKind) String() string {
	if k < numSweepKinds {
		return sweepKindNames[k]
	}
	return "unknown"
}

// Full reports whether k is a full sweep of the ring.
func (k SweepKind) Full() bool { return k >= RecoverySweep && k < numSweepKinds }

// Sweep identifies one sweep of an integrity probe.
type Sweep struct {
	Kind SweepKind
	// Reason is why a requested sweep was asked for (Integrity.Sweep's
	// argument); empty for the other kinds.
	Reason string
	// ID numbers a probe's full sweeps and continuous passes, from 1; it is
	// 0 for first checks and checks before reuse, which are no sweep.
	ID uint64
}

// Check is a run of verdicts of one kind, found by one sweep.
type Check struct {
	Result CheckResult
	// N writes were judged Result, the first of sequence number From and the
	// last To. With Sample 1 they are all the writes from From to To; with a
	// smaller sample, only the sampled ones in between.
	N        int
	From, To uint64
	Sweep    Sweep // which read found them
}

// SweepReport is what one full sweep or one pass of the continuous sweep
// did.
type SweepReport struct {
	Sweep Sweep
	Read  int                  // writes read
	Found [numCheckResults]int // verdicts reported by this sweep, indexed by CheckResult (not the writes it read and found intact again)
	// Complete is false when the sweep was cut short: a newer full sweep
	// took over, or the final sweep ran out of time or could not read.
	Complete bool
	Took     time.Duration
}

// IntegritySink receives an integrity probe's verdicts, from the probe's
// goroutine.
//
// A write is reported at most twice: Verified at its first check, and Lost,
// Stale or Corrupted when a later read first finds it so (or one of those
// at once, or Unchecked). Reads that find a verified write intact again are
// not reported, so counting Checked's N counts writes, not reads.
type IntegritySink interface {
	// Checked reports verdicts as each read batch is judged, in sequence
	// order within a sweep.
	Checked(c Check)
	// SweepDone reports the end of a full sweep or of a continuous pass
	// that read anything. Every Check of that sweep came before.
	SweepDone(r SweepReport)
}

// IntegritySinks sends every verdict to each sink in turn.
type IntegritySinks []IntegritySink

var _ IntegritySink = IntegritySinks(nil)

// Checked implements IntegritySink.
func (s IntegritySinks) Checked(c Check) {
	for _, x := range s {
		x.Checked(c)
	}
}

// SweepDone implements IntegritySink.
func (s IntegritySinks) SweepDone(r SweepReport) {
	for _, x := range s {
		x.SweepDone(r)
	}
}

// Ranges is an IntegritySink for logs: it merges the checks of one sweep
// that follow each other (one batch's last write and the next one's first
// are consecutive sequence numbers) and have the same verdict into one
// Check, and emits it when the sweep reports another verdict or a gap, when
// the sweep is done, or on Flush. So a loss of writes 1200 to 1450 found by
// a recovery sweep one batch at a time is one event "lost 1200–1450, found
// by the recovery sweep", not hundreds. First checks and checks before
// reuse, which are no sweep, merge across steps the same way. Checks of
// different sweeps never merge. It is safe for concurrent use.
type Ranges struct {
	mu   sync.Mutex
	open [numSweepKinds]Check // the run being merged for each kind; N == 0: none
	emit func(Check)
}

var _ IntegritySink = (*Ranges)(nil)

// NewRanges returns a Ranges that calls emit with every finished run.
func NewRanges(emit func(Check)) *Ranges { return &Ranges{emit: emit} }

// Checked implements IntegritySink.
func (r *Ranges) Checked(c Check) {
	if c.N <= 0 || c.Sweep.Kind >= numSweepKinds {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	open := &r.open[c.Sweep.Kind]
	if open.N > 0 && open.Result == c.Result && open.Sweep == c.Sweep && c.From == open.To+1 {
		open.N += c.N
		open.To = c.To
		return
	}
	if open.N > 0 {
		r.emit(*open)
	}
	*open = c
}

// SweepDone implements IntegritySink: it emits the sweep's open run.
func (r *Ranges) SweepDone(rep SweepReport) {
	if rep.Sweep.Kind >= numSweepKinds {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if open := &r.open[rep.Sweep.Kind]; open.N > 0 && open.Sweep == rep.Sweep {
		r.emit(*open)
		open.N = 0
	}
}

// Flush emits every open run.
func (r *Ranges) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.open {
		if r.open[k].N > 0 {
			r.emit(r.open[k])
			r.open[k].N = 0
		}
	}
}
