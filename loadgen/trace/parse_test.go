package trace_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// read returns every record of the trace text as Record.String writes it,
// with its time, and what the reader passed over.
func read(t *testing.T, f trace.Format, text string) (records []string, times []time.Duration, c trace.Counts) {
	t.Helper()
	r, err := trace.NewReader(strings.NewReader(text), f, 0, &c)
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return records, times, c
		}
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, rec.String())
		times = append(times, rec.Time)
	}
}

func skippedNames(c trace.Counts) []string {
	names := trace.SkippedNames()
	var out []string
	for i, n := range c.SkippedByName {
		for range n {
			out = append(out, names[i])
		}
	}
	return out
}

// line is one line of a trace and what a Reader makes of it: a record as
// Record.String writes it (with its line number 1), a skipped command's
// name, or a malformed line's reason; none of them for a line passed over.
type line struct {
	text      string
	record    string
	at        time.Duration
	skipped   string
	malformed string
}

func checkLines(t *testing.T, f trace.Format, tests []line) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			records, times, c := read(t, f, tt.text+"\n")
			var want []string
			if tt.record != "" {
				want = []string{"1: " + tt.record}
			}
			if !slices.Equal(records, want) {
				t.Errorf("records %q, want %q", records, want)
			}
			if tt.record != "" && len(times) == 1 && times[0] != tt.at {
				t.Errorf("time %v, want %v", times[0], tt.at)
			}
			var wantSkipped []string
			if tt.skipped != "" {
				wantSkipped = []string{tt.skipped}
			}
			if got := skippedNames(c); !slices.Equal(got, wantSkipped) {
				t.Errorf("skipped %q, want %q", got, wantSkipped)
			}
			var wantMalformed []trace.Malformed
			if tt.malformed != "" {
				wantMalformed = []trace.Malformed{{Line: 1, Reason: tt.malformed}}
			}
			if !slices.Equal(c.FirstMalformed, wantMalformed) || c.MalformedLines != int64(len(wantMalformed)) {
				t.Errorf("malformed %d %v, want %v", c.MalformedLines, c.FirstMalformed, wantMalformed)
			}
		})
	}
}

const epoch = 1_700_000_000 * time.Second

