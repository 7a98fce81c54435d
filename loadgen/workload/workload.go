package workload

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/keyspace"
)

// Distribution is how a workload picks keys.
type Distribution string

// The key distributions.
const (
	Uniform    Distribution = "uniform"
	Zipfian    Distribution = "zipfian"
	Sequential Distribution = "sequential"
)

// Keys is a workload's key space. Prefix gives every workload its own
// namespace, so two workloads never touch each other's keys.
type Keys struct {
	Prefix       string
	Count        uint64
	Distribution Distribution
	ZipfExponent float64
}

// Values sizes the values a workload writes: drawn from Sizes when it is
// set, else uniform in [Min, Max] (fixed when Min == Max).
type Values struct {
	Min, Max int
	// Sizes is an empirical distribution of value sizes; Min and Max are
	// then not used. It is read, never changed: runners may share it.
	Sizes *keyspace.SizeTable
}

// Largest returns the largest value size: what the in-flight and preload
// budgets charge a value.
func (v Values) Largest() int {
	if v.Sizes != nil {
		return v.Sizes.Largest()
	}
	return v.Max
}

// Weighted is an op and its share of the mix.
type Weighted struct {
	Op     Op
	Weight float64
}

// Workload is a named, seeded mix of operations over a key space. It is a
// description: every runner builds its own Stream from it, so both engines
// get the same request sequence without sharing state.
type Workload struct {
	Name string
	Ops  []Weighted
	Keys Keys
	// Values sizes what kv ops write; the other kinds size their elements
	// with Structure.ElementSize or Structure.ElementSizes.
	Values Values
	// Structure is what each key holds; the zero Structure is kv.
	Structure Structure
	Pipeline  int // commands per request
	Seed      uint64
	// Sequencer, if set, makes every command of the workload's streams in
	// place of the weighted mix of Ops (which then only name the op
	// labels): a replay's commands are the trace's.
	Sequencer Sequencer
}

// A Sequencer makes the commands of a workload whose sequence is given,
// not drawn: each stream gets a Sequence of its own from the start.
type Sequencer interface {
	NewSequence() (Sequence, error)
}

// A Sequence makes one stream's commands in order. It is used by the
// stream's goroutine only, and closed when the stream is garbage.
type Sequence interface {
	// Next fills c's Op and Args with the next command, drawing values
	// from g, or reports false when the sequence has ended.
	Next(g *Gen, c *Command) bool
	Close() error
}

// OpNames returns the op label values in index order (Command.Op indexes it).
func (w *Workload) OpNames() []string {
	names := make([]string, len(w.Ops))
	for i, o := range w.Ops {
		names[i] = o.Op.Name()
	}
	return names
}

// Seed offsets so that op choice, keys and values draw from independent
// streams: adding an op to the mix must not shift which values are written.
const (
	seedOps      = 0x9e3779b97f4a7c15
	seedKeys     = 0xbf58476d1ce4e5b9
	seedValues   = 0x94d049bb133111eb
	seedElements = 0xd6e8feb86659fd93
)

// NewStream returns a fresh request stream positioned at request 0.
func (w *Workload) NewStream() (*Stream, error) {
	if len(w.Ops) == 0 {
		return nil, errors.New("workload has no ops")
	}
	cum := make([]float64, len(w.Ops))
	total := 0.0
	for i, o := range w.Ops {
		// Written so that NaN fails too: a NaN or infinite weight makes every
		// comparison in pick false, and the last op would take the whole mix.
		if !(o.Weight >= 0) || math.IsInf(o.Weight, 1) {
			return nil, fmt.Errorf("op %s: weight must be a finite number >= 0, got %g", o.Op.Name(), o.Weight)
		}
		total += o.Weight
		cum[i] = total
	}
	if total <= 0 {
		return nil, errors.New("workload ops have no positive weight")
	}
	if math.IsInf(total, 1) {
		return nil, errors.New("workload op weights overflow when summed")
	}
	s := w.Structure.normalized()
	if err := s.validate(); err != nil {
		return nil, err
	}
	for _, o := range w.Ops {
		if w.Sequencer != nil {
			break // the ops only name the sequence's commands
		}
		if err := checkOp(o.Op, s); err != nil {
			return nil, err
		}
	}
	values, err := newValues(w, s)
	if err != nil {
		return nil, err
	}
	keys, err := newKeys(w.Keys, w.Seed^seedKeys)
	if err != nil {
		return nil, err
	}
	st := &Stream{
		w:     w,
		ops:   rand.New(rand.NewPCG(w.Seed, seedOps)),
		cum:   cum,
		total: total,
		gen:   newGen(w, s, keys, values),
	}
	if w.Sequencer != nil {
		if st.seq, err = w.Sequencer.NewSequence(); err != nil {
			return nil, err
		}
		// A runner drops its stream when it ends; what the sequence holds
		// (a replay's open trace file) goes with it.
		runtime.AddCleanup(st, func(q Sequence) { _ = q.Close() }, st.seq)
	}
	return st, nil
}

