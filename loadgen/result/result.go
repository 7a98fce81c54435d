// Package result defines what one request produced and the Recorder seam that
// takes it. Outcomes and error classes are small fixed sets so that they can be
// label values.
package result

import "time"

// Outcome is how a request ended.
type Outcome uint8

// The outcomes. Every scheduled request ends as exactly one of them.
const (
	OK      Outcome = iota // the server answered as expected
	Miss                   // a read found no key (redis.Nil): an answer, not an error
	Error                  // the request failed; Result.Class says how
	Dropped                // the request was never sent: the in-flight bound was reached (Result.Done: see Result)
	numOutcomes
)

// Outcomes lists every outcome, in label order.
var Outcomes = []Outcome{OK, Miss, Error, Dropped}

var outcomeNames = [numOutcomes]string{"ok", "miss", "error", "dropped"}

// String returns the outcome's label value.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Result is one finished (or dropped) request of one operation.
//
// Latency is measured from Intended, the time the schedule meant the request to
// start, so a stalled server or a late generator cannot hide queueing delay
// (no coordinated omission). Service time is measured from Sent, the moment the
// command was actually handed to the client.
//
// A Dropped result was never sent, but its lateness still counts: its Done
// is the earliest time it could have been sent, when a request in flight
// completed after the drop and freed the slot the dropped one lacked. So
// Done.Sub(Intended) is a lower bound on the latency it would have had,
// never above the truth (a queued request would have been sent then at the
// earliest, and answered later still). Recorders put that bound beside the
// latencies of answered requests, so that a stall that makes the runner drop
// still shows in the percentiles, and keep counting the request as dropped.
// A zero Done means the bound is unknown: the run ended before a slot freed,
// or the runner held too many drops waiting for one (package runner).
type Result struct {
	Op       int       // index into the workload's op names
	Intended time.Time // when the schedule meant the request to start
	Sent     time.Time // when it was handed to the client; zero if dropped
	// Done is when the answer (or the error) arrived; if dropped, the
	// earliest the request could have been sent (zero: unknown).
	Done    time.Time
	Outcome Outcome
	Class   Class // set when Outcome is Error
}

// Latency is the time from the intended start to the answer; of a dropped
// request with a Done, the lower bound on its latency.
func (r Result) Latency() time.Duration { return r.Done.Sub(r.Intended) }

// Service is the time from the actual send to the answer.
func (r Result) Service() time.Duration { return r.Done.Sub(r.Sent) }

// Recorder takes finished results for one (target, workload) pair. Record is
// called from many goroutines on the hot path and must neither block nor
// allocate.
type Recorder interface {
	Record(Result)
}

// BatchRecorder is a Recorder that can take n equal results at once, as a
// pipeline of n commands of one op answered together produces, for about
// the cost of one.
type BatchRecorder interface {
	Recorder
	RecordN(r Result, n int)
}

// RecordN records n copies of r on rec, at once if rec is a BatchRecorder.
func RecordN(rec Recorder, r Result, n int) {
	if b, ok := rec.(BatchRecorder); ok {
		b.RecordN(r, n)
		return
	}
	for range n {
		rec.Record(r)
	}
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(Result)

// Record calls f(r).
func (f RecorderFunc) Record(r Result) { f(r) }

// Discard is a Recorder that drops everything.
var Discard Recorder = RecorderFunc(func(Result) {})
