package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
)

// TestDaemonFollowsTopology demotes the primary a target points at
// (REPLICAOF another server), promotes it back, and restarts it: each
// change shows in ecbench_target_info within the INFO interval, is logged
// with the old and new values, and asks the integrity probe for a full
// sweep.
func TestDaemonFollowsTopology(t *testing.T) {
	t.Parallel()
	const infoInterval = 300 * time.Millisecond
	other := servertest.Start(t, servertest.Valkey, "repl-diskless-sync-delay", "0")
	vs := servertest.Start(t, servertest.Valkey)
	addr, log, _ := startDaemon(t, fmt.Sprintf(`
probes:
  availability: {interval: 100ms, timeout: 1s}
  integrity: {enabled: true, interval: 20ms, verify_delay: 300ms, keys: 1000}
targets:
  - {name: valkey, engine: valkey, addrs: [%q], dial_timeout: 200ms, read_timeout: 500ms, info_interval: %s}
workloads:
  - {name: kv, keys: {count: 100}, ops: {get: 1, set: 1}, rate: {type: constant, rate: 200}}
`, vs.Addr, infoInterval))
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(log.String())
		}
	})
	role := func() string {
		mfs := metrictest.Scrape(t, addr)
		for _, r := range []string{"primary", "replica"} {
			if metrictest.Sum(mfs, "ecbench_target_info", e2etest.Labels("target", "valkey", "role", r)) == 1 {
				return r
			}
		}
		return ""
	}
	e2etest.Eventually(t, 5*time.Second, "role primary", func() bool { return role() == "primary" })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := vs.Client()

	// Seen within the interval (here: at once, as the runner's and the
	// probes' writes get READONLY); the wait allows for a loaded CI host.
	if err := admin.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(other.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	e2etest.Eventually(t, infoInterval+3*time.Second, "role replica in ecbench_target_info", func() bool { return role() == "replica" })
	e2etest.Eventually(t, 5*time.Second, "the role change in the log", func() bool {
		return containsAll(log.String(),
			`"msg":"target role changed","target":"valkey","node":"`+vs.Addr+`","role":"replica","previous_role":"primary","primary":"`+other.Addr+`"`,
			`"msg":"master link up","target":"valkey","node":"`+vs.Addr+`","primary":"`+other.Addr+`","master_link":"up"`)
	})

	if err := admin.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	e2etest.Eventually(t, infoInterval+3*time.Second, "role primary again", func() bool { return role() == "primary" })
	// The integrity probe sweeps once it can write again (a replica's
	// answers are not judged): the last request, the promotion's, wins.
	e2etest.Eventually(t, 5*time.Second, "the promotion and its sweep in the log", func() bool {
		return containsAll(log.String(),
			`"msg":"target role changed","target":"valkey","node":"`+vs.Addr+`","role":"primary","previous_role":"replica"`,
			`"msg":"integrity: sweep done","target":"valkey","sweep":"requested sweep","reason":"role change"`)
	})

	vs.Kill()
	vs.Restart()
	// The restart asks for a full sweep; so does the end of the outage it
	// caused, and when both come before the sweep starts the later
	// request's reason is the one the sweep logs.
	e2etest.Eventually(t, 10*time.Second, "the restart and its sweep in the log", func() bool {
		text := log.String()
		i := strings.Index(text, `"msg":"target restarted","target":"valkey","node":"`+vs.Addr+`","run_id":"`)
		if i < 0 {
			return false
		}
		after := text[i:]
		return strings.Contains(after, `"msg":"integrity: sweep done","target":"valkey","sweep":"requested sweep","reason":"restart"`) ||
			strings.Contains(after, `"msg":"integrity: sweep done","target":"valkey","sweep":"requested sweep","reason":"outage end"`)
	})
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
