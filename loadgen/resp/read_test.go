package resp_test

import (
	"bufio"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
)

func reader(s string, size int) *bufio.Reader {
	return bufio.NewReaderSize(strings.NewReader(s), size)
}

// TestReadReply reads one reply of each shape and checks its summary, and
// that the reader stops exactly at its end (the next reply reads).
func TestReadReply(t *testing.T) {
	t.Parallel()
	nested := "*3\r\n*2\r\n$1\r\na\r\n*1\r\n:5\r\n$-1\r\n*0\r\n"
	tests := []struct {
		name  string
		reply string
		want  resp.Reply
	}{
		{"status", "+OK\r\n", resp.Reply{Kind: resp.KindStatus}},
		{"empty status", "+\r\n", resp.Reply{Kind: resp.KindStatus}},
		{"error", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
			resp.Reply{Kind: resp.KindError, Err: resp.Error("WRONGTYPE Operation against a key holding the wrong kind of value")}},
		{"int", ":42\r\n", resp.Reply{Kind: resp.KindInt, Int: 42}},
		{"zero", ":0\r\n", resp.Reply{Kind: resp.KindInt}},
		{"negative", ":-7\r\n", resp.Reply{Kind: resp.KindInt, Int: -7}},
		{"int64 max", ":9223372036854775807\r\n", resp.Reply{Kind: resp.KindInt, Int: math.MaxInt64}},
		{"int64 min", ":-9223372036854775808\r\n", resp.Reply{Kind: resp.KindInt, Int: math.MinInt64}},
		{"bulk", "$5\r\nhello\r\n", resp.Reply{Kind: resp.KindBulk, Len: 5}},
		{"bulk with CRLF inside", "$4\r\n\r\n\r\n\r\n", resp.Reply{Kind: resp.KindBulk, Len: 4}},
		{"empty bulk", "$0\r\n\r\n", resp.Reply{Kind: resp.KindBulk}},
		{"nil bulk", "$-1\r\n", resp.Reply{Kind: resp.KindNil}},
		{"nil array", "*-1\r\n", resp.Reply{Kind: resp.KindNil}},
		{"empty array", "*0\r\n", resp.Reply{Kind: resp.KindArray, AllNil: true}},
		{"array", "*2\r\n$1\r\na\r\n$2\r\nbc\r\n", resp.Reply{Kind: resp.KindArray, Len: 2}},
		{"array of nils", "*3\r\n$-1\r\n$-1\r\n*-1\r\n", resp.Reply{Kind: resp.KindArray, Len: 3, AllNil: true}},
		{"array with one value", "*3\r\n$-1\r\n$1\r\nx\r\n$-1\r\n", resp.Reply{Kind: resp.KindArray, Len: 3}},
		{"array with an error", "*2\r\n$-1\r\n-ERR x\r\n", resp.Reply{Kind: resp.KindArray, Len: 2}},
		{"array of empties", "*2\r\n*0\r\n$0\r\n\r\n", resp.Reply{Kind: resp.KindArray, Len: 2}},
		{"nested", nested, resp.Reply{Kind: resp.KindArray, Len: 3}},
		{"nested nils only inside", "*1\r\n*2\r\n$-1\r\n$-1\r\n", resp.Reply{Kind: resp.KindArray, Len: 1}},
		{"deep", strings.Repeat("*1\r\n", resp.MaxDepth) + ":1\r\n", resp.Reply{Kind: resp.KindArray, Len: 1}},
		{"long status", "+" + strings.Repeat("s", 100) + "\r\n", resp.Reply{Kind: resp.KindStatus}},
		{"long error", "-ERR " + strings.Repeat("e", 100) + "\r\n", resp.Reply{Kind: resp.KindError, Err: resp.Error("ERR " + strings.Repeat("e", 100))}},
		{"long elements", "*2\r\n+" + strings.Repeat("s", 100) + "\r\n-" + strings.Repeat("e", 100) + "\r\n", resp.Reply{Kind: resp.KindArray, Len: 2}},
		{"long bulk", "$100\r\n" + strings.Repeat("b", 100) + "\r\n", resp.Reply{Kind: resp.KindBulk, Len: 100}},
	}
	for _, tc := range tests {
		for _, size := range []int{16, 4096} { // 16: bufio's smallest, every line above is longer
			t.Run(tc.name+"/buffer "+strconv.Itoa(size), func(t *testing.T) {
				r := reader(tc.reply+":1\r\n", size)
				var got resp.Reply
				if err := resp.ReadReply(r, &got); err != nil {
					t.Fatalf("ReadReply: %v", err)
				}
				if got != tc.want {
					t.Errorf("got %+v, want %+v", got, tc.want)
				}
				if err := resp.ReadReply(r, &got); err != nil || got.Kind != resp.KindInt || got.Int != 1 {
					t.Errorf("the next reply: %+v, %v; want :1 (the reader did not stop at the reply's end)", got, err)
				}
			})
		}
	}
}

