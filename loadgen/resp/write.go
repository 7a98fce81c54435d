package resp

import "strconv"

// The writers append RESP2 to dst and return it, as strconv's Append
// functions do: a command is AppendArray(n) followed by n bulk strings,
// which is how go-redis writes every command (its proto.Writer.WriteArgs),
// byte for byte. They allocate only when dst must grow, so that a
// worker's buffer, once grown to its largest request, is reused for
// every later one.
//
// go-redis writes each command through a bufio.Writer a byte or a short
// slice at a time, with an interface type switch per argument: ~1,230
// instructions per command at pipeline 1 (callgrind, docs/performance.md).
// Appending to a slice that already has the room is a few copies.

// AppendArray appends the header of an array of n elements: the start of
// a command of n words.
func AppendArray(dst []byte, n int) []byte {
	return appendLen(append(dst, '*'), n)
}

// AppendString appends s as a bulk string.
func AppendString(dst []byte, s string) []byte {
	dst = appendLen(append(dst, '$'), len(s))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBytes appends b as a bulk string.
func AppendBytes(dst, b []byte) []byte {
	dst = appendLen(append(dst, '$'), len(b))
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// appendLen appends n and CRLF. Most lengths of a command (its word
// count, its command name, its key, a short value) are below 100, which
// it writes without strconv: strconv.AppendUint was ~250 of the raw
// path's instructions per command at pipeline 1 (callgrind), for four or
// five lengths.
func appendLen(dst []byte, n int) []byte {
	switch {
	case n < 10:
		return append(dst, byte('0'+n), '\r', '\n')
	case n < 100:
		return append(dst, byte('0'+n/10), byte('0'+n%10), '\r', '\n')
	}
	return append(strconv.AppendUint(dst, uint64(n), 10), '\r', '\n')
}

// AppendInt appends i as a bulk string of its decimal digits, as go-redis
// writes an integer argument.
func AppendInt(dst []byte, i int64) []byte {
	var digits [20]byte // -9223372036854775808 is 20 bytes
	return AppendBytes(dst, strconv.AppendInt(digits[:0], i, 10))
}

// AppendFloat appends f as a bulk string formatted as go-redis formats a
// float64 argument: the shortest decimal that reads back as f, without an
// exponent ('f', -1).
func AppendFloat(dst []byte, f float64) []byte {
	var digits [32]byte // room for scores of every day; longer ones grow on the heap
	return AppendBytes(dst, strconv.AppendFloat(digits[:0], f, 'f', -1, 64))
}