func TestMonitorLines(t *testing.T) {
	t.Parallel()
	checkLines(t, trace.Monitor, []line{
		{text: `1700000000.123456 [0 127.0.0.1:6379] "SET" "user:1" "hello"`, record: `set "user:1" <5 bytes>`, at: epoch + 123456*time.Microsecond},
		{text: `1700000000.5 [0 127.0.0.1:6379] "get" "k"`, record: `get "k"`, at: epoch + 500*time.Millisecond},
		{text: `1700000000.000001 [3 lua] "INCR" "hits"`, record: `incr "hits"`, at: epoch + time.Microsecond},
		{text: `1700000000.000001 [0 [::1]:52426] "GET" "k"`, record: `get "k"`, at: epoch + time.Microsecond},
		{text: `1700000000.000001 [0 unix:/tmp/redis.sock] "GET" "k"`, record: `get "k"`, at: epoch + time.Microsecond},
		// Escapes: the value's size is what it stands for; keys are unescaped.
		{text: `1 [0 c] "SET" "a\"b\\c" "\x00\xffq\r\n\t\a\b"`, record: `set "a\"b\\c" <8 bytes>`, at: time.Second},
		{text: `1 [0 c] "SET" "k" "v" "EX" "10"`, record: `set "k" <1 bytes> "EX" "10"`, at: time.Second},
		{text: `1 [0 c] "SET" "k" ""`, record: `set "k" <0 bytes>`, at: time.Second},
		{text: `1 [0 c] "MSET" "a" "1" "b" "22"`, record: `mset "a" <1 bytes> "b" <2 bytes>`, at: time.Second},
		{text: `1 [0 c] "HSET" "h" "f1" "v" "f2" "vv"`, record: `hset "h" "f1" <1 bytes> "f2" <2 bytes>`, at: time.Second},
		{text: `1 [0 c] "LPUSH" "l" "a" "bb" "ccc"`, record: `lpush "l" <1 bytes> <2 bytes> <3 bytes>`, at: time.Second},
		{text: `1 [0 c] "SETEX" "k" "60" "abc"`, record: `setex "k" "60" <3 bytes>`, at: time.Second},
		{text: `1 [0 c] "DEL" "a" "b"`, record: `del "a" "b"`, at: time.Second},
		{text: `1 [0 c] "ZADD" "z" "1.5" "m"`, record: `zadd "z" "1.5" "m"`, at: time.Second},
		{text: `1 [0 c] "RENAME" "a" "b"`, record: `rename "a" "b"`, at: time.Second},

		// Passed over.
		{text: `OK`},
		{text: ``},

		// Skipped, by name.
		{text: `1 [0 c] "EVALSHA" "abc" "1" "k"`, skipped: "evalsha"},
		{text: `1 [0 c] "multi"`, skipped: "multi"},
		{text: `1 [0 c] "PING"`, skipped: "ping"},
		{text: `1 [0 c] "FOO.BAR" "x"`, skipped: "other"},
		{text: `1 [0 c] "` + strings.Repeat("X", 200) + `"`, skipped: "other"},

		// Malformed.
		{text: `hello`, malformed: "want a timestamp, [db client] and a quoted command"},
		{text: `x.5 [0 c] "GET" "k"`, malformed: `timestamp: want seconds such as 1700000000.123456, got "x.5"`},
		{text: `1. [0 c] "GET" "k"`, malformed: `timestamp: want seconds such as 1700000000.123456, got "1."`},
		{text: `99999999999 [0 c] "GET" "k"`, malformed: `timestamp: want seconds such as 1700000000.123456, got "99999999999"`},
		{text: `1 0 c "GET" "k"`, malformed: "want [db client] and a quoted command after the timestamp"},
		{text: `1 [0 c] "GET" "k`, malformed: "unterminated quoted word"},
		{text: `1 [0 c] "GET" k`, malformed: "want a quoted word at byte 15"},
		{text: `1 [0 c] "GET"  "k"`, malformed: "want a quoted word at byte 15"},
		{text: `1 [0 c] "GET" "k" `, malformed: "want one space between quoted words at byte 18"},
		{text: `1 [0 c] "GET""k"`, malformed: "want one space between quoted words at byte 14"},
		{text: `1 [0 c] "GET"`, malformed: "wrong number of arguments for get: 0"},
		{text: `1 [0 c] "GET" "a" "b"`, malformed: "wrong number of arguments for get: 2"},
		{text: `1 [0 c] "MSET" "a" "1" "b"`, malformed: "wrong number of arguments for mset: 3"},
		{text: `1 [0 c] "SET" "k" "\xzz"`, malformed: "word 2 of set: bad escape"},
		{text: `1 [0 c] "GET" "\q"`, malformed: "word 1 of get: bad escape"},
		{text: `1 [0 c] "G\xET" "k"`, malformed: "bad escape in the command's name"},
	})
}

