package probe

import (
	"hash/crc32"
	"math/rand/v2"
	"strconv"
)

// An integrity record is the value of one ring key. It is ASCII, so that
// redis-cli shows it readably:
//
//	ecb1:<epoch, 16 hex>:<seq, 16 hex>:<payload>:<crc, 8 hex>
//	└───────────── 39 bytes ────────────┘         └─ 9 ──┘
//
// epoch identifies the run (a fresh random number, or the one in the state
// file when a run resumes); seq is the write's sequence number; the payload
// pads the record to ValueSize bytes and is a function of (seed, seq) alone,
// so writing seq again writes the very same bytes. crc is CRC-32C
// (Castagnoli) over the key followed by everything before the last colon:
// a record that lands under another key fails its checksum too.
const (
	recordMagic = "ecb1:"
	headerLen   = len(recordMagic) + 16 + 1 + 16 + 1
	trailerLen  = 1 + 8
)

// MinValueSize is the smallest IntegrityOptions.ValueSize: a record with no
// payload.
const MinValueSize = headerLen + trailerLen

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// payloadAlphabet has 32 symbols: 5 bits each.
const payloadAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// appendRecord appends the record of seq under key to dst.
func appendRecord(dst []byte, key string, epoch, seq, seed uint64, size int) []byte {
	start := len(dst)
	dst = append(dst, recordMagic...)
	dst = appendHex(dst, epoch, 16)
	dst = append(dst, ':')
	dst = appendHex(dst, seq, 16)
	dst = append(dst, ':')
	rng := rand.New(rand.NewPCG(seed, seq))
	for n := size - MinValueSize; n > 0; {
		bits := rng.Uint64()
		for j := 0; j < 12 && n > 0; j, n = j+1, n-1 {
			dst = append(dst, payloadAlphabet[bits&31])
			bits >>= 5
		}
	}
	crc := crc32.Update(crc32.Checksum([]byte(key), castagnoli), castagnoli, dst[start:])
	dst = append(dst, ':')
	return appendHex(dst, uint64(crc), 8)
}

// parseRecord returns the epoch and sequence number of a record read from
// key, and false if it does not parse or its checksum does not match.
func parseRecord(key, v string) (epoch, seq uint64, ok bool) {
	if len(v) < MinValueSize || v[:len(recordMagic)] != recordMagic ||
		v[headerLen-1] != ':' || v[len(recordMagic)+16] != ':' || v[len(v)-trailerLen] != ':' {
		return 0, 0, false
	}
	epoch, err1 := strconv.ParseUint(v[len(recordMagic):len(recordMagic)+16], 16, 64)
	seq, err2 := strconv.ParseUint(v[len(recordMagic)+17:headerLen-1], 16, 64)
	want, err3 := strconv.ParseUint(v[len(v)-8:], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, false
	}
	crc := crc32.Update(crc32.Checksum([]byte(key), castagnoli), castagnoli, []byte(v[:len(v)-trailerLen]))
	if uint64(crc) != want {
		return 0, 0, false
	}
	return epoch, seq, true
}

// appendHex appends v as exactly width lower-case hex digits.
func appendHex(dst []byte, v uint64, width int) []byte {
	const digits = "0123456789abcdef"
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, digits[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

// judge returns the verdict on reading v (found is false for a missing key)
// from the key of an acknowledged write of seq in run epoch.
func judge(key, v string, found bool, epoch, seq uint64) CheckResult {
	if !found {
		return Lost
	}
	e, s, ok := parseRecord(key, v)
	switch {
	case !ok:
		return Corrupted
	case e != epoch:
		// A record of another run of ecbench: the acknowledged write is
		// gone and older data is in its place.
		return Stale
	case s < seq:
		return Stale
	default:
		// s > seq: a later write of this run to the same key (after the
		// entry was verified by a run that crashed before saving its state):
		// the acknowledged write was superseded, not lost.
		return Verified
	}
}
