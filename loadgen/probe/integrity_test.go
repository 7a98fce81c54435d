package probe_test

import (
	"errors"
	"os"
	"path/filepath"
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

// killOpts write every 10ms and read back after 3s: every write made before
// the kill is read back after the restart. The ring is larger than all the
// writes of a test, so each write has its own key.
var killOpts = probe.IntegrityOptions{
	Prefix: "it:", Keys: 100000, Interval: 10 * time.Millisecond, Timeout: 500 * time.Millisecond,
	VerifyDelay: 3 * time.Second,
}

// killAndRestart runs an integrity probe against a server started with
// directives, kills it (SIGKILL) after writes have been acknowledged,
// restarts it, and returns the checks and n, the writes acknowledged before
// the kill (seqs 0..n-1), once all n are judged.
func killAndRestart(t *testing.T, e servertest.Engine, directives ...string) (*checks, uint64) {
	t.Helper()
	s := servertest.Start(t, e, directives...)
	var ck checks
	in := newIntegrity(t, probeClient(t, s.Addr), killOpts, &ck)
	runIntegrity(t, in)
	time.Sleep(800 * time.Millisecond)
	s.Kill()
	n := in.Next() // no write can be acknowledged until the restart
	if n < 20 {
		t.Fatalf("only %d writes acknowledged in 800ms", n)
	}
	if got := ck.total(0, n); got != 0 {
		t.Fatalf("%d writes judged before the kill (%v): the verify delay is too short for this machine", got, ck.byResult())
	}
	s.Restart()
	waitFor(t, 10*time.Second, func() bool { return ck.total(0, n) == int(n) }, "verdicts on every write acknowledged before the kill")
	return &ck, n
}

// TestKillWithoutPersistence: with persistence off, kill -9 and a restart
// lose every acknowledged write, and the probe reports exactly those as lost.
func TestKillWithoutPersistence(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			ck, n := killAndRestart(t, e)
			t.Logf("%s: no persistence: %d writes acknowledged before kill -9, verdicts %v", e, n, ck.byResult())
			if lost := ck.count(probe.Lost, 0, n); lost != int(n) {
				t.Errorf("lost %d of %d acknowledged writes, want all (verdicts %v)", lost, n, ck.byResult())
			}
		})
	}
}

// TestKillWithAOFAlways: with appendfsync always an acknowledged write is on
// disk, so kill -9 and a restart lose nothing.
func TestKillWithAOFAlways(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			ck, n := killAndRestart(t, e, "appendonly", "yes", "appendfsync", "always")
			t.Logf("%s: appendfsync always: %d writes acknowledged before kill -9, verdicts %v", e, n, ck.byResult())
			if v := ck.count(probe.Verified, 0, n); v != int(n) {
				t.Errorf("verified %d of %d acknowledged writes, want all (verdicts %v)", v, n, ck.byResult())
			}
		})
	}
}