func TestTwitterLines(t *testing.T) {
	t.Parallel()
	checkLines(t, trace.Twitter, []line{
		{text: `0,q:q:1:8WTfjZU,14,0,12,get,0`, record: `get "q:q:1:8WTfjZU"`},
		{text: `7,k,1,0,12,gets,0`, record: `get "k"`, at: 7 * time.Second},
		{text: `1,k,1,96,4,set,0`, record: `set "k" <96 bytes>`, at: time.Second},
		{text: `1,k,1,96,4,set,3600`, record: `set "k" <96 bytes> "EX" "3600"`, at: time.Second},
		{text: `1,k,1,96,4,add,0`, record: `set "k" <96 bytes> "NX"`, at: time.Second},
		{text: `1,k,1,96,4,replace,30`, record: `set "k" <96 bytes> "XX" "EX" "30"`, at: time.Second},
		{text: `1,k,1,96,4,cas,0`, record: `set "k" <96 bytes> "XX"`, at: time.Second},
		{text: `1,k,1,8,4,append,0`, record: `append "k" <8 bytes>`, at: time.Second},
		{text: `1,k,1,8,4,prepend,0`, record: `append "k" <8 bytes>`, at: time.Second},
		{text: `1,k,1,0,4,delete,0`, record: `del "k"`, at: time.Second},
		{text: `1,k,1,0,4,incr,0`, record: `incr "k"`, at: time.Second},
		{text: `1,k,1,0,4,decr,0`, record: `decr "k"`, at: time.Second},
		{text: `1,k,1,0,4,touch,60`, record: `expire "k" "60"`, at: time.Second},
		{text: `1,k,1,0,4,touch,0`, record: `persist "k"`, at: time.Second},
		{text: `1,k,1,0,4,gat,60`, record: `getex "k" "EX" "60"`, at: time.Second},
		{text: `1,k,1,0,4,GET,0`, record: `get "k"`, at: time.Second},
		{text: `1,a,b,c,3,0,4,get,0`, record: `get "a,b,c"`, at: time.Second}, // a key with commas
		{text: `1.25,k,1,0,4,get,0`, record: `get "k"`, at: 1250 * time.Millisecond},

		{text: `timestamp,key,key size,value size,client id,operation,TTL`},
		{text: ``},
		{text: `1,k,1,0,4,flush_all,0`, skipped: "other"},

		{text: `1,k,1,0,get,0`, malformed: "want 7 comma-separated fields: timestamp, anonymized key, key size, value size, client id, operation, TTL"},
		{text: `nope`, malformed: "want 7 comma-separated fields: timestamp, anonymized key, key size, value size, client id, operation, TTL"},
		{text: `x,k,1,0,4,get,0`, malformed: `timestamp: want seconds, got "x"`},
		{text: `1,,1,0,4,get,0`, malformed: "the key is empty"},
		{text: `1,k,-1,0,4,get,0`, malformed: `key size: want a whole number of bytes, got "-1"`},
		{text: `1,k,1,1e3,4,set,0`, malformed: `value size: want a whole number of bytes, got "1e3"`},
		{text: `1,k,1,999999999999,4,set,0`, malformed: `value size: want a whole number of bytes, got "999999999999"`},
		{text: `1,k,1,0,4,get,-5`, malformed: `TTL: want whole seconds, got "-5"`},
	})
}

func TestEcbenchLines(t *testing.T) {
	t.Parallel()
	checkLines(t, trace.Ecbench, []line{
		{text: `0.000150,GET,user:1`, record: `get "user:1"`, at: 150 * time.Microsecond},
		{text: `1,SET,user:1,100,EX,30`, record: `set "user:1" <100 bytes> "EX" "30"`, at: time.Second},
		{text: `2.5,hset,p:7,name,12,avatar,2048`, record: `hset "p:7" "name" <12 bytes> "avatar" <2048 bytes>`, at: 2500 * time.Millisecond},
		{text: `0,RPUSH,q,64,64`, record: `rpush "q" <64 bytes> <64 bytes>`},
		{text: `0,"SET","key, with a comma",10`, record: `set "key, with a comma" <10 bytes>`},
		{text: `0,GET,"say ""hi"""`, record: `get "say \"hi\""`},
		{text: `0,SET,k,"7"`, record: `set "k" <7 bytes>`},
		{text: `0.123456789999,GET,k`, record: `get "k"`, at: 123456789 * time.Nanosecond},

		{text: `time,command,args`},
		{text: `# a comment`},
		{text: ``},
		{text: `0,EVAL,return 1,0`, skipped: "eval"},
		{text: `0,NOSUCH`, skipped: "other"},

		{text: `0`, malformed: "want time,command[,argument...]"},
		{text: `-1,GET,k`, malformed: `time: want seconds such as 12.000150, got "-1"`},
		{text: `0,SET,k,big`, malformed: `word 2 of set: a value is written as its size, a whole number of bytes up to 536870912; got "big"`},
		{text: `0,SET,k,99999999999999999999`, malformed: `word 2 of set: a value is written as its size, a whole number of bytes up to 536870912; got "99999999999999999999"`},
		{text: `0,GET,"k`, malformed: "unterminated quoted field"},
		{text: `0,GET,"k"x`, malformed: "want a comma after a quoted field"},
		{text: `0,GET`, malformed: "wrong number of arguments for get: 0"},
	})
}

