package workload

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// ReplayStats is what a replay met in its trace so far. Each line of the
// trace counts once, when the first stream reads it, however many streams
// (one per target, and per phase of a bench) read it: after a whole pass
// the figures are the trace's own, and a loop's second pass counts again.
type ReplayStats struct {
	Commands int64 // commands read to be sent
	// Skipped counts the commands a replay does not send, by name from
	// trace.SkippedNames (a fixed set); only names with a count are listed,
	// in that order.
	Skipped []SkippedCommands
	// Malformed counts the lines that are not records of the trace's
	// format; FirstMalformed holds the first trace.MaxReported of them.
	Malformed      int64
	FirstMalformed []trace.Malformed
	// Clamped counts the commands whose values were cut to the
	// workload's most value bytes per command.
	Clamped int64
	Passes  int64 // the most passes over the whole trace one stream has completed
	// Err is what stopped a stream reading the trace (the file could not
	// be opened or read), or nil.
	Err error
}

// SkippedCommands is how many commands of one name a replay skipped.
type SkippedCommands struct {
	Name  string
	Count int64
}

// SkippedTotal is the number of skipped commands.
func (s ReplayStats) SkippedTotal() int64 {
	var n int64
	for _, k := range s.Skipped {
		n += k.Count
	}
	return n
}

// String summarises the stats in one line, for a log:
//
//	12000 commands, 1 pass; skipped 340 (evalsha 300, multi 20, exec 20); 2 malformed lines (line 17: unterminated quoted word; line 90: ...)
func (s ReplayStats) String() string {
	var b strings.Builder
	plural := func(n int64, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	b.WriteString(plural(s.Commands, "command", "commands") + ", " + plural(s.Passes, "pass", "passes"))
	if total := s.SkippedTotal(); total > 0 {
		names := make([]string, len(s.Skipped))
		for i, k := range s.Skipped {
			names[i] = fmt.Sprintf("%s %d", k.Name, k.Count)
		}
		fmt.Fprintf(&b, "; skipped %d (%s)", total, strings.Join(names, ", "))
	}
	if s.Malformed > 0 {
		lines := make([]string, len(s.FirstMalformed))
		for i, m := range s.FirstMalformed {
			lines[i] = m.String()
		}
		if more := s.Malformed - int64(len(s.FirstMalformed)); more > 0 {
			lines = append(lines, fmt.Sprintf("and %d more", more))
		}
		fmt.Fprintf(&b, "; %s (%s)", plural(s.Malformed, "malformed line", "malformed lines"), strings.Join(lines, "; "))
	}
	if s.Clamped > 0 {
		fmt.Fprintf(&b, "; %s cut to the most value bytes per command", plural(s.Clamped, "command's values", "commands' values"))
	}
	if s.Err != nil {
		fmt.Fprintf(&b, "; stopped: %v", s.Err)
	}
	return b.String()
}

// Stats returns what the replay met in its trace so far. It is safe to
// call while streams read, and does no I/O.
func (r *Replay) Stats() ReplayStats {
	s := &r.stats
	out := ReplayStats{Commands: s.commands.Load(), Clamped: s.clamped.Load(), Passes: s.passes.Load()}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := trace.SkippedNames()
	for i, n := range s.skipped {
		if n > 0 {
			out.Skipped = append(out.Skipped, SkippedCommands{Name: names[i], Count: n})
		}
	}
	out.Malformed = s.malformed
	out.FirstMalformed = append([]trace.Malformed(nil), s.first...)
	out.Err = s.err
	return out
}

// replayCounters are a Replay's stats as they are counted.
type replayCounters struct {
	// frontier is the ordinal of the furthest line counted: a line is
	// counted by the stream that first passes it.
	frontier          atomic.Int64
	commands, clamped atomic.Int64
	passes            atomic.Int64
	mu                sync.Mutex
	skipped           []int64 // by trace.SkippedNames index
	malformed         int64
	first             []trace.Malformed
	err               error
}

// claim reports whether the line of ordinal ord is counted now: no stream
// has passed it yet. Streams read the trace in order, so the first to
// reach a line is the one that moves the frontier past it.
func (s *replayCounters) claim(ord int64) bool {
	for {
		f := s.frontier.Load()
		if ord <= f {
			return false
		}
		if s.frontier.CompareAndSwap(f, ord) {
			return true
		}
	}
}

// passDone records that a stream finished pass n (1 for the first).
func (s *replayCounters) passDone(n int64) {
	for {
		p := s.passes.Load()
		if n <= p || s.passes.CompareAndSwap(p, n) {
			return
		}
	}
}

func (s *replayCounters) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}
