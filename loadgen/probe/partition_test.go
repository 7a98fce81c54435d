package probe_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
)

// TestNetworkPartition runs the server in its own network namespace, reached
// over a veth pair, and cuts the link for 1s: packets vanish (no reset, no
// refusal), so the probes see timeouts. The outage spans the partition, the
// probes recover within a second of the link coming back, and nothing
// acknowledged is lost.
//
// It needs root with CAP_NET_ADMIN; elsewhere it is skipped with the reason.
func TestNetworkPartition(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			ns, err := servertest.NewNetns(t)
			if err != nil {
				t.Skipf("a network partition needs a network namespace and a veth pair (root with CAP_NET_ADMIN): %v", err)
			}
			s := ns.Start(e)
			short := func(o *redis.Options) { o.DialTimeout = 200 * time.Millisecond }
			var (
				rec availability
				ck  checks
			)
			a := newAvailability(t, probeClient(t, s.Addr, short), probe.AvailabilityOptions{}, &rec)
			in := newIntegrity(t, probeClient(t, s.Addr, short), probe.IntegrityOptions{
				Prefix: "it:", Keys: 10000, Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond,
				VerifyDelay: 500 * time.Millisecond, SweepRate: 100,
			}, &ck)
			goUntilStopped(t, a.Run)
			stopIntegrity := runIntegrity(t, in)
			waitOK(t, &rec, 3)
			time.Sleep(300 * time.Millisecond)

			ns.Partition()
			cut := time.Now()
			time.Sleep(time.Second)
			// The heal takes effect during Heal: the time before it is the
			// earliest the outage can end.
			healed := time.Now()
			ns.Heal()
			waitFor(t, 5*time.Second, func() bool { _, e := rec.outages(); return len(e) > 0 }, "recovery from the partition")
			resumed := in.Next()
			waitFor(t, 5*time.Second, func() bool { return in.Next() >= resumed+10 }, "integrity writes after the partition")
			written := in.Next()
			waitFor(t, 5*time.Second, func() bool { return ck.judged(0, written) == int(written) }, "every integrity write read back")
			if err := stopIntegrity(); err != nil {
				t.Fatal(err)
			}

			_, ends := rec.outages()
			if len(ends) != 1 {
				t.Fatalf("%d outages, want 1: %+v", len(ends), ends)
			}
			o := ends[0]
			t.Logf("%s: 1s partition: outage %v (started %v after the cut, ended %v after the heal), %d failed probes, %v .. %v; integrity %v",
				e, o.Duration, o.Start.Sub(cut), o.End.Sub(healed), o.Failed, o.FirstClass, o.LastClass, ck.byResult())
			if o.Start.Sub(cut) > 150*time.Millisecond || o.Start.Before(cut.Add(-150*time.Millisecond)) {
				t.Errorf("outage started %v after the cut, want within ±150ms", o.Start.Sub(cut))
			}
			if o.End.Before(healed) || o.End.Sub(healed) > time.Second {
				t.Errorf("outage ended %v after the heal, want within 1s", o.End.Sub(healed))
			}
			if o.FirstClass != result.ClassTimeout || o.LastClass != result.ClassTimeout {
				t.Errorf("classes %v .. %v, want timeout: a partition drops packets silently", o.FirstClass, o.LastClass)
			}
			if v := ck.count(probe.Verified, 0, written); v != int(written) {
				t.Errorf("integrity verdicts %v on %d writes, want all verified", ck.byResult(), written)
			}
		})
	}
}
