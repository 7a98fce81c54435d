package target_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

// monitoredEvery is monitored with its own health interval.
func monitoredEvery(t *testing.T, tg *target.Target, interval time.Duration) <-chan target.Event {
	t.Helper()
	ch := make(chan target.Event, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { tg.Monitor(ctx, interval, func(e target.Event) { ch <- e }) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ch
}

// expectSkipping reads events up to the first of kind, skipping the kinds
// in skip, and fails on any other.
func expectSkipping(t *testing.T, ch <-chan target.Event, kind target.EventKind, skip ...target.EventKind) target.Event {
	t.Helper()
	for {
		e := next(t, ch)
		if e.Kind == kind {
			return e
		}
		ok := false
		for _, k := range skip {
			ok = ok || e.Kind == k
		}
		if !ok {
			t.Fatalf("event %v (%+v) while waiting for %v", e.Kind, e, kind)
		}
	}
}

// TestMonitorDemotion turns the primary a target points at into a replica
// of another server and back (REPLICAOF), as a failover does behind an
// endpoint: each change of role is seen within the INFO interval, with the
// replica's master link going down and up.
func TestMonitorDemotion(t *testing.T) {
	t.Parallel()
	const infoInterval = 500 * time.Millisecond
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			// No delay before the full sync: the link comes up in moments.
			other := servertest.Start(t, e, "repl-diskless-sync-delay", "0")
			s := servertest.Start(t, e)
			// A health interval longer than the test: only INFO polls can see it.
			tg := newTarget(t, target.Options{Addrs: []string{s.Addr}, InfoInterval: infoInterval})
			ch := monitoredEvery(t, tg, time.Hour)
			if up := expect(t, ch, target.EventUp); up.Info.Role != target.RolePrimary {
				t.Fatalf("up as %q, want primary", up.Info.Role)
			}
			ctx := testCtx(t, 30*time.Second)
			admin := s.Client()

			demoted := time.Now()
			if err := admin.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(other.Port)).Err(); err != nil {
				t.Fatal(err)
			}
			role := expect(t, ch, target.EventRoleChanged)
			took := time.Since(demoted)
			t.Logf("%s: demotion seen after %v (info interval %v)", e, took.Round(time.Millisecond), infoInterval)
			if limit := infoInterval + recoveryMargin; took > limit {
				t.Errorf("demotion seen after %v, want within the info interval %v (+%v)", took, infoInterval, recoveryMargin)
			}
			if role.Node != s.Addr || role.PreviousStatus.Role != target.RolePrimary || role.Status.Role != target.RoleReplica ||
				role.Status.Master != other.Addr || role.Info.Role != target.RoleReplica {
				t.Errorf("role changed: node %s %q -> %q (primary %q), info role %q; want %s primary -> replica of %s",
					role.Node, role.PreviousStatus.Role, role.Status.Role, role.Status.Master, role.Info.Role, s.Addr, other.Addr)
			}
			if in, _ := tg.Info(); in.Role != target.RoleReplica {
				t.Errorf("Info().Role = %q after the demotion, want replica", in.Role)
			}
			// The new replica's link is down at first, or already up if the
			// sync was done by the first poll.
			link := expect(t, ch, target.EventMasterLinkChanged)
			if link.Status.MasterLink == target.LinkDown {
				link = expect(t, ch, target.EventMasterLinkChanged)
			}
			if link.Status.MasterLink != target.LinkUp {
				t.Fatalf("master link %q -> %q, want up", link.PreviousStatus.MasterLink, link.Status.MasterLink)
			}
			// Its primary dies and comes back: the link goes down and up.
			other.Kill()
			if link = expect(t, ch, target.EventMasterLinkChanged); link.PreviousStatus.MasterLink != target.LinkUp || link.Status.MasterLink != target.LinkDown {
				t.Errorf("primary killed: master link %q -> %q, want up -> down", link.PreviousStatus.MasterLink, link.Status.MasterLink)
			}
			other.Restart()
			if link = expect(t, ch, target.EventMasterLinkChanged); link.PreviousStatus.MasterLink != target.LinkDown || link.Status.MasterLink != target.LinkUp {
				t.Errorf("primary back: master link %q -> %q, want down -> up", link.PreviousStatus.MasterLink, link.Status.MasterLink)
			}

			if err := admin.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
				t.Fatal(err)
			}
			back := expect(t, ch, target.EventRoleChanged)
			if back.PreviousStatus.Role != target.RoleReplica || back.Status.Role != target.RolePrimary || back.Status.MasterLink != "" {
				t.Errorf("promotion: %+v -> %+v, want replica -> primary without a link", back.PreviousStatus, back.Status)
			}
			if in, _ := tg.Info(); in.Role != target.RolePrimary {
				t.Errorf("Info().Role = %q after the promotion, want primary", in.Role)
			}
		})
	}
}

