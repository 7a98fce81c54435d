package probe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/result"
)

// Sentinel errors.
var (
	// ErrInvalidOptions is wrapped by every options validation problem.
	ErrInvalidOptions = errors.New("invalid probe options")
	// ErrMismatch: the availability probe read back another value than it had
	// just written (a failover to a lagging replica, or another writer on the
	// probe's key). It is classified as result.ClassOther.
	ErrMismatch = errors.New("probe: read returned another value than was written")
	// ErrSlow: the probe was answered, but only after its timeout (a client
	// without ContextTimeoutEnabled). It is classified as result.ClassTimeout.
	ErrSlow = errors.New("probe: answered after the timeout")
)

// DefaultAvailabilityKey is the availability probe's key when none is given.
const DefaultAvailabilityKey = "ecbench:probe:avail"

// availabilityTTL is the expiry of the availability probe's key, so that it
// does not outlive ecbench by more than a minute.
const availabilityTTL = time.Minute

// AvailabilityOptions configure an availability probe. Zero values take the
// defaults.
type AvailabilityOptions struct {
	Interval time.Duration // time between probe starts; default 100ms
	Timeout  time.Duration // a probe (write and read) slower than this fails; default Interval
	Key      string        // the probe's own key; default DefaultAvailabilityKey
}

func (o AvailabilityOptions) withDefaults() (AvailabilityOptions, error) {
	var errs []error
	if o.Interval < 0 {
		errs = append(errs, fmt.Errorf("%w: interval: must be > 0, got %v", ErrInvalidOptions, o.Interval))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%w: timeout: must be > 0, got %v", ErrInvalidOptions, o.Timeout))
	}
	if o.Interval == 0 {
		o.Interval = 100 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = o.Interval
	}
	if o.Key == "" {
		o.Key = DefaultAvailabilityKey
	}
	return o, errors.Join(errs...)
}

// Outage is a run of failed availability probes.
//
// Start is when the first failed probe was sent and End is when the first
// successful probe after it was answered, so Duration covers every failed
// probe in full and the recovery. The target may have become unavailable up
// to one interval before Start (after the last success was sent); that
// blind spot is the probe interval, and it is why a 1s CLIENT PAUSE measures
// between 1s - Interval and 1s + one round trip.
type Outage struct {
	Start, End time.Time     // End is zero while the outage lasts
	Duration   time.Duration // End - Start; zero while the outage lasts
	FirstClass result.Class  // why the first probe failed
	LastClass  result.Class  // why the last failed probe failed
	// FirstErr and LastErr are the errors behind the classes, for logs only:
	// they may name addresses, so metrics use the classes.
	FirstErr, LastErr error
	Failed            int // failed probes in the outage
}

// AvailabilitySink receives what an availability probe observes, in order,
// from the probe's goroutine.
type AvailabilitySink interface {
	// Probe reports every probe: ok, or failed with class; latency is from
	// send to answer (or failure).
	Probe(ok bool, class result.Class, latency time.Duration)
	// OutageStart reports the first failed probe after a success (or at
	// start). o has Start, FirstClass, FirstErr (= Last*) and Failed = 1.
	OutageStart(o Outage)
	// OutageEnd reports the first successful probe after an outage, with the
	// whole outage. An outage still open when Run returns is not ended.
	//
	// This is where the daemon asks for an INFO poll (target.Recheck), so that an
	// in-place engine migration shows up as a change of engine and version:
	// by signalling a goroutine of its own, since a sink must not block the
	// probe (see TestRecoveryReReadsEngine).
	OutageEnd(o Outage)
}

// AvailabilitySinks sends everything to each sink in turn.
type AvailabilitySinks []AvailabilitySink

var _ AvailabilitySink = AvailabilitySinks(nil)

// Probe implements AvailabilitySink.
func (s AvailabilitySinks) Probe(ok bool, class result.Class, latency time.Duration) {
	for _, x := range s {
		x.Probe(ok, class, latency)
	}
}

// OutageStart implements AvailabilitySink.
func (s AvailabilitySinks) OutageStart(o Outage) {
	for _, x := range s {
		x.OutageStart(o)
	}
}

// OutageEnd implements AvailabilitySink.
func (s AvailabilitySinks) OutageEnd(o Outage) {
	for _, x := range s {
		x.OutageEnd(o)
	}
}

// Availability probes one target: a write and a read of its own key every
// interval.
type Availability struct {
	c    redis.UniversalClient
	o    AvailabilityOptions
	sink AvailabilitySink
	run  string // distinguishes this process's values from another writer's
	val  []byte // scratch for the value written
}

// NewAvailability returns a probe of c. It fails only on invalid options
// (negative durations).
func NewAvailability(c redis.UniversalClient, o AvailabilityOptions, s AvailabilitySink) (*Availability, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Availability{c: c, o: o, sink: s, run: strconv.FormatUint(rand.Uint64(), 36)}, nil
}

// Options returns the options with their defaults filled in.
func (a *Availability) Options() AvailabilityOptions { return a.o }

// Run probes every Interval until ctx is done, then returns once the probe in
// flight (bounded by Timeout) has finished. A probe cut short by the
// cancellation is not reported. A probe slower than Interval delays the next
// one; probes never overlap.
func (a *Availability) Run(ctx context.Context) {
	tick := time.NewTicker(a.o.Interval)
	defer tick.Stop()
	var (
		out  Outage
		down bool
	)
	for n := uint64(1); ; n++ {
		sent := time.Now()
		err := a.probe(ctx, n)
		done := time.Now()
		if ctx.Err() != nil {
			return // shutting down: not the target's doing
		}
		latency := done.Sub(sent)
		if err == nil && latency > a.o.Timeout {
			err = ErrSlow
		}
		class := classify(err)
		if err != nil {
			reloadTopology(ctx, a.c)
		}
		a.sink.Probe(err == nil, class, latency)
		switch {
		case err != nil && !down:
			down = true
			out = Outage{Start: sent, FirstClass: class, LastClass: class, FirstErr: err, LastErr: err, Failed: 1}
			a.sink.OutageStart(out)
		case err != nil:
			out.LastClass, out.LastErr = class, err
			out.Failed++
		case down:
			down = false
			out.End, out.Duration = done, done.Sub(out.Start)
			a.sink.OutageEnd(out)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// probe writes a fresh value and reads it back. The two are separate round
// trips, not a pipeline: go-redis closes a connection whose command got
// READONLY (so that a DNS name that moved to a new primary is dialled
// afresh), but not when the READONLY comes back inside a pipeline.
func (a *Availability) probe(ctx context.Context, n uint64) error {
	ctx, cancel := context.WithTimeout(ctx, a.o.Timeout)
	defer cancel()
	a.val = append(append(append(a.val[:0], a.run...), ':'), strconv.FormatUint(n, 10)...)
	if err := a.c.Set(ctx, a.o.Key, a.val, availabilityTTL).Err(); err != nil {
		return err
	}
	got, err := a.c.Get(ctx, a.o.Key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%w: key missing", ErrMismatch)
	case err != nil:
		return err
	case got != string(a.val):
		return ErrMismatch
	}
	return nil
}

// classify is result.Classify for the probe's own errors too.
func classify(err error) result.Class {
	switch {
	case err == nil:
		return result.ClassNone
	case errors.Is(err, ErrSlow):
		return result.ClassTimeout
	case errors.Is(err, ErrMismatch):
		return result.ClassOther
	}
	if c := result.Classify(err); c != result.ClassNone {
		return c
	}
	return result.ClassOther
}
