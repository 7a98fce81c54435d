package target_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/target"
)

// TestNodeStats reads INFO's resources and counters from real servers after
// a known set of commands: the keys, expires and commandstats calls are
// exact; memory, CPU and network are present.
func TestNodeStats(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e)
			servertest.Start(t, e, "replicaof", "127.0.0.1 "+strconv.Itoa(s.Port))
			ctx := testCtx(t, 30*time.Second)
			c := s.Client()
			for i := range 10 {
				if err := c.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 3 {
				if err := c.Expire(ctx, "k"+strconv.Itoa(i), time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
			}
			tg := newTarget(t, target.Options{Addrs: []string{s.Addr}})
			if err := tg.WatchInfo(nil, target.StatsSections...); err != nil {
				t.Fatal(err)
			}
			var st target.NodeStats
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				polls, err := tg.PollInfo(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var ok bool
				if st, ok = polls[0].Stats(); !ok {
					t.Fatalf("Stats of %+v", polls[0])
				}
				if st.ConnectedReplicas == 1 || time.Now().After(deadline) {
					break
				}
			}
			if st.Engine != e || st.Role != target.RolePrimary || st.RunID == "" || st.Node != s.Addr {
				t.Errorf("identity %+v", st)
			}
			if st.Keys != 10 || st.Expires != 3 || len(st.DBs) != 1 || st.DBs[0].DB != 0 {
				t.Errorf("keys %d, expires %d, dbs %+v; want 10, 3 in db 0", st.Keys, st.Expires, st.DBs)
			}
			if got := st.Commands["set"]; got.Calls != 10 || got.Usec == 0 || got.Failed != 0 {
				t.Errorf("commandstats set %+v, want 10 calls", got)
			}
			if got := st.Commands["expire"].Calls; got != 3 {
				t.Errorf("commandstats expire calls %d, want 3", got)
			}
			if st.CommandsProcessed < 14 || st.UsedMemory == 0 || st.UsedMemoryRSS == 0 || st.UsedMemoryDataset == 0 ||
				st.FragmentationRatio <= 0 || st.NetInputBytes == 0 || st.NetOutput == 0 || st.CPUSys+st.CPUUser <= 0 ||
				!st.HasMainThreadCPU || st.ConnectedClients == 0 {
				t.Errorf("counters %+v", st)
			}
			if st.ConnectedReplicas != 1 || st.ReplLagBytes < 0 {
				t.Errorf("replicas %d, lag %d bytes; want 1 replica", st.ConnectedReplicas, st.ReplLagBytes)
			}
		})
	}
}
