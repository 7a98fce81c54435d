package trace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Reader streams the records of a trace: one line at a time, in bounded
// memory whatever the trace's size. Lines it cannot send (a skipped
// command, a malformed line) go to its Observer and are passed over; Next
// returns only records. A Reader is used by one goroutine.
type Reader struct {
	br      *bufio.Reader
	parse   parser
	obs     Observer
	maxLine int
	line    int64

	long  []byte // a line longer than br's buffer, put together
	rec   Record
	words []word // the words of the line being parsed
	arena []byte // unescaped keys and literals of the current record
	name  [4 * maxNameLen]byte
}

// word is one word of a line: its bytes as written, and whether they are
// quoted with escapes (monitor) or doubled quotes (ecbench).
type word struct {
	raw    []byte
	quoted bool
}

// outcome is what a line turned out to be.
type outcome uint8

const (
	isRecord outcome = iota
	isIgnored
	isSkipped
	isMalformed
)

// parser reads one line (without its line ending) into r.rec. On isSkipped
// name is the index in SkippedNames; on isMalformed reason says why.
type parser func(r *Reader, line []byte) (o outcome, name int, reason string)

// bufferSize is the Reader's read buffer: lines up to it are parsed where
// they lie; longer ones are put together in a buffer of their own, up to
// the Reader's maxLine.
const bufferSize = 64 << 10

// MinMaxLine is the smallest line limit a Reader takes.
const MinMaxLine = bufferSize

// MaxLineFor returns the line limit that lets a MONITOR line carry a value
// of maxValue bytes: each byte escaped (\xHH, four bytes), and 64 KiB for
// the rest of the line.
func MaxLineFor(maxValue int) int {
	return int(min(int64(MinMaxLine)+4*int64(max(maxValue, 0)), math.MaxInt32))
}

// errTooLong marks a line over the limit, which has been read past.
var errTooLong = errors.New("line too long")

// NewReader returns a Reader of the trace in r, written in format f. Lines
// longer than maxLine bytes (at least MinMaxLine) are malformed. obs may be
// nil.
func NewReader(r io.Reader, f Format, maxLine int, obs Observer) (*Reader, error) {
	p, ok := parsers[f]
	if !ok {
		return nil, fmt.Errorf("unknown trace format %q: want one of %s", f, formatList())
	}
	if obs == nil {
		obs = discard{}
	}
	return &Reader{br: bufio.NewReaderSize(r, bufferSize), parse: p, obs: obs, maxLine: max(maxLine, MinMaxLine)}, nil
}

var parsers = map[Format]parser{Monitor: parseMonitor, Twitter: parseTwitter, Ecbench: parseEcbench, JSONL: parseJSONL}

type discard struct{}

func (discard) Skipped(int64, int)      {}
func (discard) Malformed(int64, string) {}

// Line is the number of the last line read.
func (r *Reader) Line() int64 { return r.line }

// Next returns the next record, or io.EOF after the last, or the error that
// reading the trace met. The record and its slices are valid until the
// next call.
func (r *Reader) Next() (*Record, error) {
	for {
		line, err := r.readLine()
		switch {
		case errors.Is(err, errTooLong):
			r.line++
			r.obs.Malformed(r.line, fmt.Sprintf("longer than %d bytes", r.maxLine))
			continue
		case err != nil:
			return nil, err
		}
		r.line++
		o, name, reason := r.parse(r, line)
		switch o {
		case isRecord:
			r.rec.Line = r.line
			return &r.rec, nil
		case isSkipped:
			r.obs.Skipped(r.line, name)
		case isMalformed:
			r.obs.Malformed(r.line, reason)
		}
	}
}

// reset starts over at the first line of br's new input.
func (r *Reader) reset(in io.Reader) {
	r.br.Reset(in)
	r.line = 0
}

// readLine returns the next line without its line ending, or errTooLong
// once it has read past a line longer than maxLine, or io.EOF.
func (r *Reader) readLine() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = r.br.ReadSlice('\n')
			if len(r.long)+len(b) > r.maxLine {
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = r.br.ReadSlice('\n')
				}
				if err != nil && !errors.Is(err, io.EOF) {
					return nil, err
				}
				return nil, errTooLong
			}
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) && len(b) > 0: // a last line without a newline
	default:
		return nil, err
	}
	if len(b) > r.maxLine+2 {
		return nil, errTooLong
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r")), nil
}

// setArena empties the record and makes room for n bytes of words.
func (r *Reader) setArena(n int) {
	if cap(r.arena) < n {
		r.arena = make([]byte, 0, n)
	}
	r.arena = r.arena[:0]
	r.rec.Args = r.rec.Args[:0]
}

// ReaderMemory is the most a Reader (of a gzip-compressed file, the
// worst case) holds with a line limit of maxLine: its read buffer, a long
// line put together and its words decoded (each up to maxLine), and
// gzip's window and buffer.
func ReaderMemory(maxLine int) int64 {
	const gzipBytes = 32<<10 + bufferSize + 8<<10
	return bufferSize + 2*int64(max(maxLine, MinMaxLine)) + gzipBytes
}

// formatList is Formats for a message: "monitor, twitter, ecbench, jsonl".
func formatList() string {
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}
