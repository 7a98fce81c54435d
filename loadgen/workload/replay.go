package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"unsafe"
	"weak"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// KindReplay is the type of a workload that replays a trace (a config's
// `type: replay`): its commands are the trace's, in the trace's order, on
// the trace's keys under the workload's prefix, with values synthesized at
// their recorded sizes. Its one op is a *Replay; when requests are sent is
// the schedule's business (schedule.Recorded for the trace's own timing).
const KindReplay Kind = "replay"

// ReplayOptions say what a replay workload replays.
type ReplayOptions struct {
	Trace trace.Source // MaxLine 0: trace.MaxLineFor(MaxValueSize)
	// Loop starts the trace over at its end; else a stream that reaches
	// it sends nothing more (its requests fail with ErrTraceEnded).
	Loop bool
	// MaxValueSize is the most value bytes one command carries: a longer
	// recorded value is cut to what is left of it (counted as Clamped),
	// so that the in-flight budget holds.
	MaxValueSize int
}

// Errors a replay's requests fail with when it has nothing to send.
var (
	// ErrTraceEnded: the stream read the whole trace and does not loop.
	ErrTraceEnded = errors.New("replay: the trace has ended")
	// errNoDo: the client cannot send an arbitrary command.
	errNoDo = errors.New("replay: the client cannot send arbitrary commands")
)

// ReplayOpName is the op label value of every command a replay sends.
const ReplayOpName = "replay"

// NewReplayWorkload returns the workload that replays o's trace under
// prefix (which must not be empty: the keys are deleted by it), pipeline
// commands per request. Its streams each read the trace file from its
// first line, so every target gets the same sequence.
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
	op := &Replay{opts: o, cursors: map[weak.Pointer[Gen]]*replayCursor{}}
	op.stats.skipped = make([]int64, len(trace.SkippedNames()))
	return &Workload{
		Name: name,
		Ops:  []Weighted{{Op: op, Weight: 1}},
		// One key: the stream's key generator is not used, the trace names
		// the keys. The values are cut from each stream's value buffer.
		Keys:     Keys{Prefix: prefix, Count: 1, Distribution: Uniform},
		Values:   Values{Min: o.MaxValueSize, Max: o.MaxValueSize},
		Pipeline: pipeline,
		Seed:     seed,
	}, nil
}

// ReplayOf returns the replay op of w, or nil when w replays no trace.
func ReplayOf(w *Workload) *Replay {
	if len(w.Ops) != 1 {
		return nil
	}
	r, _ := w.Ops[0].Op.(*Replay)
	return r
}

// Replay is the op of a replay workload. Each Prepare reads the next
// command of the trace and Issue sends it as recorded: its words in order,
// keys under the workload's prefix, values synthesized at their size from
// the stream's value buffer (no copy), every other word as recorded.
//
// A workload's ops are shared by its streams, and Prepare is given only
// the stream's generator: the op keeps one reader of the trace per
// generator, held weakly, so that a stream's reader goes (and its file is
// closed) once the stream is garbage.
//
// Lines it passes over are counted in Stats, each line of the trace once
// however many streams read it.
type Replay struct {
	opts ReplayOptions

	mu      sync.Mutex
	cursors map[weak.Pointer[Gen]]*replayCursor

	stats replayCounters
}

var _ Op = (*Replay)(nil)

// Name returns ReplayOpName.
func (*Replay) Name() string { return ReplayOpName }

// Prepare reads the stream's next command of the trace into a: a.Keys
// holds its words, the name first (nil when there is none to send).
func (r *Replay) Prepare(g *Gen, a *Args) {
	c := r.cursor(g)
	a.Keys = a.Keys[:0]
	rec := c.next()
	if rec == nil {
		return
	}
	a.Keys = append(a.Keys, rec.Command.Name())
	counted := r.stats.claim(c.ordinal(rec.Line))
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
	// Read on now that the words are copied: the lines after the last
	// command (and the end) are seen, and counted, as the last command is
	// sent, though under recorded timing no request comes after it.
	c.readAhead()
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

// Issue sends the prepared command on c.
func (r *Replay) Issue(ctx context.Context, c redis.Cmdable, a *Args) redis.Cmder {
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

// cursor returns the reader of g's stream, made at its first command.
func (r *Replay) cursor(g *Gen) *replayCursor {
	key := weak.Make(g)
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cursors[key]
	if !ok {
		c = &replayCursor{op: r}
		r.cursors[key] = c
		runtime.AddCleanup(g, r.forget, key)
	}
	return c
}

// forget drops the reader of a stream that is gone.
func (r *Replay) forget(key weak.Pointer[Gen]) {
	r.mu.Lock()
	c := r.cursors[key]
	delete(r.cursors, key)
	r.mu.Unlock()
	if c != nil && c.file != nil {
		_ = c.file.Close()
	}
}

// replayCursor is one stream's reader of the trace. It holds nothing of
// the stream, which would keep it alive.
type replayCursor struct {
	op    *Replay
	file  *trace.File
	ahead *trace.Record // the next command, read ahead; valid until the file's next read
	pass  int64         // passes over the trace completed
	sent  int64         // commands read in this pass
	ended bool
}

// next returns the stream's next command, or nil when there is none.
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
	if c.file != nil {
		_ = c.file.Close()
		c.file = nil
	}
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

func (o cursorObserver) Malformed(line int64, reason string) {
	s := &o.c.op.stats
	if s.claim(o.c.ordinal(line)) {
		s.mu.Lock()
		s.malformed++
		if len(s.first) < trace.MaxReported {
			s.first = append(s.first, trace.Malformed{Line: line, Reason: reason})
		}
		s.mu.Unlock()
	}
}
