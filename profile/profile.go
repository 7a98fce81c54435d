package profile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/target"
)

// Defaults of Options, as ecbench profile's flags show them.
const (
	DefaultDuration  = time.Minute
	DefaultSample    = 10_000
	DefaultMaxRate   = 500
	DefaultDelimiter = ":"
	DefaultFamilies  = 10
)

// Bounds of Options.
const (
	minDuration       = time.Second
	maxSample         = 1_000_000
	maxMaxRate        = 100_000
	maxFamiliesListed = 1000
)

// ErrOptions is wrapped by every error of Options.Check.
var ErrOptions = errors.New("invalid profile options")

// ErrCounters is returned when a primary's counters went back during the
// window: it restarted, or someone ran CONFIG RESETSTAT.
var ErrCounters = errors.New("a primary's counters went back during the profile (a restart or CONFIG RESETSTAT): profile again")

// Options says what Run profiles and how.
type Options struct {
	// Target is the server: Addrs and Mode (cluster mode reads every
	// primary), TLS, Username, Password, DB and the timeouts; the rest is
	// not used.
	Target    target.Options
	Duration  time.Duration // the window over which calls are counted
	Sample    int           // keys to sample, over every primary together
	MaxRate   float64       // commands a second the profiler sends, at most
	Delimiter string        // ends a key family's prefix: "user:" of "user:42:name"
	Families  int           // how many families the workload config lists
}

// DefaultOptions returns Options with the defaults and no target.
func DefaultOptions() Options {
	return Options{Duration: DefaultDuration, Sample: DefaultSample, MaxRate: DefaultMaxRate,
		Delimiter: DefaultDelimiter, Families: DefaultFamilies}
}

// Check returns every problem with o, each naming the option, the bad
// value and what is allowed, joined, each wrapping ErrOptions.
func (o Options) Check() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...))
	}
	if len(o.Target.Addrs) == 0 {
		bad("target: no address given")
	}
	if o.Target.Mode != target.Cluster && len(o.Target.Addrs) > 1 {
		bad("target: a standalone target has one address, got %d", len(o.Target.Addrs))
	}
	if o.Duration < minDuration {
		bad("duration: must be at least %v, got %v", minDuration, o.Duration)
	}
	if o.Sample < 0 || o.Sample > maxSample {
		bad("sample: must be between 0 and %d keys, got %d", maxSample, o.Sample)
	}
	if !(o.MaxRate >= 1) || o.MaxRate > maxMaxRate {
		bad("max rate: must be between 1 and %d commands a second, got %v", maxMaxRate, o.MaxRate)
	}
	if o.Delimiter == "" || len(o.Delimiter) > 8 {
		bad("delimiter: must be 1 to 8 bytes, got %q", o.Delimiter)
	}
	if o.Families < 1 || o.Families > maxFamiliesListed {
		bad("families: must be between 1 and %d, got %d", maxFamiliesListed, o.Families)
	}
	return errors.Join(errs...)
}

// Node is one primary as the profile saw it.
type Node struct {
	Addr    string
	Keys    uint64 // in the profiled database, at the end
	Sampled int    // keys sampled on it
	Scans   int    // SCAN calls
}

// Profile is what Run measured.
type Profile struct {
	Options Options
	Engine  engine.Engine
	Version string
	Mode    string // standalone or cluster, as INFO says
	Nodes   []Node // every primary, by address

	Start, End  time.Time     // of the window: the first and the last INFO
	Window      time.Duration // between the INFO snapshots, averaged over the primaries
	Interrupted bool          // stopped before Options.Duration was over

	// Calls is what the servers ran over the window by commandstats name
	// ("get", "client|list"), summed over the primaries, less what the
	// profiler itself sent.
	Calls map[string]uint64
	// Own is what the profiler sent within the window, by name.
	Own map[string]uint64
	// Processed is total_commands_processed over the window, summed over
	// the primaries, less the profiler's own commands.
	Processed uint64
	// Hits and Misses are keyspace_hits and keyspace_misses over the
	// window, the profiler's own reads included.
	Hits, Misses uint64

	// Keys and Expires are INFO keyspace's for the profiled database at
	// the end, summed over the primaries.
	Keys, Expires uint64
	Sampled       int                    // keys sampled
	Types         map[string]*TypeSample // by TYPE
	Families      []*Family              // every prefix, the most keys first
	Notes         []string               // what could not be measured
}

// Rate returns the servers' commands a second over the window, the
// profiler's own left out.
func (p *Profile) Rate() float64 { return perSecond(p.Processed, p.Window) }

// OwnRate returns the profiler's own commands a second over the window.
func (p *Profile) OwnRate() float64 { return perSecond(sum(p.Own), p.Window) }

// CallsTotal returns the calls over the window, the profiler's left out.
func (p *Profile) CallsTotal() uint64 { return sum(p.Calls) }

