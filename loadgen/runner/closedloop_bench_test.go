//go:build unix

package runner

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/target"
)

// BenchmarkClosedLoop is the closed-loop hot path as the bench runs it: 50
// workers, each on its own connection, against a real valkey-server, with
// the target's own client (its dialer, RESP2, no retries), a 1:1 GET/SET
// mix of 32-byte values over 100k keys. One op is one command. Besides
// ns/op (wall time, which the server's speed and the machine's other load
// move) it reports what does not depend on them: the client's CPU time per
// command (user and system, getrusage) and allocations per command.
//
// ECBENCH_BENCH_ADDR=host:port runs it against a server started by hand
// (pinned to its own CPU: taskset -c 0 valkey-server ...) instead.
//
// path=go-redis is the target's go-redis client on a connection per
// worker (workerConn); path=raw is the raw path (raw.go: Config.Raw, the
// target's RawDialer), which the bench takes for closed loops on
// standalone targets.
func BenchmarkClosedLoop(b *testing.B) {
	for _, pipeline := range []int{1, 16} {
		for _, path := range []string{"go-redis", "raw"} {
			b.Run(fmt.Sprintf("pipeline=%d/path=%s", pipeline, path), func(b *testing.B) {
				benchmarkClosedLoop(b, pipeline, path == "raw")
			})
		}
	}
}

func benchmarkClosedLoop(b *testing.B, pipeline int, raw bool) {
	addr := os.Getenv("ECBENCH_BENCH_ADDR")
	if addr == "" {
		addr = servertest.Start(b, servertest.Valkey).Addr
	}
	tg, err := target.New(target.Options{Name: "valkey", Addrs: []string{addr}, PoolSize: 50})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tg.Close() })
	var dialer resp.Dialer
	if raw {
		dialer = tg.RawDialer()
	}
	w := kvWorkload(pipeline)
	w.Keys.Count = 100_000
	requests := int64((b.N + pipeline - 1) / pipeline)
	r, err := New(Config{Client: tg.Client(), Raw: dialer, Workload: w, Workers: 50, Requests: requests, Drain: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	if r.Raw() != raw {
		b.Fatalf("Raw() = %v, want %v", r.Raw(), raw)
	}
	// Every key written, so that GETs hit as in the bench with
	// preload (a miss costs go-redis allocations of its own).
	if err := w.Preload(context.Background(), tg.Client(), nil); err != nil {
		b.Fatal(err)
	}
	// Warm up: connections dialled, buffers grown.
	warm, err := New(Config{Client: tg.Client(), Raw: dialer, Workload: w, Workers: 50, Requests: 20_000, Drain: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	warm.Run(context.Background())
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	r.Run(context.Background())
	b.StopTimer()
	commands := float64(requests) * float64(pipeline)
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(time.Microsecond)/commands, "cpu-µs/op")
	b.ReportMetric(commands/b.Elapsed().Seconds(), "ops/s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
