package deploy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/internal/proctest"
	"github.com/ecbench/ecbench/internal/promtest"
	"github.com/ecbench/ecbench/internal/servertest"
)

const (
	// scrapeInterval replaces the configured scrape and evaluation intervals,
	// so that a short test collects enough samples.
	scrapeInterval = time.Second
	// dataWindow is how long Prometheus collects once every target is up: a
	// few $__rate_interval windows (4s here), a full period of the burst
	// schedule, enough rule evaluations for alerts to go pending, several
	// cycles of the test's scenario, and the faults (provokeFaults, about
	// 12s) with 8s after them.
	dataWindow = 20 * time.Second
	// generators is how many ecbench processes run: more than one, so that
	// every query is proven to aggregate over instance.
	generators = 2
)

// TestEndToEnd runs the stack for real: redis-server and valkey-server
// (each with a maxmemory, as ElastiCache's nodes have),
// two ecbench generators running the Compose stack's ecbench.yaml against
// both (addresses and rates overridden, a scenario with a failover phase
// added: writeE2EConfig) and polling a fake CloudWatch and ElastiCache
// endpoint for both targets' replication groups, and Prometheus with the
// Compose stack's prometheus.yml and rules (addresses and intervals
// rewritten). During the data window each engine stalls, redis is killed
// with SIGKILL and restarted, and valkey is made a replica and a primary
// again (provokeFaults). Then every Prometheus query of every dashboard
// panel and annotation, with its variables set to real values, must return
// data (the panels that query Grafana's CloudWatch datasource are counted
// and skipped); the fake's datapoints must reach Prometheus as published;
// every recording rule must produce series; every rule must evaluate
// cleanly; and the alerts must say what happened: errors over 1% on both
// engines, writes lost on redis, valkey's role changed, each outage pending
// while it lasted, and nothing down, absent or silent at the end.
//
// Prometheus runs without --enable-feature=native-histograms, so it ingests
// ecbench's classic buckets: the dashboards and rules must work on those.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	ecbench := ecbenchBinary(t)
	prometheus := promtest.Tool(t, "prometheus")
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	httpc := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	// A memory limit far above what the test writes, as every ElastiCache
	// node has one: the panels of used memory as a share of maxmemory need
	// it. The directive outlives the restart of provokeFaults.
	engines := map[string]*servertest.Server{
		"redis":  servertest.Start(t, servertest.Redis, "maxmemory", "8gb"),
		"valkey": servertest.Start(t, servertest.Valkey, "maxmemory", "8gb"),
	}

	stackConfig := repoPath(t, "deploy", "compose", "ecbench.yaml")
	env, targets := ecbenchEnv(t, stackConfig, engines)
	for name, engine := range targets {
		if name != engine {
			t.Fatalf("target %s has engine %s: the faults and the alert checks name each target after its engine", name, engine)
		}
	}
	cfgFile := writeE2EConfig(t, stackConfig)
	aws := startFakeElastiCache(t, targets)
	env = append(env, aws.env()...)
	var gens []string
	var procs []*proctest.Process
	for i := range generators {
		genEnv := append(slices.Clone(env), generatorEnv(i)...)
		p, addr := proctest.Serve(t, httpc, "/readyz", 15*time.Second, func(addr string) *proctest.Process {
			return proctest.Start(t, fmt.Sprintf("ecbench %d", i), append(genEnv, "ECBENCH_LISTEN="+addr),
				ecbench, "run", "--config", cfgFile)
		})
		gens = append(gens, addr)
		procs = append(procs, p)
	}
	for _, s := range engines {
		restrictKeys(t, s)
	}

	prom, promAddr := proctest.Serve(t, httpc, "/-/ready", 20*time.Second, func(addr string) *proctest.Process {
		cfg := writePromConfig(t, map[string][]string{
			"ecbench:9478":    gens,
			"prometheus:9090": {addr},
		})
		return proctest.Start(t, "prometheus", proctest.CleanEnv(), prometheus,
			"--config.file="+cfg,
			"--storage.tsdb.path="+filepath.Join(t.TempDir(), "data"),
			"--web.listen-address="+addr,
			"--log.level=warn",
		)
	})
	papi := promAPI{base: "http://" + promAddr, http: httpc}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	waitTargetsUp(t, ctx, papi, generators+1)
	start := time.Now()
	aws.throttleNextCall()
	provokeFaults(t, ctx, papi, engines)
	// At least 5s after the last fault (more rate windows of a recovered
	// target, the last outage over), however long the faults took.
	time.Sleep(max(time.Until(start.Add(dataWindow)), 5*time.Second))
	end := time.Now()
	for _, p := range append(procs, prom) {
		if p.Exited() {
			t.Fatalf("%s exited:\n%s", p.Name, p.Out.Tail(4000))
		}
	}

	t.Run("dashboards", func(t *testing.T) {
		for _, d := range loadDashboards(t) {
			t.Run(d.file, func(t *testing.T) { checkDashboardQueries(t, ctx, papi, d, start, end) })
		}
	})
	t.Run("cloudwatch", func(t *testing.T) { checkCloudWatch(t, ctx, papi, aws, start, end) })
	t.Run("recording rules", func(t *testing.T) { checkRecordingRules(t, ctx, papi, end) })
	t.Run("rules evaluate", func(t *testing.T) { checkRuleHealth(t, ctx, papi) })
	t.Run("alerts", func(t *testing.T) { checkAlerts(t, ctx, papi, start, end) })
}

