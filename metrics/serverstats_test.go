package metrics

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// monitored is a target watched by Monitor, its INFO going to a
// ServerStats on a registry of its own.
type monitored struct {
	reg   *prometheus.Registry
	tg    *target.Target
	polls atomic.Int64 // node polls delivered
}

// watch monitors a target of o (its InfoInterval short) until the test ends.
func watch(t *testing.T, o target.Options) *monitored {
	t.Helper()
	tg, err := target.New(o)
	if err != nil {
		t.Fatal(err)
	}
	m := &monitored{reg: prometheus.NewRegistry(), tg: tg}
	stats, err := NewServerStats(m.reg, o.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.WatchInfo(func(p target.InfoPoll) { stats.Observe(p); m.polls.Add(1) }, target.StatsSections...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { tg.Monitor(ctx, 100*time.Millisecond, nil) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = tg.Close() })
	return m
}

// waitPolls waits until n more node polls than now have come in: two rounds
// from now, the second one has started after every command sent before.
func (m *monitored) waitPolls(t *testing.T, n int64) {
	t.Helper()
	want := m.polls.Load() + n
	waitFor(t, 15*time.Second, fmt.Sprintf("%d node polls", want), func() bool { return m.polls.Load() >= want })
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, d)
		}
	}
}

// value returns the series name{labels} (labels exactly) and whether g has it.
func value(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	for k, v := range metrictest.Values(t, g, name) {
		if maps.Equal(metrictest.ParseKey(k), labels) {
			return v, true
		}
	}
	return 0, false
}

// with returns base and the extra label pairs.
func with(base map[string]string, kv ...string) map[string]string {
	l := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return l
}