// TestReaderLines checks what every format shares: line endings, a last
// line without one, line numbers across passed-over lines, and lines over
// the limit, which are malformed and read past without being held.
func TestReaderLines(t *testing.T) {
	t.Parallel()
	long := `1,SET,k,` + strings.Repeat("1", trace.MinMaxLine) // a line over the limit
	tests := []struct {
		name      string
		text      string
		records   []string
		malformed []trace.Malformed
	}{
		{"crlf", "0,GET,a\r\n0,GET,b\r\n", []string{`1: get "a"`, `2: get "b"`}, nil},
		{"no final newline", "0,GET,a\n0,GET,b", []string{`1: get "a"`, `2: get "b"`}, nil},
		{"numbers", "# c\n\n0,GET,a\nbad\n0,GET,b\n", []string{`3: get "a"`, `5: get "b"`},
			[]trace.Malformed{{Line: 4, Reason: "want time,command[,argument...]"}}},
		{"too long", "0,GET,a\n" + long + "\n0,GET,b\n", []string{`1: get "a"`, `3: get "b"`},
			[]trace.Malformed{{Line: 2, Reason: "longer than 65536 bytes"}}},
		{"too long at the end", "0,GET,a\n" + long, []string{`1: get "a"`},
			[]trace.Malformed{{Line: 2, Reason: "longer than 65536 bytes"}}},
		{"long but fits", "0,GET," + strings.Repeat("k", trace.MinMaxLine-10) + "\n0,GET,b\n",
			[]string{`1: get "` + strings.Repeat("k", trace.MinMaxLine-10) + `"`, `2: get "b"`}, nil},
		{"empty", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			records, _, c := read(t, trace.Ecbench, tt.text)
			if !slices.Equal(records, tt.records) {
				t.Errorf("records %.200q, want %.200q", records, tt.records)
			}
			if !slices.Equal(c.FirstMalformed, tt.malformed) {
				t.Errorf("malformed %v, want %v", c.FirstMalformed, tt.malformed)
			}
		})
	}
}

func TestMaxReported(t *testing.T) {
	t.Parallel()
	_, _, c := read(t, trace.Ecbench, strings.Repeat("bad\n", 12)+"0,GET,k\n")
	if c.MalformedLines != 12 || len(c.FirstMalformed) != trace.MaxReported || c.FirstMalformed[4].Line != 5 {
		t.Errorf("counted %d, kept %v; want 12 and the first %d", c.MalformedLines, c.FirstMalformed, trace.MaxReported)
	}
}

func TestUnknownFormat(t *testing.T) {
	t.Parallel()
	if _, err := trace.NewReader(bytes.NewReader(nil), "csv", 0, nil); err == nil ||
		err.Error() != `unknown trace format "csv": want one of monitor, twitter, ecbench, jsonl` {
		t.Errorf("got %v", err)
	}
}

// TestCommandTable checks the table's own consistency: names are lower
// case, a command is never both sent and skipped, and LookupCommand finds
// every name in any case.
func TestCommandTable(t *testing.T) {
	t.Parallel()
	skipped := trace.SkippedNames()
	if skipped[len(skipped)-1] != trace.Other {
		t.Errorf("last skipped name %q, want %q", skipped[len(skipped)-1], trace.Other)
	}
	for _, name := range trace.CommandNames() {
		if name != strings.ToLower(name) || slices.Contains(skipped, name) {
			t.Errorf("command %q: not lower case, or also skipped", name)
		}
		if c := trace.LookupCommand(strings.ToUpper(name)); c == nil || c.Name() != name {
			t.Errorf("LookupCommand(%q) = %v", strings.ToUpper(name), c)
		}
	}
	if c := trace.LookupCommand("eval"); c != nil {
		t.Errorf("LookupCommand(eval) = %v, want nil", c.Name())
	}
}

func TestResolution(t *testing.T) {
	t.Parallel()
	for f, want := range map[trace.Format]time.Duration{trace.Twitter: time.Second, trace.Monitor: 0, trace.Ecbench: 0} {
		if got := f.Resolution(); got != want {
			t.Errorf("%s: %v, want %v", f, got, want)
		}
	}
}
