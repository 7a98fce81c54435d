package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/internal/servertest"
)

// What the end-to-end test does to the stack beyond running it, so that the
// durability and scenario panels, the annotations and the durability alerts
// have something to show: a scenario with a failover action against the
// fake ElastiCache endpoint, and, during the data window, a failed command
// on each engine, a stall of each, a kill -9 and restart of one, and a role
// change of the other.

// writeE2EConfig writes the stack's ecbench config with a scenario added:
// two short phases, repeated, the second failing over the fake's
// replication group of the redis target (failover enabled, its completion
// polled every 200ms). Everything else is the stack's file, overridden from
// the environment as before.
func writeE2EConfig(t *testing.T, cfgFile string) string {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal(readFile(t, cfgFile), &cfg); err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg["scenario"]; ok {
		t.Fatalf("%s has a scenario of its own; the test would replace it", cfgFile)
	}
	cfg["scenario"] = map[string]any{
		"repeat": true,
		"phases": []any{
			map[string]any{"name": "steady", "duration": "3s"},
			map[string]any{"name": "failover", "duration": "3s", "actions": []any{
				map[string]any{"type": "failover", "replication_group": replicationGroup("redis"), "node_group": "0001", "timeout": "2s"},
			}},
		},
	}
	cfg["failover"] = map[string]any{"enabled": true, "poll_interval": "200ms"}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ecbench.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// restrictKeys makes the default user unable to touch keys ending in 9
// (about 10% of every workload's keys), so that those requests fail with
// NOPERM, ecbench's error class "auth": errors on every op of every workload
// on both engines, for the error panels and the error-ratio alert. It comes
// after the preload, which a refused key would stop.
func restrictKeys(t *testing.T, s *servertest.Server) {
	t.Helper()
	if err := s.Client().Do(context.Background(), "ACL", "SETUSER", "default", "resetkeys", "~*[^9]").Err(); err != nil {
		t.Fatalf("ACL SETUSER on %s: %v", s.Engine, err)
	}
}

// provokeFaults runs the faults, in about 12s from now:
//
//	both    an INCR that fails inside the server (failACall)
//	valkey  frozen 700ms (SIGSTOP: a stall, and an outage of the probe)
//	redis   frozen 700ms, then killed (SIGKILL: every write of the
//	        integrity probe's ring lost, no persistence), restarted 1.5s
//	        later
//	valkey  made a replica (of a port nobody listens on) until Prometheus
//	        has seen its role change, then a primary again
//
// redis and valkey are the targets' names.
func provokeFaults(t *testing.T, ctx context.Context, papi promAPI, engines map[string]*servertest.Server) {
	t.Helper()
	redis, valkey := engines["redis"], engines["valkey"]
	for _, s := range engines {
		failACall(t, ctx, s)
	}
	time.Sleep(2 * time.Second)
	valkey.FreezeFor(700 * time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	redis.FreezeFor(700 * time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	redis.Kill()
	time.Sleep(1500 * time.Millisecond)
	redis.Restart()
	restrictKeys(t, redis) // the restarted server has forgotten it
	time.Sleep(time.Second)

	nowhere := strconv.Itoa(servertest.FreePort(t))
	if err := valkey.Client().Do(ctx, "REPLICAOF", "127.0.0.1", nowhere).Err(); err != nil {
		t.Fatalf("REPLICAOF on valkey: %v", err)
	}
	waitRole(t, ctx, papi, "valkey", "replica")
	if err := valkey.Client().Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatalf("REPLICAOF NO ONE on valkey: %v", err)
	}
	waitRole(t, ctx, papi, "valkey", "primary")
}

// failACall makes each server run an INCR that fails (the value is not a
// number), for the Server side panel of failed calls by command: ecbench's
// own commands fail before running (restrictKeys' NOPERM, a rejected call)
// but never inside one.
func failACall(t *testing.T, ctx context.Context, s *servertest.Server) {
	t.Helper()
	c := s.Client()
	const key = "ecbench-e2e:not-a-number"
	if err := c.Set(ctx, key, "text", 0).Err(); err != nil {
		t.Fatalf("SET on %s: %v", s.Engine, err)
	}
	if err := c.Incr(ctx, key).Err(); err == nil {
		t.Fatalf("INCR of a value that is not a number succeeded on %s", s.Engine)
	}
}

// waitRole waits until Prometheus has scraped role for target from every
// generator.
func waitRole(t *testing.T, ctx context.Context, papi promAPI, target, role string) {
	t.Helper()
	q := fmt.Sprintf(`count(ecbench_target_info{target=%q, role=%q})`, target, role)
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, err := papi.query(ctx, q, time.Now())
		if err == nil && len(v) == 1 && int(v[0].Value) == generators {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v (err %v) after 15s, want %d generators", q, v, err, generators)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkAlerts: the provoked errors (about 10% of requests) make
// EcbenchErrorRatioHigh active for both targets; the kill of redis without
// persistence lost writes (EcbenchWritesLost); valkey's role changed
// (EcbenchTargetRoleChanged); each target's outage made
// EcbenchTargetUnavailable pending while it lasted (it fires after 30s,
// which the promtool tests prove), and none is open at the end; nothing is
// down, absent or silent.
func checkAlerts(t *testing.T, ctx context.Context, papi promAPI, start, end time.Time) {
	active, err := papi.alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, a := range active {
		name := a.Labels["alertname"]
		switch name {
		case "EcbenchErrorRatioHigh", "EcbenchTargetRoleChanged":
			got[name+" "+a.Labels["target"]] = true
		case "EcbenchWritesLost":
			got[name+" "+a.Labels["target"]+" "+a.Labels["result"]] = true
		case "EcbenchDown", "EcbenchTargetDown", "EcbenchMetricsAbsent", "EcbenchNoSamples", "EcbenchTargetUnavailable":
			t.Errorf("alert %s is %s at the end of the run, after every fault was over: %v", name, a.State, a.Labels)
		}
	}
	for _, want := range []string{
		"EcbenchErrorRatioHigh redis", "EcbenchErrorRatioHigh valkey", // about 10% of requests fail
		"EcbenchWritesLost redis lost",    // killed without persistence
		"EcbenchTargetRoleChanged valkey", // REPLICAOF and back
	} {
		if !got[want] {
			t.Errorf("alert %s is not active; active alerts: %v", want, active)
		}
		delete(got, want)
	}
	for k := range got {
		t.Errorf("alert %s is active, and nothing the test did explains it", k)
	}

	// Prometheus records every pending and firing alert as ALERTS.
	window := model.Duration(end.Sub(start).Round(time.Second) + time.Second).String()
	vec, err := papi.query(ctx, `max by (target) (max_over_time(ALERTS{alertname="EcbenchTargetUnavailable", alertstate="pending"}[`+window+`]))`, end)
	if err != nil {
		t.Fatal(err)
	}
	pending := map[string]bool{}
	for _, s := range vec {
		pending[string(s.Metric["target"])] = true
	}
	for _, target := range []string{"redis", "valkey"} {
		if !pending[target] {
			t.Errorf("EcbenchTargetUnavailable was never pending for %s during its outage; pending for %v", target, pending)
		}
	}
}
