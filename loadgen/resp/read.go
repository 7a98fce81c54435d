package resp

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
)

// Kind is the type of a reply.
type Kind uint8

// The kinds of RESP2 reply. The zero Kind is no reply (not read yet).
const (
	KindStatus Kind = iota + 1 // +OK
	KindError                  // -ERR ...: Reply.Err holds it
	KindInt                    // :42
	KindBulk                   // $5 hello: Reply.Len bytes, discarded
	KindNil                    // $-1 or *-1: go-redis' redis.Nil
	KindArray                  // *3 ...: Reply.Len elements, skipped
)

var kindNames = [...]string{"none", "status", "error", "int", "bulk", "nil", "array"}

// String names the kind, for test failures and errors.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Reply is what a benchmark keeps of one reply: its type and its size,
// never its value.
type Reply struct {
	Kind Kind
	Int  int64 // KindInt: the integer
	Len  int   // KindBulk: its bytes; KindArray: its elements
	// AllNil is true for an array whose every element is a nil (and for an
	// empty array): an MGET or HMGET that found none of its keys or fields.
	AllNil bool
	Err    error // KindError: an Error
}

// Error is an error reply of the server. Its text is the reply's line
// after '-', as go-redis presents it (its proto.RedisError and typed
// errors carry the same message), and it implements go-redis' redis.Error,
// so that result.Classify gives it the class it gives on the go-redis path.
type Error string

func (e Error) Error() string { return string(e) }

// RedisError marks Error as a server's reply, for go-redis' redis.Error.
func (Error) RedisError() {}

// Bounds on what a reply may claim, so that a broken or hostile peer can
// make the reader fail but never allocate or loop on its say-so.
const (
	// MaxBulkLen is the longest bulk string read: 512 MiB, the largest
	// string Redis and Valkey store (their proto-max-bulk-len default and
	// the string type's limit), with 64 KiB of slack for replies that are
	// not stored values (INFO, CLIENT LIST).
	MaxBulkLen = 512<<20 + 64<<10
	// MaxArrayLen is the most elements an array may claim (its elements
	// are read and skipped one by one, never held).
	MaxArrayLen = 1<<31 - 1
	// MaxDepth is how deeply arrays may nest. Redis and Valkey replies nest
	// a few levels at most (COMMAND DOCS, XREADGROUP); the reader keeps a
	// fixed stack of this many counts and allocates none.
	MaxDepth = 32
	// MaxErrorLen is the longest error reply kept whole (the servers cut
	// the arguments they quote in an error to 128 bytes); a status line
	// longer than the reader's buffer is skipped, not kept.
	MaxErrorLen = 64 << 10
)

// ErrProtocol is wrapped by every error for a reply that is not RESP2.
var ErrProtocol = errors.New("resp: protocol error")

// protocolError describes what was wrong, quoting at most 32 bytes of the
// line. It allocates, but only on a broken connection.
func protocolError(what string, line []byte) error {
	if len(line) > 32 {
		line = line[:32]
	}
	return fmt.Errorf("%w: %s: %q", ErrProtocol, what, string(line)) // a copy: line does not escape
}

// ReadReply reads the next reply from r into rep. A server's error reply
// is a reply (KindError, rep.Err), not an error: ReadReply returns an
// error only when no reply could be read (r's error, a timeout, EOF) or
// the bytes were not RESP2 (ErrProtocol). After an error the connection's
// position in the reply stream is lost: it must be closed.
//
// The payload of bulk strings and arrays, nested arrays included, is
// discarded as it is read: steady-state reading allocates nothing, and
// only an error reply's message is copied out.
func ReadReply(r *bufio.Reader, rep *Reply) error {
	*rep = Reply{}
	var long [maxHeader]byte
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: a status or an error, or a
		// header in a buffer smaller than maxHeader.
		switch line[0] {
		case '+':
			rep.Kind = KindStatus
			return skipLine(r)
		case '-':
			return readLongError(r, line, rep)
		}
		line, err = readLongHeader(r, line, &long)
	}
	if err != nil {
		return err
	}
	body, err := trim(line)
	if err != nil {
		return err
	}
	switch line[0] {
	case '+':
		rep.Kind = KindStatus
	case '-':
		rep.Kind = KindError
		rep.Err = Error(body)
	case ':':
		n, ok := parseInt(body)
		if !ok {
			return protocolError("bad integer", line)
		}
		rep.Kind, rep.Int = KindInt, n
	case '$':
		n, err := bulkLen(body, line)
		if err != nil {
			return err
		}
		if n < 0 {
			rep.Kind = KindNil
			return nil
		}
		rep.Kind, rep.Len = KindBulk, n
		return discardBulk(r, n)
	case '*':
		n, err := arrayLen(body, line)
		if err != nil {
			return err
		}
		if n < 0 {
			rep.Kind = KindNil
			return nil
		}
		rep.Kind, rep.Len = KindArray, n
		rep.AllNil, err = skipElements(r, n)
		return err
	default:
		return protocolError("unknown reply type", line)
	}
	return nil
}

// trim returns line without its type byte and its CRLF.
func trim(line []byte) ([]byte, error) {
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, protocolError("line without CRLF", line)
	}
	return line[1 : len(line)-2], nil
}

