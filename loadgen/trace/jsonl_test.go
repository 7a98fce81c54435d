package trace_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/trace"
)

func TestJSONLLines(t *testing.T) {
	t.Parallel()
	checkLines(t, trace.JSONL, []line{
		{text: `{"time": 0.000150, "command": "GET", "args": ["user:1"]}`, record: `get "user:1"`, at: 150 * time.Microsecond},
		{text: `{"time": 0.000150, "command": "SET", "args": ["user:1", 100, "EX", "30"]}`, record: `set "user:1" <100 bytes> "EX" "30"`, at: 150 * time.Microsecond},
		{text: `{"time": 2.5, "command": "hset", "args": ["p:7", "name", 12, "avatar", 2048]}`, record: `hset "p:7" "name" <12 bytes> "avatar" <2048 bytes>`, at: 2500 * time.Millisecond},
		{text: `{"time": 0, "command": "RPUSH", "args": ["q", 64, 0]}`, record: `rpush "q" <64 bytes> <0 bytes>`},
		{text: `{"time": 0, "command": "MSET", "args": ["a", 1, "b", 22]}`, record: `mset "a" <1 bytes> "b" <22 bytes>`},
		{text: `{"time": 0, "command": "SETEX", "args": ["k", "60", 3]}`, record: `setex "k" "60" <3 bytes>`},
		{text: `{"time": 0, "command": "ZADD", "args": ["z", "1.5", "m"]}`, record: `zadd "z" "1.5" "m"`},
		{text: `{"time": 0, "command": "gEt", "args": ["k"]}`, record: `get "k"`},
		// Members in any order, unknown ones passed over, whatever they hold.
		{text: `{"args": ["k"], "command": "GET", "time": 3}`, record: `get "k"`, at: 3 * time.Second},
		{text: `{"time": 1, "client": {"addr": "10.0.0.5:52314", "tags": [1, null, true, {"a": []}]}, "command": "GET", "db": 0, "args": ["k"], "x": "y"}`, record: `get "k"`, at: time.Second},
		{text: `{"\u0074ime": 1, "comm\u0061nd": "GET", "\u0061rgs": ["k"]}`, record: `get "k"`, at: time.Second},
		{text: `{"time": 1, "x": 1, "x": {"a": 1, "a": 2}, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: time.Second},
		{text: ` 	{ "time" : 1 , "command" : "GET" , "args" : [ "k" ] } 	`, record: `get "k"`, at: time.Second},
		// Escapes, unescaped into the key: \u, surrogate pairs, the short ones.
		{text: `{"time": 0, "command": "GET", "args": ["caf\u00e9"]}`, record: `get "café"`},
		{text: `{"time": 0, "command": "GET", "args": ["café"]}`, record: `get "café"`},
		{text: `{"time": 0, "command": "GET", "args": ["\ud83d\ude00"]}`, record: `get "😀"`},
		{text: `{"time": 0, "command": "GET", "args": ["\"q\" \\ \/ \b\f\n\r\t \u0000"]}`, record: `get "\"q\" \\ / \b\f\n\r\t \x00"`},
		{text: `{"time": 0, "command": "\u0047ET", "args": ["k"]}`, record: `get "k"`},
		{text: `{"time": 0, "command": "RENAME", "args": ["a\u00e9", "b"]}`, record: `rename "aé" "b"`},
		// Times: exact to the nanosecond, with an exponent or without.
		{text: `{"time": 1700000000.123456, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: epoch + 123456*time.Microsecond},
		{text: `{"time": 0.123456789999, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: 123456789 * time.Nanosecond},
		{text: `{"time": 1.5e-3, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: 1500 * time.Microsecond},
		{text: `{"time": 1e-05, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: 10 * time.Microsecond},
		{text: `{"time": 1E+2, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: 100 * time.Second},
		{text: `{"time": 0.0001e5, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: 10 * time.Second},
		{text: `{"time": 1e-9, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: time.Nanosecond},
		{text: `{"time": 2.5e-10, "command": "GET", "args": ["k"]}`, record: `get "k"`},
		{text: `{"time": 0e999, "command": "GET", "args": ["k"]}`, record: `get "k"`},
		{text: `{"time": 9223372036.854775807, "command": "GET", "args": ["k"]}`, record: `get "k"`, at: 1<<63 - 1},

		// Passed over.
		{text: ``},
		{text: `   `},
		{text: `# a comment`},
		{text: `  # an indented comment`},

		// Skipped, by name.
		{text: `{"time": 0, "command": "EVALSHA", "args": ["abc", "1", "k"]}`, skipped: "evalsha"},
		{text: `{"time": 0, "command": "PING"}`, skipped: "ping"},
		{text: `{"time": 0, "command": "multi", "args": []}`, skipped: "multi"},
		{text: `{"time": 0, "command": "NOSUCH", "args": [1, "x"]}`, skipped: "other"},
		{text: `{"time": 0, "command": "` + strings.Repeat("X", 200) + `"}`, skipped: "other"},

		// Malformed: not JSON, or not one object.
		{text: `hello`, malformed: "not JSON at byte 1: invalid character 'h' at start of value"},
		{text: `{"time": 1, "command": "GET", "args": ["k"]`, malformed: "not JSON: the line ends inside the object"},
		{text: `{"time": 1, "command": "GET", "args": ["k"]} {}`, malformed: "want one JSON object a line, got more after it"},
		{text: `{"time": 1, "command": "GET", "args": ["k"]}x`, malformed: "want one JSON object a line, got more after it"},
		{text: `["GET", "k"]`, malformed: "want a JSON object, got an array"},
		{text: `"GET"`, malformed: "want a JSON object, got a string"},
		{text: `{"time": 1, "command": "GET", "args": ["k",]}`, malformed: "not JSON at byte 43: invalid character ',' at start of value"},
		{text: `{"time": 1, "command": "GET", "args": ["\q"]}`, malformed: "not JSON at byte 41: invalid escape sequence `\\q` in string"},
		{text: `{"time": 1, "command": "GET", "args": ["\ud800"]}`, malformed: "not JSON at byte 41: invalid surrogate pair `\\ud800\"]}` in string"},
		{text: "{\"time\": 1, \"command\": \"GET\", \"args\": [\"\xff\"]}", malformed: "not JSON at byte 41: invalid UTF-8"},
		{text: "{\"time\": 1, \"command\": \"GET\", \"args\": [\"a\tb\"]}", malformed: `not JSON at byte 42: invalid character '\t' in string (expecting non-control character)`},
		{text: `{"time": 01, "command": "GET", "args": ["k"]}`, malformed: "not JSON at byte 11: invalid character '1' after object value (expecting ',' or '}')"},
		// Members: missing, duplicate, of the wrong kind.
		{text: `{"command": "GET", "args": ["k"]}`, malformed: "want a time member"},
		{text: `{"time": 1, "args": ["k"]}`, malformed: "want a command member"},
		{text: `{"time": 1, "time": 2, "command": "GET", "args": ["k"]}`, malformed: `duplicate member "time"`},
		{text: `{"time": 1, "command": "GET", "args": ["k"], "args": ["j"]}`, malformed: `duplicate member "args"`},
		{text: `{"time": 1, "\u0074ime": 2, "command": "GET", "args": ["k"]}`, malformed: `duplicate member "time"`},
		{text: `{"time": 1, "command": "GET", "command": "SET", "args": ["k"]}`, malformed: `duplicate member "command"`},
		{text: `{"time": 1, "command": "GET", "args": [], "x": 1, "args": ["k"]}`, malformed: `duplicate member "args"`},
		{text: `{"time": "1", "command": "GET", "args": ["k"]}`, malformed: "time: want a number of seconds, got a string"},
		{text: `{"time": null, "command": "GET", "args": ["k"]}`, malformed: "time: want a number of seconds, got null"},
		{text: `{"time": -1, "command": "GET", "args": ["k"]}`, malformed: "time: want seconds such as 0.000150, got -1"},
		{text: `{"time": -1e-3, "command": "GET", "args": ["k"]}`, malformed: "time: want seconds such as 0.000150, got -1e-3"},
		{text: `{"time": 9223372037, "command": "GET", "args": ["k"]}`, malformed: "time: want seconds such as 0.000150, got 9223372037"},
		{text: `{"time": 1e30, "command": "GET", "args": ["k"]}`, malformed: "time: want seconds such as 0.000150, got 1e30"},
		{text: `{"time": 1, "command": 7, "args": ["k"]}`, malformed: "command: want a string, got a number"},
		{text: `{"time": 1, "command": "GET", "args": "k"}`, malformed: "args: want an array, got a string"},
		{text: `{"time": 1, "command": "GET", "args": [null]}`, malformed: "word 1: want a string or a number, got null"},
		{text: `{"time": 1, "command": "SET", "args": ["k", [1]]}`, malformed: "word 2: want a string or a number, got an array"},
		{text: `{"time": 1, "command": "SET", "args": ["k", true]}`, malformed: "word 2: want a string or a number, got a boolean"},
		// Arguments: a string where a size is due, a number where a string is.
		{text: `{"time": 1, "command": "SET", "args": ["k", "100"]}`, malformed: `word 2 of set: a value is written as its size, a whole number of bytes up to 536870912; got the string "100"`},
		{text: `{"time": 1, "command": "GET", "args": [5]}`, malformed: "word 1 of get: want a string (a key), got the number 5"},
		{text: `{"time": 1, "command": "SET", "args": ["k", 1, "EX", 30]}`, malformed: "word 4 of set: want a string (only values are sizes), got the number 30"},
		{text: `{"time": 1, "command": "SET", "args": ["k", 1.5]}`, malformed: "word 2 of set: a value is written as its size, a whole number of bytes up to 536870912; got 1.5"},
		{text: `{"time": 1, "command": "SET", "args": ["k", -1]}`, malformed: "word 2 of set: a value is written as its size, a whole number of bytes up to 536870912; got -1"},
		{text: `{"time": 1, "command": "SET", "args": ["k", 1e3]}`, malformed: "word 2 of set: a value is written as its size, a whole number of bytes up to 536870912; got 1e3"},
		{text: `{"time": 1, "command": "SET", "args": ["k", 536870913]}`, malformed: "word 2 of set: a value is written as its size, a whole number of bytes up to 536870912; got 536870913"},
		{text: `{"time": 1, "command": "GET", "args": []}`, malformed: "wrong number of arguments for get: 0"},
		{text: `{"time": 1, "command": "GET"}`, malformed: "wrong number of arguments for get: 0"},
		{text: `{"time": 1, "command": "MSET", "args": ["a", 1, "b"]}`, malformed: "wrong number of arguments for mset: 3"},
	})
}

// TestJSONLTimes reads seeded random times, plain and with exponents, and
// compares each with big.Rat's exact value, truncated to the nanosecond.
func TestJSONLTimes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	const malformed = "malformed"
	var text strings.Builder
	var nums, want []string // by line: the time, and its nanoseconds or malformed
	for range 3000 {
		num := strings.TrimLeft(digits(1+rng.IntN(12)), "0")
		if num == "" {
			num = "0"
		}
		if rng.IntN(4) > 0 {
			num += "." + digits(1+rng.IntN(14))
		}
		if rng.IntN(2) == 0 {
			num += []string{"e", "E", "e+", "e-", "E-"}[rng.IntN(5)] + strconv.Itoa(rng.IntN(25))
		}
		ns, _ := new(big.Rat).SetString(num)
		ns.Mul(ns, big.NewRat(1e9, 1))
		whole := new(big.Int).Quo(ns.Num(), ns.Denom())
		nums = append(nums, num)
		if whole.IsInt64() {
			want = append(want, whole.String())
		} else {
			want = append(want, malformed)
		}
		text.WriteString(`{"time": ` + num + `, "command": "GET", "args": ["k"]}` + "\n")
	}
	var c trace.Counts
	r, err := trace.NewReader(strings.NewReader(text.String()), trace.JSONL, 0, &c)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Repeat([]string{malformed}, len(want))
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[rec.Line-1] = strconv.FormatInt(int64(rec.Time), 10)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %s read as %s ns, want %s", i+1, nums[i], got[i], want[i])
		}
	}
	// Both sides of the range are covered: times over 292 years are
	// malformed.
	if c.MalformedLines < 100 || c.MalformedLines > 2000 {
		t.Errorf("%d of %d times out of range: the test covers too little", c.MalformedLines, len(want))
	}
}

// TestJSONLSample checks that the JSONL sample is the ecbench CSV sample
// in another format: the same records, with the same line numbers, and
// the same commands skipped.
func TestJSONLSample(t *testing.T) {
	t.Parallel()
	samples := map[trace.Format]int{}
	for i, s := range Samples {
		samples[s.Format] = i
	}
	csv, jsonl := Samples[samples[trace.Ecbench]], Samples[samples[trace.JSONL]]
	if !reflect.DeepEqual(csv.Synth, jsonl.Synth) {
		t.Fatalf("%s is written from %+v, %s from %+v", jsonl.File, jsonl.Synth, csv.File, csv.Synth)
	}
	file := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	wantRecords, wantTimes, wantCounts := read(t, trace.Ecbench, file(csv.File))
	records, times, counts := read(t, trace.JSONL, file(jsonl.File))
	if len(wantRecords) < 400 {
		t.Fatalf("%s: only %d records", csv.File, len(wantRecords))
	}
	if !slices.Equal(records, wantRecords) || !slices.Equal(times, wantTimes) {
		t.Errorf("%s and %s differ:\n%.400q\n%.400q", jsonl.File, csv.File, records, wantRecords)
	}
	if !slices.Equal(counts.SkippedByName, wantCounts.SkippedByName) || counts.MalformedLines != 0 {
		t.Errorf("%s: skipped %v, malformed %d; %s skipped %v", jsonl.File, counts.SkippedByName, counts.MalformedLines, csv.File, wantCounts.SkippedByName)
	}
}

// TestJSONLSynth compares longer synthetic traces than the samples: every
// command Synth writes and value sizes up to the largest, malformed lines
// included.
func TestJSONLSynth(t *testing.T) {
	t.Parallel()
	s := trace.Synth{Seed: 9, Requests: 5000, Keys: 1000, Rate: 10_000, Sizes: []int{0, 1, 99, 65536, 536870912}, Skipped: 0.1, Malformed: 0.02}
	text := func(f trace.Format) string {
		var b strings.Builder
		if err := s.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	wantRecords, wantTimes, wantCounts := read(t, trace.Ecbench, text(trace.Ecbench))
	records, times, counts := read(t, trace.JSONL, text(trace.JSONL))
	if !slices.Equal(records, wantRecords) || !slices.Equal(times, wantTimes) {
		t.Errorf("the traces differ:\n%.400q\n%.400q", records, wantRecords)
	}
	if !slices.Equal(counts.SkippedByName, wantCounts.SkippedByName) || counts.MalformedLines != wantCounts.MalformedLines || counts.MalformedLines < 50 {
		t.Errorf("skipped %v, malformed %d; want %v and %d", counts.SkippedByName, counts.MalformedLines, wantCounts.SkippedByName, wantCounts.MalformedLines)
	}
	for i, m := range counts.FirstMalformed {
		if m.Line != wantCounts.FirstMalformed[i].Line {
			t.Errorf("malformed line %d, want %d", m.Line, wantCounts.FirstMalformed[i].Line)
		}
	}
}

// TestJSONLAllocs checks that records and skipped commands cost no
// allocation once the Reader's buffers have grown (a malformed line's
// reason may). It is not parallel: AllocsPerRun counts every allocation in
// the process.
func TestJSONLAllocs(t *testing.T) {
	if poolDrops() {
		t.Skip("sync.Pool drops what is put in it (the race detector): the decoders cannot be counted")
	}
	var b bytes.Buffer
	s := trace.Synth{Seed: 4, Requests: 2000, Keys: 1000, Rate: 10_000, Sizes: []int{1, 100, 5000}, Skipped: 0.05}
	if err := s.Write(&b, trace.JSONL); err != nil {
		t.Fatal(err)
	}
	r, err := trace.NewReader(&endless{data: b.Bytes()}, trace.JSONL, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	for range s.Requests { // every buffer at its size
		next()
	}
	if n := testing.AllocsPerRun(2*s.Requests, next); n != 0 {
		t.Errorf("%v allocations a line, want 0", n)
	}
}

// endless reads data over and over.
type endless struct {
	data []byte
	at   int
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.data[e.at:])
	e.at = (e.at + n) % len(e.data)
	return n, nil
}

// poolDrops reports whether a sync.Pool drops what is put in it, as it
// does a quarter of the time under the race detector.
func poolDrops() bool {
	var p sync.Pool
	for range 64 {
		x := new(int)
		p.Put(x)
		if p.Get() != x {
			return true
		}
	}
	return false
}

func TestJSONLResolution(t *testing.T) {
	t.Parallel()
	if !slices.Contains(trace.Formats(), trace.JSONL) || trace.JSONL.Resolution() != 0 {
		t.Errorf("formats %v, JSONL resolution %v: want jsonl listed, 0", trace.Formats(), trace.JSONL.Resolution())
	}
}

// FuzzJSONL feeds any bytes to a JSONL reader (check: it never fails, and
// its records fit their commands), writes its records back as JSONL lines
// that must read as the same records, and checks each record against what
// encoding/json makes of its line: the same time (exactly, by big.Rat),
// command, keys and literals, and sizes.
func FuzzJSONL(f *testing.F) {
	seeds(f, trace.JSONL,
		`{"time": 0.000150, "command": "SET", "args": ["user:1", 100, "EX", "30"]}`,
		`{"args": ["caf\u00e9 \"q\" \\ \ud83d\ude00"], "command": "get", "time": 1.5e-3, "x": {"y": [1, null]}}`,
		`{"time": 1, "time": 2, "command": "GET", "args": ["k"]}`, `{"time": 1, "command": "SET", "args": ["k", "100"]}`,
		`{"time": 1e-05, "command": "HSET", "args": ["h", "f", 1, "g", 22]}`, `{"time": 1, "command": "GET", "args": [5]}`, "# c\n\n")
	f.Fuzz(func(t *testing.T, data string) {
		got := check(t, trace.JSONL, data)
		again := check(t, trace.JSONL, rewriteJSONL(t, data))
		if strings.Join(renumbered(got), "\n") != strings.Join(renumbered(again), "\n") {
			t.Fatalf("records written back read differently:\n%q\n%q", got, again)
		}
		compareWithEncodingJSON(t, data)
	})
}

// rewriteJSONL writes the records of data back as JSONL, one line each.
func rewriteJSONL(t *testing.T, data string) string {
	r, _ := trace.NewReader(strings.NewReader(data), trace.JSONL, 0, nil)
	var b strings.Builder
	for {
		rec, err := r.Next()
		if err != nil {
			return b.String()
		}
		args := []any{}
		for _, a := range rec.Args {
			if a.Role == trace.Value {
				args = append(args, a.Size)
			} else {
				args = append(args, string(a.Text))
			}
		}
		sec := strconv.FormatInt(int64(rec.Time/1e9), 10) + "." + strconv.FormatInt(1e9+int64(rec.Time%1e9), 10)[1:]
		line, err := json.Marshal(map[string]any{"time": json.Number(sec), "command": rec.Command.Name(), "args": args})
		if err != nil {
			t.Fatalf("record %v: %v", rec, err)
		}
		b.Write(append(line, '\n'))
	}
}

// compareWithEncodingJSON checks each record of data against its line as
// encoding/json reads it.
func compareWithEncodingJSON(t *testing.T, data string) {
	lines := strings.Split(data, "\n")
	r, _ := trace.NewReader(strings.NewReader(data), trace.JSONL, 0, nil)
	for {
		rec, err := r.Next()
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(lines[rec.Line-1]), &m); err != nil {
			t.Fatalf("record %v: encoding/json: %v", rec, err)
		}
		var command string
		var args []json.RawMessage
		var sec json.Number
		if json.Unmarshal(m["command"], &command) != nil || json.Unmarshal(m["time"], &sec) != nil ||
			m["args"] != nil && json.Unmarshal(m["args"], &args) != nil {
			t.Fatalf("record %v: encoding/json reads %q", rec, m)
		}
		if strings.ToLower(command) != rec.Command.Name() || len(args) != len(rec.Args) {
			t.Fatalf("record %v: encoding/json reads %q %q", rec, command, args)
		}
		for i, a := range rec.Args {
			var s string
			if a.Role == trace.Value && string(args[i]) != strconv.Itoa(a.Size) ||
				a.Role != trace.Value && (json.Unmarshal(args[i], &s) != nil || s != string(a.Text)) {
				t.Fatalf("record %v: word %d: encoding/json reads %s", rec, i+1, args[i])
			}
		}
		// big.Rat takes an exponent exactly, but computes its power: keep
		// it small.
		if _, exp, ok := strings.Cut(strings.ToLower(sec.String()), "e"); !ok || len(exp) <= 4 {
			ns, ok := new(big.Rat).SetString(sec.String())
			if !ok {
				t.Fatalf("record %v: big.Rat cannot read %s", rec, sec)
			}
			ns.Mul(ns, big.NewRat(1e9, 1))
			if want := new(big.Int).Quo(ns.Num(), ns.Denom()); !want.IsInt64() || time.Duration(want.Int64()) != rec.Time {
				t.Fatalf("record %v: time %s is %v ns, read as %d", rec, sec, want, rec.Time)
			}
		}
	}
}
