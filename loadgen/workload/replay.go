package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"unsafe"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// KindReplay is the type of a workload that replays a trace (a config's
// `type: replay`): its commands are the trace's, in the trace's order, on
// the trace's keys under the workload's prefix, with values synthesized at
// their recorded sizes. Its ops are the trace's commands, one op label per
// command name (see NewReplayWorkload); when requests are sent is the
// schedule's business (schedule.Recorded for the trace's own timing).
const KindReplay Kind = "replay"

// ReplayOptions say what a replay workload replays.
type ReplayOptions struct {
	Trace trace.Source // MaxLine 0: trace.MaxLineFor(MaxValueSize)
	// Loop starts the trace over at its end; else a stream that reaches
	// it has no more requests (Stream.Ended).
	Loop bool
	// MaxValueSize is the most value bytes one command carries: a longer
	// recorded value is cut to what is left of it (counted as Clamped),
	// so that the in-flight budget holds.
	MaxValueSize int
}

// Errors a replay's requests fail with when it has nothing to send.
var (
	// ErrTraceEnded: the stream read the whole trace and does not loop.
	// A runner never sends such a request (it stops at Stream.Ended).
	ErrTraceEnded = errors.New("replay: the trace has ended")
	// errNoDo: the client cannot send an arbitrary command.
	errNoDo = errors.New("replay: the client cannot send arbitrary commands")
)

// ReplayOpName names a replay's commands where one name stands for all of
// them: the in-flight budget's payload class (one value of at most
// MaxValueSize bytes per command).
const ReplayOpName = "replay"

// ReplayOtherOp is the op label of the commands of a trace that its first
// ReplayScanLines lines did not show (only a longer trace has it).
const ReplayOtherOp = "other"

// ReplayScanLines is how many lines of a trace NewReplayWorkload reads to
// learn its commands, at about a million lines a second: every command
// seen in them gets an op label of its own, in CommandNames' order.
const ReplayScanLines = 200_000

// NewReplayWorkload returns the workload that replays o's trace under
// prefix (which must not be empty: the keys are deleted by it), pipeline
// commands per request. Its streams each read the trace file from its
// first line, so every target gets the same sequence.
//
// Its ops are the commands the trace's first ReplayScanLines lines send,
// each under its own name ("get", "hset"), and, when the trace is longer,
// ReplayOtherOp for any other command met later: op labels stay few and
// fixed, as a trace of millions of lines usually sends a handful of
// commands. It fails when the trace cannot be opened or read.
func NewReplayWorkload(name, prefix string, seed uint64, pipeline int, o ReplayOptions) (*Workload, error) {
	if prefix == "" {
		return nil, errors.New("replay: the key prefix must not be empty")
	}
	if o.MaxValueSize < 0 {
		return nil, fmt.Errorf("replay: max value size must be >= 0, got %d", o.MaxValueSize)
	}
	if o.Trace.MaxLine == 0 {
		o.Trace.MaxLine = trace.MaxLineFor(o.MaxValueSize)
	}
	names, whole, err := scanCommands(o.Trace, ReplayScanLines)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	r := &Replay{opts: o, ops: make(map[*trace.Command]int, len(names)), other: -1}
	r.stats.skipped = make([]int64, len(trace.SkippedNames()))
	w := &Workload{
		Name: name,
		// One key: the stream's key generator is not used, the trace names
		// the keys. The values are cut from each stream's value buffer.
		Keys:      Keys{Prefix: prefix, Count: 1, Distribution: Uniform},
		Values:    Values{Min: o.MaxValueSize, Max: o.MaxValueSize},
		Pipeline:  pipeline,
		Seed:      seed,
		Sequencer: r,
	}
	for _, n := range names {
		r.ops[trace.LookupCommand(n)] = len(w.Ops)
		w.Ops = append(w.Ops, Weighted{Op: &replayOp{name: n, r: r}, Weight: 1})
	}
	if !whole || len(names) == 0 {
		r.other = len(w.Ops)
		w.Ops = append(w.Ops, Weighted{Op: &replayOp{name: ReplayOtherOp, r: r}, Weight: 1})
	}
	return w, nil
}

