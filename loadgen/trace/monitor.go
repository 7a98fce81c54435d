package trace

import (
	"bytes"
	"fmt"
	"time"
)

// A MONITOR line is a timestamp, the database and client in brackets, and
// the command's words, each quoted as sdscatrepr writes them:
//
//	1700000000.123456 [0 127.0.0.1:6379] "SET" "user:1" "hello\r\n\x00"
//	1700000000.123501 [0 lua] "incr" "hits"
//	1700000000.123777 [0 [::1]:52426] "GET" "user:1"
//
// Escapes are \\ \" \n \r \t \a \b and \xHH. redis-cli's first line, OK,
// is passed over. Commands that scripts run appear as lines of their own
// (client "lua") and are replayed as such; the EVAL itself is skipped.

// clientEnd ends the bracketed client: IPv6 clients hold brackets of their
// own, but never this.
var clientEnd = []byte(`] "`)

func parseMonitor(r *Reader, line []byte) (outcome, int, string) {
	if len(line) == 0 || string(line) == "OK" {
		return isIgnored, 0, ""
	}
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return isMalformed, 0, "want a timestamp, [db client] and a quoted command"
	}
	t, ok := parseSeconds(line[:sp])
	if !ok {
		return isMalformed, 0, "timestamp: want seconds such as 1700000000.123456, got " + quoteShort(line[:sp])
	}
	rest := line[sp+1:]
	end := bytes.Index(rest, clientEnd)
	if len(rest) == 0 || rest[0] != '[' || end < 0 {
		return isMalformed, 0, "want [db client] and a quoted command after the timestamp"
	}
	words := rest[end+2:]
	r.words = r.words[:0]
	for i := 0; i < len(words); {
		if words[i] != '"' {
			return isMalformed, 0, fmt.Sprintf("want a quoted word at byte %d", sp+1+end+2+i+1)
		}
		j, ok := closingQuote(words, i+1)
		if !ok {
			return isMalformed, 0, "unterminated quoted word"
		}
		r.words = append(r.words, word{raw: words[i+1 : j], quoted: true})
		i = j + 1
		if i < len(words) {
			if words[i] != ' ' || i+1 == len(words) {
				return isMalformed, 0, fmt.Sprintf("want one space between quoted words at byte %d", sp+1+end+2+i+1)
			}
			i++
		}
	}
	return r.command(t, unescapeMonitor, monitorValueSize)
}

// closingQuote returns the index of the quote that ends a word starting
// at from: the first one not escaped by an odd run of backslashes. It
// jumps from quote to quote, as most words hold no escape.
func closingQuote(b []byte, from int) (int, bool) {
	for {
		k := bytes.IndexByte(b[from:], '"')
		if k < 0 {
			return 0, false
		}
		at := from + k
		slashes := 0
		for at-1-slashes >= from && b[at-1-slashes] == '\\' {
			slashes++
		}
		if slashes%2 == 0 {
			return at, true
		}
		from = at + 1
	}
}

// unescapeMonitor appends the bytes a MONITOR word stands for to dst.
func unescapeMonitor(dst []byte, w word) ([]byte, bool) {
	raw := w.raw
	for i := 0; i < len(raw); i++ {
		k := bytes.IndexByte(raw[i:], '\\')
		if k < 0 {
			return append(dst, raw[i:]...), true
		}
		dst = append(dst, raw[i:i+k]...)
		i += k + 1
		if i == len(raw) {
			return dst, false
		}
		switch raw[i] {
		case '\\', '"':
			dst = append(dst, raw[i])
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'a':
			dst = append(dst, '\a')
		case 'b':
			dst = append(dst, '\b')
		case 'x':
			if i+2 >= len(raw) {
				return dst, false
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			dst = append(dst, hi<<4|lo)
			i += 2
		default:
			return dst, false
		}
	}
	return dst, true
}

// monitorValueSize is the length of the bytes a MONITOR word stands for,
// without writing them.
func monitorValueSize(w word) (int, string) {
	raw := w.raw
	n := len(raw) // less what the escapes take beyond their one byte
	for i := 0; i < len(raw); i++ {
		k := bytes.IndexByte(raw[i:], '\\')
		if k < 0 {
			break
		}
		i += k + 1
		n--
		if i == len(raw) {
			return 0, "bad escape"
		}
		switch raw[i] {
		case '\\', '"', 'n', 'r', 't', 'a', 'b':
		case 'x':
			if i+2 >= len(raw) {
				return 0, "bad escape"
			}
			_, ok1 := unhex(raw[i+1])
			_, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return 0, "bad escape"
			}
			i += 2
			n -= 2
		default:
			return 0, "bad escape"
		}
	}
	return n, ""
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// command fills r.rec from r.words, the command's name first, decoding
// keys and literals with decode and sizing values with size (which says
// what is wrong with a word that is no value).
func (r *Reader) command(t time.Duration, decode func([]byte, word) ([]byte, bool), size func(word) (int, string)) (outcome, int, string) {
	if len(r.words) == 0 {
		return isMalformed, 0, "no command"
	}
	if len(r.words[0].raw) > 4*maxNameLen { // even escaped, too long for a command
		return isSkipped, skipped(nil), ""
	}
	name, ok := decode(r.name[:0], r.words[0])
	if !ok {
		return isMalformed, 0, "bad escape in the command's name"
	}
	name = lower(r.name[:0], name) // in place; nil when too long for a command
	c := lookup(name)
	if c == nil {
		return isSkipped, skipped(name), ""
	}
	argc := len(r.words)
	if !c.fits(argc) {
		return isMalformed, 0, fmt.Sprintf("wrong number of arguments for %s: %d", c.name, argc-1)
	}
	n := 0
	for _, w := range r.words[1:] {
		n += len(w.raw)
	}
	// Decoding never lengthens a word, so the arena never moves and
	// earlier words' slices stay valid.
	r.setArena(n)
	for i := 1; i < argc; i++ {
		w := r.words[i]
		role := c.role(i, argc)
		if role == Value {
			s, problem := size(w)
			if problem != "" {
				return isMalformed, 0, fmt.Sprintf("word %d of %s: %s", i, c.name, problem)
			}
			r.rec.Args = append(r.rec.Args, Arg{Role: Value, Size: s})
			continue
		}
		start := len(r.arena)
		text, ok := decode(r.arena, w)
		if !ok {
			return isMalformed, 0, fmt.Sprintf("word %d of %s: bad escape", i, c.name)
		}
		r.arena = text
		r.rec.Args = append(r.rec.Args, Arg{Role: role, Text: text[start:len(text):len(text)]})
	}
	r.rec.Time = t
	r.rec.Command = c
	return isRecord, 0, ""
}
