package deploy

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// loadCompose loads compose files from deploy/compose with the compose-spec
// loader, as `docker compose` does, with env as the only environment.
func loadCompose(t *testing.T, env []string, profiles []string, files ...string) (*types.Project, error) {
	t.Helper()
	dir := repoPath(t, "deploy", "compose")
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, f)
	}
	opts, err := cli.NewProjectOptions(paths,
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(env),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(t *testing.T, env []string, profiles []string, files ...string) *types.Project {
	t.Helper()
	p, err := loadCompose(t, env, profiles, files...)
	if err != nil {
		t.Fatalf("load %s: %v", strings.Join(files, " + "), err)
	}
	return p
}

// hostPath maps a path inside a service's container to the file on the host
// that a bind mount puts there, or "" if no bind mount covers it.
func hostPath(s types.ServiceConfig, containerPath string) string {
	best, bestLen := "", -1
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		rel, err := filepath.Rel(v.Target, containerPath)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		if len(v.Target) > bestLen {
			best, bestLen = filepath.Join(v.Source, rel), len(v.Target)
		}
	}
	return best
}

// flagValue returns the value of --name=value or --name value in args.
func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// exposes says whether a service declares a container port, in expose or
// ports.
func exposes(s types.ServiceConfig, port string) bool {
	if slices.Contains(s.Expose, port) {
		return true
	}
	return slices.ContainsFunc(s.Ports, func(p types.ServicePortConfig) bool {
		return strconv.FormatUint(uint64(p.Target), 10) == port
	})
}

