package probe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

func newAvailability(t *testing.T, c redis.UniversalClient, o probe.AvailabilityOptions, s probe.AvailabilitySink) *probe.Availability {
	t.Helper()
	a, err := probe.NewAvailability(c, o, s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// waitOK waits until the probe has succeeded n times.
func waitOK(t *testing.T, rec *availability, n int) {
	t.Helper()
	waitFor(t, 5*time.Second, func() bool { ok, _ := rec.count(); return ok >= n }, "successful probes")
}

// TestPauseIsOneOutage: a 1s CLIENT PAUSE, probed with the default options
// (every 100ms, timeout 100ms), is exactly one outage of 1s ± 0.2s.
//
// Not parallel: the bound is about the server, and the other tests of this
// package would add their load on a small test machine to the measurement.
func TestPauseIsOneOutage(t *testing.T) {
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			s := servertest.Start(t, e)
			var rec availability
			a := newAvailability(t, probeClient(t, s.Addr), probe.AvailabilityOptions{}, &rec)
			stop := goUntilStopped(t, a.Run)
			waitOK(t, &rec, 5)
			s.Pause(ctxFor(t, 5*time.Second), time.Second)
			time.Sleep(1600 * time.Millisecond)
			stop()

			starts, ends := rec.outages()
			if len(starts) != 1 || len(ends) != 1 {
				t.Fatalf("%d outages started, %d ended; want exactly one: %+v", len(starts), len(ends), ends)
			}
			o := ends[0]
			t.Logf("%s: CLIENT PAUSE 1s measured as an outage of %v (%d failed probes, first %v, last %v)",
				e, o.Duration, o.Failed, o.FirstClass, o.LastClass)
			if o.Duration < 800*time.Millisecond || o.Duration > 1200*time.Millisecond {
				t.Errorf("outage %v, want 1s ± 0.2s", o.Duration)
			}
			if o.FirstClass != result.ClassTimeout || o.LastClass != result.ClassTimeout {
				t.Errorf("classes %v .. %v, want timeout (commands block during a pause, they do not fail)", o.FirstClass, o.LastClass)
			}
			if o.Start != starts[0].Start || o.End.Sub(o.Start) != o.Duration {
				t.Errorf("outage start %v (reported at start %v), end %v, duration %v: inconsistent", o.Start, starts[0].Start, o.End, o.Duration)
			}
		})
	}
}

// clientList returns CLIENT LIST as one field map per connection.
func clientList(t *testing.T, admin *redis.Client) []map[string]string {
	t.Helper()
	list, err := admin.ClientList(ctxFor(t, 5*time.Second)).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	var cs []map[string]string
	for line := range strings.Lines(list) {
		m := map[string]string{}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				m[k] = v
			}
		}
		if len(m) > 0 {
			cs = append(cs, m)
		}
	}
	return cs
}

// probeConns returns the IDs of the probes' connections to the server.
func probeConns(t *testing.T, admin *redis.Client) []string {
	t.Helper()
	var ids []string
	for _, c := range clientList(t, admin) {
		if c["name"] == clientName {
			ids = append(ids, c["id"])
		}
	}
	return ids
}

