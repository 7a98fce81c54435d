package trace

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Synth writes synthetic traces: a seeded mix of commands over a key space
// at exponentially distributed gaps (a Poisson arrival process), in any
// format. The project's sample traces, its tests and its measurements of
// large traces come from it; the same Synth and format always write the
// same bytes.
type Synth struct {
	Seed     uint64
	Requests int     // lines written, skipped commands and malformed lines included
	Keys     int     // keys per family ("user:", "ctr:", "h:", ...), at least 1
	Rate     float64 // mean requests per second; the gaps are exponential
	// Gaps, when set, replaces the exponential gaps: line i follows line
	// i-1 after Gaps[i % len(Gaps)].
	Gaps []time.Duration
	// Sizes are the value sizes drawn from, uniformly; empty: 32 bytes.
	Sizes []int
	// Skipped is the share of lines that are commands a replay skips
	// (PING, EVALSHA, MULTI and EXEC, or an unknown memcached operation);
	// Malformed the share of lines that are broken.
	Skipped, Malformed float64
}

// Epoch is the Unix time at which a synthetic MONITOR trace starts.
const Epoch = 1_700_000_000 * time.Second

// Write writes the trace to w in format f.
func (s Synth) Write(w io.Writer, f Format) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	g := synthGen{s: s, rng: rand.New(rand.NewPCG(s.Seed, 0x5eed)), f: f}
	if len(g.s.Sizes) == 0 {
		g.s.Sizes = []int{32}
	}
	g.s.Keys = max(g.s.Keys, 1)
	var line []byte
	switch f {
	case Ecbench:
		line = append(line, "time,command,args\n"...)
	case JSONL:
		// A comment where the CSV has its header, so that both number
		// their lines alike.
		line = append(line, jsonlHeader...)
	}
	for i := range s.Requests {
		line = g.line(line, i)
		if len(line) > 64<<10 {
			if _, err := bw.Write(line); err != nil {
				return err
			}
			line = line[:0]
		}
	}
	if _, err := bw.Write(line); err != nil {
		return err
	}
	return bw.Flush()
}

// synthGen is the state of one Write.
type synthGen struct {
	s   Synth
	rng *rand.Rand
	f   Format
	at  time.Duration // the current line's time
	buf []byte
}

// redisMix is the synthetic MONITOR and ecbench command mix, in percent.
var redisMix = []struct {
	pct  int
	name string
}{
	{35, "get"}, {15, "set"}, {5, "setex"}, {4, "del"}, {5, "incr"}, {3, "mget"},
	{5, "hset"}, {5, "hget"}, {2, "hgetall"}, {3, "lpush"}, {2, "lrange"}, {3, "sadd"},
	{2, "smembers"}, {3, "zadd"}, {2, "zrange"}, {2, "expire"}, {2, "exists"}, {2, "mset"},
}

// twitterMix is the synthetic Twitter operation mix, in percent.
var twitterMix = []struct {
	pct int
	op  string
}{
	{62, "get"}, {3, "gets"}, {15, "set"}, {3, "add"}, {2, "replace"}, {2, "cas"}, {2, "append"},
	{1, "prepend"}, {5, "delete"}, {3, "incr"}, {1, "decr"}, {1, "touch"},
}

func (g *synthGen) line(dst []byte, i int) []byte {
	if i > 0 {
		g.at += g.gap(i)
	}
	if g.s.Malformed > 0 && g.rng.Float64() < g.s.Malformed {
		return g.malformed(dst)
	}
	skip := g.s.Skipped > 0 && g.rng.Float64() < g.s.Skipped
	if g.f == Twitter {
		return g.twitter(dst, skip)
	}
	var words [][]byte
	if skip {
		switch g.rng.IntN(3) {
		case 0:
			words = [][]byte{[]byte("PING")}
		case 1:
			words = [][]byte{[]byte("EVALSHA"), []byte("e0e1f9fabfc9d4800c877a703b823ac0578ff8db"), []byte("1"), g.key("user:")}
		default:
			words = [][]byte{[]byte("MULTI")}
		}
	} else {
		words = g.redis()
	}
	switch g.f {
	case Monitor:
		return g.monitorLine(dst, words)
	case JSONL:
		return g.jsonlLine(dst, words)
	}
	return g.ecbenchLine(dst, words)
}

