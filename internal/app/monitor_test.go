package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/target"
)

// readCSV returns the rows of dir/name as maps from the header's names.
func readCSV(t *testing.T, dir, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no header", name)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(timeLayout, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return at
}

// runMonitor starts m; the returned stop cancels it and returns its summary.
func runMonitor(t *testing.T, m *Monitor) (stop func() *MonitorSummary) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		s   *MonitorSummary
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := m.Run(ctx)
		done <- result{s, err}
	}()
	var stopped *MonitorSummary
	stop = func() *MonitorSummary {
		if stopped != nil {
			return stopped
		}
		cancel()
		select {
		case r := <-done:
			if r.err != nil {
				t.Errorf("Run: %v", r.err)
			}
			stopped = r.s
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of the cancellation")
		}
		return stopped
	}
	t.Cleanup(func() { stop() })
	return stop
}

func (m *Monitor) outagesSoFar() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sum.Outages)
}

func (m *Monitor) lostSoFar() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sum.Lost
}

// TestMonitorRestart kills the server under a monitor and starts it again
// a second later: the monitor records one outage from the kill to the
// restart, every write acknowledged before the kill lost (the server keeps
// nothing on disk), the engine unchanged, and writes it all to its files
// and its summary.
func TestMonitorRestart(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	var logs syncBuffer
	dir := filepath.Join(t.TempDir(), "out")
	const interval = 50 * time.Millisecond
	m, err := NewMonitor(MonitorOptions{
		Target:        target.Options{Name: "valkey", Addrs: []string{srv.Addr}},
		ProbeInterval: interval,
		// Generous: a probe slowed by a busy CI host must not count as an
		// outage of its own.
		ProbeTimeout:  time.Second,
		IntegrityKeys: 1000,
		InfoInterval:  200 * time.Millisecond,
		Dir:           dir,
		Listen:        "127.0.0.1:0",
	}, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	stop := runMonitor(t, m)
	e2etest.Eventually(t, 10*time.Second, "integrity writes", func() bool { return m.integ.Next() >= 20 })

	acked := m.integ.Next() // every write below it was acknowledged
	killed := time.Now()
	srv.Kill()
	time.Sleep(time.Second)
	srv.Kill()
	srv.Restart()
	restarted := time.Now()
	e2etest.Eventually(t, 10*time.Second, "the outage's end:\n"+logs.String(), func() bool { return m.outagesSoFar() > 0 })
	e2etest.Eventually(t, 10*time.Second, "lost writes reported:\n"+logs.String(), func() bool { return m.lostSoFar() > 0 })
	// The poller sees the new run_id at its next poll (due at once after
	// the outage, at most minRecheckGap after its previous one).
	e2etest.Eventually(t, 10*time.Second, "the restart seen by INFO", func() bool { return strings.Contains(logs.String(), "endpoint restarted") })
	mfs := metrictest.Scrape(t, m.Addr())
	if n := metrictest.Sum(mfs, "ecbench_outages_total", nil); n != 1 {
		t.Errorf("ecbench_outages_total %v, want 1", n)
	}
	s := stop()

	if len(s.Outages) != 1 || s.Ongoing {
		t.Fatalf("outages %+v (ongoing %v), want one that ended", s.Outages, s.Ongoing)
	}
	o := s.Outages[0]
	t.Logf("server down %v (kill to restarted), outage %v: started %v after the kill, ended %v after the restart; %d lost of %d acknowledged before the kill",
		restarted.Sub(killed), o.Duration, o.Start.Sub(killed), o.End.Sub(restarted), s.Lost, acked)
	// The first failed probe was sent at most one interval (plus a probe's
	// round trip) after the kill; the first good answer came after the
	// restart, within the client's reconnection delay.
	if o.Start.Before(killed.Add(-interval)) || o.Start.After(killed.Add(interval+200*time.Millisecond)) {
		t.Errorf("outage start %v, kill at %v", o.Start, killed)
	}
	if o.End.Before(restarted.Add(-200*time.Millisecond)) || o.End.After(restarted.Add(1500*time.Millisecond)) {
		t.Errorf("outage end %v, restart at %v", o.End, restarted)
	}
	if o.Duration < 900*time.Millisecond || o.Duration != o.End.Sub(o.Start) {
		t.Errorf("outage %v from %v to %v; the server was down about 1s", o.Duration, o.Start, o.End)
	}
	if s.Lost < int(acked) || s.Lost > int(acked)+2 || s.Stale != 0 || s.Corrupted != 0 {
		t.Errorf("lost %d, stale %d, corrupted %d; want the %d (or one or two more) acknowledged before the kill", s.Lost, s.Stale, s.Corrupted, acked)
	}
	if !s.Detected || s.Before.Engine != "valkey" || s.After != s.Before || s.Changes != 0 {
		t.Errorf("engine before %+v after %+v, %d changes; want valkey unchanged", s.Before, s.After, s.Changes)
	}
	if s.ProbesOK == 0 || s.ProbesOK >= s.Probes {
		t.Errorf("%d of %d probes ok", s.ProbesOK, s.Probes)
	}

	outages := readCSV(t, dir, OutagesFile)
	if len(outages) != 1 {
		t.Fatalf("%s: %v, want one row", OutagesFile, outages)
	}
	row := outages[0]
	if parseTime(t, row["start"]).Sub(o.Start).Abs() > time.Millisecond || parseTime(t, row["end"]).Sub(o.End).Abs() > time.Millisecond ||
		row["duration_seconds"] != seconds3(o.Duration) || row["ended"] != "true" || row["failed_probes"] != strconv.Itoa(o.Failed) ||
		row["first_class"] != o.FirstClass.String() || row["last_class"] != o.LastClass.String() {
		t.Errorf("%s row %v, want %+v", OutagesFile, row, o)
	}

	// One row per second, in order, adding up to the summary's probes; the
	// seconds of the outage show failures.
	var probes, failedInOutage int
	var prev time.Time
	for i, r := range readCSV(t, dir, AvailabilityFile) {
		at := parseTime(t, r["second"])
		if i > 0 && at.Sub(prev) != time.Second {
			t.Errorf("%s: second %v after %v", AvailabilityFile, at, prev)
		}
		prev = at
		n, _ := strconv.Atoi(r["probes"])
		probes += n
		if failed, _ := strconv.Atoi(r["failed"]); failed > 0 {
			if at.Before(o.Start.Truncate(time.Second)) || at.After(o.End) {
				t.Errorf("%s: %d failed probes in %v, outside the outage", AvailabilityFile, failed, at)
			}
			failedInOutage += failed
			if r["error_classes"] == "" {
				t.Errorf("%s: row %v has failures and no classes", AvailabilityFile, r)
			}
		}
	}
	if probes != s.Probes || failedInOutage != o.Failed {
		t.Errorf("%s: %d probes, %d failed; summary %d, outage %d failed", AvailabilityFile, probes, failedInOutage, s.Probes, o.Failed)
	}

	lost := 0
	for _, r := range readCSV(t, dir, IntegrityFile) {
		if r["result"] == "lost" {
			n, _ := strconv.Atoi(r["count"])
			lost += n
			if r["found_by"] == "" {
				t.Errorf("%s: row %v without found_by", IntegrityFile, r)
			}
		}
	}
	if lost != s.Lost {
		t.Errorf("%s: %d lost, summary %d", IntegrityFile, lost, s.Lost)
	}

	// The restart is seen by INFO (a new run_id) as well: after the
	// outage's end asks for a poll, or before it if the poller's own
	// health check came first.
	var kinds []string
	for _, e := range readEvents(t, dir, "detected", "outage_start", "outage_end", "restarted", "changed", "role_changed") {
		kinds = append(kinds, e.Event)
	}
	if got := strings.Join(kinds, ","); got != "detected,outage_start,outage_end,restarted" && got != "detected,outage_start,restarted,outage_end" {
		t.Errorf("%s: events %s, want detected, the outage and one restart", EventsFile, got)
	}

	text, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\noutages: 1, unavailable " + seconds3(o.Duration) + " s in all; ",
		"\nlost writes: " + strconv.Itoa(s.Lost) + " (stale 0, corrupted 0); ",
		"\nengine: valkey " + s.Before.Version + ", unchanged\n",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("%s lacks %q:\n%s", SummaryFile, want, text)
		}
	}
}

