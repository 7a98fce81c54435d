package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/app"
	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/results"
)

// benchFlagConfig parses bench flags the way runBench does and returns the
// configuration they describe.
func benchFlagConfig(t *testing.T, args []string, env []string) (*config.Config, error) {
	t.Helper()
	bf := newBenchFlags(io.Discard)
	fs, path, legacy := bf.fs, bf.config, bf.legacy
	if err := fs.Parse(joinAWSFile(args)); err != nil {
		t.Fatalf("flags %v: %v", args, err)
	}
	return benchConfig(fs, *path, legacy, env)
}

// TestLegacyFlagsAreAConfig checks that the original tool's flags describe
// exactly the run of the equivalent config file.
func TestLegacyFlagsAreAConfig(t *testing.T) {
	t.Parallel()
	got, err := benchFlagConfig(t, strings.Fields(
		"-t all -n 500 -s 64 -e 10 -j 3 -o 100 -r 10.0.0.1 -p 7001 -v 10.0.0.2 -q 7002 --password-env PW --sequential --duration 30s"),
		[]string{"PW=secret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	var yaml strings.Builder
	yaml.WriteString(`
targets:
  - {name: redis, engine: redis, addrs: ["10.0.0.1:7001"], password_env: PW}
  - {name: valkey, engine: valkey, addrs: ["10.0.0.2:7002"], password_env: PW}
workloads:
  - {name: kv, type: kv, keys: {count: 500}, values: {size: 64}, ops: {get: 1, set: 1}, preload: true, rate: {type: closed, workers: 3}}
`)
	for _, typ := range []string{"list", "hash", "set", "zset"} {
		fmt.Fprintf(&yaml, "  - {name: %s, type: %s, keys: {count: 500}, values: {size: 64}, elements: {count: 10, size: 64}, rate: {type: closed, workers: 3}}\n", typ, typ)
	}
	yaml.WriteString("bench: {requests: 300, warmup: 0s, sequential: true, duration: 30s}\n")
	want, err := config.Load(writeConfig(t, yaml.String()), nil, []string{"PW=secret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flags give\n%+v\nthe config file gives\n%+v", got, want)
	}
}

func TestLegacyFlagSelections(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args  string
		types []string
	}{
		{"", []string{"kv"}},
		{"-t kv", []string{"kv"}},
		{"-t ds", []string{"kv", "list", "hash", "set", "zset"}},
		{"-t ds -d hash", []string{"hash"}},
		{"-t ds -d string,zset", []string{"kv", "zset"}},
		{"-t all -d list", []string{"kv", "list"}},
	} {
		t.Run(tt.args, func(t *testing.T) {
			cfg, err := benchFlagConfig(t, strings.Fields(tt.args), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range cfg.Workloads {
				got = append(got, string(w.Type))
			}
			if !reflect.DeepEqual(got, tt.types) {
				t.Errorf("workload types %v, want %v", got, tt.types)
			}
		})
	}
}

func TestAWSEndpointsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "aws.json")
	os.WriteFile(good, []byte(`{"redis":{"host":"r.cache.amazonaws.com","port":6379},"valkey":{"host":"v.cache.amazonaws.com","port":6380}}`), 0o600)
	cfg, err := benchFlagConfig(t, []string{"--aws", good, "--tls", "--cluster", "-t", "kv"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, v := cfg.Targets[0], cfg.Targets[1]
	if r.Addrs[0] != "r.cache.amazonaws.com:6379" || v.Addrs[0] != "v.cache.amazonaws.com:6380" || !r.TLS.Enabled || v.Mode != "cluster" {
		t.Errorf("targets from --aws: %+v %+v", r, v)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"redis":{"host":"","port":6379},"valkey":{"host":"v","port":0}}`), 0o600)
	_, err = benchFlagConfig(t, []string{"--aws", bad}, nil)
	if err == nil || !strings.Contains(err.Error(), "redis.host: must not be empty; valkey.port: must be from 1 to 65535, got 0") {
		t.Errorf("bad --aws file: %v", err)
	}
}

// TestBenchCLIErrors checks that bad bench input exits 2 naming the flag.
func TestBenchCLIErrors(t *testing.T) {
	t.Parallel()
	cfgFile := writeConfig(t, "targets: [{name: r, addrs: [\"127.0.0.1:1\"]}]\nworkloads: [{name: kv}]\n")
	for _, tt := range []struct {
		args string
		want string
	}{
		{"-t everything", `-t/--tests: must be one of kv, ds, all; got "everything"`},
		{"-t ds -d queue", `-d/--data: must be one of string, list, hash, set, zset, all; got "queue"`},
		{"--config " + cfgFile + " -n 5", "--keys (-n) describes targets or workloads and cannot be combined with --config"},
		{"--aws /nonexistent/aws.json", "--aws: open /nonexistent/aws.json"},
		{"-a pw --password-env X", "give at most one"},
		{"-s 0", "workloads[0].values.size: must be between 1 and 536870912, got 0"},
		{"--pipeline 0", "workloads[0].pipeline: must be between 1 and 1000, got 0"},
		{"--duration -1s", `bench.duration: must be > 0, got "-1s"`},
	} {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"bench"}, strings.Fields(tt.args)...), &stdout, &stderr); code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, stderr.String())
			}
			mustContain(t, "stderr", stderr.String(), tt.want)
		})
	}
}

// TestBenchAndCompare runs the original tool's kind of command against both
// real engines: every workload and op gets a row, the results directory
// holds JSON and CSV without the password, and compare prints the same table.
func TestBenchAndCompare(t *testing.T) {
	t.Parallel()
	const pw = "bench-pw-Jq31"
	rs := servertest.Start(t, servertest.Redis, "requirepass", pw)
	vs := servertest.Start(t, servertest.Valkey, "requirepass", pw)
	out := t.TempDir()
	args := []string{"bench", "-t", "all", "-n", "200", "-s", "32", "-e", "10", "-j", "2", "-o", "400",
		"-p", fmt.Sprint(rs.Port), "-q", fmt.Sprint(vs.Port), "-a", pw, "-c", "--out", out}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("bench: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	table := stdout.String()
	for _, op := range []string{"get", "set", "lpush", "lindex", "hgetall", "hincrby", "sinter", "srandmember", "zrangebyscore", "zrevrange"} {
		if !strings.Contains(table, " "+op+" ") {
			t.Errorf("no row for op %s", op)
		}
	}
	mustContain(t, "bench output", table, "redis (redis 7.", "valkey (valkey 8.", "valkey/redis", "95% CI", "throughput (ops/s)", "p99.9", "error rate", "dropped", "results: ")
	if strings.Contains(table+stderr.String(), pw) {
		t.Error("the password appears in the output")
	}
	// Each workload's keys are deleted after it ran.
	for _, s := range []*servertest.Server{rs, vs} {
		c := s.Client(func(o *redis.Options) { o.Password = pw })
		if n, err := c.DBSize(context.Background()).Result(); err != nil || n != 0 {
			t.Errorf("%s holds %d keys after the bench (%v)", s.Engine, n, err)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("results directories: %v", dirs)
	}
	for _, f := range []string{"run.json", "intervals.csv", "summary.csv"} {
		b, err := os.ReadFile(filepath.Join(dirs[0], f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), pw) {
			t.Errorf("%s holds the password", f)
		}
	}
	saved, err := results.Read(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range saved.Series {
		if got := s.OK + s.Miss + s.Errors + s.Dropped; s.Op == "get" && got == 0 {
			t.Errorf("%s %s %s: no requests", s.Target, s.Workload, s.Op)
		}
		if s.Errors > 0 {
			t.Errorf("%s %s %s: %d errors %v", s.Target, s.Workload, s.Op, s.Errors, s.ErrorClasses)
		}
	}
	// -o 400 × -j 2: every workload sent exactly 800 requests per engine.
	perWorkload := map[string]uint64{}
	for _, s := range saved.Series {
		perWorkload[s.Target+"/"+s.Workload] += s.OK + s.Miss + s.Errors + s.Dropped
	}
	for k, n := range perWorkload {
		if n != 800 {
			t.Errorf("%s: %d requests, want 800", k, n)
		}
	}

	var again bytes.Buffer
	if code := run([]string{"compare", dirs[0]}, &again, &stderr); code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr.String())
	}
	benchTable := table[:strings.Index(table, "\nresults: ")]
	if strings.TrimSpace(again.String()) != strings.TrimSpace(benchTable) {
		t.Errorf("compare differs from bench:\n%s\n---\n%s", again.String(), benchTable)
	}

	var csvOut bytes.Buffer
	if code := run([]string{"compare", "--format", "csv", dirs[0], dirs[0]}, &csvOut, &stderr); code != 0 {
		t.Fatalf("compare csv: exit %d: %s", code, stderr.String())
	}
	recs, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	if len(recs) < 2 || recs[0][0] != "workload" {
		t.Errorf("csv: %v", recs[:min(len(recs), 3)])
	}
}

// TestBenchSequential runs the engines one after the other: the second
// target's measured window starts after the first one's ended.
func TestBenchSequential(t *testing.T) {
	t.Parallel()
	rs := servertest.Start(t, servertest.Redis)
	vs := servertest.Start(t, servertest.Valkey)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "-t", "kv", "-n", "100", "-j", "2", "-o", "500", "--sequential",
		"-p", fmt.Sprint(rs.Port), "-q", fmt.Sprint(vs.Port), "--out", out, "--log-format", "json"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	logs := stderr.String()
	redisDone := strings.Index(logs, `"phase":"measure","workload":"kv","target":"redis"`)
	valkeyDone := strings.Index(logs, `"phase":"measure","workload":"kv","target":"valkey"`)
	if redisDone < 0 || valkeyDone < 0 || valkeyDone < redisDone {
		t.Errorf("progress lines not one target after the other:\n%s", logs)
	}
	if strings.Count(logs, `"phase":"measure"`) != 2 {
		t.Errorf("want one final progress line per target (each ran alone):\n%s", logs)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	saved, err := results.Read(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Meta.Sequential || len(saved.Series) != 4 {
		t.Errorf("sequential %v, %d series", saved.Meta.Sequential, len(saved.Series))
	}
}

func TestProgressOnTerminal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := &progress{out: &out, tty: true}
	pr := app.Progress{Phase: app.PhaseMeasure, Workload: "kv", Started: time.Now(), Requests: 1000, Elapsed: time.Second,
		Targets: []app.TargetProgress{{Target: "redis", Engine: "redis", Done: 10, Rate: 5000, P99: 1500 * time.Microsecond}, {Target: "valkey", Engine: "valkey", Done: 12}}}
	p.show(pr)
	live := out.String()
	// The final report is the whole phase's: marked "total", dropped
	// requests beside the ones sent.
	pr.Elapsed, pr.Final = 2*time.Second, true
	pr.Targets = []app.TargetProgress{{Target: "redis", Engine: "redis", Done: 990, Rate: 4950, P99: 2 * time.Millisecond, Errors: 3, Dropped: 10},
		{Target: "valkey", Engine: "valkey", Done: 1000, Rate: 5000}}
	p.show(pr)
	got := out.String()
	if strings.Count(got, "\x1b[2K") != 4 || !strings.Contains(got, "\x1b[2A") {
		t.Errorf("lines are not redrawn in place: %q", got)
	}
	mustContain(t, "live progress", live, "10/1000 req", "5000 ops/s", "p99    1.500ms")
	if strings.Contains(live, "total") {
		t.Errorf("a live line is marked as the total: %q", live)
	}
	final := strings.Split(strings.TrimSuffix(got[len(live):], "\n"), "\n")
	if len(final) != 2 {
		t.Fatalf("final report in %d lines, want one per target: %q", len(final), final)
	}
	mustContain(t, "final progress", final[0], "total 990/1000 req", "4950 ops/s", "p99    2.000ms", "errors 3", "dropped 10")
	mustContain(t, "final progress", final[1], "total 1000/1000 req", "dropped 0")
}

// Without a request limit the final line shows the phase's length, not the
// time limit it ran against.
func TestProgressFinalDuration(t *testing.T) {
	t.Parallel()
	pr := app.Progress{Phase: app.PhaseMeasure, Workload: "kv", Limit: 10 * time.Second, Elapsed: 5 * time.Second}
	l := app.TargetProgress{Target: "redis", Engine: "redis"}
	if got := format(pr, l); !strings.Contains(got, " 5s/10s ") {
		t.Errorf("live: %q", got)
	}
	pr.Elapsed, pr.Final = 10*time.Second, true
	if got := format(pr, l); !strings.Contains(got, " total 10s ") {
		t.Errorf("final: %q", got)
	}
}