// TestClientKillRecovers kills the probe's connections, once while idle and
// once in the middle of a request (held by CLIENT PAUSE WRITE): the probe is
// answered again within 1s each time, and no goroutine outlives Run.
//
// Not parallel: goleak compares against the goroutines at the start.
func TestClientKillRecovers(t *testing.T) {
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			s := servertest.Start(t, e)
			admin := s.Client()
			ctx := ctxFor(t, 20*time.Second)
			if err := admin.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			before := goleak.IgnoreCurrent()

			c := redis.NewClient(&redis.Options{
				Addr: s.Addr, ClientName: clientName, MaxRetries: -1, DialerRetries: 1,
				DialTimeout: time.Second, ContextTimeoutEnabled: true,
			})
			var rec availability
			// A timeout above the interval leaves time to catch a request
			// held by the pause in CLIENT LIST.
			a := newAvailability(t, c, probe.AvailabilityOptions{Timeout: 500 * time.Millisecond}, &rec)
			stop := goUntilStopped(t, a.Run)
			waitOK(t, &rec, 3)

			kill := func(ids []string) time.Time {
				for _, id := range ids {
					if err := admin.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
						t.Fatalf("CLIENT KILL ID %s: %v", id, err)
					}
				}
				return time.Now()
			}
			recovered := func(what string, killed time.Time) {
				t.Helper()
				waitFor(t, 2*time.Second, func() bool { _, ok := rec.firstOKAfter(killed); return ok }, "a successful probe after "+what)
				at, _ := rec.firstOKAfter(killed)
				t.Logf("%s: after %s the probe was answered again in %v", e, what, at.Sub(killed))
				if at.Sub(killed) > time.Second {
					t.Errorf("recovery after %s took %v, want < 1s", what, at.Sub(killed))
				}
			}

			ids := probeConns(t, admin)
			if len(ids) == 0 {
				t.Fatal("no probe connection in CLIENT LIST")
			}
			recovered("CLIENT KILL of idle connections", kill(ids))

			// Hold writes, wait until the probe's SET is blocked, kill its
			// connection under it, then let writes go.
			if err := admin.Do(ctx, "CLIENT", "PAUSE", 2000, "WRITE").Err(); err != nil {
				t.Fatal(err)
			}
			var blocked []string
			waitFor(t, 2*time.Second, func() bool {
				blocked = blocked[:0]
				for _, c := range clientList(t, admin) {
					if c["name"] == clientName && strings.Contains(c["flags"], "b") {
						blocked = append(blocked, c["id"])
					}
				}
				return len(blocked) > 0
			}, "a probe request blocked by CLIENT PAUSE WRITE")
			_, failedBefore := rec.count()
			killed := kill(blocked)
			if err := admin.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
				t.Fatal(err)
			}
			recovered("CLIENT KILL in the middle of a request", killed)
			if _, failed := rec.count(); failed <= failedBefore {
				t.Errorf("the killed request did not fail: %d failed probes before, %d after", failedBefore, failed)
			}

			stop()
			_ = c.Close()
			goleak.VerifyNone(t, append(goleakOpts, before)...)

			_, ends := rec.outages()
			for _, o := range ends {
				t.Logf("%s: outage %v, %d failed probes, %v .. %v", e, o.Duration, o.Failed, o.FirstClass, o.LastClass)
				if o.Duration > time.Second {
					t.Errorf("outage of %v after CLIENT KILL, want < 1s", o.Duration)
				}
			}
			if len(ends) == 0 || ends[len(ends)-1].FirstClass != result.ClassConnReset {
				t.Errorf("outages %+v; want the last to start with conn_reset (the killed request)", ends)
			}
		})
	}
}

