package trace_test

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/trace"
)

// The fuzz targets feed any bytes to each format's reader: it must never
// panic or fail (only the file's own read errors fail a Reader), must count
// line numbers up, and must give records whose words fit their command.
// Where a record can be written back in its format (monitor, ecbench), the
// written line must read back as the same record. The seed corpus is the
// samples' first lines and the cases of the parsers' tests.

func seeds(f *testing.F, format trace.Format, extra ...string) {
	var b bytes.Buffer
	if err := (trace.Synth{Seed: 5, Requests: 40, Keys: 5, Rate: 100, Sizes: []int{0, 3, 40}, Skipped: 0.2, Malformed: 0.1}).Write(&b, format); err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		f.Add(l)
	}
	f.Add(b.String())
	for _, e := range extra {
		f.Add(e)
	}
}

// check reads data in format and returns its records; it fails t on what
// a reader must never do.
func check(t *testing.T, format trace.Format, data string) []string {
	r, err := trace.NewReader(strings.NewReader(data), format, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	last := int64(0)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next failed on a trace: %v", err)
		}
		if rec.Line <= last {
			t.Fatalf("line %d after line %d", rec.Line, last)
		}
		last = rec.Line
		if rec.Command == nil || trace.LookupCommand(rec.Command.Name()) != rec.Command || rec.Time < 0 {
			t.Fatalf("record %v: no known command or a negative time", rec)
		}
		for _, a := range rec.Args {
			if a.Role == trace.Value && (a.Text != nil || a.Size < 0) || a.Role != trace.Value && a.Size != 0 {
				t.Fatalf("record %v: word %+v does not fit its role", rec, a)
			}
		}
		out = append(out, rec.String())
	}
}

// rewrite writes the records of data back in format, one line each.
func rewrite(t *testing.T, format trace.Format, data string) string {
	r, _ := trace.NewReader(strings.NewReader(data), format, 0, nil)
	var b strings.Builder
	for {
		rec, err := r.Next()
		if err != nil {
			return b.String()
		}
		sec := strconv.FormatInt(int64(rec.Time/1e9), 10) + "." + strconv.FormatInt(1e9+int64(rec.Time%1e9), 10)[1:]
		words := []string{rec.Command.Name()}
		for _, a := range rec.Args {
			switch {
			case a.Role != trace.Value:
				words = append(words, string(a.Text))
			case format == trace.Monitor:
				words = append(words, strings.Repeat("v", a.Size))
			default:
				words = append(words, strconv.Itoa(a.Size))
			}
		}
		if format == trace.Monitor {
			b.WriteString(sec + " [0 127.0.0.1:1]")
			for _, w := range words {
				b.WriteString(` "` + reprMonitor(w) + `"`)
			}
		} else {
			b.WriteString(sec)
			for _, w := range words {
				b.WriteString(`,"` + strings.ReplaceAll(w, `"`, `""`) + `"`)
			}
		}
		b.WriteString("\n")
	}
}

// reprMonitor escapes s as MONITOR does.
func reprMonitor(s string) string {
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteString(`\` + string(c))
		case c < 0x20 || c >= 0x7f:
			b.WriteString(`\x` + strconv.FormatUint(uint64(c)|0x100, 16)[1:])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// renumbered drops the line numbers of Record.String's text.
func renumbered(records []string) []string {
	out := make([]string, len(records))
	for i, r := range records {
		_, out[i], _ = strings.Cut(r, ": ")
	}
	return out
}

func roundTrip(t *testing.T, format trace.Format, data string) {
	got := check(t, format, data)
	again := check(t, format, rewrite(t, format, data))
	if strings.Join(renumbered(got), "\n") != strings.Join(renumbered(again), "\n") {
		t.Fatalf("records written back read differently:\n%q\n%q", got, again)
	}
}

func FuzzMonitor(f *testing.F) {
	seeds(f, trace.Monitor,
		`1700000000.123456 [0 127.0.0.1:6379] "SET" "a\"b\\c" "\x00\xffq\r\n\t\a\b"`,
		`1 [0 [::1]:1] "HSET" "h" "f1" "v" "f2" "vv"`, "OK\n", `1 [0 c] "GET" "k`, `1 [0 c] "MSET" "a" "1" "b"`)
	f.Fuzz(func(t *testing.T, data string) { roundTrip(t, trace.Monitor, data) })
}

func FuzzTwitter(f *testing.F) {
	seeds(f, trace.Twitter, "1,a,b,c,3,0,4,get,0", "1,k,1,96,4,replace,30", "1,k,1,0,4,gat,0", "1,,1,0,4,get,0")
	f.Fuzz(func(t *testing.T, data string) { check(t, trace.Twitter, data) })
}

func FuzzEcbench(f *testing.F) {
	seeds(f, trace.Ecbench, `0,"SET","key, with a comma",10`, `0,GET,"say ""hi"""`, `0,GET,"k"x`, "2.5,hset,p:7,name,12,avatar,2048")
	f.Fuzz(func(t *testing.T, data string) { roundTrip(t, trace.Ecbench, data) })
}
