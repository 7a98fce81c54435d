package deploy

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/scenario"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
	// The package has a target type of its own (a dashboard query).
	loadtarget "github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// family is one metric family of ecbench's exposition: its type and label
// names (instance and job, which Prometheus adds, included).
type family struct {
	typ    dto.MetricType
	labels map[string]bool
}

// exposition returns every series name ecbench exposes, from the metrics
// package the daemon registers (runners, targets, probes, scenario, each
// target's server stats, Go and process collectors) and the CloudWatch
// poller (after a round against a fake AWS endpoint), with every kind of
// series present. Histogram families appear as their _bucket, _sum and
// _count series. A dashboard may name only these.
func exposition(t testing.TB) map[string]family {
	t.Helper()
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg, "test")
	if err != nil {
		t.Fatal(err)
	}
	r := m.Recorder("redis", "kv", []string{"get"}, func() engine.Engine { return engine.Redis })
	now := time.Now()
	r.Record(result.Result{Op: 0, Outcome: result.OK, Intended: now, Sent: now, Done: now.Add(time.Millisecond)})
	m.AddRunner("redis", "kv", runnerStats{})
	m.LagRecorder("redis", "kv").RecordLag(time.Millisecond)
	m.StallRecorder("redis", "kv").RecordStall(200 * time.Millisecond)
	probes, err := metrics.NewProbes(reg)
	if err != nil {
		t.Fatal(err)
	}
	redisEngine := func() engine.Engine { return engine.Redis }
	probes.Availability("redis", redisEngine).Probe(true, result.ClassNone, time.Millisecond)
	probes.Integrity("redis", redisEngine).Checked(probe.Check{Result: probe.Verified, N: 1})
	sc, err := metrics.NewScenario(reg, scenario.Timeline{Phases: []scenario.Phase{
		{Name: "steady", Duration: time.Minute, Multiplier: 1, Actions: []scenario.Action{namedAction("failover")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sc.PhaseStarted(0, "steady", now) // ecbench_phase_start_timestamp_seconds exists from the first phase on
	m.AddTarget(func() metrics.TargetState {
		return metrics.TargetState{Name: "redis", Engine: "redis", Version: "7.0.15", Mode: "standalone", Role: "primary",
			Known: true, Up: true, Pool: &redis.PoolStats{}}
	})
	stats, err := metrics.NewServerStats(reg, "redis")
	if err != nil {
		t.Fatal(err)
	}
	stats.Observe(primaryPoll(now))
	m.AddReplay("replay", readReplay(t))
	pollCloudWatch(t, reg)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]family{}
	for _, mf := range mfs {
		f := family{typ: mf.GetType(), labels: map[string]bool{"instance": true, "job": true}}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				f.labels[lp.GetName()] = true
			}
		}
		name := mf.GetName()
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			out[name+"_count"] = f
			out[name+"_sum"] = f
			b := family{typ: f.typ, labels: map[string]bool{"le": true}}
			for l := range f.labels {
				b.labels[l] = true
			}
			out[name+"_bucket"] = b
		case dto.MetricType_SUMMARY:
			out[name+"_count"] = f
			out[name+"_sum"] = f
			f.labels["quantile"] = true
			out[name] = f
		default:
			out[name] = f
		}
	}
	return out
}

