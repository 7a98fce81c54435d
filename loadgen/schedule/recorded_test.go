package schedule_test

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/trace"
)

// traceFile writes a trace of lines in format f and returns its source.
func traceFile(t *testing.T, f trace.Format, lines ...string) trace.Source {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return trace.Source{Path: path, Format: f}
}

// dues returns Due(0) ... Due(n-1), and how many were ok.
func dues(s schedule.Schedule, n int) []time.Duration {
	var out []time.Duration
	for i := range int64(n) {
		at, ok := s.Due(i)
		if !ok {
			break
		}
		out = append(out, at)
	}
	return out
}

const msec = time.Millisecond

func TestRecordedDue(t *testing.T) {
	t.Parallel()
	// An ecbench trace with a tie, a time that goes back (taken as the one
	// before) and lines that are not sent.
	ecbench := []string{
		"time,command,args",
		"10.0,GET,a", "10.5,GET,b", "10.5,PING", "10.5,GET,c", "junk", "11.25,GET,d", "9.0,GET,e", "12.0,GET,f",
	}
	// Twitter's whole seconds: the requests of a second spread across it.
	twitter := []string{
		"0,a,1,0,1,get,0", "0,b,1,0,1,get,0", "0,c,1,0,1,get,0", "0,d,1,0,1,get,0",
		"1,e,1,0,1,get,0", "1,x,1,0,1,flush_all,0", "3,f,1,0,1,get,0", "3,g,1,0,1,get,0",
	}
	monitor := []string{
		`1700000000.000000 [0 127.0.0.1:1] "GET" "a"`,
		`1700000000.000250 [0 127.0.0.1:1] "EVALSHA" "x" "0"`,
		`1700000000.001000 [0 127.0.0.1:1] "SET" "b" "v"`,
	}
	tests := []struct {
		name   string
		format trace.Format
		lines  []string
		speed  float64
		loop   bool
		n      int
		want   []time.Duration
	}{
		{"ecbench", trace.Ecbench, ecbench, 1, false, 10, []time.Duration{0, 500 * msec, 500 * msec, 1250 * msec, 1250 * msec, 2000 * msec}},
		{"ecbench twice as fast", trace.Ecbench, ecbench, 2, false, 10, []time.Duration{0, 250 * msec, 250 * msec, 625 * msec, 625 * msec, 1000 * msec}},
		// Span 2 s over 6 commands: a mean gap of 400 msec before the next pass.
		{"ecbench loop", trace.Ecbench, ecbench, 1, true, 13, []time.Duration{
			0, 500 * msec, 500 * msec, 1250 * msec, 1250 * msec, 2000 * msec,
			2400 * msec, 2900 * msec, 2900 * msec, 3650 * msec, 3650 * msec, 4400 * msec,
			4800 * msec}},
		{"twitter", trace.Twitter, twitter, 1, false, 10, []time.Duration{0, 250 * msec, 500 * msec, 750 * msec, 1000 * msec, 3000 * msec, 3500 * msec}},
		// Span 3 s and the last second spread: the next pass at 4 s.
		{"twitter loop", trace.Twitter, twitter, 1, true, 9, []time.Duration{
			0, 250 * msec, 500 * msec, 750 * msec, 1000 * msec, 3000 * msec, 3500 * msec, 4000 * msec, 4250 * msec}},
		{"twitter slower", trace.Twitter, twitter, 0.5, false, 10, []time.Duration{0, 500 * msec, 1000 * msec, 1500 * msec, 2000 * msec, 6000 * msec, 7000 * msec}},
		{"monitor", trace.Monitor, monitor, 1, false, 5, []time.Duration{0, msec}},
		// One command: a second between passes.
		{"one command loop", trace.Ecbench, []string{"5,GET,a"}, 1, true, 3, []time.Duration{0, time.Second, 2 * time.Second}},
		{"nothing to send", trace.Ecbench, []string{"1,PING", "junk"}, 1, false, 3, nil},
		{"nothing to send, loop", trace.Ecbench, []string{"1,PING", "junk"}, 1, true, 3, nil},
		{"empty", trace.Ecbench, nil, 1, true, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := schedule.NewRecorded(traceFile(t, tt.format, tt.lines...), tt.speed, tt.loop)
			defer s.Close()
			if got := dues(s, tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("Due(0..%d) = %v, want %v", tt.n-1, got, tt.want)
			}
			if err := s.Err(); err != nil {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

// TestRecordedOutOfOrder asks for due times out of order, as no runner
// does: the trace is read again, and the answers are those of a fresh
// schedule asked in order.
func TestRecordedOutOfOrder(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := (trace.Synth{Seed: 4, Requests: 500, Keys: 10, Rate: 1000, Skipped: 0.1, Malformed: 0.02}).Write(&b, trace.Twitter); err != nil {
		t.Fatal(err)
	}
	src := traceFile(t, trace.Twitter, b.String())
	fresh := schedule.NewRecorded(src, 3, true)
	want := dues(fresh, 2000)
	s := schedule.NewRecorded(src, 3, true)
	for _, n := range []int64{1500, 3, 0, 499, 1200, 1999, 10, 450, 451} {
		if at, ok := s.Due(n); !ok || at != want[n] {
			t.Errorf("Due(%d) = %v, %v; want %v", n, at, ok, want[n])
		}
	}
}

// TestRecordedCount checks that Count is Due's inverse: Count(Due(n)) is n
// where Due(n) is not tied, and Count passes n just after.
func TestRecordedCount(t *testing.T) {
	t.Parallel()
	src := traceFile(t, trace.Ecbench, "0,GET,a", "0.1,GET,b", "0.1,GET,c", "0.4,GET,d", "1,GET,e")
	s := schedule.NewRecorded(src, 1, false)
	d := dues(s, 10)
	for n, at := range d {
		tied := n > 0 && d[n-1] == at || n+1 < len(d) && d[n+1] == at
		if c := s.Count(at); !tied && c != float64(n) {
			t.Errorf("Count(Due(%d) = %v) = %v, want %d", n, at, c, n)
		}
		if c := s.Count(at + 1); !(c > float64(n)) {
			t.Errorf("Count(Due(%d)+1ns) = %v, want > %d", n, c, n)
		}
	}
	for _, tc := range []struct {
		at   time.Duration
		want float64
	}{{0, 0}, {-time.Second, 0}, {50 * msec, 0.5}, {250 * msec, 2.5}, {2 * time.Second, 5}} {
		if got := s.Count(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Count(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestRecordedRate(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := (trace.Synth{Seed: 1, Requests: 200, Gaps: []time.Duration{2 * msec}}).Write(&b, trace.Ecbench); err != nil {
		t.Fatal(err)
	}
	s := schedule.NewRecorded(traceFile(t, trace.Ecbench, b.String()), 2, false)
	if r := s.Rate(0); r != 0 {
		t.Errorf("rate before any Due: %v, want 0", r)
	}
	dues(s, 100)
	// 2 msec gaps at twice the speed: 1,000 requests/s.
	if r := s.Rate(time.Hour); math.Abs(r-1000) > 1e-6 {
		t.Errorf("rate %v, want 1000", r)
	}
}

func TestRecordedConcurrent(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := (trace.Synth{Seed: 1, Requests: 2000, Rate: 5000}).Write(&b, trace.Monitor); err != nil {
		t.Fatal(err)
	}
	s := schedule.NewRecorded(traceFile(t, trace.Monitor, b.String()), 1, true)
	var wg sync.WaitGroup
	wg.Go(func() { dues(s, 5000) })
	wg.Go(func() {
		for range 1000 {
			_ = s.Rate(0)
		}
	})
	wg.Wait()
}

func TestRecordedMissingFile(t *testing.T) {
	t.Parallel()
	s := schedule.NewRecorded(trace.Source{Path: filepath.Join(t.TempDir(), "none"), Format: trace.Monitor}, 1, true)
	if at, ok := s.Due(0); ok {
		t.Errorf("Due(0) = %v, ok on a missing file", at)
	}
	if err := s.Err(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Err() = %v, want not exist", err)
	}
}

func TestRecordedPeakRate(t *testing.T) {
	t.Parallel()
	// 250 requests 1 msec apart, 2 s of nothing, 100 more 1 msec apart.
	var lines []string
	at := time.Duration(0)
	for i := range 350 {
		if i == 250 {
			at += 2 * time.Second
		}
		lines = append(lines, strconv.FormatFloat(at.Seconds(), 'f', 6, 64)+",GET,k")
		at += msec
	}
	src := traceFile(t, trace.Ecbench, lines...)
	for _, tc := range []struct {
		speed float64
		want  float64
	}{{1, 250}, {10, 350}, {0.1, 100}} {
		p := &schedule.RecordedParams{Speed: tc.speed, Trace: &src}
		if got := p.PeakRate(); got != tc.want {
			t.Errorf("speed %v: peak %v, want %v", tc.speed, got, tc.want)
		}
	}
	if got := (&schedule.RecordedParams{Speed: 1}).PeakRate(); got != 0 {
		t.Errorf("no trace: peak %v, want 0", got)
	}
}

func TestRecordedParams(t *testing.T) {
	t.Parallel()
	src := trace.Source{Path: "t", Format: trace.Monitor}
	tests := []struct {
		p    *schedule.RecordedParams
		want []string
	}{
		{&schedule.RecordedParams{Speed: 1, Trace: &src}, nil},
		{&schedule.RecordedParams{Speed: 0.001, Trace: &src}, nil},
		{&schedule.RecordedParams{Speed: 0, Trace: &src}, []string{"speed: must be > 0 and at most 10000 (times the recorded pace), got 0"}},
		{&schedule.RecordedParams{Speed: 20000, Trace: &src}, []string{"speed: must be > 0 and at most 10000 (times the recorded pace), got 20000"}},
		{&schedule.RecordedParams{Speed: math.NaN(), Trace: &src}, []string{"speed: must be > 0 and at most 10000 (times the recorded pace), got NaN"}},
		{&schedule.RecordedParams{Speed: 1}, []string{"type: recorded replays a trace's own timing: only a workload of type replay has a trace; give this one another type"}},
	}
	for _, tt := range tests {
		var ps problems
		tt.p.Check(&ps)
		if !slices.Equal(ps.list, tt.want) {
			t.Errorf("speed %v, trace %v: %q, want %q", tt.p.Speed, tt.p.Trace, ps.list, tt.want)
		}
	}
	p := &schedule.RecordedParams{Speed: 1, Trace: &src}
	if _, ok := p.Schedule().(*schedule.Recorded); !ok {
		t.Errorf("Schedule() = %T, want *Recorded", p.Schedule())
	}
	spec := schedule.Spec{Type: "recorded", Params: p}
	if !spec.OpenLoop() {
		t.Error("recorded is not open loop")
	}
}
