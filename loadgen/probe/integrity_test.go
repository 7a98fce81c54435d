package probe_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
)

func newIntegrity(t *testing.T, c redis.UniversalClient, o probe.IntegrityOptions, s probe.IntegritySink) *probe.Integrity {
	t.Helper()
	in, err := probe.NewIntegrity(c, o, s)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// killOpts write every 10ms and give each write its first check 300ms
// later. The ring of 100 keys wraps after a second, so the tests see writes
// leave the ring too. The sweep reads just over the writes' rate: the
// package's tests run many probes at once on small machines, beside
// timing-sensitive ones.
var killOpts = probe.IntegrityOptions{
	Prefix: "it:", Keys: 100, Interval: 10 * time.Millisecond, Timeout: 500 * time.Millisecond,
	VerifyDelay: 300 * time.Millisecond, SweepRate: 150,
}

// sampledIn returns the writes in [lo, hi) that in checks.
func sampledIn(in *probe.Integrity, lo, hi uint64) int {
	n := 0
	for seq := lo; seq < hi; seq++ {
		if in.Sampled(seq) {
			n++
		}
	}
	return n
}

// ringOf returns the writes in the ring when next is the next write: the
// last Keys.
func ringOf(o probe.IntegrityOptions, next uint64) uint64 { return next - min(next, uint64(o.Keys)) }

// killAfterVerification runs an integrity probe against a server started
// with directives until the ring has wrapped twice and most writes in it
// have been verified, kills the server (SIGKILL), restarts it, and returns
// the probe, its checks and n, the writes acknowledged before the kill
// (seqs 0..n-1).
func killAfterVerification(t *testing.T, e servertest.Engine, sample float64, directives ...string) (*probe.Integrity, *checks, uint64) {
	t.Helper()
	s := servertest.Start(t, e, directives...)
	opts := killOpts
	opts.Sample = sample
	ck := &checks{}
	in := newIntegrity(t, probeClient(t, s.Addr), opts, ck)
	if sample < 1 {
		ck.sampled = in.Sampled
	}
	runIntegrity(t, in)
	waitFor(t, 10*time.Second, func() bool { return in.Next() >= 2*uint64(opts.Keys) }, "the ring written twice over")
	s.Kill()
	n := in.Next() // no write can be acknowledged until the restart
	lo := ringOf(opts, n)
	verified, inRing := ck.count(probe.Verified, lo, n), sampledIn(in, lo, n)
	t.Logf("%s sample %g: %d writes acknowledged before kill -9, %d of the %d checked ones in the ring verified", e, sample, n, verified, inRing)
	if verified < inRing/2 {
		t.Fatalf("only %d of %d writes in the ring verified before the kill: the test is about writes lost after their first check", verified, inRing)
	}
	s.Restart()
	return in, ck, n
}

// TestKillAfterVerification: with persistence off, kill -9 and a restart
// lose every write in the ring, most of them verified long before. The
// probe reports exactly those as lost, each once, whichever read finds them
// (the check before reuse, a first check, the recovery sweep), and nothing
// of the writes that had left the ring before the kill. Later sweeps do not
// report them again.
func TestKillAfterVerification(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		for _, sample := range []float64{1, 0.5} {
			t.Run(string(e)+"/sample "+strconv.FormatFloat(sample, 'g', -1, 64), func(t *testing.T) {
				t.Parallel()
				in, ck, n := killAfterVerification(t, e, sample)
				lo := ringOf(in.Options(), n)
				want := sampledIn(in, lo, n)
				waitFor(t, 10*time.Second, func() bool { return ck.count(probe.Lost, lo, n) >= want }, "every write in the ring reported lost")
				// Every sweep after the recovery: nothing is reported again.
				in.Sweep("test")
				waitFor(t, 5*time.Second, func() bool { return ck.sweepsDone(probe.RequestedSweep) > 0 }, "a requested sweep")
				t.Logf("%s: vanished %d acknowledged, checked writes (all of the ring), reported lost %d, found by %v; verdicts %v",
					e, want, ck.count(probe.Lost, 0, n), ck.foundBy(probe.Lost), ck.byResult())
				if got := ck.count(probe.Lost, lo, n); got != want {
					t.Errorf("lost %d of the ring's %d checked writes, want all", got, want)
				}
				if got := ck.count(probe.Lost, 0, lo) + ck.count(probe.Stale, 0, n) + ck.count(probe.Corrupted, 0, n); got != 0 {
					t.Errorf("%d other bad verdicts (lost before the ring, stale, corrupted): %v", got, ck.byResult())
				}
				if got, want := ck.count(probe.Verified, 0, lo), sampledIn(in, 0, lo); got != want {
					t.Errorf("verified %d of the %d writes that left the ring before the kill, want all", got, want)
				}
				ck.verify(t)
			})
		}
	}
}