// waitLinkUp waits until the replica reports its link to the primary up.
func waitLinkUp(t *testing.T, replica *servertest.Server) {
	t.Helper()
	c := replica.Client()
	waitFor(t, 10*time.Second, func() bool {
		info, err := c.Info(ctxFor(t, time.Second), "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	}, "replication link up")
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
			waitLinkUp(t, replica)
			ctx := ctxFor(t, 30*time.Second)
			ep := newEndpoint(primary.Addr)

			var (
				rec availability
				ck  checks
			)
			opts := killOpts
			opts.VerifyDelay = 4 * time.Second
			in := newIntegrity(t, ep.client(t), opts, &ck)
			a := newAvailability(t, ep.client(t), probe.AvailabilityOptions{}, &rec)
			goUntilStopped(t, a.Run)
			runIntegrity(t, in)
			time.Sleep(400 * time.Millisecond)

			// Everything so far has reached the replica: WAIT covers the
			// calling client's own writes, and the marker follows the
			// probe's writes in the replication stream.
			admin := primary.Client()
			if err := admin.Set(ctx, "marker", "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if acks, err := admin.Do(ctx, "WAIT", 1, 2000).Int(); err != nil || acks != 1 {
				t.Fatalf("WAIT 1 2000 = %d, %v: the replica is not replicating", acks, err)
			}
			// Break replication for good: the replica reconnects at once but
			// may not resynchronise.
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

			// Independently: which acknowledged writes does the replica have?
			missing := 0
			rc := replica.Client()
			for seq := range n {
				err := rc.Get(ctx, opts.Prefix+strconv.FormatUint(seq, 10)).Err()
				switch {
				case errors.Is(err, redis.Nil):
					missing++
				case err != nil:
					t.Fatal(err)
				}
			}
			if missing == 0 || missing == int(n) {
				b, _ := os.ReadFile(filepath.Join(replica.Dir, "server.log"))
				t.Fatalf("the replica misses %d of %d acknowledged writes; the test needs some but not all; replica log:\n%s", missing, n, b)
			}

			waitFor(t, 10*time.Second, func() bool { return ck.total(0, n) == int(n) }, "verdicts on every write acknowledged before the failover")
			t.Logf("%s: failover: %d writes acknowledged by the old primary, %d not on the replica; verdicts %v", e, n, missing, ck.byResult())
			if lost := ck.count(probe.Lost, 0, n); lost != missing {
				t.Errorf("lost %d, want %d: the acknowledged writes missing from the replica", lost, missing)
			}
			if v := ck.count(probe.Verified, 0, n); v != int(n)-missing {
				t.Errorf("verified %d, want %d", v, int(n)-missing)
			}

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

// TestRestartOfEcbench: with a state file, a second probe (a restarted
// ecbench) takes over the first one's ledger and reports none of its writes
// as lost, even when it resumes from a state saved a while before the first
// one stopped (a crash).
func TestRestartOfEcbench(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e)
			opts := killOpts
			opts.Keys = 300 // the ring wraps during the test
			opts.Interval = 5 * time.Millisecond
			opts.VerifyDelay = 500 * time.Millisecond
			opts.StateFile = filepath.Join(t.TempDir(), "integrity.json")

			var first checks
			in1 := newIntegrity(t, probeClient(t, s.Addr), opts, &first)
			stop1 := runIntegrity(t, in1)
			time.Sleep(1200 * time.Millisecond)
			// A crash would leave the state as of the last periodic save:
			// keep a copy of the state then, and put it back at the end.
			crashState, err := os.ReadFile(opts.StateFile)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			if err := stop1(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: first run: %d writes, %d pending at exit, verdicts %v", e, in1.Next(), in1.Pending(), first.byResult())
			if in1.Pending() == 0 {
				t.Fatal("nothing pending when the first run stopped; the test needs pending writes")
			}

			for _, tc := range []struct {
				name  string
				state []byte
			}{{"clean stop", nil}, {"crash", crashState}} {
				if tc.state != nil {
					if err := os.WriteFile(opts.StateFile, tc.state, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				var second checks
				in2 := newIntegrity(t, probeClient(t, s.Addr), opts, &second)
				from, pending := in2.Next(), in2.Pending()
				stop2 := runIntegrity(t, in2)
				waitFor(t, 5*time.Second, func() bool { return in2.Next() > from+100 }, "writes by the second run")
				if err := stop2(); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %s: resumed at seq %d with %d pending; verdicts %v", e, tc.name, from, pending, second.byResult())
				got := second.byResult()
				if got["lost"] != 0 || got["stale"] != 0 || got["corrupted"] != 0 {
					t.Errorf("%s: verdicts %v, want only verified (and unchecked: none, there is a state file)", tc.name, got)
				}
				if got["verified"] < pending {
					t.Errorf("%s: verified %d, want at least the %d resumed", tc.name, got["verified"], pending)
				}
			}
		})
	}
}

// TestStateFileForAnotherRing: a state file written for another ring is not
// resumed; its pending writes are reported unchecked, not lost.
func TestStateFileForAnotherRing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Valkey)
	opts := killOpts
	opts.VerifyDelay = time.Minute
	opts.StateFile = filepath.Join(t.TempDir(), "integrity.json")
	in1 := newIntegrity(t, probeClient(t, s.Addr), opts, &checks{})
	stop := runIntegrity(t, in1)
	waitFor(t, 5*time.Second, func() bool { return in1.Next() >= 10 }, "writes")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n := in1.Next()

	opts.Keys++
	var ck checks
	in2 := newIntegrity(t, probeClient(t, s.Addr), opts, &ck)
	if in2.Next() != 0 || in2.Pending() != 0 {
		t.Errorf("resumed at %d with %d pending, want a fresh run", in2.Next(), in2.Pending())
	}
	stop = runIntegrity(t, in2)
	waitFor(t, 5*time.Second, func() bool { return ck.count(probe.Unchecked, 0, n) > 0 }, "the discarded ledger reported")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := ck.count(probe.Unchecked, 0, n); got != int(n) {
		t.Errorf("unchecked %d, want the %d pending in the discarded state", got, n)
	}
}

// TestStopWithoutStateFile: writes still pending when Run returns are
// reported unchecked: never silently dropped.
func TestStopWithoutStateFile(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Redis)
	var ck checks
	opts := killOpts
	opts.VerifyDelay = time.Minute
	in := newIntegrity(t, probeClient(t, s.Addr), opts, &ck)
	stop := runIntegrity(t, in)
	waitFor(t, 5*time.Second, func() bool { return in.Next() >= 10 }, "writes")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n := in.Next()
	if got := ck.count(probe.Unchecked, 0, n); got != int(n) || ck.total(0, n) != int(n) {
		t.Errorf("verdicts %v on %d writes, want all unchecked", ck.byResult(), n)
	}
}

// TestStateFileErrors: an unwritable state file fails NewIntegrity at once,
// and so does one that is not a state file.
func TestStateFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := killOpts
	o.StateFile = filepath.Join(dir, "missing", "state.json")
	if _, err := probe.NewIntegrity(nil, o, nil); err == nil {
		t.Error("NewIntegrity with a state file in a missing directory succeeded")
	}
	o.StateFile = filepath.Join(dir, "bad.json")
	for _, content := range []string{"{", `{"version":2,"epoch":"00"}`, `{"version":1,"epoch":"1","next_seq":3,"pending":[[5,1]]}`} {
		if err := os.WriteFile(o.StateFile, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := probe.NewIntegrity(nil, o, nil); err == nil {
			t.Errorf("NewIntegrity with state %s succeeded", content)
		}
	}
}
