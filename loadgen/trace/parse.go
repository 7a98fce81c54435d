package trace

import (
	"math"
	"strconv"
	"time"
)

// maxSeconds is the most seconds a time.Duration holds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// parseSeconds reads a time in seconds, "1700000000.123456" or "12",
// exactly to the nanosecond (further digits are dropped): no float
// rounding, so that equal times in the trace stay equal.
func parseSeconds(b []byte) (time.Duration, bool) {
	var sec, frac int64
	i := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		c := b[i]
		if c < '0' || c > '9' || sec > maxSeconds/10 {
			return 0, false
		}
		sec = sec*10 + int64(c-'0')
	}
	if i == 0 || sec > maxSeconds {
		return 0, false
	}
	if i < len(b) { // the fraction
		i++
		if i == len(b) {
			return 0, false
		}
		scale := int64(time.Second)
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			if scale > 1 {
				scale /= 10
				frac += int64(c-'0') * scale
			}
		}
	}
	if sec == maxSeconds && frac > math.MaxInt64-sec*int64(time.Second) {
		return 0, false
	}
	return time.Duration(sec*int64(time.Second) + frac), true
}

// parseSize reads a size in bytes: decimal digits, at most maxSize.
func parseSize(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= maxSize
}

// maxSize is the largest size a trace may give: Redis' proto-max-bulk-len
// limit of 512 MiB, far above what a replay sends (its values are capped
// by the workload).
const maxSize = 512 << 20

// quoteShort quotes b for a message, cut to 40 bytes.
func quoteShort(b []byte) string {
	const limit = 40
	if len(b) > limit {
		return strconv.Quote(string(b[:limit])) + "..."
	}
	return strconv.Quote(string(b))
}
