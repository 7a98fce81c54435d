package probe

import "sync"

// CheckResult is the verdict on reading back one acknowledged write: a fixed,
// bounded set usable as a label value.
type CheckResult uint8

// The verdicts.
const (
	Verified  CheckResult = iota // the key holds the acknowledged record, or a later one of this run
	Lost                         // the key is gone
	Stale                        // the key holds an older record than the acknowledged one
	Corrupted                    // the value does not parse, or its checksum does not match
	Unchecked                    // never read back: ecbench stopped without a state file, or the state file did not match
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

// IntegritySink receives an integrity probe's verdicts, from the probe's
// goroutine.
type IntegritySink interface {
	// Checked reports n verdicts of kind r on consecutive checked writes,
	// the first of sequence number fromSeq and the last toSeq. With Sample 1
	// they are all the writes from fromSeq to toSeq; with a smaller sample,
	// only the sampled ones in between. Verdicts are reported in sequence
	// order, as each read-back batch is judged.
	Checked(r CheckResult, n int, fromSeq, toSeq uint64)
}

// IntegritySinks sends every verdict to each sink in turn.
type IntegritySinks []IntegritySink

var _ IntegritySink = IntegritySinks(nil)

// Checked implements IntegritySink.
func (s IntegritySinks) Checked(r CheckResult, n int, fromSeq, toSeq uint64) {
	for _, x := range s {
		x.Checked(r, n, fromSeq, toSeq)
	}
}

// Range is a run of consecutive verdicts of one kind.
type Range struct {
	Result   CheckResult
	N        int    // verdicts in the run
	From, To uint64 // sequence numbers of the first and the last
}

// Ranges is an IntegritySink for logs: it merges consecutive verdicts of one
// kind, across read-back batches, into one Range and emits it when a verdict
// of another kind arrives or Flush is called. So a loss of writes 1200 to
// 1450, read back one batch at a time, is one event "lost 1200–1450", not
// hundreds. It is safe for concurrent use.
type Ranges struct {
	mu   sync.Mutex
	open Range
	has  bool
	emit func(Range)
}

var _ IntegritySink = (*Ranges)(nil)

// NewRanges returns a Ranges that calls emit with every finished run.
func NewRanges(emit func(Range)) *Ranges { return &Ranges{emit: emit} }

// Checked implements IntegritySink.
func (r *Ranges) Checked(res CheckResult, n int, fromSeq, toSeq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.has && r.open.Result == res {
		r.open.N += n
		r.open.To = toSeq
		return
	}
	if r.has {
		r.emit(r.open)
	}
	r.open, r.has = Range{Result: res, N: n, From: fromSeq, To: toSeq}, true
}

// Flush emits the open run, if any.
func (r *Ranges) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.has {
		r.emit(r.open)
		r.has = false
	}
}
