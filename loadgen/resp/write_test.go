package resp_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/resp"
)

// appendArgs writes args as a command the way the raw ops do, one Append
// per argument by its type.
func appendArgs(t *testing.T, dst []byte, args ...any) []byte {
	t.Helper()
	dst = resp.AppendArray(dst, len(args))
	for _, a := range args {
		switch v := a.(type) {
		case string:
			dst = resp.AppendString(dst, v)
		case []byte:
			dst = resp.AppendBytes(dst, v)
		case int64:
			dst = resp.AppendInt(dst, v)
		case float64:
			dst = resp.AppendFloat(dst, v)
		default:
			t.Fatalf("no writer for %T", a)
		}
	}
	return dst
}

// TestAppendWritesWhatGoRedisWrites holds every writer to the bytes
// go-redis' own writer sends for the same argument.
func TestAppendWritesWhatGoRedisWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []any
	}{
		{"words", []any{"get", "key:1"}},
		{"empty word", []any{"set", "", ""}},
		{"bytes", []any{"set", "k", []byte("v\r\n\x00binary")}},
		{"empty bytes", []any{"set", "k", []byte{}}},
		{"long value", []any{"set", "k", bytes.Repeat([]byte("x"), 70_000)}},
		{"integers", []any{"lrange", "k", int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64)}},
		{"floats", []any{"zadd", "k", 3.0, "m", -0.5, "m2", 1e21, "m3", 123456.789, "m4", 5e-324, "m5"}},
		{"float extremes", []any{"zincrby", "k", math.MaxFloat64, "m"}},
		{"unicode", []any{"hset", "clé", "ключ", "值"}},
		{"lengths around 10 and 100", []any{"x", strings.Repeat("a", 9), strings.Repeat("b", 10), strings.Repeat("c", 99), strings.Repeat("d", 100), []byte(strings.Repeat("e", 101))}},
		{"9 words", words(9)},
		{"10 words", words(10)},
		{"99 words", words(99)},
		{"100 words", words(100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, _, _ := goRedisExchange(t, "+OK\r\n", tc.args...)
			got := appendArgs(t, nil, tc.args...)
			if !bytes.Equal(got, want) {
				t.Errorf("raw %q\ngo-redis %q", trunc(got), trunc(want))
			}
			// Appending to a buffer that has data keeps it.
			again := appendArgs(t, []byte("prefix"), tc.args...)
			if !bytes.Equal(again, append([]byte("prefix"), want...)) {
				t.Errorf("appending after existing bytes changed them: %q", trunc(again))
			}
		})
	}
}

// words is a command of n words.
func words(n int) []any {
	w := []any{"mget"}
	for i := 1; i < n; i++ {
		w = append(w, "k"+strconv.Itoa(i))
	}
	return w
}

func trunc(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// TestAppendAllocatesNothingWithRoom checks that a command appended to a
// buffer with room for it allocates nothing: the per-command saving the
// raw path is for.
func TestAppendAllocatesNothingWithRoom(t *testing.T) {
	buf := make([]byte, 0, 512)
	value := bytes.Repeat([]byte("v"), 32)
	allocs := testing.AllocsPerRun(1000, func() {
		b := resp.AppendArray(buf[:0], 5)
		b = resp.AppendString(b, "zadd")
		b = resp.AppendBytes(b, value)
		b = resp.AppendInt(b, -42)
		b = resp.AppendFloat(b, 1234.5)
		b = resp.AppendFloat(b, -1)
		buf = b
	})
	if allocs != 0 {
		t.Errorf("%v allocations per command, want 0", allocs)
	}
}
