package cpuuse

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseHost(t *testing.T) {
	const stat = "cpu  30 0 30 30 0 0 0 10 0 0\n" +
		"cpu0 10 0 10 10 0 0 0 9 0 0\n" +
		"cpu1 20 0 20 20 0 0 0 1 0 0\n" +
		"intr 12345 0 0\n"
	cpu1 := func(n int) bool { return n == 1 }
	for _, tc := range []struct {
		name, in string
		only     func(int) bool
		want     Host
		err      string
	}{
		{name: "aggregate", in: stat, want: Host{Total: 100, Steal: 10}},
		// The process runs on CPU 1 only: CPU 0's steal is not its.
		{name: "the process's CPUs", in: stat, only: cpu1, want: Host{Total: 61, Steal: 1}},
		{name: "both CPUs", in: stat, only: func(n int) bool { return n < 2 }, want: Host{Total: 100, Steal: 10}},
		{name: "none of its CPUs listed: aggregate", in: stat, only: func(n int) bool { return n == 7 }, want: Host{Total: 100, Steal: 10}},
		{name: "kernel 5+", in: "cpu  23828 0 10016 26061 572 0 3268 8655 0 0\n",
			want: Host{Total: 23828 + 10016 + 26061 + 572 + 3268 + 8655, Steal: 8655}},
		{name: "no guest fields, no newline", in: "cpu 1 2 3 4 5 6 7 8", want: Host{Total: 36, Steal: 8}},
		{name: "too few fields", in: "cpu 1 2 3 4 5 6 7\n", err: `cpu line has 7 fields, want at least 8: "cpu 1 2 3 4 5 6 7"`},
		{name: "not a number", in: "cpu 1 2 x 4 5 6 7 8\n", err: "cpu field 3"},
		{name: "empty", in: "", err: "/proc/stat: no cpu line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHost(strings.NewReader(tc.in), tc.only)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseHost = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestBetween(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(wall, proc time.Duration, total, steal uint64, ok bool) Sample {
		return Sample{At: t0.Add(wall), Process: proc, Host: Host{Total: total, Steal: steal}, HostOK: ok}
	}
	for _, tc := range []struct {
		name       string
		a, b       Sample
		cpus       int
		busy       float64
		steal      float64
		stealKnown bool
	}{
		{name: "half of one CPU", a: at(0, 0, 0, 0, true), b: at(time.Second, 500*time.Millisecond, 200, 0, true), cpus: 1, busy: 0.5, stealKnown: true},
		{name: "one of two CPUs", a: at(0, 0, 0, 0, true), b: at(time.Second, time.Second, 200, 0, true), cpus: 2, busy: 0.5, stealKnown: true},
		// 25% of the host's time stolen: 0.75 s of CPU in a second is all
		// that one CPU had to give.
		{name: "all a stolen-from CPU had", a: at(0, 0, 100, 10, true), b: at(time.Second, 750*time.Millisecond, 300, 60, true), cpus: 1,
			busy: 1, steal: 0.25, stealKnown: true},
		{name: "capped at 1", a: at(0, 0, 0, 0, false), b: at(time.Second, 2*time.Second, 0, 0, false), cpus: 1, busy: 1},
		{name: "steal unknown off Linux", a: at(0, 0, 0, 0, false), b: at(2*time.Second, 500*time.Millisecond, 0, 0, false), cpus: 1, busy: 0.25},
		{name: "no time passed", a: at(0, 0, 5, 0, true), b: at(0, 0, 5, 0, true), cpus: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iv := Between(tc.a, tc.b, tc.cpus)
			if !near(iv.Busy, tc.busy) || !near(iv.Steal, tc.steal) || iv.StealKnown != tc.stealKnown {
				t.Fatalf("Between = %+v; want busy %v, steal %v (known %v)", iv, tc.busy, tc.steal, tc.stealKnown)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestMeterReadsThisProcess checks the meter against the real process and
// host: CPU time spent spinning shows as a busy share in (0, 1], and the
// intervals' shares sum up in Usage. It asserts no speed.
func TestMeterReadsThisProcess(t *testing.T) {
	m := NewMeter()
	spin := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
	}
	if _, ok := m.Tick(); ok {
		t.Fatal("a tick right after the start closed an interval under MinInterval")
	}
	for range 3 {
		spin(MinInterval + 20*time.Millisecond)
		iv, ok := m.Tick()
		if !ok || iv.Wall < MinInterval || iv.Busy <= 0 || iv.Busy > 1 {
			t.Fatalf("interval after spinning: %+v; want a wall time and a busy share in (0, 1]", iv)
		}
		if runtime.GOOS == "linux" && !iv.StealKnown {
			t.Fatalf("steal unknown on Linux: /proc/stat was not read")
		}
	}
	u := m.Usage()
	if u.CPUs != CPUs() || u.Busy <= 0 || u.Busy > 1 || u.SaturatedShare < 0 || u.SaturatedShare > 1 || runtime.GOOS == "linux" && !u.StealKnown {
		t.Fatalf("Usage = %+v", u)
	}
}