// primaryPoll is one INFO poll of a Redis 7.0 primary with a replica, as the
// target's poller hands it to ServerStats: every section ecbench reads, with
// a db, commands ecbench sends and one it does not, and the main thread's
// CPU, so that every ecbench_server_* series exists with all its labels.
func primaryPoll(at time.Time) loadtarget.InfoPoll {
	sections := map[string]string{
		"server":      "redis_version:7.0.15\r\nredis_mode:standalone\r\nrun_id:0123456789abcdef\r\nuptime_in_seconds:60\r\nio_threads_active:0\r\n",
		"replication": "role:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=900,lag=0\r\nmaster_repl_offset:1000\r\n",
		"memory":      "used_memory:1000000\r\nused_memory_rss:2000000\r\nused_memory_dataset:600000\r\nmaxmemory:0\r\nmem_fragmentation_ratio:2.00\r\n",
		"stats": "total_commands_processed:100\r\nkeyspace_hits:60\r\nkeyspace_misses:40\r\nevicted_keys:0\r\nexpired_keys:1\r\n" +
			"rejected_connections:0\r\ntotal_net_input_bytes:5000\r\ntotal_net_output_bytes:7000\r\n",
		"cpu":      "used_cpu_sys:0.5\r\nused_cpu_user:0.25\r\nused_cpu_sys_main_thread:0.4\r\nused_cpu_user_main_thread:0.2\r\n",
		"clients":  "connected_clients:3\r\nblocked_clients:0\r\n",
		"keyspace": "db0:keys=10,expires=2,avg_ttl=1000\r\n",
		"commandstats": "cmdstat_get:calls=60,usec=120,usec_per_call=2.00,rejected_calls=1,failed_calls=0\r\n" +
			"cmdstat_info:calls=5,usec=50,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n",
	}
	p := loadtarget.InfoPoll{Target: "redis", Node: "127.0.0.1:6379", At: at, Sections: map[string]loadtarget.InfoFields{}}
	for name, text := range sections {
		p.Sections[name] = loadtarget.ParseInfoFields(text)
	}
	return p
}

// runnerStats is an open-loop runner at rest, for the exposition.
type runnerStats struct{}

func (runnerStats) OfferedRate() float64       { return 100 }
func (runnerStats) InFlight() int64            { return 0 }
func (runnerStats) MaxInFlight() int64         { return 256 }
func (runnerStats) ScheduleLag() time.Duration { return 0 }
func (runnerStats) ReplyGap() time.Duration    { return 0 }
func (runnerStats) StallDrops() uint64         { return 0 }

var _ metrics.StallStats = runnerStats{}

// namedAction is a scenario action that only has a name: NewScenario creates
// its series at zero, which is all the exposition needs.
type namedAction string

func (a namedAction) Name() string { return string(a) }
func (namedAction) Run(context.Context, func(time.Time)) (scenario.ActionResult, error) {
	return scenario.ActionResult{}, nil
}

// pollCloudWatch registers a CloudWatch poller with reg, as the daemon does
// when cloudwatch.enabled is set, and runs it against a fake AWS endpoint
// until one round has succeeded, so that every ecbench_cloudwatch_* series
// exists, labels included.
func pollCloudWatch(t testing.TB, reg *prometheus.Registry) {
	t.Helper()
	fake := awsfake.New(t)
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg-redis", Engine: "redis", NodeGroups: []awsfake.NodeGroup{{
		ID: "0001", Members: []awsfake.Member{{CacheCluster: "rg-redis-001", Node: "0001"}},
	}}})
	for _, m := range cloudwatch.DefaultMetrics() {
		fake.SetValue("rg-redis-001", m, "Average", 1)
	}
	cw, ec := fake.Clients(t)
	p, err := cloudwatch.New(reg, cloudwatch.Options{
		Sources:    []cloudwatch.Source{{Target: "redis", Engine: func() engine.Engine { return engine.Redis }, ReplicationGroup: "rg-redis"}},
		CloudWatch: cw, ElastiCache: ec,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if polled(t, reg) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the CloudWatch poller finished no round against the fake in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// polled reports whether every CloudWatch target of reg has had a
// successful round.
func polled(t testing.TB, reg *prometheus.Registry) bool {
	t.Helper()
	mf := metrictest.Family(t, reg, "ecbench_cloudwatch_last_success_timestamp_seconds")
	for _, m := range mf.GetMetric() {
		if m.GetGauge().GetValue() == 0 {
			return false
		}
	}
	return len(mf.GetMetric()) > 0
}

// readReplay returns a replay whose trace, read to its end, had a command,
// a skipped command, a malformed line and a value cut: every
// ecbench_replay_* series exists.
func readReplay(t testing.TB) *workload.Replay {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.csv")
	if err := os.WriteFile(path, []byte("0,SET,a,500\n0,EVALSHA,x,0\nbad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := workload.NewReplayWorkload("replay", "p:", 1, 1, workload.ReplayOptions{
		Trace: trace.Source{Path: path, Format: trace.Ecbench}, MaxValueSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	for r := (workload.Request{}); !s.Ended(); {
		s.Next(&r)
	}
	return workload.ReplayOf(w)
}