// newValues returns the value generator of w: Values for kv; for the
// other kinds ElementSizes, or else fixed ElementSize bytes.
func newValues(w *Workload, s Structure) (keyspace.Values, error) {
	if s.Kind != KindKV {
		if s.ElementSizes != nil {
			return keyspace.NewEmpirical(s.ElementSizes, w.Seed^seedValues), nil
		}
		return keyspace.NewFixed(s.ElementSize, w.Seed^seedValues), nil
	}
	if w.Values.Sizes != nil {
		return keyspace.NewEmpirical(w.Values.Sizes, w.Seed^seedValues), nil
	}
	// keyspace panics on these; a Stream reports them like every other bad
	// parameter.
	if w.Values.Min < 0 || w.Values.Min > w.Values.Max {
		return nil, fmt.Errorf("value sizes: need 0 <= min <= max, got [%d, %d]", w.Values.Min, w.Values.Max)
	}
	if w.Values.Min == w.Values.Max {
		return keyspace.NewFixed(w.Values.Min, w.Seed^seedValues), nil
	}
	return keyspace.NewRange(w.Values.Min, w.Values.Max, w.Seed^seedValues), nil
}

// newGen returns the generators of a stream of w, whose normalized and
// valid structure is s.
func newGen(w *Workload, s Structure, keys keyspace.Keys, values keyspace.Values) Gen {
	g := Gen{
		keys:          keys,
		values:        values,
		prefix:        w.Keys.Prefix,
		counterPrefix: w.Keys.Prefix + "ctr:",
	}
	if s.Kind != KindKV {
		g.elements = s.Elements
		g.elems = rand.New(rand.NewPCG(w.Seed, seedElements))
		g.members, g.fields, g.counters = universes(s)
	}
	return g
}

func newKeys(k Keys, seed uint64) (keyspace.Keys, error) {
	if k.Count == 0 {
		return nil, errors.New("key count must be > 0")
	}
	switch k.Distribution {
	case Uniform, "":
		return keyspace.NewUniform(k.Count, seed), nil
	case Sequential:
		return keyspace.NewSequential(k.Count, 0), nil
	case Zipfian:
		return keyspace.NewZipfian(k.Count, k.ZipfExponent, seed)
	}
	return nil, fmt.Errorf("unknown key distribution %q", k.Distribution)
}

// Gen draws keys and values for ops. It belongs to one Stream.
type Gen struct {
	keys          keyspace.Keys
	values        keyspace.Values
	prefix        string
	counterPrefix string
	buf           []byte

	// Data-structure workloads: element indexes (and zincrby's signs) come
	// from their own random stream, so that adding an op to the mix does not
	// shift the keys, and the other way round.
	elements int
	elems    *rand.Rand
	members  *names // set and zset members
	fields   *names // hash fields
	counters *names // hash fields for hincrby
}

// Key draws the next key of the workload's key space.
func (g *Gen) Key() string {
	g.buf = keyspace.AppendKey(g.buf[:0], g.prefix, g.keys.Next())
	return string(g.buf)
}

// CounterKey draws the next key of the counters sub-namespace (for INCR).
func (g *Gen) CounterKey() string {
	g.buf = keyspace.AppendKey(g.buf[:0], g.counterPrefix, g.keys.Next())
	return string(g.buf)
}

// Value draws the next value payload. It is read-only and shared.
func (g *Gen) Value() []byte { return g.values.Next() }

// Command is one command of a request.
type Command struct {
	Op    int // index into Workload.Ops
	Args  Args
	Reply redis.Cmder // set by the runner while the command is in flight
}

// Request is one scheduled request: Pipeline commands sent together.
type Request struct {
	N    int64 // position in the stream, from 0
	Cmds []Command
}

// Stream is a workload's deterministic request sequence. It is used by one
// goroutine at a time.
type Stream struct {
	w     *Workload
	gen   Gen
	ops   *rand.Rand
	cum   []float64
	total float64
	n     int64
	seq   Sequence // the workload's Sequencer's, or nil
	ended bool     // the sequence has no more commands
}

// Ended reports whether the stream has no more requests: its workload's
// Sequence (a replay that does not loop) has ended. A stream of a weighted
// mix never ends.
func (s *Stream) Ended() bool { return s.ended }

// Workload returns the workload the stream draws from.
func (s *Stream) Workload() *Workload { return s.w }

// Next fills r with the next request of the sequence, reusing r's buffers.
// Once the workload's Sequence has ended (Ended), the request holds only
// the commands it had left, possibly none.
func (s *Stream) Next(r *Request) {
	depth := max(s.w.Pipeline, 1)
	if cap(r.Cmds) < depth {
		r.Cmds = make([]Command, depth)
	}
	r.Cmds = r.Cmds[:depth]
	r.N = s.n
	s.n++
	if s.seq != nil {
		for i := range r.Cmds {
			if s.ended || !s.seq.Next(&s.gen, &r.Cmds[i]) {
				s.ended = true
				r.Cmds = r.Cmds[:i]
				return
			}
		}
		return
	}
	for i := range r.Cmds {
		c := &r.Cmds[i]
		c.Op = s.pick()
		s.w.Ops[c.Op].Op.Prepare(&s.gen, &c.Args)
	}
}

func (s *Stream) pick() int {
	if len(s.cum) == 1 {
		return 0
	}
	u := s.ops.Float64() * s.total
	for i, c := range s.cum {
		if u < c {
			return i
		}
	}
	return len(s.cum) - 1
}