// TestKillWithAOFAlways: with appendfsync always an acknowledged write is on
// disk, so kill -9 and a restart lose nothing: the recovery sweep after the
// restart reads the whole ring and finds it intact, and every write is
// verified exactly once.
func TestKillWithAOFAlways(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			_, ck, n := killAfterVerification(t, e, 1, "appendonly", "yes", "appendfsync", "always")
			waitFor(t, 10*time.Second, func() bool {
				return ck.sweepsDone(probe.RecoverySweep) > 0 && ck.judged(0, n) == int(n)
			}, "a recovery sweep and verdicts on every write acknowledged before the kill")
			t.Logf("%s: appendfsync always: %d writes acknowledged before kill -9, vanished 0, reported lost %d; verdicts %v",
				e, n, ck.count(probe.Lost, 0, n), ck.byResult())
			if v := ck.count(probe.Verified, 0, n); v != int(n) {
				t.Errorf("verified %d of %d acknowledged writes, want all (verdicts %v)", v, n, ck.byResult())
			}
			ck.verify(t)
		})
	}
}

// waitLinkUp waits until the replica reports its link to the primary up.
func waitLinkUp(t *testing.T, replica *servertest.Server, d time.Duration) {
	t.Helper()
	c := replica.Client()
	waitFor(t, d, func() bool {
		info, err := c.Info(ctxFor(t, time.Second), "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	}, "replication link up")
}

// waitReplicated waits until the replica has everything the primary
// acknowledged so far: WAIT covers the calling client's own writes, and the
// marker follows every earlier write in the replication stream.
func waitReplicated(t *testing.T, primary *servertest.Server) {
	t.Helper()
	ctx := ctxFor(t, 5*time.Second)
	admin := primary.Client()
	if err := admin.Set(ctx, "marker", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if acks, err := admin.Do(ctx, "WAIT", 1, 2000).Int(); err != nil || acks != 1 {
		t.Fatalf("WAIT 1 2000 = %d, %v: the replica is not replicating", acks, err)
	}
}

// missingFrom reads the ring on s, as the truth to compare with: the writes
// below n that s does not hold (the key missing, or an older record).
func missingFrom(t *testing.T, s *servertest.Server, o probe.IntegrityOptions, n uint64) []uint64 {
	t.Helper()
	ctx := ctxFor(t, 10*time.Second)
	c := s.Client()
	var missing []uint64
	for seq := ringOf(o, n); seq < n; seq++ {
		v, err := c.Get(ctx, o.Prefix+strconv.FormatUint(seq%uint64(o.Keys), 10)).Result()
		switch {
		case errors.Is(err, redis.Nil):
			missing = append(missing, seq)
		case err != nil:
			t.Fatal(err)
		default:
			// ecb1:<epoch>:<seq, 16 hex>:…
			got, err := strconv.ParseUint(v[22:38], 16, 64)
			if err != nil {
				t.Fatalf("key of seq %d holds %q", seq, v)
			}
			if got < seq {
				missing = append(missing, seq)
			}
		}
	}
	return missing
}

// TestReplicaPromotion: the replica is promoted (REPLICAOF NO ONE) while
// the primary goes on acknowledging writes; then the old primary is made a
// replica of the new one and, after the default repl-diskless-sync-delay of
// 5s, resynchronises and drops the writes the new primary never had. Those
// writes were verified on the old primary. The probe reports exactly the
// writes that vanished, counted by reading the ring on the new primary,
// whether the endpoint follows the promotion at once or only after the old
// primary has resynchronised (a DNS record that lags the failover). While
// the endpoint leads to the demoted primary, a replica, the probe's writes
// and reads fail with READONLY and nothing is judged: its reads there would
// not be the truth of a primary.
func TestReplicaPromotion(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		for _, tc := range []struct {
			name string
			late bool
		}{{"endpoint follows", false}, {"endpoint follows late", true}} {
			t.Run(string(e)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				primary := servertest.Start(t, e) // default replication settings
				replica := servertest.Start(t, e, "replicaof", "127.0.0.1 "+strconv.Itoa(primary.Port))
				waitLinkUp(t, replica, 20*time.Second)
				ep := newEndpoint(primary.Addr)
				opts := killOpts
				opts.Keys = 100000 // no key is reused: the truth is simple
				var (
					ck  checks
					rec availability
				)
				in := newIntegrity(t, ep.client(t), opts, &ck)
				rec.onEnd = func(probe.Outage) { in.Sweep("outage end") } // as the daemon does
				a := newAvailability(t, ep.client(t), probe.AvailabilityOptions{Timeout: time.Second}, &rec)
				goUntilStopped(t, a.Run)
				runIntegrity(t, in)
				time.Sleep(500 * time.Millisecond)
				waitReplicated(t, primary)

				ctx := ctxFor(t, 60*time.Second)
				if err := replica.Client().Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
					t.Fatal(err)
				}
				promoted := in.Next()
				time.Sleep(time.Second) // writes the new primary never gets, verified on the old one
				if !tc.late {
					ep.point(replica.Addr)
				}
				if err := primary.Client().Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(replica.Port)).Err(); err != nil {
					t.Fatal(err)
				}
				demoted := in.Next()
				verifiedBefore := ck.count(probe.Verified, promoted, demoted)
				waitLinkUp(t, primary, 30*time.Second) // resynchronised: the writes are gone
				if tc.late {
					time.Sleep(500 * time.Millisecond) // time for wrong verdicts from the replica
					if got := ck.count(probe.Lost, 0, in.Next()); got != 0 || in.Next() != demoted {
						t.Errorf("with the endpoint on the demoted primary: %d lost, %d writes; want no verdict and no write", got, in.Next()-demoted)
					}
					ep.point(replica.Addr)
				}

				waitFor(t, 10*time.Second, func() bool { return in.Next() > demoted+10 }, "writes to the new primary")
				n := in.Next()
				vanished := missingFrom(t, replica, opts, n)
				if len(vanished) == 0 || len(vanished) == int(n) {
					b, _ := os.ReadFile(filepath.Join(primary.Dir, "server.log"))
					t.Fatalf("%d of %d acknowledged writes vanished; the test needs some but not all; old primary's log:\n%s", len(vanished), n, b)
				}
				waitFor(t, 15*time.Second, func() bool { return ck.count(probe.Lost, 0, n) >= len(vanished) }, "the vanished writes reported lost")
				time.Sleep(500 * time.Millisecond) // room for a wrong extra report
				t.Logf("%s, %s: %d writes acknowledged by the old primary after the promotion (%d verified there), %d vanished, %d reported lost, found by %v; verdicts %v",
					e, tc.name, demoted-promoted, verifiedBefore, len(vanished), ck.count(probe.Lost, 0, n), ck.foundBy(probe.Lost), ck.byResult())
				if got := ck.seqs(probe.Lost, 0, n); !slices.Equal(got, vanished) {
					t.Errorf("reported lost %v\nwant the vanished %v", got, vanished)
				}
				if verifiedBefore == 0 {
					t.Error("none of the writes acknowledged after the promotion was verified before the demotion: the test is about verified writes")
				}
				ck.verify(t)
			})
		}
	}
}