func (g *synthGen) gap(i int) time.Duration {
	if len(g.s.Gaps) > 0 {
		return g.s.Gaps[i%len(g.s.Gaps)]
	}
	if !(g.s.Rate > 0) {
		return 0
	}
	// Whole microseconds: MONITOR's resolution, so every format holds
	// exactly the same times.
	us := math.Round(g.rng.ExpFloat64() / g.s.Rate * 1e6)
	return time.Duration(us) * time.Microsecond
}

// key draws a key of a family.
func (g *synthGen) key(family string) []byte {
	g.buf = strconv.AppendInt(append(g.buf[:0], family...), int64(g.rng.IntN(g.s.Keys)), 10)
	return append([]byte(nil), g.buf...)
}

// value is a value's word: its bytes for MONITOR (letters, and now and
// then a byte MONITOR escapes), its size for ecbench and JSONL.
func (g *synthGen) value() []byte {
	size := g.s.Sizes[g.rng.IntN(len(g.s.Sizes))]
	if g.f == Ecbench || g.f == JSONL {
		return strconv.AppendInt(nil, int64(size), 10)
	}
	v := make([]byte, size)
	for j := range v {
		v[j] = byte('a' + g.rng.IntN(26))
		if g.rng.IntN(64) == 0 {
			v[j] = byte(g.rng.IntN(32)) // a control byte: \n, \x00, ...
		}
	}
	return v
}

func (g *synthGen) redis() [][]byte {
	p := g.rng.IntN(100)
	name := redisMix[len(redisMix)-1].name
	for _, m := range redisMix {
		if p < m.pct {
			name = m.name
			break
		}
		p -= m.pct
	}
	n := func(i int) []byte { return strconv.AppendInt(nil, int64(i), 10) }
	upper := []byte(name)
	for j, c := range upper {
		upper[j] = c - 'a' + 'A'
	}
	w := [][]byte{upper}
	switch name {
	case "get", "del", "hgetall", "smembers", "exists":
		w = append(w, g.key("user:"))
		if name == "hgetall" {
			w[1] = g.key("h:")
		}
		if name == "smembers" {
			w[1] = g.key("s:")
		}
	case "set":
		w = append(w, g.key("user:"), g.value())
		if g.rng.IntN(4) == 0 {
			w = append(w, []byte("EX"), n(60+g.rng.IntN(3600)))
		}
	case "setex":
		w = append(w, g.key("user:"), n(60+g.rng.IntN(3600)), g.value())
	case "incr":
		w = append(w, g.key("ctr:"))
	case "mget":
		w = append(w, g.key("user:"), g.key("user:"), g.key("user:"))
	case "mset":
		w = append(w, g.key("user:"), g.value(), g.key("user:"), g.value())
	case "hset":
		w = append(w, g.key("h:"), n(g.rng.IntN(8)), g.value())
	case "hget":
		w = append(w, g.key("h:"), n(g.rng.IntN(8)))
	case "lpush":
		w = append(w, g.key("l:"), g.value())
	case "lrange":
		w = append(w, g.key("l:"), []byte("0"), []byte("9"))
	case "sadd":
		w = append(w, g.key("s:"), n(g.rng.IntN(100)))
	case "zadd":
		w = append(w, g.key("z:"), n(g.rng.IntN(1000)), n(g.rng.IntN(100)))
	case "zrange":
		w = append(w, g.key("z:"), []byte("0"), []byte("9"))
	case "expire":
		w = append(w, g.key("user:"), n(60+g.rng.IntN(3600)))
	}
	return w
}

func (g *synthGen) monitorLine(dst []byte, words [][]byte) []byte {
	t := Epoch + g.at
	dst = strconv.AppendInt(dst, int64(t/time.Second), 10)
	dst = append(dst, '.')
	us := int64(t%time.Second) / 1e3
	for d := int64(100_000); d > 0; d /= 10 {
		dst = append(dst, byte('0'+us/d%10))
	}
	dst = append(dst, " [0 127.0.0.1:"...)
	dst = strconv.AppendInt(dst, int64(50000+g.rng.IntN(16)), 10)
	dst = append(dst, ']')
	for _, w := range words {
		dst = append(dst, ' ', '"')
		dst = appendRepr(dst, w)
		dst = append(dst, '"')
	}
	return append(dst, '\n')
}