// scanCommands returns the names of the commands the first lines of src
// send, in CommandNames' order, and whether those lines were the whole
// trace.
func scanCommands(src trace.Source, lines int64) (names []string, whole bool, err error) {
	f, err := src.Open(nil)
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = f.Close() }()
	seen := map[string]bool{}
	for f.Line() < lines {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			whole = true
			break
		}
		if err != nil {
			return nil, false, err
		}
		seen[rec.Command.Name()] = true
	}
	for _, n := range trace.CommandNames() {
		if seen[n] {
			names = append(names, n)
		}
	}
	return names, whole, nil
}

// ReplayOf returns the replay of w, or nil when w replays no trace.
func ReplayOf(w *Workload) *Replay {
	r, _ := w.Sequencer.(*Replay)
	return r
}

// Replay is the Sequencer of a replay workload: each of its Sequences
// reads the trace from its first line and makes each command as recorded:
// its words in order, keys under the workload's prefix, values synthesized
// at their size from the stream's value buffer (no copy), every other word
// as recorded.
//
// Lines its sequences pass over are counted in Stats, each line of the
// trace once however many streams read it.
type Replay struct {
	opts  ReplayOptions
	ops   map[*trace.Command]int // the op index of each command, by its table entry
	other int                    // the op index of other commands; -1: none

	stats replayCounters
	files atomic.Int64 // trace files open, one per live stream that has read
}

var _ Sequencer = (*Replay)(nil)

// NewSequence returns a reader of the trace from its first line; it opens
// the file at its first command.
func (r *Replay) NewSequence() (Sequence, error) { return &replayCursor{op: r}, nil }

// replayOp is a replay's op: one command name, for its label. Its
// commands are made by the Replay's sequences, never by Prepare.
type replayOp struct {
	name string
	r    *Replay
}

var _ Op = (*replayOp)(nil)

func (o *replayOp) Name() string { return o.name }

// Prepare is not used: a replay's Stream makes its commands from the
// trace. It leaves nothing to send.
func (o *replayOp) Prepare(_ *Gen, a *Args) { a.Keys = a.Keys[:0] }

// Issue sends the command the sequence made.
func (o *replayOp) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	return o.r.issue(ctx, c, a)
}

// fill makes the command of rec into c: its op and its words, the name
// first, in c.Args.Keys. It reports false when rec's command has no op
// (a trace that changed after NewReplayWorkload read it).
func (r *Replay) fill(g *Gen, cur *replayCursor, rec *trace.Record, c *Command) bool {
	op, ok := r.ops[rec.Command]
	if !ok {
		if r.other < 0 {
			cur.Malformed(rec.Line, rec.Command.Name()+": not in the trace when the replay started (the file changed)")
			return false
		}
		op = r.other
	}
	c.Op = op
	a := &c.Args
	a.Keys = append(a.Keys[:0], rec.Command.Name())
	counted := r.stats.claim(cur.ordinal(rec.Line))
	if counted {
		r.stats.commands.Add(1)
	}
	buf, left, cut := g.Value(), r.opts.MaxValueSize, false
	for _, arg := range rec.Args {
		switch arg.Role {
		case trace.Key:
			a.Keys = append(a.Keys, g.prefix+string(arg.Text))
		case trace.Literal:
			a.Keys = append(a.Keys, string(arg.Text))
		case trace.Value:
			n := min(arg.Size, left)
			left -= n
			cut = cut || n < arg.Size
			a.Keys = append(a.Keys, synthesized(buf, n))
		}
	}
	if cut && counted {
		r.stats.clamped.Add(1)
	}
	return true
}

// smallValues are the values of up to 18 bytes: 1, 10, 100, ..., so that
// INCR and DECR work on a key the trace SET with a short value, as they
// did when it was recorded.
const smallValues = "100000000000000000"

// synthesized is a value of n bytes: a small number, or the first n bytes
// of the stream's value buffer, which is never written after it is filled
// and outlives the request: a string view of it costs no copy.
func synthesized(buf []byte, n int) string {
	if n <= len(smallValues) {
		return smallValues[:n]
	}
	return unsafe.String(unsafe.SliceData(buf), n)
}

