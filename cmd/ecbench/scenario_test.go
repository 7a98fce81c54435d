package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
)

// TestScenarioWithFailover runs a real daemon through a scenario: steady,
// a burst at three times the rate, then a failover phase whose TestFailover
// goes to the fake ElastiCache endpoint, which promotes the replica. The
// phases are exported and logged, the offered rate follows the multiplier,
// and the failover is requested and completed.
func TestScenarioWithFailover(t *testing.T) {
	t.Parallel()
	fake := fakeValkeyGroup(t)
	vs := servertest.Start(t, servertest.Valkey)
	p := startProcess(t, fmt.Sprintf(`
targets: [{name: valkey, engine: valkey, addrs: [%q]}]
workloads:
  - {name: kv, rate: {type: constant, rate: 100}}
failover: {enabled: true, poll_interval: 100ms}
scenario:
  phases:
    # 3 s a phase: a full test run on a 2-CPU CI host slows each scrape
    # enough that a 1 s phase was missed by the polls (twice).
    - {name: steady, duration: 3s}
    - {name: burst, duration: 3s, rate_multiplier: 3}
    - name: failover
      duration: 3s
      actions: [{type: failover, replication_group: rg-valkey, node_group: "0001", timeout: 10s}]
`, vs.Addr), fake.Env()...)

	offered := func() float64 {
		return value(scrape(t, p.addr), "ecbench_offered_rate_ops_per_second", labels("target", "valkey", "workload", "kv"))
	}
	phase := func(name string) bool {
		return value(scrape(t, p.addr), "ecbench_phase_info", labels("phase", name)) == 1
	}
	eventually(t, 10*time.Second, "the steady phase at 100/s", func() bool { return phase("steady") && offered() == 100 })
	eventually(t, 10*time.Second, "the burst phase at 300/s", func() bool { return phase("burst") && offered() == 300 })
	eventually(t, 10*time.Second, "the failover phase back at 100/s", func() bool { return phase("failover") && offered() == 100 })
	eventually(t, 10*time.Second, "the failover action done", func() bool {
		return value(scrape(t, p.addr), "ecbench_actions_total", labels("action", "failover", "result", "ok")) == 1
	})
	mfs := scrape(t, p.addr)
	req := value(mfs, "ecbench_action_requested_timestamp_seconds", labels("action", "failover", "phase", "failover"))
	done := value(mfs, "ecbench_action_completed_timestamp_seconds", labels("action", "failover", "phase", "failover"))
	if req == 0 || done < req {
		t.Errorf("failover requested at %v, completed at %v", req, done)
	}
	calls := fake.ElastiCacheCalls("TestFailover")
	if len(calls) != 1 || calls[0].Get("ReplicationGroupId") != "rg-valkey" || calls[0].Get("NodeGroupId") != "0001" {
		t.Errorf("TestFailover calls: %v", calls)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 5*time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
	logs := p.stderr.String()
	for _, ph := range []string{"steady", "burst", "failover"} {
		mustContain(t, "log", logs, `"msg":"phase started","phase":"`+ph+`"`)
	}
	mustContain(t, "log", logs, `"msg":"action requested","action":"failover"`, `"msg":"action done","action":"failover","phase":"failover","result":"ok"`)
	if strings.Count(logs, `"msg":"phase started"`) != 3 {
		t.Errorf("phases started more than once without repeat:\n%s", logs)
	}
}