// TestFailoverToReplica: a primary with a replica; replication breaks
// (the replica may no longer PSYNC), the primary goes on acknowledging
// writes, is killed, the replica is promoted (REPLICAOF NO ONE) and the
// endpoint is pointed at it. The availability probe measures the outage;
// the integrity probe reports as lost exactly the acknowledged writes the
// replica does not have, counted independently by reading the replica.
func TestFailoverToReplica(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			// Redis 7 waits 5s for more replicas before a diskless full sync.
			primary := servertest.Start(t, e, "repl-diskless-sync-delay", "0")
			replica := servertest.Start(t, e, "replicaof", "127.0.0.1 "+strconv.Itoa(primary.Port))
			waitLinkUp(t, replica, 10*time.Second)
			ctx := ctxFor(t, 30*time.Second)
			ep := newEndpoint(primary.Addr)

			var (
				rec availability
				ck  checks
			)
			opts := killOpts
			opts.Keys = 100000
			opts.VerifyDelay = 4 * time.Second
			in := newIntegrity(t, ep.client(t), opts, &ck)
			// A 1s timeout: a slow probe on a loaded machine is not the
			// outage this test is about.
			a := newAvailability(t, ep.client(t), probe.AvailabilityOptions{Timeout: time.Second}, &rec)
			goUntilStopped(t, a.Run)
			runIntegrity(t, in)
			time.Sleep(400 * time.Millisecond)
			waitReplicated(t, primary)
			// Break replication for good: the replica reconnects at once but
			// may not resynchronise.
			admin := primary.Client()
			for _, cmd := range [][]any{{"ACL", "SETUSER", "default", "-psync", "-sync"}, {"CLIENT", "KILL", "TYPE", "replica"}} {
				if err := admin.Do(ctx, cmd...).Err(); err != nil {
					t.Fatalf("%v: %v", cmd, err)
				}
			}
			time.Sleep(400 * time.Millisecond)

			primary.Kill()
			killed := time.Now()
			n := in.Next()
			time.Sleep(300 * time.Millisecond) // the failover takes a while
			if err := replica.Client().Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
				t.Fatal(err)
			}
			ep.point(replica.Addr)
			moved := time.Now()

			missing := missingFrom(t, replica, opts, n)
			if len(missing) == 0 || len(missing) == int(n) {
				b, _ := os.ReadFile(filepath.Join(replica.Dir, "server.log"))
				t.Fatalf("the replica misses %d of %d acknowledged writes; the test needs some but not all; replica log:\n%s", len(missing), n, b)
			}

			waitFor(t, 10*time.Second, func() bool { return ck.judged(0, n) == int(n) }, "verdicts on every write acknowledged before the failover")
			t.Logf("%s: failover: %d writes acknowledged by the old primary, %d not on the replica; verdicts %v, lost found by %v",
				e, n, len(missing), ck.byResult(), ck.foundBy(probe.Lost))
			if got := ck.seqs(probe.Lost, 0, n); !slices.Equal(got, missing) {
				t.Errorf("lost %v, want %v: the acknowledged writes missing from the replica", got, missing)
			}
			if v := ck.count(probe.Verified, 0, n); v != int(n)-len(missing) {
				t.Errorf("verified %d, want %d", v, int(n)-len(missing))
			}
			ck.verify(t)

			_, ends := rec.outages()
			if len(ends) != 1 {
				t.Fatalf("%d outages ended, want 1: %+v", len(ends), ends)
			}
			o := ends[0]
			t.Logf("%s: failover outage %v (kill to endpoint move %v), %d failed probes, %v .. %v",
				e, o.Duration, moved.Sub(killed), o.Failed, o.FirstClass, o.LastClass)
			if o.Start.Before(killed.Add(-150*time.Millisecond)) || o.Start.After(killed.Add(150*time.Millisecond)) {
				t.Errorf("outage started %v after the kill, want within ±150ms", o.Start.Sub(killed))
			}
			if o.End.Before(moved) || o.End.After(moved.Add(500*time.Millisecond)) {
				t.Errorf("outage ended %v after the endpoint moved, want within 500ms", o.End.Sub(moved))
			}
			if o.FirstClass != result.ClassConnReset && o.FirstClass != result.ClassConnRefused {
				t.Errorf("outage starts with %v (%v), want conn_reset or conn_refused", o.FirstClass, o.FirstErr)
			}
		})
	}
}

