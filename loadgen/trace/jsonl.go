package trace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// A JSONL trace line is one JSON object: the time in seconds, the command,
// and its arguments in the command's order, each value argument (a string
// value, a hash field's value, a list item) written as its size in bytes,
// a number, as in the ecbench CSV, and every other argument (keys, fields,
// members, scores, options, TTLs) as a string:
//
//	# time in seconds, command, arguments
//	{"time": 0.000000, "command": "SET", "args": ["user:1", 100, "EX", "30"]}
//	{"time": 0.000150, "command": "get", "args": ["user:1"]}
//	{"time": 0.000900, "command": "HSET", "args": ["profile:7", "name", 12, "avatar", 2048]}
//	{"time": 0.002000, "command": "GET", "args": ["caf\u00e9 \"quoted\""]}
//	{"time": 1.5e-3, "command": "PING"}
//
// Times are seconds from any origin (only differences count), read from
// the number's text exactly to the nanosecond (never through a float64),
// with an exponent or without. The command is a string in any case; args
// may be left out when there are none. Strings are UTF-8 with any JSON
// escape, so keys are text: binary keys need the CSV or MONITOR format.
// Members come in any order; a second time, command or args is
// malformed, and unknown members are passed over, repeated or not. Blank
// lines and lines whose first non-space byte is # are passed over.
// Commands and positions are those of CommandNames; any other command is
// skipped by name. Reasons count words as the other formats do: the
// command is word 0 and args[0] word 1.
//
// The line is tokenized by jsontext, which validates it (UTF-8, escapes,
// one value a line) without allocating. Its own check of duplicate names
// is off: it keeps every name of an object, and past 64 names a string of
// each in a map, 20 times the line's size for a long line of unknown
// members; the names that count are checked here instead.
//
// Measured on a busy 2-CPU host (load 3 to 10): BenchmarkReader takes
// 0.70-0.87 µs a JSONL line (1.1-1.4 M lines/s), the CSV 0.16-0.26 µs; a
// replay's two readers of a generated trace (BenchmarkLargeTrace) stream
// 420,000-740,000 JSONL lines/s, the CSV 1.16-1.7 M. Splitting the args
// array by hand rather than token by token saved under 10%: not enough
// for a scanner of our own.

// jsonlDecoder tokenizes one line: the decoder reads a bytes.Buffer's
// bytes where they lie, so the values it returns are slices of the line
// and stay valid until the next line.
type jsonlDecoder struct {
	in  bytes.Buffer
	dec jsontext.Decoder
}

// jsonlDecoders hold the decoders between lines: a Reader has no field
// for its format's state, and a Get and a Put take 20 ns.
var jsonlDecoders = sync.Pool{New: func() any { return new(jsonlDecoder) }}

// jsonlOptions turn off the decoder's check of duplicate names.
var jsonlOptions = jsontext.AllowDuplicateNames(true)

func parseJSONL(r *Reader, line []byte) (outcome, int, string) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
		i++
	}
	if i == len(line) || line[i] == '#' {
		return isIgnored, 0, ""
	}
	jd := jsonlDecoders.Get().(*jsonlDecoder)
	defer jsonlDecoders.Put(jd)
	jd.in = *bytes.NewBuffer(line)
	jd.dec.Reset(&jd.in, jsonlOptions)
	t, reason := r.readJSONL(&jd.dec)
	if reason != "" {
		return isMalformed, 0, reason
	}
	o, name, reason := r.command(t, unquoteJSONL, jsonlValueSize)
	if o != isRecord {
		return o, name, reason
	}
	// Only now are the words' roles known: a number may stand for a value
	// alone.
	for i, a := range r.rec.Args {
		if w := r.words[i+1]; a.Role != Value && !w.quoted {
			what := "only values are sizes"
			if a.Role == Key {
				what = "a key"
			}
			return isMalformed, 0, fmt.Sprintf("word %d of %s: want a string (%s), got the number %s", i+1, r.rec.Command.name, what, numberShort(w.raw))
		}
	}
	return isRecord, 0, ""
}