// TestDemotedPrimary turns the primary behind the endpoint into a replica
// while the probes run: READONLY is a failure, never a success, and no write
// is acknowledged. Once the endpoint points at the new primary, both probes
// recover and no connection stays on the demoted node: go-redis closes a
// connection that got READONLY, and the next one dials the endpoint afresh.
func TestDemotedPrimary(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			old, next := servertest.Start(t, e), servertest.Start(t, e)
			ctx := ctxFor(t, 20*time.Second)
			ep := newEndpoint(old.Addr)

			var rec availability
			a := newAvailability(t, ep.client(t), probe.AvailabilityOptions{}, &rec)
			in, err := probe.NewIntegrity(ep.client(t), probe.IntegrityOptions{Interval: 20 * time.Millisecond, VerifyDelay: time.Minute, Keys: 10000}, &checks{})
			if err != nil {
				t.Fatal(err)
			}
			goUntilStopped(t, a.Run)
			runIntegrity(t, in)
			waitOK(t, &rec, 3)
			waitFor(t, 5*time.Second, func() bool { return in.Next() >= 3 }, "integrity writes")

			if err := old.Client().Do(ctx, "REPLICAOF", "127.0.0.1", next.Port).Err(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 2*time.Second, func() bool { s, _ := rec.outages(); return len(s) > 0 }, "an outage")
			if s, _ := rec.outages(); s[0].FirstClass != result.ClassReadonly {
				t.Errorf("outage starts with %v (%v), want readonly", s[0].FirstClass, s[0].FirstErr)
			}
			acked := in.Next()
			time.Sleep(300 * time.Millisecond)
			if got := in.Next(); got != acked {
				t.Errorf("%d integrity writes acknowledged by the demoted primary", got-acked)
			}

			moved := time.Now()
			ep.point(next.Addr)
			waitFor(t, 2*time.Second, func() bool { _, e := rec.outages(); return len(e) > 0 }, "recovery")
			_, ends := rec.outages()
			o := ends[0]
			t.Logf("%s: demoted primary: outage %v, %d failed probes, %v .. %v; recovered %v after the endpoint moved",
				e, o.Duration, o.Failed, o.FirstClass, o.LastClass, o.End.Sub(moved))
			if o.LastClass != result.ClassReadonly {
				t.Errorf("last failure %v (%v), want readonly", o.LastClass, o.LastErr)
			}
			if o.End.Sub(moved) > 500*time.Millisecond {
				t.Errorf("recovered %v after the endpoint moved, want < 500ms", o.End.Sub(moved))
			}
			waitFor(t, 2*time.Second, func() bool { return in.Next() > acked+3 }, "integrity writes to the new primary")
			if ids := probeConns(t, old.Client()); len(ids) != 0 {
				t.Errorf("%d probe connections still on the demoted primary", len(ids))
			}
			if ids := probeConns(t, next.Client()); len(ids) < 2 {
				t.Errorf("%d probe connections on the new primary, want both probes'", len(ids))
			}
		})
	}
}

// TestRecoveryReReadsEngine wires OutageEnd to target.Detect the way the
// daemon does: the sink only signals (it must not block the probe), and a
// goroutine re-reads INFO. Replacing Redis with Valkey behind the same
// address, an in-place engine migration, then shows as a change of engine.
func TestRecoveryReReadsEngine(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Redis)
	tg, err := target.New(target.Options{Name: "t", Addrs: []string{s.Addr}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	if in, err := tg.Detect(ctxFor(t, 5*time.Second)); err != nil || in.Engine != servertest.Redis {
		t.Fatalf("Detect = %+v, %v; want redis", in, err)
	}

	redetect := make(chan struct{}, 1)
	rec := availability{onEnd: func(probe.Outage) {
		select {
		case redetect <- struct{}{}:
		default: // a detection is already pending
		}
	}}
	detected := make(chan target.Info, 1)
	goUntilStopped(t, func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case <-redetect:
				if in, err := tg.Detect(ctx); err == nil {
					select {
					case detected <- in:
					default:
					}
				}
			}
		}
	})
	a := newAvailability(t, tg.Client(), probe.AvailabilityOptions{}, &rec)
	goUntilStopped(t, a.Run)
	waitOK(t, &rec, 3)

	// The engine is swapped while the endpoint is down: a swap quicker than
	// one probe interval would go unnoticed by the probe (the daemon's
	// target monitor re-detects on its own failures too).
	s.Kill()
	waitFor(t, 2*time.Second, func() bool { s, _ := rec.outages(); return len(s) > 0 }, "an outage")
	s.RestartAs(servertest.Valkey)
	select {
	case in := <-detected:
		if in.Engine != servertest.Valkey || tg.Engine() != servertest.Valkey {
			t.Errorf("after the migration Detect = %+v, Engine() = %q; want valkey", in, tg.Engine())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no detection within 5s of the engine migration")
	}
	_, ends := rec.outages()
	if len(ends) != 1 || ends[0].FirstClass != result.ClassConnReset && ends[0].FirstClass != result.ClassConnRefused {
		t.Errorf("outages %+v, want one starting with conn_reset or conn_refused", ends)
	}
}
