package probe_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// tally counts results without keeping them, like the metrics recorder.
type tally struct {
	outcomes [4]atomic.Int64  // by result.Outcome
	classes  [64]atomic.Int64 // by result.Class
}

func (c *tally) Record(r result.Result) {
	c.outcomes[r.Outcome].Add(1)
	if r.Outcome == result.Error {
		c.classes[r.Class].Add(1)
	}
}

func (c *tally) errorsBut(keep result.Class) map[string]int64 {
	m := map[string]int64{}
	for _, cl := range result.Classes {
		if n := c.classes[cl].Load(); n > 0 && cl != keep {
			m[cl.String()] = n
		}
	}
	return m
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSlowServer: DEBUG SLEEP stalls the server three times for 500ms while a
// runner offers 2000 requests/s with a 50ms read timeout and at most 16 in
// flight, next to both probes. Requests in flight time out and are classified
// as timeouts, requests beyond the bound are counted as dropped, neither
// goroutines nor the heap grow with the backlog, and the probes see one
// timeout outage per stall and lose nothing.
//
// Not parallel: it measures the process's heap and goroutines.
func TestSlowServer(t *testing.T) {
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			const (
				stalls      = 3
				stall       = 500 * time.Millisecond
				maxInFlight = 16
			)
			s := servertest.Start(t, e, "enable-debug-command", "yes")
			ctx := ctxFor(t, 30*time.Second)
			c := probeClient(t, s.Addr, func(o *redis.Options) {
				o.PoolSize = maxInFlight
				o.ReadTimeout, o.WriteTimeout, o.DialTimeout = 50*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond
			})
			var counts tally
			r, err := runner.New(runner.Config{
				Client: c,
				Workload: &workload.Workload{
					Name: "kv",
					Ops:  []workload.Weighted{{Op: workload.Get{}, Weight: 1}, {Op: workload.Set{}, Weight: 1}},
					Keys: workload.Keys{Prefix: "kv:", Count: 1000, Distribution: workload.Uniform},
					// 1KiB values: retaining a dropped request would show.
					Values: workload.Values{Min: 1024, Max: 1024},
					Seed:   1,
				},
				Schedule:    schedule.Constant{PerSecond: 2000},
				MaxInFlight: maxInFlight,
				Drain:       time.Second,
				Recorder:    &counts,
			})
			if err != nil {
				t.Fatal(err)
			}
			var (
				avail availability
				ck    checks
			)
			a := newAvailability(t, probeClient(t, s.Addr), probe.AvailabilityOptions{}, &avail)
			in := newIntegrity(t, probeClient(t, s.Addr), probe.IntegrityOptions{
				Prefix: "it:", Keys: 10000, Interval: 10 * time.Millisecond, VerifyDelay: 200 * time.Millisecond, SweepRate: 200,
			}, &ck)
			sleeper := s.Client(func(o *redis.Options) { o.ReadTimeout = 5 * time.Second })
			if err := sleeper.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}

			heapBefore := heapAfterGC()
			goroutinesBefore := runtime.NumGoroutine()
			goUntilStopped(t, a.Run)
			stopIntegrity := runIntegrity(t, in)
			stopRunner := goUntilStopped(t, r.Run)
			var (
				peakInFlight, peakGoroutines atomic.Int64
				sampling                     sync.WaitGroup
			)
			sampleCtx, stopSampling := context.WithCancel(ctx)
			sampling.Add(1)
			go func() {
				defer sampling.Done()
				for sampleCtx.Err() == nil {
					peakInFlight.Store(max(peakInFlight.Load(), r.InFlight()))
					peakGoroutines.Store(max(peakGoroutines.Load(), int64(runtime.NumGoroutine())))
					time.Sleep(5 * time.Millisecond)
				}
			}()

			time.Sleep(300 * time.Millisecond)
			for range stalls {
				if err := sleeper.Do(ctx, "DEBUG", "SLEEP", stall.Seconds()).Err(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(300 * time.Millisecond)
			}
			stopRunner()
			stopSampling()
			sampling.Wait()
			heapAfter := heapAfterGC()
			written := in.Next()
			waitFor(t, 5*time.Second, func() bool { return ck.judged(0, written) == int(written) }, "every integrity write read back")
			if err := stopIntegrity(); err != nil {
				t.Fatal(err)
			}

			ok, dropped := counts.outcomes[result.OK].Load()+counts.outcomes[result.Miss].Load(), counts.outcomes[result.Dropped].Load()
			timeouts := counts.classes[result.ClassTimeout].Load()
			t.Logf("%s: %d stalls of %v: ok %d, timeouts %d, dropped %d, other errors %v; peak in flight %d, goroutines %d -> peak %d; heap %d KiB -> %d KiB",
				e, stalls, stall, ok, timeouts, dropped, counts.errorsBut(result.ClassTimeout), peakInFlight.Load(),
				goroutinesBefore, peakGoroutines.Load(), heapBefore>>10, heapAfter>>10)
			if timeouts < stalls*maxInFlight/2 {
				t.Errorf("%d timeouts, want at least %d", timeouts, stalls*maxInFlight/2)
			}
			if other := counts.errorsBut(result.ClassTimeout); len(other) > 0 {
				t.Errorf("errors other than timeout: %v", other)
			}
			// ~1000 requests are due per stall; the in-flight bound takes 16.
			if dropped < stalls*500 {
				t.Errorf("%d dropped, want at least %d", dropped, stalls*500)
			}
			if ok < 2000 {
				t.Errorf("%d answered, want the load between the stalls served", ok)
			}
			if p := peakInFlight.Load(); p > maxInFlight {
				t.Errorf("peak in flight %d, over the bound %d", p, maxInFlight)
			}
			if g := peakGoroutines.Load() - int64(goroutinesBefore); g > maxInFlight+20 {
				t.Errorf("goroutines grew by %d during the stalls, want at most the in-flight bound and the probes' few", g)
			}
			if heapAfter > heapBefore+8<<20 {
				t.Errorf("heap grew from %d KiB to %d KiB", heapBefore>>10, heapAfter>>10)
			}

			_, ends := avail.outages()
			for _, o := range ends {
				t.Logf("%s: availability outage %v, %d failed probes, %v .. %v", e, o.Duration, o.Failed, o.FirstClass, o.LastClass)
				if o.FirstClass != result.ClassTimeout {
					t.Errorf("outage starts with %v (%v), want timeout", o.FirstClass, o.FirstErr)
				}
			}
			if len(ends) != stalls {
				t.Errorf("%d outages, want %d, one per stall", len(ends), stalls)
			}
			if v := ck.count(probe.Verified, 0, written); v != int(written) {
				t.Errorf("integrity verdicts %v on %d writes, want all verified", ck.byResult(), written)
			}
		})
	}
}