// parseInt parses a RESP integer: an optional '-', then 1 to 19 digits
// that fit an int64. It allocates nothing, unlike strconv on a []byte
// converted to a string.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0') // 19 digits never overflow a uint64
	}
	switch {
	case neg && n <= 1<<63:
		return int64(-n), true // -(1<<63) wraps to itself: math.MinInt64
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// bulkLen parses a bulk string's length: -1 (nil) or 0 to MaxBulkLen.
func bulkLen(body, line []byte) (int, error) {
	n, ok := parseInt(body)
	switch {
	case !ok || n < -1:
		return 0, protocolError("bad bulk length", line)
	case n > MaxBulkLen:
		return 0, protocolError(fmt.Sprintf("bulk length over %d", MaxBulkLen), line)
	}
	return int(n), nil
}

// arrayLen parses an array's length: -1 (nil) or 0 to MaxArrayLen.
func arrayLen(body, line []byte) (int, error) {
	n, ok := parseInt(body)
	switch {
	case !ok || n < -1:
		return 0, protocolError("bad array length", line)
	case n > MaxArrayLen:
		return 0, protocolError(fmt.Sprintf("array length over %d", MaxArrayLen), line)
	}
	return int(n), nil
}

// discardBulk skips a bulk string's n bytes and checks its CRLF.
func discardBulk(r *bufio.Reader, n int) error {
	if _, err := r.Discard(n); err != nil {
		return err
	}
	crlf, err := r.Peek(2)
	if err != nil {
		return err
	}
	if crlf[0] != '\r' || crlf[1] != '\n' {
		return protocolError("bulk string without CRLF", crlf)
	}
	_, err = r.Discard(2)
	return err
}

// skipElements reads and drops the n elements of an array, nested arrays
// included, with a fixed stack of counts, and reports whether every
// element of the outer array was a nil.
func skipElements(r *bufio.Reader, n int) (allNil bool, err error) {
	var left [MaxDepth]int // elements still to read at each level
	var long [maxHeader]byte
	left[0] = n
	depth := 0
	allNil = true
	for {
		for left[depth] == 0 {
			if depth == 0 {
				return allNil, nil
			}
			depth--
		}
		left[depth]--
		outer := depth == 0
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if line[0] == '+' || line[0] == '-' {
				// A long status or error element: its text is not kept.
				if err := skipLine(r); err != nil {
					return false, err
				}
				allNil = allNil && !outer
				continue
			}
			line, err = readLongHeader(r, line, &long)
		}
		if err != nil {
			return false, err
		}
		body, err := trim(line)
		if err != nil {
			return false, err
		}
		isNil := false
		switch line[0] {
		case '+', '-':
		case ':':
			if _, ok := parseInt(body); !ok {
				return false, protocolError("bad integer", line)
			}
		case '$':
			m, err := bulkLen(body, line)
			if err != nil {
				return false, err
			}
			if m < 0 {
				isNil = true
			} else if err := discardBulk(r, m); err != nil {
				return false, err
			}
		case '*':
			m, err := arrayLen(body, line)
			if err != nil {
				return false, err
			}
			if m < 0 {
				isNil = true
			} else if m > 0 {
				if depth+1 == MaxDepth {
					return false, protocolError(fmt.Sprintf("arrays nested deeper than %d", MaxDepth), line)
				}
				depth++
				left[depth] = m
			}
		default:
			return false, protocolError("unknown reply type", line)
		}
		if outer && !isNil {
			allNil = false
		}
	}
}

// maxHeader is the longest integer or length line read: a type byte, a
// sign, 19 digits and CRLF, with room to spare.
const maxHeader = 32

// readLongHeader completes into long an integer or length line of which
// ReadSlice returned the start with bufio.ErrBufferFull (a buffer smaller
// than maxHeader); a longer one is a protocol error.
func readLongHeader(r *bufio.Reader, start []byte, long *[maxHeader]byte) ([]byte, error) {
	if len(start) >= maxHeader {
		return nil, protocolError("line too long", start)
	}
	line := append(long[:0], start...)
	for {
		more, err := r.ReadSlice('\n')
		if len(line)+len(more) > maxHeader {
			return nil, protocolError("line too long", line)
		}
		line = append(line, more...)
		if err != bufio.ErrBufferFull {
			return line, err
		}
	}
}

// skipLine drops the rest of a line whose start ReadSlice returned with
// bufio.ErrBufferFull.
func skipLine(r *bufio.Reader) error {
	for {
		_, err := r.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

// readLongError reads an error reply longer than the buffer, of which
// ReadSlice returned the start, up to MaxErrorLen.
func readLongError(r *bufio.Reader, start []byte, rep *Reply) error {
	msg := append([]byte(nil), start[1:]...)
	for {
		more, err := r.ReadSlice('\n')
		if len(msg)+len(more) > MaxErrorLen+2 {
			return protocolError(fmt.Sprintf("error reply longer than %d bytes", MaxErrorLen), start)
		}
		msg = append(msg, more...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return err
		}
	}
	if len(msg) < 2 || msg[len(msg)-2] != '\r' {
		return protocolError("line without CRLF", start)
	}
	rep.Kind = KindError
	rep.Err = Error(msg[:len(msg)-2])
	return nil
}