// readJSONL reads a line's object into r.words (the command first, then
// args, each a JSON string with its quotes or a number) and returns its
// time, or why the line is malformed.
func (r *Reader) readJSONL(d *jsontext.Decoder) (time.Duration, string) {
	if tok, err := d.ReadToken(); err != nil {
		return 0, jsonlProblem(err)
	} else if tok.Kind() != '{' {
		return 0, "want a JSON object, got " + kindName(tok.Kind())
	}
	r.words = append(r.words[:0], word{})
	var t time.Duration
	const haveTime, haveCommand, haveArgs = 1, 2, 4
	have := 0
	for d.PeekKind() != '}' {
		quoted, err := d.ReadValue()
		if err != nil {
			return 0, jsonlProblem(err)
		}
		name := memberName(r.name[:0], quoted)
		var bit int
		switch string(name) {
		case "time":
			bit = haveTime
		case "command":
			bit = haveCommand
		case "args":
			bit = haveArgs
		}
		if have&bit != 0 {
			return 0, "duplicate member " + strconv.Quote(string(name))
		}
		have |= bit
		switch bit {
		case haveTime:
			v, err := d.ReadValue()
			if err != nil {
				return 0, jsonlProblem(err)
			}
			if v.Kind() != '0' {
				return 0, "time: want a number of seconds, got " + kindName(v.Kind())
			}
			var ok bool
			if t, ok = jsonSeconds(v); !ok {
				return 0, "time: want seconds such as 0.000150, got " + numberShort(v)
			}
		case haveCommand:
			v, err := d.ReadValue()
			if err != nil {
				return 0, jsonlProblem(err)
			}
			if v.Kind() != '"' {
				return 0, "command: want a string, got " + kindName(v.Kind())
			}
			r.words[0] = word{raw: v, quoted: true}
		case haveArgs:
			if reason := r.readJSONLArgs(d); reason != "" {
				return 0, reason
			}
		default:
			if err := d.SkipValue(); err != nil {
				return 0, jsonlProblem(err)
			}
		}
	}
	if _, err := d.ReadToken(); err != nil { // the '}'
		return 0, jsonlProblem(err)
	}
	if _, err := d.ReadToken(); !errors.Is(err, io.EOF) {
		return 0, "want one JSON object a line, got more after it"
	}
	switch {
	case have&haveTime == 0:
		return 0, "want a time member"
	case have&haveCommand == 0:
		return 0, "want a command member"
	}
	return t, ""
}

// readJSONLArgs appends the args array's strings and numbers to r.words.
func (r *Reader) readJSONLArgs(d *jsontext.Decoder) string {
	tok, err := d.ReadToken()
	if err != nil {
		return jsonlProblem(err)
	}
	if tok.Kind() != '[' {
		return "args: want an array, got " + kindName(tok.Kind())
	}
	r.words = r.words[:1]
	for d.PeekKind() != ']' {
		v, err := d.ReadValue()
		if err != nil {
			return jsonlProblem(err)
		}
		switch v.Kind() {
		case '"':
			r.words = append(r.words, word{raw: v, quoted: true})
		case '0':
			r.words = append(r.words, word{raw: v})
		default:
			return fmt.Sprintf("word %d: want a string or a number, got %s", len(r.words), kindName(v.Kind()))
		}
	}
	if _, err := d.ReadToken(); err != nil { // the ']'
		return jsonlProblem(err)
	}
	return ""
}

// memberName returns a member's name without its quotes: unescaped into
// dst when it holds escapes ("\u0074ime" is time) and is short enough
// for dst's capacity, which our names are.
func memberName(dst, quoted []byte) []byte {
	name := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(name, '\\') >= 0 && len(name) <= cap(dst) {
		if unquoted, err := jsontext.AppendUnquote(dst, quoted); err == nil {
			return unquoted
		}
	}
	return name
}

