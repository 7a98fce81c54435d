package trace

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format is a trace's file format.
type Format string

// The trace formats.
const (
	// Monitor is what Redis' MONITOR prints, one command a line:
	//	1700000000.123456 [0 127.0.0.1:6379] "SET" "k" "v"
	Monitor Format = "monitor"
	// Twitter is the Twitter cache-trace CSV (twitter/cache-trace):
	//	timestamp,anonymized key,key size,value size,client id,operation,TTL
	// Its memcached operations become Redis commands on the same key:
	//	get, gets        GET key
	//	set              SET key <value> [EX ttl]
	//	add              SET key <value> NX [EX ttl]
	//	replace, cas     SET key <value> XX [EX ttl]
	//	append, prepend  APPEND key <value>
	//	delete           DEL key
	//	incr, decr       INCR key, DECR key
	//	touch            EXPIRE key ttl, or PERSIST key for a TTL of 0
	//	gat, gats        GETEX key EX ttl, or GETEX key PERSIST
	// and any other is skipped, as Other.
	Twitter Format = "twitter"
	// Ecbench is ecbench's own CSV: time in seconds, command, arguments,
	// with value arguments written as their size in bytes:
	//	0.000150,SET,user:1,100,EX,30
	Ecbench Format = "ecbench"
	// JSONL is ecbench's own trace as JSON Lines, one object a line: the
	// time in seconds, the command, and its arguments, a value argument
	// as its size in bytes (a number) and every other argument a string:
	//	{"time": 0.000150, "command": "SET", "args": ["user:1", 100, "EX", "30"]}
	JSONL Format = "jsonl"
)

// Formats returns every format, in the order messages list them.
func Formats() []Format { return []Format{Monitor, Twitter, Ecbench, JSONL} }

// Resolution is how finely the format records time. Twitter's timestamps
// are whole seconds, so a replay spreads the requests of one second evenly
// across it rather than sending them in one burst; the other formats
// record each request's own time (0: nothing to spread).
func (f Format) Resolution() time.Duration {
	if f == Twitter {
		return time.Second
	}
	return 0
}

// Record is one command of a trace that a replay can send. Its slices alias
// the Reader's buffers: they are valid until the next call to Next.
type Record struct {
	Line    int64         // 1-based line number in the file
	Time    time.Duration // as recorded: since the Unix epoch (monitor) or the trace's own zero
	Command *Command
	Args    []Arg // the words after the command's name
}

// Arg is one word of a record after the command's name.
type Arg struct {
	Role Role
	// Text is the word's bytes for a Key or a Literal (unescaped).
	Text []byte
	// Size is a Value's length in bytes: what the replay synthesizes.
	Size int
}

// String writes the record as a MONITOR line would show it (values as
// <N bytes>), for tests and messages.
func (r *Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d: %s", r.Line, r.Command.Name())
	for _, a := range r.Args {
		if a.Role == Value {
			fmt.Fprintf(&b, " <%d bytes>", a.Size)
		} else {
			b.WriteString(" " + strconv.Quote(string(a.Text)))
		}
	}
	return b.String()
}

// Malformed is a line that is not a record of its format, and why.
type Malformed struct {
	Line   int64
	Reason string
}

func (m Malformed) String() string { return fmt.Sprintf("line %d: %s", m.Line, m.Reason) }

// Observer learns of the lines a Reader passes over: commands it does not
// send, by their index in SkippedNames, and malformed lines. Blank lines,
// comments, headers and MONITOR's opening "OK" are passed over silently.
type Observer interface {
	Skipped(line int64, name int)
	Malformed(line int64, reason string)
}

// MaxReported is how many malformed lines Counts keeps by line number; the
// rest are only counted.
const MaxReported = 5

// Counts is an Observer that counts what a Reader passed over. The zero
// Counts is ready to use; it is not safe for concurrent use.
type Counts struct {
	SkippedByName  []int64 // by SkippedNames index; nil until the first
	MalformedLines int64
	FirstMalformed []Malformed // the first MaxReported malformed lines
}

var _ Observer = (*Counts)(nil)

// Skipped counts a skipped command.
func (c *Counts) Skipped(_ int64, name int) {
	if c.SkippedByName == nil {
		c.SkippedByName = make([]int64, len(skippedNames))
	}
	c.SkippedByName[name]++
}

// Malformed counts a malformed line.
func (c *Counts) Malformed(line int64, reason string) {
	c.MalformedLines++
	if len(c.FirstMalformed) < MaxReported {
		c.FirstMalformed = append(c.FirstMalformed, Malformed{line, reason})
	}
}

// SkippedTotal is the number of skipped commands.
func (c *Counts) SkippedTotal() int64 {
	var n int64
	for _, k := range c.SkippedByName {
		n += k
	}
	return n
}
