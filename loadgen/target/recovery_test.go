package target_test

import (
	"context"
	"maps"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// firstAccept dials addr every millisecond until a connection is accepted
// and returns when: the truth that recovery is measured against. The
// kernel completes the handshake once the restarted server listens.
func firstAccept(ctx context.Context, addr string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			c, err := net.DialTimeout("tcp", addr, 50*time.Millisecond)
			if err == nil {
				at := time.Now()
				_ = c.Close()
				ch <- at
				return
			}
			time.Sleep(time.Millisecond)
		}
		close(ch)
	}()
	return ch
}

// resultLog counts what a runner recorded after a mark: the error classes,
// and the first OK. It keeps no list, so that a closed loop failing fast
// against a dead server costs it no memory.
type resultLog struct {
	mu      sync.Mutex
	since   time.Time // zero: nothing is counted yet
	errs    map[result.Class]int
	firstOK time.Time
}

func (l *resultLog) Record(r result.Result) { l.RecordN(r, 1) }

func (l *resultLog) RecordN(r result.Result, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.since.IsZero() || r.Done.Before(l.since) {
		return
	}
	switch r.Outcome {
	case result.Error:
		l.errs[r.Class] += n
	case result.OK:
		if l.firstOK.IsZero() {
			l.firstOK = r.Done
		}
	}
}

// mark starts counting the results done from t on.
func (l *resultLog) mark(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since, l.errs, l.firstOK = t, map[result.Class]int{}, time.Time{}
}

// counted returns the first OK since the mark (zero if none) and the
// errors by class.
func (l *resultLog) counted() (time.Time, map[result.Class]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.firstOK, maps.Clone(l.errs)
}

// outages keeps the availability probe's outages.
type outages struct {
	mu   sync.Mutex
	ends []probe.Outage
}

func (*outages) Probe(bool, result.Class, time.Duration) {}
func (*outages) OutageStart(probe.Outage)                {}
func (o *outages) OutageEnd(out probe.Outage) {
	o.mu.Lock()
	o.ends = append(o.ends, out)
	o.mu.Unlock()
}

func (o *outages) last() (probe.Outage, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.ends) == 0 {
		return probe.Outage{}, false
	}
	return o.ends[len(o.ends)-1], true
}

// recoveryMargin is what a loaded CI host (2 CPUs, -race, other tests
// beside) may add to the 100 ms the recovery must take at most.
const recoveryMargin = 300 * time.Millisecond

// TestRecoveryFollowsRestart kills a server under load, restarts it on the
// same port, and measures from the restarted server's first accepted
// connection (a raw TCP dial loop) to the runner's first OK and to the end
// of the availability probe's outage: both must be within 100 ms (plus
// recoveryMargin). Requests refused by the client's own dial back-off were
// never sent, and are counted as such, not as refused connections.
func TestRecoveryFollowsRestart(t *testing.T) {
	tests := []struct {
		name     string
		schedule schedule.Schedule // nil: closed loop
		workers  int
	}{
		{"open loop", schedule.Constant{PerSecond: 1000}, 0}, // the user's rate
		// Closed-loop workers hold connections of their own (redis.Conn)
		// and, against a dead server, fail as fast as the back-off answers.
		{"closed loop", nil, 2},
	}
	for _, e := range servertest.Engines {
		for _, tt := range tests {
			t.Run(string(e)+"/"+tt.name, func(t *testing.T) {
				const (
					down     = 600 * time.Millisecond
					interval = 10 * time.Millisecond // the availability probe's, its blind spot
				)
				s := servertest.Start(t, e)
				tg := newTarget(t, target.Options{Addrs: []string{s.Addr}, DeclaredEngine: e,
					DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
				monitored(t, tg)

				log := &resultLog{}
				r, err := runner.New(runner.Config{
					Client: tg.Client(),
					Workload: &workload.Workload{Name: "kv", Ops: []workload.Weighted{{Op: workload.Set{}, Weight: 1}},
						Keys: workload.Keys{Prefix: "kv:", Count: 1000, Distribution: workload.Uniform}, Values: workload.Values{Min: 32, Max: 32}, Seed: 1},
					Schedule: tt.schedule, Workers: tt.workers, MaxInFlight: 64, Drain: time.Second, Recorder: log,
				})
				if err != nil {
					t.Fatal(err)
				}
				outs := &outages{}
				a, err := probe.NewAvailability(tg.Client(), probe.AvailabilityOptions{Interval: interval, Timeout: 100 * time.Millisecond}, outs)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				wg.Go(func() { r.Run(ctx) })
				wg.Go(func() { a.Run(ctx) })
				t.Cleanup(func() { cancel(); wg.Wait() })

				time.Sleep(300 * time.Millisecond)
				s.Kill()
				killed := time.Now()
				log.mark(killed)
				time.Sleep(down)
				accepted := firstAccept(testCtx(t, 10*time.Second), s.Addr)
				s.Restart()
				up, ok := <-accepted
				if !ok {
					t.Fatal("the restarted server accepted no connection")
				}

				var (
					firstOK time.Time
					classes map[result.Class]int
					out     probe.Outage
				)
				waitUntil(t, 5*time.Second, "the runner's first OK and the outage's end after the restart", func() bool {
					var outOK bool
					firstOK, classes = log.counted()
					out, outOK = outs.last()
					return !firstOK.IsZero() && outOK && !out.End.Before(up)
				})
				opsDelay, outageDelay := firstOK.Sub(up), out.End.Sub(up)
				overstated := out.Duration - up.Sub(killed)
				t.Logf("%s %s: first OK %v after the first accept, outage end %v after it; outage %v for %v down (%+v); errors after the kill: %v",
					e, tt.name, opsDelay.Round(time.Millisecond), outageDelay.Round(time.Millisecond), out.Duration.Round(time.Millisecond),
					up.Sub(killed).Round(time.Millisecond), overstated.Round(time.Millisecond), classCounts(classes))
				if limit := 100*time.Millisecond + recoveryMargin; opsDelay > limit || outageDelay > limit {
					t.Errorf("recovery took %v (ops) and %v (outage end) after the server accepted again, want <= %v",
						opsDelay, outageDelay, limit)
				}

				// Every refused connection is a real dial that was refused,
				// and every request the back-off refused was never dialled:
				// the runner's requests are some of the dialer's, the
				// monitor's and the probe's the rest.
				failed, backedOff := target.DialCounts(tg)
				if n := classes[result.ClassConnRefused]; n == 0 || uint64(n) > failed {
					t.Errorf("%d requests refused, want between 1 and the %d dials that failed", n, failed)
				}
				if n := classes[result.ClassBackoff]; n == 0 || uint64(n) > backedOff {
					t.Errorf("%d requests backed off, want between 1 and the %d dials the back-off refused", n, backedOff)
				}
				// While down, one real dial per redialInterval (and those in
				// flight when the server died, and the monitor's), however
				// many requests came.
				if most := uint64(up.Sub(killed)/target.RedialInterval) + 64; failed > most {
					t.Errorf("%d dials failed in %v down, want at most %d (one per %v, plus the in-flight bound)",
						failed, up.Sub(killed), most, target.RedialInterval)
				}
			})
		}
	}
}

func classCounts(m map[result.Class]int) map[string]int {
	out := make(map[string]int, len(m))
	for c, n := range m {
		out[c.String()] = n
	}
	return out
}

// waitUntil polls cond every 5 ms until it holds, failing after d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