// serviceEnv is the environment compose gives a service, as KEY=value.
func serviceEnv(s types.ServiceConfig) []string {
	var env []string
	for k, v := range s.Environment {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	slices.Sort(env)
	return env
}

// ecbenchConfig is the part of ecbench's config the stack depends on.
type ecbenchConfig struct {
	Listen string `yaml:"listen"`
}

// TestCompose loads compose.yaml as `docker compose up` would and checks
// that the stack hangs together: images, healthchecks, named volumes, every
// file it mounts or builds from, and that each scrape target of the
// Prometheus config it mounts is a service exposing that port.
func TestCompose(t *testing.T) {
	t.Parallel()
	p := mustLoadCompose(t, nil, nil, "compose.yaml")

	want := []string{"ecbench", "grafana", "prometheus", "redis", "valkey"}
	if got := p.ServiceNames(); !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	// Redis OSS 7.2 is the last BSD-licensed Redis (7.4 is RSALv2/SSPL, not
	// what ElastiCache's Redis OSS engine runs); Valkey 8.1 is an ElastiCache
	// Valkey version. Both tags exist on Docker Hub.
	images := map[string]string{"redis": "redis:7.2", "valkey": "valkey/valkey:8.1"}
	for name, want := range images {
		if img := p.Services[name].Image; img != want {
			t.Errorf("%s image %q, want %s", name, img, want)
		}
	}
	for name, s := range p.Services {
		if hc := s.HealthCheck; hc == nil || hc.Disable || len(hc.Test) == 0 {
			t.Errorf("%s has no healthcheck", name)
		}
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeBind:
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s, which does not exist: %v", name, v.Source, err)
				}
				if !v.ReadOnly {
					t.Errorf("%s mounts %s read-write; the repo's files are mounted read-only", name, v.Source)
				}
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s uses volume %q, which is not declared", name, v.Source)
				}
			}
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s builds from %s: %v", name, s.Build.Dockerfile, err)
			}
		}
	}
	for _, name := range []string{"redis", "valkey", "prometheus", "grafana"} {
		if !slices.ContainsFunc(p.Services[name].Volumes, func(v types.ServiceVolumeConfig) bool { return v.Type == types.VolumeTypeVolume }) {
			t.Errorf("%s keeps its data in no named volume", name)
		}
	}

	// ecbench: built from the repo root's Dockerfile, run with the config
	// mounted from deploy/compose, listening where Prometheus scrapes it.
	ec := p.Services["ecbench"]
	if ec.Build == nil || ec.Build.Context != repoRoot(t) {
		t.Errorf("ecbench build %+v, want the repo root as context", ec.Build)
	}
	cfgPath := flagValue(ec.Command, "--config")
	if len(ec.Command) == 0 || ec.Command[0] != "run" || cfgPath == "" {
		t.Fatalf("ecbench command %q, want run --config FILE", ec.Command)
	}
	cfgFile := hostPath(ec, cfgPath)
	if cfgFile != repoPath(t, "deploy", "compose", "ecbench.yaml") {
		t.Fatalf("ecbench's %s is mounted from %q, want deploy/compose/ecbench.yaml", cfgPath, cfgFile)
	}
	var ecfg ecbenchConfig
	if err := yaml.Unmarshal(readFile(t, cfgFile), &ecfg); err != nil {
		t.Fatal(err)
	}
	_, ecPort, err := net.SplitHostPort(ecfg.Listen)
	if err != nil || !strings.HasPrefix(ecfg.Listen, "0.0.0.0:") {
		t.Errorf("ecbench.yaml listen %q: want 0.0.0.0:PORT, reachable from the prometheus container", ecfg.Listen)
	}

	// Prometheus: its config file, and the rule files it names, come from
	// deploy/prometheus; every target it scrapes is a service on that port.
	prom := p.Services["prometheus"]
	promCfg := hostPath(prom, flagValue(prom.Command, "--config.file"))
	if promCfg != repoPath(t, "deploy", "prometheus", "prometheus.yml") {
		t.Fatalf("prometheus --config.file is mounted from %q, want deploy/prometheus/prometheus.yml", promCfg)
	}
	pc := readPromConfig(t, promCfg)
	if len(pc.RuleFiles) == 0 {
		t.Error("prometheus.yml loads no rule files")
	}
	promPort := "9090"
	if a := flagValue(prom.Command, "--web.listen-address"); a != "" {
		_, promPort, _ = net.SplitHostPort(a)
	}
	listens := map[string]string{"ecbench": ecPort, "prometheus": promPort}
	scraped := map[string]bool{}
	for _, sc := range pc.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, port, err := net.SplitHostPort(target)
				if err != nil {
					t.Errorf("job %s: target %q: %v", sc.JobName, target, err)
					continue
				}
				s, ok := p.Services[host]
				if !ok {
					t.Errorf("job %s scrapes %s: no service %q in compose.yaml", sc.JobName, target, host)
					continue
				}
				scraped[host] = true
				if !exposes(s, port) {
					t.Errorf("job %s scrapes %s, but service %s does not expose port %s", sc.JobName, target, host, port)
				}
				if l, ok := listens[host]; ok && l != port {
					t.Errorf("job %s scrapes %s, but %s listens on port %s", sc.JobName, target, host, l)
				}
			}
		}
	}
	if !scraped["ecbench"] {
		t.Error("prometheus.yml does not scrape the ecbench service")
	}

	// Grafana: provisioning and dashboards from deploy/grafana, the
	// datasource pointing at the prometheus service, AWS settings from env.
	gf := p.Services["grafana"]
	prov := hostPath(gf, "/etc/grafana/provisioning")
	if prov != repoPath(t, "deploy", "grafana", "provisioning") {
		t.Errorf("grafana's /etc/grafana/provisioning is mounted from %q, want deploy/grafana/provisioning", prov)
	}
	for _, prv := range readProviders(t).Providers {
		if dir := hostPath(gf, prv.Options.Path); dir != repoPath(t, "deploy", "grafana", "dashboards") {
			t.Errorf("dashboard provider %s reads %s, mounted from %q; want deploy/grafana/dashboards", prv.Name, prv.Options.Path, dir)
		}
	}
	if home := gf.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != nil {
		if _, err := os.Stat(hostPath(gf, *home)); err != nil {
			t.Errorf("home dashboard %s: %v", *home, err)
		}
	}
	for _, ds := range readDatasources(t).Datasources {
		if ds.Type != "prometheus" {
			continue
		}
		host, port, err := net.SplitHostPort(strings.TrimPrefix(ds.URL, "http://"))
		if err != nil || !exposes(p.Services[host], port) || host != "prometheus" || port != promPort {
			t.Errorf("datasource %s url %q: want the prometheus service on port %s", ds.UID, ds.URL, promPort)
		}
	}
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if _, ok := gf.Environment[k]; !ok {
			t.Errorf("grafana's environment does not pass %s, which the CloudWatch datasource's default credential chain reads", k)
		}
	}
	if r := gf.Environment["AWS_REGION"]; r == nil || *r == "" {
		t.Error("grafana's AWS_REGION has no default; the CloudWatch datasource's defaultRegion is ${AWS_REGION}")
	}

	// ecbench's config is valid as the container would see it.
	ecbenchCheck(t, cfgFile, serviceEnv(ec))
}