// TestServerStatsCountsWhatWasSent sends a known number of SETs and GETs to
// a real server and checks that what its INFO said, at the next poll, is
// exported exactly.
func TestServerStatsCountsWhatWasSent(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			const sets, withTTL, hits, misses = 40, 5, 30, 20
			s := servertest.Start(t, e)
			m := watch(t, target.Options{Name: "srv", Addrs: []string{s.Addr}, InfoInterval: 200 * time.Millisecond})
			m.waitPolls(t, 1)
			node := map[string]string{"target": "srv", "engine": string(e), "node": "0"}
			get := func(name string, kv ...string) float64 {
				v, _ := value(t, m.reg, name, with(node, kv...))
				return v
			}
			before := map[string]float64{
				"set": get("ecbench_server_command_calls_total", "command", "set"),
				"get": get("ecbench_server_command_calls_total", "command", "get"),
				"hit": get("ecbench_server_keyspace_hits_total"), "miss": get("ecbench_server_keyspace_misses_total"),
				"cmds": get("ecbench_server_commands_processed_total"),
			}

			ctx := context.Background()
			c := s.Client()
			for i := range sets {
				ttl := time.Duration(0)
				if i < withTTL {
					ttl = time.Hour
				}
				if err := c.Set(ctx, "k:"+strconv.Itoa(i), "v", ttl).Err(); err != nil {
					t.Fatal(err)
				}
			}
			for i := range hits {
				if err := c.Get(ctx, "k:"+strconv.Itoa(i)).Err(); err != nil {
					t.Fatal(err)
				}
			}
			for i := range misses {
				if err := c.Get(ctx, "missing:"+strconv.Itoa(i)).Err(); !errors.Is(err, redis.Nil) {
					t.Fatalf("GET of a missing key: %v, want redis.Nil", err)
				}
			}
			m.waitPolls(t, 2)

			exact := []struct {
				name string
				got  float64
				want float64
			}{
				{"keys", get("ecbench_server_keys"), sets},
				{"db 0 keys", get("ecbench_server_db_keys", "db", "0"), sets},
				{"expiring keys", get("ecbench_server_expiring_keys"), withTTL},
				{"db 0 expiring keys", get("ecbench_server_db_expiring_keys", "db", "0"), withTTL},
				{"set calls", get("ecbench_server_command_calls_total", "command", "set") - before["set"], sets},
				{"get calls", get("ecbench_server_command_calls_total", "command", "get") - before["get"], hits + misses},
				{"hits", get("ecbench_server_keyspace_hits_total") - before["hit"], hits},
				{"misses", get("ecbench_server_keyspace_misses_total") - before["miss"], misses},
				{"failed set calls", get("ecbench_server_command_failed_calls_total", "command", "set"), 0},
				{"replicas", get("ecbench_server_connected_replicas"), 0},
				{"lag", get("ecbench_server_replication_lag_bytes"), 0},
			}
			for _, x := range exact {
				if x.got != x.want {
					t.Errorf("%s = %v, want %v", x.name, x.got, x.want)
				}
			}
			positive := []struct {
				name string
				got  float64
			}{
				{"used memory", get("ecbench_server_memory_used_bytes")},
				{"rss", get("ecbench_server_memory_rss_bytes")},
				{"dataset", get("ecbench_server_memory_dataset_bytes")},
				{"fragmentation", get("ecbench_server_memory_fragmentation_ratio")},
				{"cpu", get("ecbench_server_cpu_seconds_total", "mode", "user") + get("ecbench_server_cpu_seconds_total", "mode", "system")},
				{"main thread cpu", get("ecbench_server_main_thread_cpu_seconds_total", "mode", "user") + get("ecbench_server_main_thread_cpu_seconds_total", "mode", "system")},
				{"set seconds", get("ecbench_server_command_seconds_total", "command", "set")},
				{"INFO calls, in other", get("ecbench_server_command_calls_total", "command", "other")},
				{"clients", get("ecbench_server_connected_clients")},
				{"input bytes", get("ecbench_server_net_input_bytes_total")},
				{"output bytes", get("ecbench_server_net_output_bytes_total")},
			}
			for _, x := range positive {
				if !(x.got > 0) {
					t.Errorf("%s = %v, want > 0", x.name, x.got)
				}
			}
			health := map[string]string{"target": "srv", "engine": string(e)}
			if v, _ := value(t, m.reg, "ecbench_server_info_errors_total", health); v != 0 {
				t.Errorf("errors = %v, want 0", v)
			}
			if v, _ := value(t, m.reg, "ecbench_server_info_last_success_timestamp_seconds", health); v < float64(time.Now().Add(-time.Minute).Unix()) {
				t.Errorf("last success = %v, want within the last minute", v)
			}
			if d := get("ecbench_server_commands_processed_total") - before["cmds"]; d < sets+hits+misses {
				t.Errorf("commands processed rose by %v, want >= %d", d, sets+hits+misses)
			}
			info, err := c.Info(ctx, "server").Result()
			if err != nil {
				t.Fatal(err)
			}
			version := target.ParseInfoFields(info).Info().Version
			if _, ok := value(t, m.reg, "ecbench_server_node_info", with(node, "role", "primary", "version", version)); !ok {
				t.Errorf("no ecbench_server_node_info for role primary, version %s: %v", version, metrictest.Values(t, m.reg, "ecbench_server_node_info"))
			}
			// Every series is the engine's, of node 0.
			for name, mf := range metrictest.Gathered(t, m.reg) {
				for _, s := range mf.GetMetric() {
					l := metrictest.Labels(s)
					if l["engine"] != string(e) || l["target"] != "srv" || (l["node"] != "0" && !strings.HasPrefix(name, "ecbench_server_info_")) {
						t.Errorf("%s%v: want engine %s, target srv, node 0", name, l, e)
					}
				}
			}
			lint(t, m.reg)
		})
	}
}

