// Package cpuuse measures the load generator's own CPU use and the host's
// steal while it measures, so that a run can say when the generator, not
// the server, set the pace.
//
// A generator whose CPUs are saturated still dispatches on time (the
// dispatcher runs first), but reads replies late: the latency it records
// then holds its own queueing, and its schedule lag need not show it. The
// busy share counts the CPU time the process got against the CPU time it
// could have had: its usable CPUs (GOMAXPROCS, at most the CPUs it may run
// on) over the wall time, less the share the hypervisor gave to other guests
// (steal, from /proc/stat), which the process could not have had either.
package cpuuse

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Saturated is the busy share at and above which an interval counts as
// saturated: past it, the Go scheduler has runnable work waiting for a CPU
// often enough that replies are read late. Measured on one CPU
// (docs/performance.md): a 10k req/s open loop with a schedule lag p99 of
// 1.9 ms read 0.73; runs whose lag p99 reached 10-20 ms, or that dropped,
// read 0.94-1.
const Saturated = 0.9

// Host is the host's CPU time, from /proc/stat's cpu line, in clock ticks:
// all of it (user to steal) and the steal.
type Host struct {
	Total, Steal uint64
}

// Sample is one reading of the process's CPU time and the host's.
type Sample struct {
	At      time.Time
	Process time.Duration // user + system CPU time of this process
	Host    Host
	HostOK  bool // false where /proc/stat cannot be read (not Linux)
}

// Read takes a sample now.
func Read() Sample {
	s := Sample{At: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.Process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if f, err := os.Open("/proc/stat"); err == nil {
		s.Host, err = ParseHost(f, affinity())
		s.HostOK = err == nil
		f.Close()
	}
	return s
}

// ParseHost reads /proc/stat's cpu lines: user nice system idle iowait irq
// softirq steal (guest time is already in user and nice). With a set of
// CPUs (only), it sums the lines of those CPUs (cpuN), where the process
// may run: the steal of the others is not taken from it. Without one, or
// when none of them has a line, it reads the aggregate line.
func ParseHost(r io.Reader, only func(cpu int) bool) (Host, error) {
	var all, mine Host
	seenAll, seenMine := false, false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		h, err := parseTicks(f)
		if err != nil {
			return Host{}, err
		}
		if f[0] == "cpu" {
			all, seenAll = h, true
			if only == nil {
				break
			}
			continue
		}
		if n, err := strconv.Atoi(f[0][3:]); err == nil && only != nil && only(n) {
			mine.Total += h.Total
			mine.Steal += h.Steal
			seenMine = true
		}
	}
	if err := sc.Err(); err != nil {
		return Host{}, fmt.Errorf("/proc/stat: %w", err)
	}
	switch {
	case seenMine:
		return mine, nil
	case seenAll:
		return all, nil
	}
	return Host{}, fmt.Errorf("/proc/stat: no cpu line")
}

// parseTicks sums a cpu line's eight tick fields and keeps the steal.
func parseTicks(f []string) (Host, error) {
	if len(f) < 9 {
		return Host{}, fmt.Errorf("/proc/stat: %s line has %d fields, want at least 8: %q", f[0], len(f)-1, strings.Join(f, " "))
	}
	var h Host
	for i, v := range f[1:9] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Host{}, fmt.Errorf("/proc/stat: %s field %d: %w", f[0], i+1, err)
		}
		h.Total += n
		if i == 7 {
			h.Steal = n
		}
	}
	return h, nil
}

// CPUs is how many CPUs the process can use at once: GOMAXPROCS, at most
// the CPUs it may run on (runtime.NumCPU honours the affinity mask).
func CPUs() int {
	return max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU()))
}

// Interval is the use between two samples.
type Interval struct {
	Wall time.Duration
	CPUs int // the CPUs the process's time is counted against
	// Busy is the process's CPU time over the CPU time its CPUs had for
	// it: CPUs × wall × (1 − Steal), at most 1.
	Busy float64
	// Steal is the steal of the process's CPUs over their time; 0 when
	// unknown.
	Steal      float64
	StealKnown bool
}

// Saturated reports whether the interval's busy share reached Saturated.
func (iv Interval) Saturated() bool { return iv.Busy >= Saturated }

// Between is the use from a to b of a process that can use cpus CPUs.
func Between(a, b Sample, cpus int) Interval {
	iv := Interval{Wall: b.At.Sub(a.At), CPUs: max(cpus, 1)}
	if a.HostOK && b.HostOK && b.Host.Total > a.Host.Total {
		iv.StealKnown = true
		iv.Steal = float64(b.Host.Steal-a.Host.Steal) / float64(b.Host.Total-a.Host.Total)
	}
	had := float64(iv.CPUs) * iv.Wall.Seconds() * (1 - iv.Steal)
	if had > 0 {
		iv.Busy = min(1, (b.Process-a.Process).Seconds()/had)
	}
	return iv
}

// Usage sums up the intervals of a measured phase.
type Usage struct {
	CPUs int
	// Busy is the busy share over the whole phase.
	Busy float64
	// SaturatedShare is the share of the phase's time in intervals whose
	// busy share reached Saturated.
	SaturatedShare float64
	// Steal is the steal of the process's CPUs over the whole phase, and
	// StealMax that of its worst interval; both 0 when unknown.
	Steal, StealMax float64
	StealKnown      bool
}

// Meter accumulates the intervals of one phase: Tick at least every few
// seconds (the phase's progress tick does), Usage at the end. Not safe for
// concurrent use.
type Meter struct {
	cpus             int
	first, last      Sample
	saturated, total time.Duration
	stealMax         float64
}

// NewMeter starts a meter now.
func NewMeter() *Meter {
	s := Read()
	return &Meter{cpus: CPUs(), first: s, last: s}
}

// MinInterval is the shortest interval a Meter closes: over less, the
// process's CPU time (counted in scheduler ticks) says little, and a tick
// that follows a restart of the meter at once would count noise.
const MinInterval = 100 * time.Millisecond

// Tick closes the interval since the last tick and returns it; false,
// leaving it open, when it is shorter than MinInterval.
func (m *Meter) Tick() (Interval, bool) {
	s := Read()
	if s.At.Sub(m.last.At) < MinInterval {
		return Interval{}, false
	}
	iv := Between(m.last, s, m.cpus)
	m.last = s
	m.total += iv.Wall
	if iv.Saturated() {
		m.saturated += iv.Wall
	}
	m.stealMax = max(m.stealMax, iv.Steal)
	return iv, true
}

// Usage is the phase so far, up to the last Tick.
func (m *Meter) Usage() Usage {
	whole := Between(m.first, m.last, m.cpus)
	u := Usage{CPUs: m.cpus, Busy: whole.Busy, Steal: whole.Steal, StealMax: m.stealMax, StealKnown: whole.StealKnown}
	if m.total > 0 {
		u.SaturatedShare = float64(m.saturated) / float64(m.total)
	}
	return u
}
