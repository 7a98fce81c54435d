package probe_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/probe"
)

// TestClusterFailover: a cluster client follows a failover. The primary of a
// one-shard cluster is killed and its replica takes over (CLUSTER FAILOVER
// TAKEOVER); the client, which knew only the old primary as a seed, finds the
// new one from the topology it had loaded, and the probes recover without any
// help from the test.
func TestClusterFailover(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			nodes := servertest.StartCluster(t, e, 1)
			replica := servertest.AddClusterReplica(t, nodes[0])
			ctx := ctxFor(t, 30*time.Second)
			client := func() *redis.ClusterClient {
				return servertest.ClusterClient(t, nodes, func(o *redis.ClusterOptions) {
					o.ClientName, o.DialerRetries, o.DialTimeout, o.ContextTimeoutEnabled = clientName, 1, time.Second, true
				})
			}
			var (
				rec availability
				ck  checks
			)
			a := newAvailability(t, client(), probe.AvailabilityOptions{}, &rec)
			in := newIntegrity(t, client(), probe.IntegrityOptions{
				Prefix: "it:", Keys: 10000, Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond,
				VerifyDelay: 2 * time.Second, SweepRate: 100,
			}, &ck)
			goUntilStopped(t, a.Run)
			stopIntegrity := runIntegrity(t, in)
			waitOK(t, &rec, 3)
			// Let the replica catch up before its primary dies. WAIT covers
			// the calling client's own writes, and the marker follows the
			// probes' writes in the replication stream.
			time.Sleep(300 * time.Millisecond)
			admin := nodes[0].Client()
			if err := admin.Set(ctx, "marker", "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if acks, err := admin.Do(ctx, "WAIT", 1, 2000).Int(); err != nil || acks != 1 {
				t.Fatalf("WAIT 1 2000 = %d, %v: the replica is not replicating", acks, err)
			}

			nodes[0].Kill()
			killed := time.Now()
			acked := in.Next()
			if err := replica.Client().Do(ctx, "CLUSTER", "FAILOVER", "TAKEOVER").Err(); err != nil {
				t.Fatal(err)
			}
			tookOver := time.Now()
			waitFor(t, 10*time.Second, func() bool { _, e := rec.outages(); return len(e) > 0 }, "recovery after the failover")
			waitFor(t, 5*time.Second, func() bool { return in.Next() > acked+10 }, "integrity writes to the new primary")
			_, ends := rec.outages()
			o := ends[0]
			t.Logf("%s: cluster failover: outage %v (takeover %v after the kill, recovered %v after it), %d failed probes, %v .. %v",
				e, o.Duration, tookOver.Sub(killed), o.End.Sub(tookOver), o.Failed, o.FirstClass, o.LastClass)
			if o.End.Sub(tookOver) > 2*time.Second {
				t.Errorf("recovered %v after the takeover, want < 2s", o.End.Sub(tookOver))
			}
			if len(ends) != 1 {
				t.Errorf("%d outages, want 1: %+v", len(ends), ends)
			}

			// WAIT made every write before the kill reach the replica except
			// those in the last moments; whatever was lost is reported, and
			// nothing is stale or corrupted.
			waitFor(t, 10*time.Second, func() bool { return ck.judged(0, acked) == int(acked) }, "verdicts on the writes before the failover")
			if err := stopIntegrity(); err != nil {
				t.Fatal(err)
			}
			got := ck.byResult()
			t.Logf("%s: cluster failover: %d writes before the kill; verdicts %v", e, acked, got)
			if ck.count(probe.Stale, 0, acked)+ck.count(probe.Corrupted, 0, acked) != 0 {
				t.Errorf("verdicts %v: stale or corrupted after a failover", got)
			}
			ck.verify(t)
		})
	}
}