// appendRepr escapes b as Redis' sdscatrepr does for MONITOR.
func appendRepr(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch c {
		case '\\', '"':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if c < 0x20 || c >= 0x7f {
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return dst
}

func (g *synthGen) ecbenchLine(dst []byte, words [][]byte) []byte {
	dst = appendSeconds(dst, g.at)
	for _, w := range words {
		dst = append(dst, ',')
		dst = append(dst, w...)
	}
	return append(dst, '\n')
}

// jsonlHeader opens a synthetic JSONL trace.
const jsonlHeader = `# {"time": seconds, "command": name, "args": [strings, and the sizes of values]}` + "\n"

// jsonlLine writes the words as a JSONL line: the command's value words
// as numbers (their sizes), every other word as a string.
func (g *synthGen) jsonlLine(dst []byte, words [][]byte) []byte {
	dst = appendSeconds(append(dst, `{"time": `...), g.at)
	dst = appendJSONString(append(dst, `, "command": `...), words[0])
	dst = append(dst, `, "args": [`...)
	c := LookupCommand(string(words[0])) // nil for a skipped command: every word a string
	for i, w := range words[1:] {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		if c != nil && c.role(i+1, len(words)) == Value {
			dst = append(dst, w...)
		} else {
			dst = appendJSONString(dst, w)
		}
	}
	return append(dst, "]}\n"...)
}

// appendJSONString writes s as a JSON string, escaping only what JSON
// must (quotes, backslashes, control bytes).
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// appendSeconds writes d in seconds with six decimals.
func appendSeconds(dst []byte, d time.Duration) []byte {
	dst = strconv.AppendInt(dst, int64(d/time.Second), 10)
	dst = append(dst, '.')
	us := int64(d%time.Second) / 1e3
	for m := int64(100_000); m > 0; m /= 10 {
		dst = append(dst, byte('0'+us/m%10))
	}
	return dst
}

func (g *synthGen) twitter(dst []byte, skip bool) []byte {
	op := "flush_all" // no key operation: skipped as other
	if !skip {
		p := g.rng.IntN(100)
		op = twitterMix[len(twitterMix)-1].op
		for _, m := range twitterMix {
			if p < m.pct {
				op = m.op
				break
			}
			p -= m.pct
		}
	}
	family := "nz:u:"
	if op == "incr" || op == "decr" {
		family = "ctr:"
	}
	key := g.key(family)
	size, ttl := 0, 0
	switch op {
	case "set", "add", "replace", "cas", "append", "prepend":
		size = g.s.Sizes[g.rng.IntN(len(g.s.Sizes))]
		if g.rng.IntN(2) == 0 {
			ttl = 60 + g.rng.IntN(3600)
		}
	case "touch":
		ttl = 60 + g.rng.IntN(3600)
	}
	dst = strconv.AppendInt(dst, int64(g.at/time.Second), 10)
	dst = append(append(dst, ','), key...)
	dst = strconv.AppendInt(append(dst, ','), int64(len(key)), 10)
	dst = strconv.AppendInt(append(dst, ','), int64(size), 10)
	dst = strconv.AppendInt(append(dst, ','), int64(g.rng.IntN(64)), 10)
	dst = append(append(dst, ','), op...)
	dst = strconv.AppendInt(append(dst, ','), int64(ttl), 10)
	return append(dst, '\n')
}

// malformed writes a broken line of the format.
func (g *synthGen) malformed(dst []byte) []byte {
	switch g.f {
	case Monitor:
		return append(dst, `1700000000.5 [0 127.0.0.1:50000] "SET" "unterminated`+"\n"...)
	case Twitter:
		return append(dst, "12,key-without-fields\n"...)
	case JSONL:
		return append(dst, `{"time": "not-a-number", "command": "GET", "args": ["user:1"]}`+"\n"...)
	}
	return append(dst, "not-a-time,GET,user:1\n"...)
}