// generatorEnv is what differs between the generators: only the first runs
// the probes, as two generators' probes write the same keys (the
// availability probe would read the other's value and count an outage; the
// integrity probe would judge the other's records stale). The integrity
// probe's writes are first read back after 1s, so that verified writes show
// within the data window.
func generatorEnv(i int) []string {
	env := []string{"ECBENCH_PROBES_INTEGRITY_VERIFY_DELAY=1s"}
	if i > 0 {
		env = append(env, "ECBENCH_PROBES_INTEGRITY_ENABLED=false", "ECBENCH_PROBES_AVAILABILITY_ENABLED=false")
	}
	return env
}

// ecbenchEnv points the stack's ecbench config at the test's servers, by
// engine, names each target's replication group for CloudWatch polling, and
// lowers the rates so that two generators stay light on a shared test
// machine. It returns the environment and the config's targets' engines by
// target name.
func ecbenchEnv(t *testing.T, cfgFile string, engines map[string]*servertest.Server) ([]string, map[string]string) {
	t.Helper()
	var cfg struct {
		Targets []struct {
			Name   string `yaml:"name"`
			Engine string `yaml:"engine"`
		} `yaml:"targets"`
		Workloads []struct {
			Name string `yaml:"name"`
			Rate struct {
				Type string `yaml:"type"`
			} `yaml:"rate"`
		} `yaml:"workloads"`
	}
	if err := yaml.Unmarshal(readFile(t, cfgFile), &cfg); err != nil {
		t.Fatal(err)
	}
	env := proctest.CleanEnv("ECBENCH_LOG_LEVEL=warn")
	targets := map[string]string{}
	for i, tg := range cfg.Targets {
		s, ok := engines[tg.Engine]
		if !ok {
			t.Fatalf("target %s: engine %q; the test runs redis and valkey", tg.Name, tg.Engine)
		}
		env = append(env, fmt.Sprintf("ECBENCH_TARGETS_%d_ADDRS=%s", i, s.Addr),
			fmt.Sprintf("ECBENCH_TARGETS_%d_CLOUDWATCH_REPLICATION_GROUP=%s", i, replicationGroup(tg.Name)),
			// INFO every second: a role change, and the Server side
			// panels' rates, show within the data window.
			fmt.Sprintf("ECBENCH_TARGETS_%d_INFO_INTERVAL=1s", i))
		targets[tg.Name] = tg.Engine
	}
	// Lower rates, per schedule type, in requests per second.
	low := map[string]map[string]string{
		"constant": {"RATE": "100"},
		"sine":     {"MEAN": "50", "AMPLITUDE": "25", "PERIOD": "20s"},
		"burst":    {"BASE": "25", "PEAK": "150", "PERIOD": "10s", "LENGTH": "3s"},
		"ramp":     {"FROM": "10", "TO": "100", "DURATION": "20s"},
		"closed":   {"WORKERS": "2"},
	}
	for i, w := range cfg.Workloads {
		keys, ok := low[w.Rate.Type]
		if !ok {
			t.Fatalf("workload %s: rate type %q; teach ecbenchEnv how to lower it", w.Name, w.Rate.Type)
		}
		for k, v := range keys {
			env = append(env, fmt.Sprintf("ECBENCH_WORKLOADS_%d_RATE_%s=%s", i, k, v))
		}
	}
	return env, targets
}