// TestServerStatsUnreachable: a scrape never waits for a server that does
// not answer; a failed poll counts an error, keeps the last success time,
// and takes the node's series away until it answers again.
func TestServerStatsUnreachable(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, e)
			m := watch(t, target.Options{Name: "srv", Addrs: []string{s.Addr}, InfoInterval: 200 * time.Millisecond,
				DialTimeout: 3 * time.Second, ReadTimeout: 3 * time.Second})
			m.waitPolls(t, 1)
			health := map[string]string{"target": "srv", "engine": string(e)}
			node := with(health, "node", "0")
			scrape := func() time.Duration {
				start := time.Now()
				if _, err := m.reg.Gather(); err != nil {
					t.Fatal(err)
				}
				return time.Since(start)
			}
			lastSuccess := func() float64 {
				v, _ := value(t, m.reg, "ecbench_server_info_last_success_timestamp_seconds", health)
				return v
			}
			errorsTotal := func() float64 {
				v, _ := value(t, m.reg, "ecbench_server_info_errors_total", health)
				return v
			}
			last := lastSuccess()

			// Frozen, the server's kernel still completes dials and takes
			// commands, but nothing answers: the poller waits out its 3s
			// read timeout.
			s.Freeze()
			time.Sleep(300 * time.Millisecond) // a poll under way at the freeze has come in
			polls := m.polls.Load()
			time.Sleep(600 * time.Millisecond) // the poller is stuck now
			// The scrape must return while the poll is still stuck: a scrape
			// that waited on it could return only after the poll ended,
			// which counts a poll. That is the proof, not the time, which a
			// starved CI host stretched to 5 s once with no poll ending.
			took := scrape()
			t.Logf("a scrape while the poller waits on a frozen server took %v", took)
			if got := m.polls.Load(); got != polls {
				t.Fatalf("%d polls came in while the server was frozen and the scrape ran (it took %v): the scrape waited for the poll, or the test did not catch the poller stuck", got-polls, took)
			}
			last = lastSuccess()

			s.Kill()
			waitFor(t, 10*time.Second, "error counted", func() bool { return errorsTotal() >= 1 })
			if took := scrape(); took > time.Second {
				t.Errorf("a scrape of an unreachable target took %v, want < 1s", took)
			}
			if got := lastSuccess(); got != last || got == 0 {
				t.Errorf("last success went from %v to %v while the server was down, want it kept", last, got)
			}
			if _, ok := value(t, m.reg, "ecbench_server_memory_used_bytes", node); ok {
				t.Error("ecbench_server_memory_used_bytes still exported for a node whose poll failed")
			}

			s.Restart()
			waitFor(t, 15*time.Second, "poll after the restart", func() bool { return lastSuccess() > last })
			if _, ok := value(t, m.reg, "ecbench_server_memory_used_bytes", node); !ok {
				t.Error("no ecbench_server_memory_used_bytes after the server answered again")
			}
			if errorsTotal() < 1 {
				t.Errorf("errors total %v after the restart, want the failures kept", errorsTotal())
			}
		})
	}
}

// TestServerStatsCluster: in cluster mode every node has its own ordinal,
// the keys add up over the nodes, and no label value names an address.
func TestServerStatsCluster(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			const nodes, keys = 3, 30
			servers := servertest.StartCluster(t, e, nodes)
			m := watch(t, target.Options{Name: "cl", Mode: target.Cluster, Addrs: []string{servers[0].Addr}, InfoInterval: 200 * time.Millisecond})
			waitFor(t, 15*time.Second, "node info of every node", func() bool {
				return len(metrictest.Values(t, m.reg, "ecbench_server_node_info")) == nodes
			})
			c := servertest.ClusterClient(t, servers)
			ctx := context.Background()
			for i := range keys {
				if err := c.Set(ctx, "k:"+strconv.Itoa(i), "v", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			m.waitPolls(t, 2*nodes)

			mfs := metrictest.Gathered(t, m.reg)
			if got := metrictest.Sum(mfs, "ecbench_server_keys", map[string]string{"target": "cl"}); got != keys {
				t.Errorf("keys over the nodes = %v, want %d", got, keys)
			}
			if got := metrictest.Sum(mfs, "ecbench_server_command_calls_total", map[string]string{"command": "set"}); got != keys {
				t.Errorf("set calls over the nodes = %v, want %d", got, keys)
			}
			var ordinals []string
			for k := range metrictest.Values(t, m.reg, "ecbench_server_node_info") {
				l := metrictest.ParseKey(k)
				ordinals = append(ordinals, l["node"])
				if l["engine"] != string(e) || l["role"] != "primary" {
					t.Errorf("node info %s: want engine %s, role primary", k, e)
				}
			}
			slices.Sort(ordinals)
			if want := []string{"0", "1", "2"}; !slices.Equal(ordinals, want) {
				t.Errorf("node ordinals %v, want %v", ordinals, want)
			}
			var addrs []string
			for _, s := range servers {
				addrs = append(addrs, s.Addr, strconv.Itoa(s.Port))
			}
			assertNoAddress(t, mfs, addrs)
		})
	}
}