// TestStopWithoutStateFile: when Run stops, the final sweep reads the
// writes still awaiting their first check; those it cannot read (the server
// is gone) are reported unchecked: never silently dropped.
func TestStopWithoutStateFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kill bool
		want probe.CheckResult
	}{{"server up", false, probe.Verified}, {"server down", true, probe.Unchecked}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, servertest.Redis)
			var ck checks
			opts := killOpts
			opts.Keys = 100000
			opts.VerifyDelay = time.Minute
			in := newIntegrity(t, probeClient(t, s.Addr), opts, &ck)
			stop := runIntegrity(t, in)
			waitFor(t, 5*time.Second, func() bool { return in.Next() >= 10 }, "writes")
			if tc.kill {
				s.Kill()
			}
			n := in.Next()
			if got := ck.judged(0, n); got != 0 {
				t.Fatalf("%d writes judged before the stop, want none (verify delay 1m)", got)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if got := ck.count(tc.want, 0, n); got != int(n) || ck.total(0, n) != int(n) || ck.foundBy(tc.want)["final sweep"] < int(n) {
				t.Errorf("verdicts %v (found by %v) on %d writes, want all %v by the final sweep", ck.byResult(), ck.foundBy(tc.want), n, tc.want)
			}
			if in.Pending() != 0 {
				t.Errorf("pending %d after Run, want 0", in.Pending())
			}
		})
	}
}

