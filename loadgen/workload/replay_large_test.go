package workload_test

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

var largeTraceMiB = flag.Int("large-trace-mib", 0, "BenchmarkLargeTrace: the size of the generated traces, in MiB (0: skip)")

// BenchmarkLargeTrace streams generated traces of -large-trace-mib MiB in
// each format (written to the temporary directory one at a time, deleted
// after) as a replay runner does: its schedule's reader (Recorded.Due) and
// its stream's (the replay op's Prepare) each read the whole file. It
// reports lines/s and MB/s of that pair, and the process's peak resident
// memory and live heap, which stay flat whatever the trace's size:
//
//	go test -run '^$' -bench LargeTrace -benchtime 1x ./loadgen/workload -large-trace-mib 1024
func BenchmarkLargeTrace(b *testing.B) {
	if *largeTraceMiB <= 0 {
		b.Skip("set -large-trace-mib to generate and stream traces of that size")
	}
	for _, f := range trace.Formats() {
		b.Run(string(f), func(b *testing.B) {
			path := filepath.Join(os.TempDir(), fmt.Sprintf("ecbench-large-%d.%s", os.Getpid(), f))
			defer os.Remove(path)
			lines, size := writeLarge(b, path, f, int64(*largeTraceMiB)<<20)
			debug.FreeOSMemory() // what writing the trace took is not the replay's
			for b.Loop() {
				peak := watchRSS(b)
				start := time.Now()
				sent := streamLarge(b, path, f)
				took := time.Since(start)
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(lines)/took.Seconds(), "lines/s")
				b.ReportMetric(float64(size)/1e6/took.Seconds(), "MB/s")
				b.ReportMetric(float64(peak())/1024, "max-RSS-MiB")
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
				b.Logf("%s: %d lines (%d commands), %.0f MiB, in %v", f, lines, sent, float64(size)/(1<<20), took.Round(time.Millisecond))
			}
		})
	}
}

// writeLarge writes a synthetic trace of about size bytes, and returns its
// lines and bytes.
func writeLarge(b *testing.B, path string, f trace.Format, size int64) (lines, written int64) {
	b.Helper()
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	// A chunk at a time, each its own seed and a time offset that keeps
	// the trace's time rising: a realistic mix, 1% skipped commands.
	w := bufio.NewWriterSize(out, 1<<20)
	for chunk := uint64(0); written < size; chunk++ {
		var sb strings.Builder
		s := trace.Synth{Seed: chunk, Requests: 100_000, Keys: 100_000, Rate: 50_000, Sizes: []int{16, 100, 400, 1000}, Skipped: 0.01}
		if err := s.Write(&sb, f); err != nil {
			b.Fatal(err)
		}
		text := sb.String()
		if f == trace.Ecbench {
			text = strings.TrimPrefix(text, "time,command,args\n")
		}
		if f == trace.JSONL {
			_, text, _ = strings.Cut(text, "\n") // the comment
		}
		text = shiftTimes(text, f, time.Duration(chunk)*2*time.Second)
		n, err := w.WriteString(text)
		if err != nil {
			b.Fatal(err)
		}
		written += int64(n)
		lines += int64(strings.Count(text, "\n"))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return lines, written
}

// shiftTimes moves a chunk's times by d (whole seconds, as Synth's times
// start at 0 or trace.Epoch).
func shiftTimes(text string, f trace.Format, d time.Duration) string {
	var sb strings.Builder
	sb.Grow(len(text))
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" {
			continue
		}
		sec, rest, _ := strings.Cut(line, ".")
		head := ""
		if f == trace.JSONL {
			head, sec = `{"time": `, strings.TrimPrefix(sec, `{"time": `)
		}
		if f == trace.Twitter {
			sec, rest, _ = strings.Cut(line, ",")
			rest = "," + rest
		} else {
			rest = "." + rest
		}
		n, _ := strconv.ParseInt(sec, 10, 64)
		sb.WriteString(head + strconv.FormatInt(n+int64(d/time.Second), 10) + rest + "\n")
	}
	return sb.String()
}

// streamLarge reads the trace at path through a replay's schedule and
// stream, as one runner would, and returns the commands read.
func streamLarge(b *testing.B, path string, f trace.Format) int64 {
	b.Helper()
	src := trace.Source{Path: path, Format: f}
	w, err := workload.NewReplayWorkload("large", "p:", 1, 1, workload.ReplayOptions{Trace: src, MaxValueSize: 64 << 10})
	if err != nil {
		b.Fatal(err)
	}
	s, err := w.NewStream()
	if err != nil {
		b.Fatal(err)
	}
	due := schedule.NewRecorded(src, 1, false)
	defer due.Close()
	var req workload.Request
	n := int64(0)
	for ; ; n++ {
		if _, ok := due.Due(n); !ok {
			break
		}
		s.Next(&req)
	}
	if err := due.Err(); err != nil {
		b.Fatal(err)
	}
	if st := workload.ReplayOf(w).Stats(); st.Commands != n || st.Malformed != 0 {
		b.Fatalf("stats %v after %d commands", st, n)
	}
	return n
}

// watchRSS samples the process's resident memory every 50 ms until the
// returned function is called, which returns the largest sample, in KiB.
func watchRSS(b *testing.B) func() int64 {
	stop, done := make(chan struct{}), make(chan int64)
	go func() {
		most := procKiB(b, "VmRSS")
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				done <- max(most, procKiB(b, "VmRSS"))
				return
			case <-t.C:
				most = max(most, procKiB(b, "VmRSS"))
			}
		}
	}()
	return func() int64 { close(stop); return <-done }
}

// procKiB reads a field of /proc/self/status, in KiB.
func procKiB(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0 // not Linux: no figure
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		b.Fatal(err)
	}
	return 0
}