// assertNoAddress fails when any label value of mfs contains one of addrs.
func assertNoAddress(t *testing.T, mfs map[string]*dto.MetricFamily, addrs []string) {
	t.Helper()
	n := 0
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				n++
				for _, a := range addrs {
					if strings.Contains(l.GetValue(), a) {
						t.Errorf("%s has label %s=%q, which names %s", name, l.GetName(), l.GetValue(), a)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Error("no label values to check")
	}
}

// syntheticPoll is a poll of node addr at at, as a Redis 7.0 primary answers.
func syntheticPoll(addr string, at time.Time) target.InfoPoll {
	sections := map[string]target.InfoFields{
		"server":       target.ParseInfoFields("redis_version:7.0.15\r\nredis_mode:cluster\r\nrun_id:abc\r\nuptime_in_seconds:5\r\n"),
		"replication":  target.ParseInfoFields("role:master\r\nconnected_slaves:0\r\nmaster_repl_offset:7\r\n"),
		"memory":       target.ParseInfoFields("used_memory:100\r\nused_memory_rss:200\r\nmem_fragmentation_ratio:2.00\r\n"),
		"stats":        target.ParseInfoFields("total_commands_processed:10\r\nkeyspace_hits:3\r\n"),
		"cpu":          target.ParseInfoFields("used_cpu_sys:0.5\r\nused_cpu_user:0.25\r\n"),
		"keyspace":     target.ParseInfoFields("db0:keys=1,expires=0,avg_ttl=0\r\ndb16:keys=2,expires=1,avg_ttl=9\r\ndb20:keys=3,expires=0,avg_ttl=0\r\n"),
		"commandstats": target.ParseInfoFields("cmdstat_get:calls=3,usec=6,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\ncmdstat_config|get:calls=1,usec=1\r\ncmdstat_info:calls=2,usec=1\r\n"),
	}
	return target.InfoPoll{Target: "syn", Node: addr, At: at, Sections: sections}
}

// TestServerStatsBounds: past maxServerNodes nodes, the additive series
// are summed into node="other" and the others are left out; dbs past 15
// and commands ecbench does not send are summed into "other" as well.
func TestServerStatsBounds(t *testing.T) {
	t.Parallel()
	const extra = 6
	reg := prometheus.NewRegistry()
	s, err := NewServerStats(reg, "syn")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_700_000_000, 0)
	var addrs []string
	for i := range maxServerNodes + extra {
		addr := fmt.Sprintf("10.0.%d.%d:6379", i/200, i%200+1)
		addrs = append(addrs, addr)
		s.Observe(syntheticPoll(addr, at))
	}
	labels := func(node string, kv ...string) map[string]string {
		return with(map[string]string{"target": "syn", "engine": "redis", "node": node}, kv...)
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
		absent bool
	}{
		{"ecbench_server_memory_used_bytes", labels("0"), 100, false},
		{"ecbench_server_memory_used_bytes", labels("63"), 100, false},
		{"ecbench_server_memory_used_bytes", labels("64"), 0, true},
		{"ecbench_server_memory_used_bytes", labels("other"), 100 * extra, false},
		{"ecbench_server_cpu_seconds_total", labels("other", "mode", "system"), 0.5 * extra, false},
		{"ecbench_server_keys", labels("other"), 6 * extra, false},
		{"ecbench_server_db_keys", labels("other", "db", "0"), extra, false},
		{"ecbench_server_db_keys", labels("0", "db", "0"), 1, false},
		{"ecbench_server_db_keys", labels("0", "db", "other"), 5, false},
		{"ecbench_server_db_expiring_keys", labels("0", "db", "other"), 1, false},
		{"ecbench_server_command_calls_total", labels("0", "command", "get"), 3, false},
		{"ecbench_server_command_seconds_total", labels("0", "command", "get"), 6e-6, false},
		{"ecbench_server_command_calls_total", labels("0", "command", "other"), 3, false},
		{"ecbench_server_command_calls_total", labels("other", "command", "other"), 3 * extra, false},
		{"ecbench_server_uptime_seconds", labels("0"), 5, false},
		{"ecbench_server_uptime_seconds", labels("other"), 0, true},
		{"ecbench_server_memory_fragmentation_ratio", labels("other"), 0, true},
		{"ecbench_server_replication_offset_bytes", labels("other"), 0, true},
		{"ecbench_server_node_info", labels("other", "role", "primary", "version", "7.0.15"), 0, true},
		{"ecbench_server_node_info", labels("5", "role", "primary", "version", "7.0.15"), 1, false},
		{"ecbench_server_main_thread_cpu_seconds_total", labels("0", "mode", "user"), 0, true}, // not reported
		{"ecbench_server_info_last_success_timestamp_seconds", map[string]string{"target": "syn", "engine": "redis"}, 1_700_000_000, false},
	}
	for _, tt := range tests {
		got, ok := value(t, reg, tt.name, tt.labels)
		switch {
		case tt.absent && ok:
			t.Errorf("%s%v = %v, want it absent", tt.name, tt.labels, got)
		case !tt.absent && !ok:
			t.Errorf("%s%v absent, want %v", tt.name, tt.labels, tt.want)
		case !tt.absent && got != tt.want:
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	assertNoAddress(t, metrictest.Gathered(t, reg), addrs)
	lint(t, reg)
	promtoolCheck(t, reg, "ecbench_server_memory_used_bytes", "ecbench_server_command_calls_total", "ecbench_server_info_errors_total")
}

// TestServerStatsForgetsNodesThatLeave: a node that is no longer polled
// loses its series at the third round without it, keeps its ordinal, and a
// node past the bound is forgotten altogether; a failed poll counts an
// error and takes the node's series away at once.
func TestServerStatsForgetsNodesThatLeave(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	s, err := NewServerStats(reg, "syn")
	if err != nil {
		t.Fatal(err)
	}
	round := func(r int, addrs ...string) {
		at := time.Unix(1_700_000_000+int64(r), 0)
		for _, a := range addrs {
			s.Observe(syntheticPoll(a, at))
		}
	}
	nodes := func() []string {
		var n []string
		for k := range metrictest.Values(t, reg, "ecbench_server_node_info") {
			n = append(n, metrictest.ParseKey(k)["node"])
		}
		slices.Sort(n)
		return n
	}
	round(1, "a:1", "b:1")
	round(2, "a:1", "b:1")
	steps := []struct {
		round int
		want  []string
	}{{3, []string{"0", "1"}}, {4, []string{"0", "1"}}, {5, []string{"0"}}}
	for _, st := range steps {
		round(st.round, "a:1")
		if got := nodes(); !slices.Equal(got, st.want) {
			t.Errorf("round %d: nodes %v, want %v", st.round, got, st.want)
		}
	}
	round(6, "a:1", "b:1") // back: its own ordinal again
	if got, want := nodes(), []string{"0", "1"}; !slices.Equal(got, want) {
		t.Errorf("after b:1 came back: nodes %v, want %v", got, want)
	}

	s.Observe(target.InfoPoll{Target: "syn", Node: "b:1", At: time.Unix(1_700_000_007, 0), Err: errors.New("dial tcp b:1: connection refused")})
	if got, want := nodes(), []string{"0"}; !slices.Equal(got, want) {
		t.Errorf("after b:1 failed: nodes %v, want %v", got, want)
	}
	// A poll that reached no node (a cluster's topology did not load) is
	// an error, and changes no node.
	s.Observe(target.InfoPoll{Target: "syn", At: time.Unix(1_700_000_007, 0), Err: errors.New("cluster slots: i/o timeout")})
	if got, want := nodes(), []string{"0"}; !slices.Equal(got, want) {
		t.Errorf("after a poll of no node: nodes %v, want %v", got, want)
	}
	health := map[string]string{"target": "syn", "engine": "redis"}
	if got, _ := value(t, reg, "ecbench_server_info_errors_total", health); got != 2 {
		t.Errorf("errors %v, want 2", got)
	}
	if got, _ := value(t, reg, "ecbench_server_info_last_success_timestamp_seconds", health); got != 1_700_000_006 {
		t.Errorf("last success %v, want 1700000006 (round 6's)", got)
	}

	// Past the bound, a node that leaves is forgotten, not kept.
	for i := range maxServerNodes {
		s.Observe(syntheticPoll("n:"+strconv.Itoa(i), time.Unix(1_700_000_010, 0)))
	}
	if got := len(s.overflow); got != 2 {
		t.Fatalf("%d nodes past the bound, want 2", got)
	}
	for r := 11; r <= 13; r++ {
		round(r, "a:1")
	}
	if got := len(s.overflow); got != 0 {
		t.Errorf("%d nodes past the bound kept after they left, want 0", got)
	}
}

func TestNewServerStatsRejectsADuplicate(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	if _, err := NewServerStats(reg, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServerStats(reg, "b"); err != nil {
		t.Fatalf("a second target: %v", err)
	}
	_, err := NewServerStats(reg, "a")
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) || !strings.Contains(err.Error(), `target "a"`) {
		t.Errorf("the same target twice: %v, want an AlreadyRegisteredError naming target \"a\"", err)
	}
}

// TestServerCommandsAreWhatOpsSend runs every op of every kind, preload and
// key cleanup against a real server: every command they send must have a
// command label value of its own, and every one of serverCommands must be
// sent by one of them.
func TestServerCommandsAreWhatOpsSend(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, engine.Valkey)
	c := s.Client()
	ctx := context.Background()
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range workload.Kinds() {
		st := workload.Structure{Kind: k, Elements: 8, ElementSize: 16, RangeLen: 3}
		if k == workload.KindKV {
			st = workload.Structure{}
		}
		w := &workload.Workload{Name: string(k), Keys: workload.Keys{Prefix: string(k) + ":", Count: 20},
			Values: workload.Values{Min: 8, Max: 8}, Structure: st, Seed: 1}
		for _, name := range workload.OpNamesFor(k) {
			op, err := workload.NewOp(k, name, workload.OpParams{TTL: time.Minute, MGetBatch: 2, Structure: st})
			if err != nil {
				t.Fatal(err)
			}
			w.Ops = append(w.Ops, workload.Weighted{Op: op, Weight: 1})
		}
		if err := w.Preload(ctx, c, nil); err != nil {
			t.Fatalf("%s: preload: %v", k, err)
		}
		stream, err := w.NewStream()
		if err != nil {
			t.Fatal(err)
		}
		var req workload.Request
		for range 50 * len(w.Ops) {
			stream.Next(&req)
			for _, cmd := range req.Cmds {
				_ = w.Ops[cmd.Op].Op.Issue(ctx, c, &cmd.Args).Err() // misses and errors alike: the command was sent
			}
		}
		if _, err := w.DeleteKeys(ctx, c); err != nil {
			t.Fatalf("%s: delete keys: %v", k, err)
		}
	}
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	st := target.ParseNodeStats(s.Addr, time.Now(), map[string]target.InfoFields{"commandstats": target.ParseInfoFields(info)})
	// The test's own and the client's connection set-up.
	notOps := map[string]bool{"config|resetstat": true, "info": true, "hello": true, "client|setinfo": true, "ping": true, "select": true}
	for name, cs := range st.Commands {
		if !notOps[name] && !serverCommandSet[name] {
			t.Errorf("ecbench sent %s (%d calls), which is not in serverCommands: add it", name, cs.Calls)
		}
	}
	for _, name := range serverCommands {
		if st.Commands[name].Calls == 0 {
			t.Errorf("serverCommands has %s, which no op, preload or cleanup sent", name)
		}
	}
}