// TestComposeElastiCache loads compose.yaml with compose.elasticache.yaml:
// the local engines are off, ecbench reads ecbench-elasticache.yaml with the
// endpoints from the environment, and that config is valid with and without
// passwords, and with CloudWatch polling on (AWS settings passed through).
func TestComposeElastiCache(t *testing.T) {
	t.Parallel()
	files := []string{"compose.yaml", "compose.elasticache.yaml"}
	endpoints := []string{
		"REDIS_ENDPOINT=my-redis.abc123.ng.0001.use1.cache.amazonaws.com:6379",
		"VALKEY_ENDPOINT=my-valkey.abc123.ng.0001.use1.cache.amazonaws.com:6379",
	}

	if _, err := loadCompose(t, endpoints[1:], nil, files...); err == nil || !strings.Contains(err.Error(), "set REDIS_ENDPOINT") {
		t.Errorf("without REDIS_ENDPOINT: err = %v, want the hint to set it", err)
	}

	cases := []struct {
		name string
		env  []string
		want []string // in ecbench's environment
	}{
		{"defaults", nil, []string{
			"ECBENCH_TARGETS_0_ADDRS=my-redis.abc123.ng.0001.use1.cache.amazonaws.com:6379",
			"ECBENCH_TARGETS_1_ADDRS=my-valkey.abc123.ng.0001.use1.cache.amazonaws.com:6379",
			"ECBENCH_TARGETS_0_TLS_ENABLED=true", "ECBENCH_TARGETS_0_MODE=standalone",
			"ECBENCH_TARGETS_0_PASSWORD_ENV=",
			"ECBENCH_CLOUDWATCH_ENABLED=false", "AWS_REGION=us-east-1",
		}},
		{"cluster mode with RBAC passwords", []string{
			"ELASTICACHE_MODE=cluster", "ELASTICACHE_USERNAME=ecbench",
			"REDIS_PASSWORD=redis-secret", "VALKEY_PASSWORD=valkey-secret",
		}, []string{
			"ECBENCH_TARGETS_1_MODE=cluster", "ECBENCH_TARGETS_1_USERNAME=ecbench",
			"ECBENCH_TARGETS_0_PASSWORD_ENV=REDIS_PASSWORD", "ECBENCH_TARGETS_1_PASSWORD_ENV=VALKEY_PASSWORD",
			"REDIS_PASSWORD=redis-secret",
		}},
		{"without TLS", []string{"ELASTICACHE_TLS=false"}, []string{"ECBENCH_TARGETS_1_TLS_ENABLED=false"}},
		{"with CloudWatch", []string{
			"ELASTICACHE_CLOUDWATCH=true", "REDIS_REPLICATION_GROUP=my-redis", "VALKEY_REPLICATION_GROUP=my-valkey",
			"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
		}, []string{
			"ECBENCH_CLOUDWATCH_ENABLED=true",
			"ECBENCH_TARGETS_0_CLOUDWATCH_REPLICATION_GROUP=my-redis", "ECBENCH_TARGETS_1_CLOUDWATCH_REPLICATION_GROUP=my-valkey",
			"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mustLoadCompose(t, append(slices.Clone(endpoints), tc.env...), nil, files...)
			if got, want := p.ServiceNames(), []string{"ecbench", "grafana", "prometheus"}; !slices.Equal(got, want) {
				t.Errorf("services %v, want %v (the local engines off)", got, want)
			}
			ec := p.Services["ecbench"]
			if len(ec.DependsOn) != 0 {
				t.Errorf("ecbench depends on %v; the local engines are not started", ec.DependsOn)
			}
			if n := len(ec.Volumes); n != 1 {
				t.Errorf("ecbench has %d volumes, want only its config", n)
			}
			cfg := hostPath(ec, flagValue(ec.Command, "--config"))
			if cfg != repoPath(t, "deploy", "compose", "ecbench-elasticache.yaml") {
				t.Fatalf("ecbench's config is mounted from %q, want deploy/compose/ecbench-elasticache.yaml", cfg)
			}
			for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
				if _, ok := ec.Environment[k]; !ok {
					t.Errorf("ecbench's environment does not pass %s, which its CloudWatch poller's default credential chain reads", k)
				}
			}
			env := serviceEnv(ec)
			for _, w := range tc.want {
				if !slices.Contains(env, w) {
					t.Errorf("ecbench's environment lacks %s: %q", w, env)
				}
			}
			ecbenchCheck(t, cfg, env)
		})
	}

	// The CloudWatch switch reaches ecbench's config: on, with no replication
	// group named, the config is invalid.
	cw := mustLoadCompose(t, append(slices.Clone(endpoints), "ELASTICACHE_CLOUDWATCH=true"), nil, files...).Services["ecbench"]
	cmd := exec.Command(ecbenchBinary(t), "check", "--config", hostPath(cw, flagValue(cw.Command, "--config")))
	cmd.Env = serviceEnv(cw)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "cloudwatch.enabled") {
		t.Errorf("ecbench check with ELASTICACHE_CLOUDWATCH=true and no replication group: %v, want the cloudwatch.enabled problem:\n%s", err, out)
	}

	// The local engines come back with their profile.
	p := mustLoadCompose(t, endpoints, []string{"local-engines"}, files...)
	if got, want := p.ServiceNames(), []string{"ecbench", "grafana", "prometheus", "redis", "valkey"}; !slices.Equal(got, want) {
		t.Errorf("with --profile local-engines: services %v, want %v", got, want)
	}
}

// ecbenchCheck runs `ecbench check` on a config with exactly env as the
// environment, as in the container.
func ecbenchCheck(t *testing.T, config string, env []string) {
	t.Helper()
	cmd := exec.Command(ecbenchBinary(t), "check", "--config", config)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("ecbench check --config %s with %q: %v\n%s", filepath.Base(config), env, err, out)
	}
}