// TestReadReplyProtocolErrors checks that what is not RESP2 is an error
// wrapping ErrProtocol (or the reader's own error at a cut), never a
// panic or a reply.
func TestReadReplyProtocolErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply string
		want  error // nil: ErrProtocol
	}{
		{"unknown type", "?what\r\n", nil},
		{"RESP3 null", "_\r\n", nil},
		{"RESP3 map", "%1\r\n+a\r\n+b\r\n", nil},
		{"no CR", "+OK\n", nil},
		{"empty line", "\r\n", nil},
		{"bad integer", ":4x2\r\n", nil},
		{"empty integer", ":\r\n", nil},
		{"plus sign", ":+1\r\n", nil},
		{"integer overflow", ":9223372036854775808\r\n", nil},
		{"too many digits", ":00000000000000000001\r\n", nil},
		{"bad bulk length", "$x\r\n", nil},
		{"negative bulk length", "$-2\r\n", nil},
		{"bulk over the bound", "$" + strconv.Itoa(resp.MaxBulkLen+1) + "\r\n", nil},
		{"huge bulk", "$9223372036854775807\r\n", nil},
		{"bulk without CRLF", "$2\r\nabXY", nil},
		{"negative array length", "*-5\r\n", nil},
		{"array over the bound", "*" + strconv.Itoa(resp.MaxArrayLen+1) + "\r\n", nil},
		{"too deep", strings.Repeat("*1\r\n", resp.MaxDepth+1) + ":1\r\n", nil},
		{"bad element", "*2\r\n:1\r\n!x\r\n", nil},
		{"bad element integer", "*1\r\n:y\r\n", nil},
		{"long integer line", ":" + strings.Repeat("1", 40) + "\r\n", nil},
		{"long element length", "*1\r\n$" + strings.Repeat("1", 40) + "\r\n", nil},
		{"error over the bound", "-" + strings.Repeat("e", resp.MaxErrorLen+1) + "\r\n", nil},
		{"nothing", "", io.EOF},
		{"cut line", "+OK", io.EOF},
		{"cut bulk", "$10\r\nabc", io.EOF},
		{"cut array", "*3\r\n:1\r\n", io.EOF},
		{"cut long error", "-" + strings.Repeat("e", 100), io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got resp.Reply
			err := resp.ReadReply(reader(tc.reply, 16), &got)
			want := tc.want
			if want == nil {
				want = resp.ErrProtocol
			}
			if !errors.Is(err, want) {
				t.Errorf("ReadReply(%.40q) = %+v, %v; want %v", tc.reply, got, err, want)
			}
		})
	}
}