// doer is a client or pipeline that sends any command: every go-redis
// client, connection and pipeline.
type doer interface {
	Do(ctx context.Context, args ...any) *redis.Cmd
}

// issue sends the command a sequence made on c.
func (r *Replay) issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
	if len(a.Keys) == 0 {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ErrTraceEnded)
		return cmd
	}
	d, ok := c.(doer)
	if !ok {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(errNoDo)
		return cmd
	}
	args := make([]any, len(a.Keys))
	for i, w := range a.Keys {
		args[i] = w
	}
	return d.Do(ctx, args...)
}

// replayCursor is one stream's Sequence: its reader of the trace. It holds
// nothing of the stream, whose cleanup closes it.
type replayCursor struct {
	op    *Replay
	file  *trace.File
	ahead *trace.Record // the next command, read ahead; valid until the file's next read
	pass  int64         // passes over the trace completed
	sent  int64         // commands read in this pass
	ended bool
}

// Next makes the stream's next command into cmd, or reports false when the
// trace has no more.
func (c *replayCursor) Next(g *Gen, cmd *Command) bool {
	for {
		rec := c.next()
		if rec == nil {
			return false
		}
		if c.op.fill(g, c, rec, cmd) {
			// Read on now that the words are copied: the lines after the
			// last command (and the end) are seen, and counted, as the
			// last command is sent, though under recorded timing no
			// request comes after it.
			c.readAhead()
			return true
		}
	}
}

// Close closes the trace file.
func (c *replayCursor) Close() error {
	if c.file == nil {
		return nil
	}
	err := c.file.Close()
	c.file = nil
	c.op.files.Add(-1)
	return err
}

// next returns the stream's next record, or nil when there is none.
func (c *replayCursor) next() *trace.Record {
	if rec := c.ahead; rec != nil {
		c.ahead = nil
		return rec
	}
	return c.read()
}

// readAhead reads the command after the one being prepared.
func (c *replayCursor) readAhead() {
	if c.ahead == nil {
		c.ahead = c.read()
	}
}

// read reads the next command, starting the trace over at its end if it
// loops, or returns nil when there is none.
func (c *replayCursor) read() *trace.Record {
	if c.ended {
		return nil
	}
	if c.file == nil {
		f, err := c.op.opts.Trace.Open(cursorObserver{c})
		if err != nil {
			c.end(err)
			return nil
		}
		c.file = f
		c.op.files.Add(1)
	}
	for {
		rec, err := c.file.Next()
		if err == nil {
			c.sent++
			return rec
		}
		if !errors.Is(err, io.EOF) {
			c.end(err)
			return nil
		}
		c.op.stats.passDone(c.pass + 1)
		if !c.op.opts.Loop || c.sent == 0 {
			c.end(nil)
			return nil
		}
		if err := c.file.Rewind(); err != nil {
			c.end(err)
			return nil
		}
		c.pass++
		c.sent = 0
	}
}

// end stops the stream's reading; err is what stopped it, if not the end.
func (c *replayCursor) end(err error) {
	c.ended = true
	if err != nil {
		c.op.stats.setErr(err)
	}
	_ = c.Close()
}

// ordinal numbers a line across passes, for counting each once.
func (c *replayCursor) ordinal(line int64) int64 { return c.pass<<40 | line }

// cursorObserver counts the lines a stream's reader passes over.
type cursorObserver struct{ c *replayCursor }

func (o cursorObserver) Skipped(line int64, name int) {
	s := &o.c.op.stats
	if s.claim(o.c.ordinal(line)) {
		s.mu.Lock()
		s.skipped[name]++
		s.mu.Unlock()
	}
}

func (o cursorObserver) Malformed(line int64, reason string) { o.c.Malformed(line, reason) }

// Malformed counts a line of the trace that cannot be sent, once.
func (c *replayCursor) Malformed(line int64, reason string) {
	s := &c.op.stats
	if s.claim(c.ordinal(line)) {
		s.mu.Lock()
		s.malformed++
		if len(s.first) < trace.MaxReported {
			s.first = append(s.first, trace.Malformed{Line: line, Reason: reason})
		}
		s.mu.Unlock()
	}
}
