package results

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Replay is what a replay workload read of its trace during a run: the
// commands it sent and what it could not send. Each line of the trace
// counts once, however many targets and phases read it (a warm-up and the
// measured phase both start at the trace's first line), so Commands is the
// trace's commands up to the furthest line any of them reached.
type Replay struct {
	Workload string `json:"workload"`
	Commands int64  `json:"commands"` // commands read to be sent
	// Skipped counts, by lowercase command name, the commands a replay
	// does not send (scripts, transactions, blocking and admin commands;
	// "other" for names outside its table).
	Skipped map[string]int64 `json:"skipped,omitempty"`
	// MalformedLines counts the lines that were not records of the trace's
	// format; FirstMalformed holds the first few.
	MalformedLines int64           `json:"malformed_lines,omitempty"`
	FirstMalformed []MalformedLine `json:"first_malformed,omitempty"`
	// Clamped counts the commands whose values were cut to the workload's
	// max_value_size.
	Clamped int64 `json:"clamped,omitempty"`
	Passes  int64 `json:"passes"` // whole passes over the trace completed
	// Ended says the trace's end ended the run: it does not loop, and a
	// pass completed.
	Ended bool   `json:"ended,omitempty"`
	Error string `json:"error,omitempty"` // what stopped reading the trace, if not its end
}

// MalformedLine is a line of a trace that could not be read, and why.
type MalformedLine struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// SkippedTotal is the number of commands the replay did not send.
func (r Replay) SkippedTotal() int64 {
	var n int64
	for _, c := range r.Skipped {
		n += c
	}
	return n
}

// Complete reports whether the replay sent every command it read: nothing
// skipped, malformed or cut, and no error.
func (r Replay) Complete() bool {
	return r.SkippedTotal() == 0 && r.MalformedLines == 0 && r.Clamped == 0 && r.Error == ""
}

// Shortfall says, in one line, what of the trace the replay did not
// reproduce; "" when it is Complete:
//
//	not sent: 340 of 12340 commands (7 malformed lines, first line 17: unterminated quoted word; skipped: evalsha 300, multi 20, exec 20)
func (r Replay) Shortfall() string {
	if r.Complete() {
		return ""
	}
	var parts []string
	if skipped := r.SkippedTotal(); skipped > 0 {
		names := slices.SortedFunc(maps.Keys(r.Skipped), func(a, b string) int {
			if d := r.Skipped[b] - r.Skipped[a]; d != 0 {
				return int(min(max(d, -1), 1))
			}
			return strings.Compare(a, b)
		})
		counts := make([]string, len(names))
		for i, n := range names {
			counts[i] = fmt.Sprintf("%s %d", n, r.Skipped[n])
		}
		parts = append(parts, fmt.Sprintf("%d of %d commands skipped (%s): the replay does not send them, so the comparison leaves them out",
			skipped, skipped+r.Commands, strings.Join(counts, ", ")))
	}
	if r.MalformedLines > 0 {
		s := fmt.Sprintf("%d malformed lines", r.MalformedLines)
		if len(r.FirstMalformed) > 0 {
			s += fmt.Sprintf(" (first, line %d: %s)", r.FirstMalformed[0].Line, r.FirstMalformed[0].Reason)
		}
		parts = append(parts, s+", passed over")
	}
	if r.Clamped > 0 {
		parts = append(parts, fmt.Sprintf("%d commands' values cut to max_value_size", r.Clamped))
	}
	if r.Error != "" {
		parts = append(parts, "reading stopped: "+r.Error)
	}
	return strings.Join(parts, "; ")
}