// numberShort writes a JSON number for a message, cut to 40 bytes.
func numberShort(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// jsonlProblem says where and why the line stops being JSON.
func jsonlProblem(err error) string {
	var se *jsontext.SyntacticError
	switch {
	case !errors.As(err, &se):
		return "not JSON: " + err.Error()
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		return "not JSON: the line ends inside the object"
	}
	return fmt.Sprintf("not JSON at byte %d: %v", se.ByteOffset+1, se.Err)
}

// kindName names a JSON token's kind for a message.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "nothing"
}

// unquoteJSONL appends a word's text to dst: a string's, unescaped, or a
// number's as written (which parseJSONL then finds where a string is due).
// Unescaping never lengthens a valid string: an escape of 2, 6 or 12
// bytes stands for 1 to 4 bytes of UTF-8.
func unquoteJSONL(dst []byte, w word) ([]byte, bool) {
	if !w.quoted {
		return append(dst, w.raw...), true
	}
	if bytes.IndexByte(w.raw, '\\') < 0 {
		return append(dst, w.raw[1:len(w.raw)-1]...), true
	}
	out, err := jsontext.AppendUnquote(dst, w.raw)
	return out, err == nil
}

// jsonlValueSize reads a value argument: its size in bytes, a number.
func jsonlValueSize(w word) (int, string) {
	const want = "a value is written as its size, a whole number of bytes up to 536870912; got "
	if w.quoted {
		return 0, want + "the string " + quoteShort(w.raw[1:len(w.raw)-1])
	}
	n, ok := parseSize(w.raw)
	if !ok {
		return 0, want + numberShort(w.raw)
	}
	return n, ""
}

// jsonSeconds reads a JSON number of seconds as parseSeconds does, exactly
// to the nanosecond. A number with an exponent (1e-05, as Python writes
// small floats) is first written out as a plain decimal.
func jsonSeconds(num []byte) (time.Duration, bool) {
	e := bytes.IndexByte(num, 'e')
	if e < 0 {
		e = bytes.IndexByte(num, 'E')
	}
	if e < 0 {
		return parseSeconds(num)
	}
	mantissa, exp := num[:e], num[e+1:]
	if len(mantissa) == 0 || mantissa[0] == '-' || len(exp) == 0 {
		return 0, false
	}
	negative := exp[0] == '-'
	if exp[0] == '-' || exp[0] == '+' {
		exp = exp[1:]
	}
	shift := 0
	for _, c := range exp {
		if c < '0' || c > '9' {
			return 0, false
		}
		if shift < 1000 { // far past any time: saturates, never overflows
			shift = shift*10 + int(c-'0')
		}
	}
	if negative {
		shift = -shift
	}
	// The significant digits, and where the point falls among them: at
	// point digits from the first (<= 0: that many zeros before it).
	intLen := bytes.IndexByte(mantissa, '.')
	if intLen < 0 {
		intLen = len(mantissa)
	}
	point := intLen + shift
	var digits [28]byte // 19 whole seconds and 9 decimals: any more are dropped
	n := 0
	for _, c := range mantissa {
		switch {
		case c == '.':
		case c < '0' || c > '9':
			return 0, false
		case n == 0 && c == '0':
			point--
		case n < len(digits):
			digits[n] = c
			n++
		}
	}
	switch {
	case n == 0:
		return 0, true
	case point > 19: // over 292 years
		return 0, false
	case point < -8: // under a nanosecond
		return 0, true
	}
	var buf [64]byte
	text := buf[:0]
	if point <= 0 {
		text = append(text, "0."...)
		text = append(text, "00000000"[:-point]...)
		text = append(text, digits[:n]...)
	} else {
		text = append(text, digits[:min(point, n)]...)
		for range point - n {
			text = append(text, '0')
		}
		if n > point {
			text = append(append(text, '.'), digits[point:n]...)
		}
	}
	return parseSeconds(text)
}