// writePromConfig writes the stack's prometheus.yml with every scrape
// target replaced by the addresses in targets (keyed by the original
// host:port), the intervals set to scrapeInterval, and the rule files made
// absolute. Everything else stays as the stack has it.
func writePromConfig(t *testing.T, targets map[string][]string) string {
	t.Helper()
	dir := repoPath(t, "deploy", "prometheus")
	var cfg map[string]any
	if err := yaml.Unmarshal(readFile(t, filepath.Join(dir, "prometheus.yml")), &cfg); err != nil {
		t.Fatal(err)
	}
	global, _ := cfg["global"].(map[string]any)
	if global == nil {
		global = map[string]any{}
		cfg["global"] = global
	}
	global["scrape_interval"] = scrapeInterval.String()
	global["evaluation_interval"] = scrapeInterval.String()
	rules, _ := cfg["rule_files"].([]any)
	for i, r := range rules {
		if p, ok := r.(string); ok && !filepath.IsAbs(p) {
			rules[i] = filepath.Join(dir, p)
		}
	}
	scs, _ := cfg["scrape_configs"].([]any)
	for _, sc := range scs {
		sc, _ := sc.(map[string]any)
		if _, ok := sc["scrape_interval"]; ok {
			sc["scrape_interval"] = scrapeInterval.String()
		}
		statics, _ := sc["static_configs"].([]any)
		for _, st := range statics {
			st, _ := st.(map[string]any)
			old, _ := st["targets"].([]any)
			var repl []any
			for _, o := range old {
				addrs, ok := targets[fmt.Sprint(o)]
				if !ok {
					t.Fatalf("job %v scrapes %v: the test has nothing to put there", sc["job_name"], o)
				}
				for _, a := range addrs {
					repl = append(repl, a)
				}
			}
			st["targets"] = repl
		}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitTargetsUp waits until Prometheus has scraped n targets successfully.
func waitTargetsUp(t *testing.T, ctx context.Context, papi promAPI, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		active, err := papi.targets(ctx)
		up := 0
		var health []string
		for _, a := range active {
			if a.Health == "up" {
				up++
			}
			health = append(health, fmt.Sprintf("%s=%s %s", a.ScrapeURL, a.Health, a.LastError))
		}
		if err == nil && up == n && len(active) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus targets not all up after 20s (err %v): %v", err, health)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ruleFiles returns the rule files prometheus.yml loads.
func ruleFiles(t *testing.T) []string {
	t.Helper()
	dir := repoPath(t, "deploy", "prometheus")
	var files []string
	for _, g := range readPromConfig(t, filepath.Join(dir, "prometheus.yml")).RuleFiles {
		m, err := filepath.Glob(filepath.Join(dir, g))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("prometheus.yml loads no rule files")
	}
	return files
}

// checkRecordingRules requires every recording rule to have produced at
// least one series with a finite value.
func checkRecordingRules(t *testing.T, ctx context.Context, papi promAPI, at time.Time) {
	records := 0
	for _, f := range ruleFiles(t) {
		for _, g := range readRules(t, f).Groups {
			for _, r := range g.Rules {
				if r.Record == "" {
					continue
				}
				records++
				q := promQuery{where: fmt.Sprintf("%s group %s", filepath.Base(f), g.Name), expr: r.Record, instant: true}
				if err := runQuery(ctx, papi, q, at, at, time.Second); err != nil {
					t.Errorf("recording rule %s (%s): %v", r.Record, q.where, err)
				}
			}
		}
	}
	t.Logf("%d recording rules checked", records)
}

// checkRuleHealth requires every rule group of the rule files to be loaded,
// and every rule in them to have evaluated without error.
func checkRuleHealth(t *testing.T, ctx context.Context, papi promAPI) {
	res, err := papi.rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]bool{}
	for _, g := range res.Groups {
		loaded[g.Name] = true
		for _, r := range g.Rules {
			if r.Health != "ok" {
				t.Errorf("group %s: %s rule %s is %q: %s", g.Name, r.Type, r.Name, r.Health, r.LastError)
			}
		}
	}
	for _, f := range ruleFiles(t) {
		for _, g := range readRules(t, f).Groups {
			if !loaded[g.Name] {
				t.Errorf("rule group %s of %s is not loaded (have %v)", g.Name, filepath.Base(f), loaded)
			}
		}
	}
}