// TestFinalSweepFindsLoss: writes verified a while ago and lost since are
// found by the final sweep when Run stops, if no other read came round to
// them before.
func TestFinalSweepFindsLoss(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Valkey)
	var ck checks
	opts := killOpts
	opts.Keys = 100000
	opts.SweepRate = 101 // just over the writes: about one read a step
	in := newIntegrity(t, probeClient(t, s.Addr), opts, &ck)
	stop := runIntegrity(t, in)
	waitFor(t, 5*time.Second, func() bool { return ck.count(probe.Verified, 0, 50) == 50 }, "writes verified")
	keys := make([]string, 50)
	for j := range keys {
		keys[j] = opts.Prefix + strconv.Itoa(j)
	}
	if err := s.Client().Del(ctxFor(t, time.Second), keys...).Err(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n := in.Next()
	t.Logf("50 verified writes deleted, then stop: lost found by %v", ck.foundBy(probe.Lost))
	want := make([]uint64, 50)
	for j := range want {
		want[j] = uint64(j)
	}
	if got := ck.seqs(probe.Lost, 0, n); !slices.Equal(got, want) {
		t.Errorf("lost %v, want 0-49: verdicts %v", got, ck.byResult())
	}
	if by := ck.foundBy(probe.Lost); by["final sweep"] < 40 || by["final sweep"]+by["continuous sweep"] != 50 {
		t.Errorf("the losses were found by %v, want the final sweep (and the few reads of the continuous sweep before it)", by)
	}
	ck.verify(t)
}