// TestMonitorCloudWatch polls the fake AWS endpoint for a replication group:
// each datapoint is written to cloudwatch.csv once, however many polls
// return it.
func TestMonitorCloudWatch(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Valkey)
	fake := awsfake.New(t)
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg", Engine: "valkey", NodeGroups: []awsfake.NodeGroup{{
		ID: "0001", Members: []awsfake.Member{{CacheCluster: "rg-001", Node: "0001"}, {CacheCluster: "rg-002", Node: "0001"}},
	}}})
	fake.SetValue("rg-001", "CurrConnections", "Average", 51)
	fake.SetValue("rg-002", "CurrConnections", "Average", 3)
	cw, ec := fake.Clients(t)
	dir := t.TempDir()
	var logs syncBuffer
	m, err := NewMonitor(MonitorOptions{
		Target: target.Options{Name: "rg", Addrs: []string{srv.Addr}}, ProbeTimeout: time.Second, IntegrityKeys: -1,
		CloudWatch: MonitorCloudWatch{ReplicationGroup: "rg", Interval: 100 * time.Millisecond, CloudWatch: cw, ElastiCache: ec},
		Dir:        dir,
	}, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	stop := runMonitor(t, m)
	e2etest.Eventually(t, 10*time.Second, "three polls:\n"+logs.String(), func() bool { return len(fake.MetricDataCalls()) >= 3 })
	s := stop()

	// The fake dates its datapoint by the poll's minute: a test that runs
	// across a minute boundary sees two datapoints of each series.
	rows := readCSV(t, dir, CloudWatchFile)
	written := map[string]int{}
	var got []string
	for _, r := range rows {
		parseTime(t, r["polled_at"])
		written[r["cluster"]+"/"+r["node"]+" "+r["metric"]+" "+r["stat"]+" "+r["timestamp"]]++
		if r["metric"] == "CurrConnections" {
			if s := r["cluster"] + "/" + r["node"] + " " + r["stat"] + " " + r["period_seconds"] + " " + r["value"]; !slices.Contains(got, s) {
				got = append(got, s)
			}
		}
		if at := parseTime(t, r["timestamp"]); at.Second() != 0 || at.After(time.Now()) {
			t.Errorf("%s: datapoint at %v", CloudWatchFile, at)
		}
	}
	if want := "rg-001/0001 Average 60 51,rg-002/0001 Average 60 3"; strings.Join(got, ",") != want {
		t.Errorf("%s: %q, want %q", CloudWatchFile, got, want)
	}
	for k, n := range written {
		if n != 1 {
			t.Errorf("%s: %s written %d times", CloudWatchFile, k, n)
		}
	}
	if s.CloudWatchPoints != len(rows) || !s.CloudWatch {
		t.Errorf("summary: %d datapoints, the file %d", s.CloudWatchPoints, len(rows))
	}
	if _, err := os.Stat(filepath.Join(dir, IntegrityFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s with the integrity probe off: %v", IntegrityFile, err)
	}
	if !strings.Contains(logsText(s), "lost writes: not checked (no integrity probe)\n") {
		t.Errorf("summary:\n%s", logsText(s))
	}
}

func logsText(s *MonitorSummary) string {
	var b strings.Builder
	_ = s.WriteText(&b)
	return b.String()
}

// TestMonitorOutputDirectory: a directory that holds a previous run's files,
// or that cannot be created, is refused before anything runs.
func TestMonitorOutputDirectory(t *testing.T) {
	t.Parallel()
	used := t.TempDir()
	if err := os.WriteFile(filepath.Join(used, OutagesFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want string
	}{
		{"previous run", used, "monitor output directory " + used + ": already holds outages.csv from another run; give a new directory"},
		{"not a directory", filepath.Join(notDir, "out"), "monitor output directory: mkdir " + notDir + ": not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewMonitor(MonitorOptions{Target: target.Options{Name: "x", Addrs: []string{"127.0.0.1:1"}}, Dir: tt.dir}, testLogger(&syncBuffer{}))
			if !errors.Is(err, ErrMonitorOutput) || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMonitorOptionsErrors(t *testing.T) {
	t.Parallel()
	cw, ec := awsfake.New(t).Clients(t)
	tests := []struct {
		name string
		o    MonitorOptions
		want string
	}{
		{"interval", MonitorOptions{ProbeInterval: time.Nanosecond, Dir: "d"}, "monitor: probe interval: must be at least 1ms, got 1ns\nmonitor: probe timeout: must be at least 1ms, got 1ns"},
		{"negative timeout", MonitorOptions{ProbeTimeout: -time.Second, Dir: "d"}, "monitor: probe timeout: must be at least 1ms, got -1s"},
		{"no directory", MonitorOptions{}, "monitor: output directory: required"},
		{"cloudwatch without a resource", MonitorOptions{Dir: "d", CloudWatch: MonitorCloudWatch{CloudWatch: cw, ElastiCache: ec}},
			`monitor: cloudwatch: name exactly one of a replication group and a cache cluster, got "" and ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewMonitor(tt.o, testLogger(&syncBuffer{})); err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestMonitorEngineMigration replaces a Redis OSS server with Valkey on the
// same port, as an in-place upgrade does behind an unchanged endpoint: the
// summary says redis before and valkey after, and events.jsonl has the
// change with what came before.
func TestMonitorEngineMigration(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Redis)
	dir := t.TempDir()
	var logs syncBuffer
	m, err := NewMonitor(MonitorOptions{
		Target: target.Options{Name: "rg", Addrs: []string{srv.Addr}}, ProbeInterval: 50 * time.Millisecond,
		ProbeTimeout: time.Second, IntegrityKeys: -1, Dir: dir,
	}, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	stop := runMonitor(t, m)
	detected := func() (target.Info, bool) {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.sum.After, m.sum.Detected
	}
	e2etest.Eventually(t, 10*time.Second, "redis detected", func() bool { in, ok := detected(); return ok && in.Engine == "redis" })
	srv.RestartAs(servertest.Valkey)
	// The outage's end asks for INFO at once, well before the 5s poll.
	e2etest.Eventually(t, 10*time.Second, "valkey detected:\n"+logs.String(), func() bool { in, _ := detected(); return in.Engine == "valkey" })
	s := stop()
	if s.Before.Engine != "redis" || s.After.Engine != "valkey" || s.Changes != 1 {
		t.Errorf("before %+v, after %+v, %d changes; want redis, then valkey, once", s.Before, s.After, s.Changes)
	}
	if text := logsText(s); !strings.Contains(text, "\nengine: redis "+s.Before.Version+" → valkey "+s.After.Version+"\n") {
		t.Errorf("summary:\n%s", text)
	}
	b, err := os.ReadFile(filepath.Join(dir, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var changes []monitorEvent
	for line := range strings.Lines(string(b)) {
		var e monitorEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Event == "changed" {
			changes = append(changes, e)
		}
	}
	if len(changes) != 1 || changes[0].Engine != "valkey" || changes[0].PreviousEngine != "redis" ||
		changes[0].Version != s.After.Version || changes[0].PreviousVersion != s.Before.Version {
		t.Errorf("changed events %+v", changes)
	}
}

// readEvents returns the events file's lines of the given kinds, in order.
func readEvents(t *testing.T, dir string, kinds ...string) []monitorEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []monitorEvent
	for line := range strings.Lines(string(b)) {
		var e monitorEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s: %q: %v", EventsFile, line, err)
		}
		if slices.Contains(kinds, e.Event) {
			out = append(out, e)
		}
	}
	return out
}

// TestMonitorRoleChangeAndRestart demotes the monitored server (REPLICAOF),
// promotes it back and restarts it: the monitor's one INFO poller (the
// target's) sees each role change and the restart, writes them to
// events.jsonl with the node's status before and after, counts the role
// changes in the summary and asks the integrity probe for a full sweep.
func TestMonitorRoleChangeAndRestart(t *testing.T) {
	t.Parallel()
	const infoInterval = 500 * time.Millisecond
	other := servertest.Start(t, servertest.Valkey, "repl-diskless-sync-delay", "0")
	srv := servertest.Start(t, servertest.Valkey)
	dir := t.TempDir()
	var logs syncBuffer
	m, err := NewMonitor(MonitorOptions{
		Target: target.Options{Name: "rg", Addrs: []string{srv.Addr}}, ProbeInterval: 50 * time.Millisecond,
		ProbeTimeout: time.Second, IntegrityKeys: 1000, InfoInterval: infoInterval, Dir: dir,
	}, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	stop := runMonitor(t, m)
	role := func() string {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.sum.After.Role
	}
	// A margin for a loaded CI host: the poll itself is due within the
	// interval (and sooner: the probes' READONLY asks for it at once).
	const within = infoInterval + 5*time.Second
	e2etest.Eventually(t, 10*time.Second, "primary detected", func() bool { return role() == target.RolePrimary })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := srv.Client()
	if err := admin.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(other.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor := func(timeout time.Duration, what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(timeout); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %v waiting for %s; the log:\n%s", timeout, what, logs.String())
			}
		}
	}
	waitFor(within, "the demotion", func() bool { return role() == target.RoleReplica })
	if err := admin.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(within, "the promotion", func() bool { return role() == target.RolePrimary })
	srv.Kill()
	srv.Restart()
	// The restart, and the full sweep it asks for, done.
	waitFor(10*time.Second+within, "the restart's sweep", func() bool {
		return strings.Contains(logs.String(), `"reason":"restart"`)
	})
	s := stop()

	if s.Before.Role != target.RolePrimary || s.After.Role != target.RolePrimary || s.Changes != 2 {
		t.Errorf("role %q -> %q with %d changes, want primary -> primary with 2 (demoted, promoted)", s.Before.Role, s.After.Role, s.Changes)
	}
	roles := readEvents(t, dir, "role_changed")
	if len(roles) != 2 || roles[0].Node != srv.Addr || roles[0].PreviousRole != target.RolePrimary ||
		roles[0].Role != target.RoleReplica || roles[0].Primary != other.Addr ||
		roles[1].PreviousRole != target.RoleReplica || roles[1].Role != target.RolePrimary || roles[1].PreviousPrimary != other.Addr {
		t.Errorf("role_changed events %+v, want %s primary -> replica of %s, then back", roles, srv.Addr, other.Addr)
	}
	restarts := readEvents(t, dir, "restarted")
	if len(restarts) != 1 || restarts[0].RunID == "" || restarts[0].PreviousRunID == "" || restarts[0].RunID == restarts[0].PreviousRunID {
		t.Errorf("restarted events %+v, want one with a new run_id", restarts)
	}
	if !strings.Contains(logs.String(), `"reason":"role change"`) {
		t.Errorf("no integrity sweep for the role change:\n%s", logs.String())
	}
}
