package target_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

const (
	monitorInterval = 50 * time.Millisecond
	// eventTimeout bounds every wait for an event: a loaded CI host, not
	// the monitor (which recovers within an interval), sets it.
	eventTimeout = 10 * time.Second
)

// monitored runs tg.Monitor until the test ends and returns its events.
func monitored(t *testing.T, tg *target.Target) <-chan target.Event {
	t.Helper()
	ch := make(chan target.Event, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tg.Monitor(ctx, monitorInterval, func(e target.Event) {
			if e.Target != tg.Name() {
				t.Errorf("event for target %q, want %q", e.Target, tg.Name())
			}
			ch <- e
		})
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ch
}

// next returns the next event, failing the test after eventTimeout.
func next(t *testing.T, ch <-chan target.Event) target.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(eventTimeout):
		t.Fatalf("no event within %v", eventTimeout)
		return target.Event{}
	}
}

// expect reads the next event and checks its kind.
func expect(t *testing.T, ch <-chan target.Event, kind target.EventKind) target.Event {
	t.Helper()
	e := next(t, ch)
	if e.Kind != kind {
		t.Fatalf("event %v (%+v), want %v", e.Kind, e, kind)
	}
	return e
}

// expectDown skips further EventDown events with a changed class (refused,
// then reset, say) and returns the first.
func expectDown(t *testing.T, ch <-chan target.Event) target.Event {
	t.Helper()
	e := expect(t, ch, target.EventDown)
	if e.Class == result.ClassNone || e.Err == nil {
		t.Errorf("EventDown without a class or error: %+v", e)
	}
	return e
}

// expectUp reads events up to the next EventUp, allowing only EventDown
// (whose class may change while the target is down) before it.
func expectUp(t *testing.T, ch <-chan target.Event) target.Event {
	t.Helper()
	for {
		e := next(t, ch)
		switch e.Kind {
		case target.EventUp:
			return e
		case target.EventDown:
			continue
		default:
			t.Fatalf("event %v (%+v) while waiting for up", e.Kind, e)
		}
	}
}

func TestMonitorDownAtStartThenKillAndRestart(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e)
			s.Kill() // nothing listens on s.Addr until Restart

			tg := newTarget(t, target.Options{Name: "tg", Addrs: []string{s.Addr}, DeclaredEngine: e})
			ch := monitored(t, tg)

			down := expectDown(t, ch)
			if down.Class != result.ClassConnRefused {
				t.Errorf("down at start: class %v, want conn_refused (err %v)", down.Class, down.Err)
			}
			if down.Info != (target.Info{}) {
				t.Errorf("down at start carries info %+v, want none", down.Info)
			}
			if tg.Ready() || tg.Up() {
				t.Errorf("Ready=%v Up=%v while never reached, want false", tg.Ready(), tg.Up())
			}
			if got := tg.Engine(); got != e {
				t.Errorf("Engine before detection = %q, want the declared %q", got, e)
			}

			s.Restart()
			up := expectUp(t, ch)
			if up.Info.Engine != e || up.Info.Role != "primary" {
				t.Errorf("up info %+v", up.Info)
			}
			if !tg.Ready() || !tg.Up() {
				t.Errorf("after up: Ready=%v Up=%v, want true", tg.Ready(), tg.Up())
			}

			s.Kill()
			down = expectDown(t, ch)
			if down.Info != up.Info {
				t.Errorf("down info %+v, want the last detected %+v", down.Info, up.Info)
			}
			if tg.Up() || !tg.Ready() {
				t.Errorf("after kill: Up=%v Ready=%v, want false true", tg.Up(), tg.Ready())
			}

			s.Restart()
			up2 := expectUp(t, ch)
			if up2.Info != up.Info {
				t.Errorf("recovered info %+v, want %+v", up2.Info, up.Info)
			}
			// A new process: a new run_id, whatever else stayed the same.
			re := expect(t, ch, target.EventRestarted)
			if re.Node != s.Addr || re.Status.RunID == "" || re.Status.RunID == re.PreviousStatus.RunID || re.PreviousStatus.RunID == "" {
				t.Errorf("restarted event node %q run_id %q -> %q, want %s and a new run_id",
					re.Node, re.PreviousStatus.RunID, re.Status.RunID, s.Addr)
			}
			// Same engine and version again: no EventChanged, no mismatch.
			select {
			case ev := <-ch:
				t.Errorf("unexpected event after recovery: %v %+v", ev.Kind, ev)
			case <-time.After(3 * monitorInterval):
			}
		})
	}
}

func TestMonitorEngineMismatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		engine   servertest.Engine
		declared servertest.Engine
	}{
		{servertest.Redis, "valkey"},
		{servertest.Valkey, "redis"},
	}
	for _, tt := range tests {
		t.Run(string(tt.engine), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, tt.engine)
			tg := newTarget(t, target.Options{Addrs: []string{s.Addr}, DeclaredEngine: tt.declared})
			if got := tg.Engine(); got != tt.declared {
				t.Errorf("Engine before detection = %q, want declared %q", got, tt.declared)
			}
			ch := monitored(t, tg)
			up := expect(t, ch, target.EventUp)
			mm := expect(t, ch, target.EventEngineMismatch)
			if mm.Info != up.Info || mm.Info.Engine != tt.engine {
				t.Errorf("mismatch info %+v, want %+v", mm.Info, up.Info)
			}
			if got := tg.Engine(); got != tt.engine {
				t.Errorf("Engine = %q, want the detected %q", got, tt.engine)
			}
		})
	}
}

// An in-place migration: the endpoint goes down as Redis and comes back as
// Valkey on the same address.
func TestMonitorEngineChangedInPlace(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Redis)
	tg := newTarget(t, target.Options{Addrs: []string{s.Addr}, DeclaredEngine: "redis"})
	ch := monitored(t, tg)
	before := expect(t, ch, target.EventUp).Info

	s.Kill()
	expectDown(t, ch)
	s.Engine = servertest.Valkey
	s.Restart()

	after := expectUp(t, ch).Info
	expect(t, ch, target.EventRestarted)
	changed := expect(t, ch, target.EventChanged)
	if changed.Previous != before || changed.Info != after {
		t.Errorf("changed %+v -> %+v, want %+v -> %+v", changed.Previous, changed.Info, before, after)
	}
	if after.Engine != "valkey" || after.Version != binaryVersion(t, servertest.Valkey) {
		t.Errorf("after migration: %+v", after)
	}
	expect(t, ch, target.EventEngineMismatch)
	if got := tg.Engine(); got != "valkey" {
		t.Errorf("Engine = %q, want valkey", got)
	}
}

func TestMonitorStopsOnCancel(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Valkey)
	tg := newTarget(t, target.Options{Addrs: []string{s.Addr}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tg.Monitor(ctx, time.Hour, nil); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Monitor did not return within 5s of cancel")
	}
}

func TestEventKindString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k    target.EventKind
		want string
	}{
		{target.EventUp, "up"},
		{target.EventDown, "down"},
		{target.EventChanged, "changed"},
		{target.EventEngineMismatch, "engine_mismatch"},
		{target.EventRoleChanged, "role_changed"},
		{target.EventRestarted, "restarted"},
		{target.EventMasterLinkChanged, "master_link_changed"},
		{0, "unknown"},
		{99, "unknown"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("EventKind(%d).String() = %q, want %q", tt.k, got, tt.want)
		}
	}
}