func perSecond(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// Run profiles the target of o: it reads every primary's counters, then
// for o.Duration samples up to o.Sample keys, spread over the primaries
// in proportion to their keys, then reads the counters again. It sends
// only the commands of AllowList, at most o.MaxRate a second. When ctx is
// done before the window is over, the profile ends there, with what it
// has, and says so (Interrupted).
func Run(ctx context.Context, o Options) (*Profile, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	s, err := connect(ctx, o.Target, o.MaxRate)
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.close() }()
	db := o.Target.DB
	if o.Target.Mode == target.Cluster {
		db = 0
	}

	before := s.counts.snapshot()
	start, err := readSnapshots(ctx, s.primaries)
	if err != nil {
		return nil, err
	}
	p := &Profile{Options: o, Start: start[0].At, Engine: start[0].Engine, Version: start[0].Version, Mode: start[0].Mode}
	window, cancel := context.WithDeadline(ctx, p.Start.Add(o.Duration))
	defer cancel()

	smp := newSampler(o.Delimiter)
	quotas := shares(o.Sample, keysOf(start, db))
	p.Nodes = make([]Node, len(s.primaries))
	errs := make([]error, len(s.primaries))
	var wg sync.WaitGroup
	for i, c := range s.primaries {
		p.Nodes[i].Addr = c.Options().Addr
		wg.Go(func() {
			p.Nodes[i].Scans, p.Nodes[i].Sampled, errs[i] = smp.node(window, c, quotas[i])
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	<-window.Done() // the sample may be done early; the window runs its length
	end := ctx
	if ctx.Err() != nil {
		p.Interrupted = true
		var stop context.CancelFunc
		end, stop = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer stop()
	}
	at := s.counts.snapshot()
	final, err := readSnapshots(end, s.primaries)
	if err != nil {
		return nil, err
	}
	if err := p.counters(start, final, before, at, db); err != nil {
		return nil, err
	}
	p.End = final[0].At
	p.Sampled = smp.sampled
	p.Types = smp.types
	p.Families = slices.SortedFunc(maps.Values(smp.families), func(a, b *Family) int {
		return cmp.Or(cmp.Compare(b.Keys, a.Keys), strings.Compare(a.Prefix, b.Prefix))
	})
	p.Notes = slices.Sorted(maps.Keys(smp.notes))
	for i, n := range final {
		if n.Role == target.RoleReplica {
			p.Notes = append(p.Notes, fmt.Sprintf("%s is a replica: writes go to its primary and are not counted", p.Nodes[i].Addr))
		}
	}
	if p.Interrupted {
		p.Notes = append(p.Notes, fmt.Sprintf("interrupted after %.1f s of the %v asked", p.Window.Seconds(), o.Duration))
	}
	return p, nil
}

// counters fills in the window's calls from the primaries' counters at
// its start and end, less the profiler's own commands (ownAt - ownBefore).
func (p *Profile) counters(start, end []target.NodeStats, ownBefore, ownAt map[string]uint64, db int) error {
	p.Calls = map[string]uint64{}
	p.Own = map[string]uint64{}
	for name, n := range ownAt {
		if d := n - ownBefore[name]; d > 0 {
			p.Own[name] = d
		}
	}
	var window time.Duration
	var processed uint64
	for i := range start {
		a, b := start[i], end[i]
		if a.RunID != b.RunID || b.CommandsProcessed < a.CommandsProcessed || b.KeyspaceHits < a.KeyspaceHits {
			return fmt.Errorf("%s: %w", a.Node, ErrCounters)
		}
		window += b.At.Sub(a.At)
		processed += b.CommandsProcessed - a.CommandsProcessed
		p.Hits += b.KeyspaceHits - a.KeyspaceHits
		p.Misses += b.KeyspaceMiss - a.KeyspaceMiss
		for name, cs := range b.Commands {
			was := a.Commands[name].Calls
			if cs.Calls < was {
				return fmt.Errorf("%s: %s: %w", a.Node, name, ErrCounters)
			}
			if d := cs.Calls - was; d > 0 {
				p.Calls[name] += d
			}
		}
		for _, d := range b.DBs {
			if d.DB == db {
				p.Keys += d.Keys
				p.Expires += d.Expires
				p.Nodes[i].Keys = d.Keys
			}
		}
	}
	p.Window = window / time.Duration(len(start))
	own := sum(p.Own)
	p.Processed = processed - min(processed, own)
	for name, n := range p.Own {
		p.Calls[name] -= min(p.Calls[name], n)
		if p.Calls[name] == 0 {
			delete(p.Calls, name)
		}
	}
	return nil
}

// keysOf returns each primary's keys in database db.
func keysOf(nodes []target.NodeStats, db int) []uint64 {
	keys := make([]uint64, len(nodes))
	for i, n := range nodes {
		for _, d := range n.DBs {
			if d.DB == db {
				keys[i] = d.Keys
			}
		}
	}
	return keys
}

// shares splits total over the weights in proportion (largest remainders
// first), never giving one more than its weight: a primary of 10 keys is
// asked at most 10.
func shares(total int, weights []uint64) []int {
	out := make([]int, len(weights))
	var all uint64
	for _, w := range weights {
		all += w
	}
	if all == 0 {
		return out
	}
	total = int(min(uint64(total), all))
	rest := make([]float64, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(total) * float64(w) / float64(all)
		out[i] = int(math.Floor(exact))
		rest[i] = exact - float64(out[i])
		given += out[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rest[b], rest[a]) })
	for _, i := range order {
		if given >= total {
			break
		}
		if uint64(out[i]) < weights[i] {
			out[i]++
			given++
		}
	}
	return out
}