// TestErrorsClassifyAsGoRedis reads server error replies with go-redis
// and with this package and checks that both give the same message and
// the same class (result.Classify), for every prefix Classify knows.
func TestErrorsClassifyAsGoRedis(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{
		"ERR unknown command 'x', with args beginning with: ",
		"WRONGTYPE Operation against a key holding the wrong kind of value",
		"OOM command not allowed when used memory > 'maxmemory'.",
		"MOVED 3999 127.0.0.1:6381",
		"ASK 3999 127.0.0.1:6381",
		"READONLY You can't write against a read only replica.",
		"LOADING Redis is loading the dataset in memory",
		"NOAUTH Authentication required.",
		"WRONGPASS invalid username-password pair or user is disabled.",
		"NOPERM User x has no permissions to run the 'get' command",
		"ERR invalid password",
		"ERR max number of clients reached",
		"CLUSTERDOWN The cluster is down",
		"TRYAGAIN Multiple keys request during rehashing of slot",
		"CROSSSLOT Keys in request don't hash to the same slot",
		"BUSY Redis is busy running a script.",
		"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
		"EXECABORT Transaction discarded because of previous errors.",
		"NOSCRIPT No matching script.",
		"",
		"ERR",
	} {
		t.Run(msg, func(t *testing.T) {
			line := "-" + msg + "\r\n"
			_, _, want := goRedisExchange(t, line, "get", "k")
			var got resp.Reply
			if err := resp.ReadReply(reader(line, 4096), &got); err != nil {
				t.Fatal(err)
			}
			var gr redis.Error
			if !errors.As(want, &gr) || !errors.As(got.Err, &gr) {
				t.Fatalf("go-redis %T %v, raw %T %v: want both a redis.Error", want, want, got.Err, got.Err)
			}
			if got.Err.Error() != want.Error() {
				t.Errorf("message %q, go-redis %q", got.Err.Error(), want.Error())
			}
			if g, w := result.Classify(got.Err), result.Classify(want); g != w {
				t.Errorf("class %v, go-redis %v", g, w)
			}
		})
	}
}

// TestRepliesReadAsGoRedis checks the kinds against go-redis' reading of
// the same reply: a nil is redis.Nil there, an error a redis.Error, and
// anything else a value.
func TestRepliesReadAsGoRedis(t *testing.T) {
	t.Parallel()
	for _, reply := range []string{
		"+OK\r\n", ":3\r\n", "$2\r\nab\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
		"*2\r\n$-1\r\n$-1\r\n", "*2\r\n*1\r\n:1\r\n-ERR inner\r\n", "-ERR outer\r\n",
	} {
		t.Run(strconv.Quote(reply), func(t *testing.T) {
			_, val, err := goRedisExchange(t, reply, "x")
			var got resp.Reply
			if rerr := resp.ReadReply(reader(reply, 4096), &got); rerr != nil {
				t.Fatal(rerr)
			}
			switch {
			case errors.Is(err, redis.Nil):
				if got.Kind != resp.KindNil {
					t.Errorf("go-redis: redis.Nil; raw: %v", got.Kind)
				}
			case err != nil:
				if got.Kind != resp.KindError || got.Err.Error() != err.Error() {
					t.Errorf("go-redis: error %v; raw: %+v", err, got)
				}
			default:
				if got.Kind == resp.KindNil || got.Kind == resp.KindError {
					t.Errorf("go-redis: value %v; raw: %+v", val, got)
				}
				if vs, ok := val.([]any); ok && len(vs) != got.Len {
					t.Errorf("go-redis: %d elements; raw: %d", len(vs), got.Len)
				}
			}
		})
	}
}

// TestReadReplyAllocatesNothing checks that reading replies allocates
// nothing in steady state, whatever their size, and that a reply
// claiming a huge length allocates nothing for it either.
func TestReadReplyAllocatesNothing(t *testing.T) {
	stream := strings.Repeat("+OK\r\n$32\r\n"+strings.Repeat("v", 32)+"\r\n$-1\r\n:12345\r\n*3\r\n$1\r\na\r\n$-1\r\n*1\r\n:1\r\n$100000\r\n"+strings.Repeat("x", 100_000)+"\r\n", 10)
	src := strings.NewReader(stream)
	r := bufio.NewReaderSize(src, 32<<10)
	var rep resp.Reply
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(stream)
		r.Reset(src)
		for {
			if err := resp.ReadReply(r, &rep); err != nil {
				break
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per pass over 60 replies, want 0", allocs)
	}
	huge := "$" + strconv.Itoa(resp.MaxBulkLen) + "\r\nshort"
	allocs = testing.AllocsPerRun(100, func() {
		_ = resp.ReadReply(reader(huge, 16), &rep)
	})
	if allocs > 3 { // the reader and its 16-byte buffer; nothing of the claimed length
		t.Errorf("%v allocations for a bulk claiming %d bytes", allocs, resp.MaxBulkLen)
	}
}