// TestRecheckPollsAtOnce: with an INFO interval of an hour, a write that
// gets READONLY and a Recheck are what shows the demotion, at once.
func TestRecheckPollsAtOnce(t *testing.T) {
	t.Parallel()
	other := servertest.Start(t, servertest.Valkey)
	s := servertest.Start(t, servertest.Valkey)
	tg := newTarget(t, target.Options{Addrs: []string{s.Addr}, InfoInterval: time.Hour})
	ch := monitoredEvery(t, tg, time.Hour)
	expect(t, ch, target.EventUp)
	ctx := testCtx(t, 30*time.Second)
	if err := s.Client().Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(other.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-ch:
		t.Fatalf("event %v before any poll was due: %+v", e.Kind, e)
	case <-time.After(300 * time.Millisecond):
	}

	err := tg.Client().Set(ctx, "k", "v", 0).Err()
	if c := result.Classify(err); c != result.ClassReadonly {
		t.Fatalf("SET on the demoted primary: %v (class %v), want readonly", err, c)
	}
	asked := time.Now()
	for range 100 { // a burst of errors asks for one poll
		tg.Recheck()
	}
	expect(t, ch, target.EventRoleChanged)
	took := time.Since(asked)
	t.Logf("role change seen %v after the READONLY and Recheck", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("role change seen %v after Recheck, want at once (< 1s)", took)
	}
	expectSkipping(t, ch, target.EventMasterLinkChanged)
	// The burst asked for one poll, not a hundred back to back.
	select {
	case e := <-ch:
		if e.Kind != target.EventMasterLinkChanged {
			t.Errorf("unexpected event %v after the recheck: %+v", e.Kind, e)
		}
	case <-time.After(300 * time.Millisecond):
	}
}

// TestWatchInfo: sections added by WatchInfo are read by the same poll
// as the topology, and handed to the sink per node.
func TestWatchInfo(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Redis)
	tg := newTarget(t, target.Options{Addrs: []string{s.Addr}, InfoInterval: 100 * time.Millisecond})
	polls := make(chan target.InfoPoll, 100)
	if err := tg.WatchInfo(func(p target.InfoPoll) {
		select {
		case polls <- p:
		default:
		}
	}, "memory", "stats", "memory"); err != nil {
		t.Fatal(err)
	}
	monitoredEvery(t, tg, time.Hour)
	var p target.InfoPoll
	select {
	case p = <-polls:
	case <-time.After(eventTimeout):
		t.Fatal("no poll")
	}
	if p.Err != nil || p.Node != s.Addr || p.Target != tg.Name() || p.At.IsZero() {
		t.Fatalf("poll %+v", p)
	}
	for section, field := range map[string]string{"server": "run_id", "replication": "role", "memory": "used_memory", "stats": "total_commands_processed"} {
		if p.Sections[section][field] == "" {
			t.Errorf("poll has no %s in section %s: %v", field, section, p.Sections[section])
		}
	}
	if len(p.Sections) != 4 {
		t.Errorf("poll read sections %v, want server, replication, memory and stats once each", keys(p.Sections))
	}

	err := tg.WatchInfo(nil, "memory", "Memory!")
	want := `invalid target options: target "t": info section "Memory!": must be 1 to 32 lower-case letters, e.g. "memory"`
	if err == nil || err.Error() != want || !errors.Is(err, target.ErrInvalidOptions) {
		t.Errorf("WatchInfo with a bad section: %v, want %s", err, want)
	}

	// A poll of a dead server reaches the sink too, with its error.
	s.Kill()
	deadline := time.After(eventTimeout)
	for {
		select {
		case p = <-polls:
		case <-deadline:
			t.Fatal("no failed poll after the kill")
		}
		if p.Err != nil {
			break
		}
	}
	if p.Sections != nil {
		t.Errorf("failed poll carries sections %v", keys(p.Sections))
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestNodeStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want target.NodeStatus
	}{
		{"info-redis-primary.txt", target.NodeStatus{Role: "primary"}},
		{"info-redis-replica.txt", target.NodeStatus{RunID: "8818149bc7999de0458b6c9226cc30320da05b01", Uptime: time.Second,
			Role: "replica", MasterLink: "down", Master: "127.0.0.1:17001"}},
		{"info-valkey-primary.txt", target.NodeStatus{RunID: "47d79e2bdaf5d606a66ce90a662b45922af4b78e", Uptime: time.Second, Role: "primary"}},
		{"info-redis-sentinel.txt", target.NodeStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := target.ParseInfoFields(string(b)).NodeStatus()
			if tt.want.RunID == "" { // the primary's and the sentinel's ids and uptimes are their own
				got.RunID, got.Uptime = "", 0
			}
			if got != tt.want {
				t.Errorf("NodeStatus = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNodeStatusRestarted(t *testing.T) {
	t.Parallel()
	a := target.NodeStatus{RunID: "a", Uptime: time.Hour}
	tests := []struct {
		name      string
		prev, cur target.NodeStatus
		want      bool
	}{
		{"same process, later", a, target.NodeStatus{RunID: "a", Uptime: time.Hour + 5*time.Second}, false},
		{"new run_id", a, target.NodeStatus{RunID: "b", Uptime: 2 * time.Hour}, true},
		{"uptime went down", a, target.NodeStatus{RunID: "a", Uptime: time.Second}, true},
		{"no earlier poll", target.NodeStatus{}, a, false},
		{"no run_id now", a, target.NodeStatus{}, false},
	}
	for _, tt := range tests {
		if got := tt.cur.Restarted(tt.prev); got != tt.want {
			t.Errorf("%s: Restarted = %v, want %v", tt.name, got, tt.want)
		}
	}
}
