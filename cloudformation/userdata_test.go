package cloudformation

import (
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/proctest"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
)

// Paths the first boot writes, and the unit it installs from the repository.
const (
	configPath     = "/etc/ecbench/ecbench.yaml"
	credentialsDir = "/etc/ecbench/credentials/"
	unitInRepo     = "../deploy/systemd/ecbench.service"
)

func userData(t *testing.T, r *rendered) string {
	t.Helper()
	lt := r.typed.GetAllEC2LaunchTemplateResources()["GeneratorLaunchTemplate"]
	b, err := base64.StdEncoding.DecodeString(deref(lt.LaunchTemplateData.UserData))
	if err != nil {
		t.Fatalf("user data: %v", err)
	}
	script := string(b)
	// EC2 takes at most 16 KB of user data before base64.
	if len(script) > 16<<10 {
		t.Errorf("user data is %d bytes, over EC2's 16 KB", len(script))
	}
	if strings.Contains(script, "${") {
		t.Errorf("user data still holds a ${...} after Fn::Sub")
	}
	return script
}

// heredoc returns the body of the here-document that the script writes to
// path (cat > path <<EOF ... EOF, or cat >> path), and whether its delimiter
// is quoted (no shell expansion inside).
func heredoc(t *testing.T, script, path string) (body string, quoted bool) {
	t.Helper()
	lines := strings.Split(script, "\n")
	for i, line := range lines {
		l := strings.TrimSpace(line)
		if !strings.HasPrefix(l, "cat > "+path+" <<") && !strings.HasPrefix(l, "cat >> "+path+" <<") {
			continue
		}
		_, delim, _ := strings.Cut(l, "<<")
		quoted = strings.HasPrefix(delim, "'")
		delim = strings.Trim(delim, "'\"")
		for j := i + 1; j < len(lines); j++ {
			if lines[j] == delim {
				return strings.Join(lines[i+1:j], "\n") + "\n", quoted
			}
		}
		t.Fatalf("the here-document for %s has no %s line", path, delim)
	}
	t.Fatalf("the user data writes no %s", path)
	return "", false
}

// checkEnv returns the variables the first boot passes to `ecbench check`
// (CHECK_ENV, set when there is an AUTH_SECRET to read), with the credential
// files moved into dir, holding password.
func checkEnv(t *testing.T, script, dir, password string) []string {
	t.Helper()
	secret := regexp.MustCompile(`(?m)^AUTH_SECRET='(.*)'$`).FindStringSubmatch(script)
	if secret == nil {
		t.Fatal("the user data sets no AUTH_SECRET")
	}
	if secret[1] == "" {
		return nil
	}
	if want := physicalID("AuthSecret", "AWS::SecretsManager::Secret"); secret[1] != want {
		t.Errorf("AUTH_SECRET=%q, want the stack's secret %s", secret[1], want)
	}
	var env []string
	for _, m := range regexp.MustCompile(`(?m)^\s*CHECK_ENV='(.+)'$`).FindAllStringSubmatch(script, -1) {
		for _, kv := range strings.Fields(m[1]) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(v, credentialsDir) {
				t.Fatalf("CHECK_ENV entry %q: want NAME=%s...", kv, credentialsDir)
			}
			file := filepath.Join(dir, filepath.Base(v))
			if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			env = append(env, k+"="+file)
		}
	}
	return env
}

// checkGeneratorConfig loads the ecbench config that the first boot writes
// with ecbench's own loader, as both roles, and checks that it points at
// the stack's endpoints with its TLS, auth and share of the rate.
func checkGeneratorConfig(t *testing.T, p map[string]string, r *rendered) {
	script := userData(t, r)
	text, quoted := heredoc(t, script, configPath)
	if quoted {
		t.Fatalf("%s is written with a quoted here-document: $RATE would not expand", configPath)
	}
	n := num(t, r, "GeneratorCount")
	rate := fmt.Sprintf("%.3f", float64(num(t, r, "TotalRate"))/float64(n)) // as the script's awk prints it
	auth := param(r, "AuthMode")
	password := p["AuthToken"]
	units := loadCredentialIDs(t)
	for _, role := range []string{"monitor", "generator"} {
		vars := map[string]string{"$CLOUDWATCH": strconv.FormatBool(role == "monitor"), "$SEED": "123456789012", "$RATE": rate}
		expanded := text
		for k, v := range vars {
			expanded = strings.ReplaceAll(expanded, k, v)
		}
		if strings.Contains(expanded, "$") {
			t.Fatalf("the config holds a shell expansion other than %v", slices.Sorted(maps.Keys(vars)))
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "ecbench.yaml")
		if err := os.WriteFile(path, []byte(expanded), 0o644); err != nil {
			t.Fatal(err)
		}
		env := checkEnv(t, script, dir, password)
		if (len(env) > 0) != (auth != "none") {
			t.Errorf("CHECK_ENV %q under AuthMode=%s", env, auth)
		}
		cfg, err := config.Load(path, nil, env)
		if err != nil {
			t.Fatalf("ecbench's loader refuses the generated config (%s):\n%v\n%s", role, err, expanded)
		}

		cw := cfg.CloudWatch
		if cw.Enabled != (role == "monitor") || cw.Region != sampleRegion || cw.Period != time.Minute || cw.PollInterval != time.Minute {
			t.Errorf("%s: cloudwatch %+v: only generator 0 polls, in the stack's region, every 60s", role, cw)
		}
		if cfg.Listen != "0.0.0.0:9478" {
			t.Errorf("listen %q", cfg.Listen)
		}
		if len(cfg.Targets) != 2 {
			t.Fatalf("%d targets", len(cfg.Targets))
		}
		mode := map[string]target.Mode{"enabled": target.Cluster, "disabled": target.Standalone}[param(r, "ClusterMode")]
		for i, want := range []struct {
			name            string
			engine          engine.Engine
			endpoint, group string
		}{
			{"redis", engine.Redis, output(t, r, "RedisEndpoint"), output(t, r, "RedisReplicationGroupId")},
			{"valkey", engine.Valkey, output(t, r, "ValkeyEndpoint"), output(t, r, "ValkeyReplicationGroupId")},
		} {
			tg := cfg.Targets[i]
			if tg.Name != want.name || tg.Engine != want.engine || tg.Mode != mode || !slices.Equal(tg.Addrs, []string{want.endpoint}) {
				t.Errorf("target %d: %s %s %s %q, want %s %s %s [%s]", i, tg.Name, tg.Engine, tg.Mode, tg.Addrs, want.name, want.engine, mode, want.endpoint)
			}
			if tg.CloudWatch.ReplicationGroup != want.group {
				t.Errorf("target %s: cloudwatch.replication_group %q, want %q", tg.Name, tg.CloudWatch.ReplicationGroup, want.group)
			}
			if tg.TLS.Enabled != (param(r, "TransitEncryption") == "true") {
				t.Errorf("target %s: tls.enabled %t", tg.Name, tg.TLS.Enabled)
			}
			if (tg.Password.Reveal() != "") != (auth != "none") || (auth != "none" && tg.Password.Reveal() != password) {
				t.Errorf("target %s: password set %t under AuthMode=%s", tg.Name, tg.Password != "", auth)
			}
			if wantUser := map[bool]string{true: "ecbench"}[auth == "rbac"]; tg.Username != wantUser {
				t.Errorf("target %s: username %q under AuthMode=%s", tg.Name, tg.Username, auth)
			}
		}
		// The unit hands /etc/ecbench/credentials/ID to the service as
		// /run/credentials/ecbench.service/ID: the config must name those.
		var raw struct {
			Targets []struct {
				PasswordFile string `yaml:"password_file"`
			}
		}
		if err := yaml.Unmarshal([]byte(expanded), &raw); err != nil {
			t.Fatal(err)
		}
		for _, tg := range raw.Targets {
			if tg.PasswordFile == "" {
				continue
			}
			id, ok := strings.CutPrefix(tg.PasswordFile, "/run/credentials/ecbench.service/")
			if !ok || !slices.Contains(units, id) {
				t.Errorf("password_file %s is not a credential the unit loads (%q)", tg.PasswordFile, units)
			}
			if !strings.Contains(script, credentialsDir+id) {
				t.Errorf("the user data never writes %s%s", credentialsDir, id)
			}
		}
		w := cfg.Workloads
		if len(w) != 1 || w[0].Rate.Type != "constant" || strconv.FormatFloat(w[0].Rate.Params.(*schedule.ConstantParams).Rate, 'f', 3, 64) != rate ||
			w[0].Values.Size != num(t, r, "ValueSize") || w[0].Seed != 123456789012 {
			t.Errorf("workloads %+v, want one at %s requests/s (TotalRate/GeneratorCount)", w, rate)
		}
	}
}

// loadCredentialIDs reads the credential IDs the repository's unit loads.
func loadCredentialIDs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(unitInRepo)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "LoadCredential="); ok {
			id, path, _ := strings.Cut(v, ":")
			if path != credentialsDir+id {
				t.Errorf("%s: LoadCredential=%s does not read %s%s", unitInRepo, v, credentialsDir, id)
			}
			ids = append(ids, id)
		}
	}
	return ids
}

// TestUserDataScript checks the first boot script of a few stacks with the
// tools that read its parts: bash for the script, promtool for Prometheus'
// config (with the repository's rules), systemd-analyze for the Prometheus
// unit; and that it installs the repository's unit and provisioning.
func TestUserDataScript(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	for name, p := range map[string]map[string]string{
		"defaults": baseParams(),
		"cluster, rbac, 3 generators, failover tests": with(baseParams(), "ClusterMode", "enabled", "NumShards", "3",
			"AuthMode", "rbac", "GeneratorCount", "3", "EnableFailoverTests", "true"),
		"no auth, no TLS, one node": with(baseParams(), "AuthMode", "none", "TransitEncryption", "false", "AuthToken", "",
			"ReplicasPerShard", "0", "MultiAZ", "false"),
		"release binary": with(baseParams(), "EcbenchReleaseURL", "https://example.com/ecbench-{arch}.tar.gz",
			"EcbenchReleaseSHA256", strings.Repeat("ab", 32), "GitRef", "v1.2.3"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := render(l.raw, p)
			if err != nil {
				t.Fatal(err)
			}
			script := userData(t, r)
			if out, err := proctest.Run(t, script, "bash", "-n"); err != nil || out != "" {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
			for _, want := range []string{
				"install -m 0644 /opt/ecbench-src/deploy/systemd/ecbench.service /etc/systemd/system/ecbench.service",
				"systemctl start --no-block ecbench",
				"--resource Generator0",
			} {
				if !strings.Contains(script, want) {
					t.Errorf("the user data lacks %q", want)
				}
			}
			checkPrometheus(t, script)
			checkPrometheusUnit(t, script)
			checkGrafana(t, script)
		})
	}
}

func checkPrometheus(t *testing.T, script string) {
	body, quoted := heredoc(t, script, "/etc/prometheus/prometheus.yml")
	if !quoted {
		t.Error("prometheus.yml is written with an unquoted here-document: the shell would expand its $")
	}
	var cfg struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		}
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
			EC2     []struct {
				Region  string
				Port    int
				Filters []struct {
					Name   string
					Values []string
				}
			} `yaml:"ec2_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	// Grafana computes $__rate_interval from its data source's timeInterval:
	// it must be Prometheus' scrape interval.
	if want := datasourceTimeInterval(t); cfg.Global.ScrapeInterval != want {
		t.Errorf("scrape_interval %s, but Grafana's Prometheus data source says %s", cfg.Global.ScrapeInterval, want)
	}
	found := false
	for _, sc := range cfg.ScrapeConfigs {
		if sc.JobName != "ecbench" {
			continue
		}
		found = len(sc.EC2) == 1 && sc.EC2[0].Region == sampleRegion && sc.EC2[0].Port == 9478 &&
			slices.ContainsFunc(sc.EC2[0].Filters, func(f struct {
				Name   string
				Values []string
			}) bool {
				return f.Name == "tag:ecbench-stack" && slices.Equal(f.Values, []string{sampleStackName})
			})
	}
	if !found {
		t.Errorf("no ecbench job discovering this stack's generators on :9478: %+v", cfg.ScrapeConfigs)
	}
	// promtool checks the rules too: point it at the repository's.
	rules, err := filepath.Abs("../deploy/prometheus/rules")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.RuleFiles, []string{"/etc/prometheus/rules/*.yml"}) {
		t.Fatalf("rule_files %q", cfg.RuleFiles)
	}
	if !strings.Contains(script, "install -m 0644 /opt/ecbench-src/deploy/prometheus/rules/*.yml /etc/prometheus/rules/") {
		t.Error("the user data does not install the repository's rules")
	}
	file := filepath.Join(t.TempDir(), "prometheus.yml")
	body = strings.ReplaceAll(body, "/etc/prometheus/rules/", rules+"/")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := proctest.Run(t, "", "promtool", "check", "config", file); err != nil || !strings.Contains(out, "rules found") {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}

func datasourceTimeInterval(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../deploy/grafana/provisioning/datasources/datasources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		Datasources []struct {
			Type     string
			JSONData struct {
				TimeInterval string `yaml:"timeInterval"`
			} `yaml:"jsonData"`
		}
	}
	if err := yaml.Unmarshal(data, &ds); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Datasources {
		if d.Type == "prometheus" {
			return d.JSONData.TimeInterval
		}
	}
	t.Fatal("the repository provisions no Prometheus data source")
	return ""
}

func checkPrometheusUnit(t *testing.T, script string) {
	body, _ := heredoc(t, script, "/etc/systemd/system/prometheus.service")
	const bin = "ExecStart=/opt/prometheus/prometheus "
	if !strings.Contains(body, bin) {
		t.Fatalf("the Prometheus unit does not start %s", bin)
	}
	file := filepath.Join(t.TempDir(), "prometheus.service")
	if err := os.WriteFile(file, []byte(strings.Replace(body, bin, "ExecStart=/bin/true ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := proctest.Run(t, "", "systemd-analyze", "verify", file); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify prometheus.service: %v\n%s", err, out)
	}
}

// checkGrafana checks that the first boot uses the repository's Grafana
// provisioning as it is: the dashboards go where its provider looks, its
// Prometheus URL is rewritten to this host's, and the environment its data
// sources expand is set.
func checkGrafana(t *testing.T, script string) {
	var providers struct {
		Providers []struct {
			Options struct{ Path string }
		}
	}
	data, err := os.ReadFile("../deploy/grafana/provisioning/dashboards/dashboards.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &providers); err != nil {
		t.Fatal(err)
	}
	for _, p := range providers.Providers {
		want := "install -m 0644 /opt/ecbench-src/deploy/grafana/dashboards/*.json " + p.Options.Path + "/"
		if !strings.Contains(script, want) {
			t.Errorf("the dashboard provider reads %s, but the user data does not %q", p.Options.Path, want)
		}
	}
	sed := regexp.MustCompile(`sed -i -E 's#([^#]+)#([^#]+)#g' /etc/grafana/provisioning/datasources/\*\.yaml`).FindStringSubmatch(script)
	if sed == nil {
		t.Fatal("the user data does not rewrite the data sources' Prometheus URL")
	}
	data, err = os.ReadFile("../deploy/grafana/provisioning/datasources/datasources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rewritten := regexp.MustCompile(sed[1]).ReplaceAllString(string(data), sed[2])
	if !strings.Contains(rewritten, "url: http://127.0.0.1:9090\n") {
		t.Errorf("after the user data's sed, the Prometheus data source does not point at 127.0.0.1:9090")
	}
	env, _ := heredoc(t, script, "/etc/sysconfig/grafana-server")
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]+)\}`).FindAllStringSubmatch(rewritten, -1) {
		if !strings.Contains(env, "\n"+m[1]+"=") && !strings.HasPrefix(env, m[1]+"=") {
			t.Errorf("the data sources expand $%s, which Grafana's environment does not set", m[1])
		}
	}
}

// TestRateSplit runs the script's own lines that compute a generator's rate
// and key seed: the shares add up to TotalRate, and the seed is a number.
func TestRateSplit(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	r, err := render(l.raw, baseParams())
	if err != nil {
		t.Fatal(err)
	}
	script := userData(t, r)
	var lines []string
	for _, line := range strings.Split(script, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "RATE=") || strings.HasPrefix(l, "SEED=") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("want the RATE= and SEED= lines, got %q", lines)
	}
	for _, tc := range []struct {
		total, n int
		want     string
	}{
		{10000, 1, "10000.000"},
		{10000, 3, "3333.333"},
		{1, 8, "0.125"},
		{10000000, 7, "1428571.429"},
	} {
		prog := fmt.Sprintf("set -euo pipefail\nTOTAL_RATE=%d\nGENERATORS=%d\nINSTANCE_ID=i-0123456789abcdef0\n%s\necho \"$RATE $SEED\"\n",
			tc.total, tc.n, strings.Join(lines, "\n"))
		out, err := proctest.Run(t, prog, "bash")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		rate, seed, _ := strings.Cut(strings.TrimSpace(out), " ")
		if rate != tc.want {
			t.Errorf("%d/%d: rate %s, want %s", tc.total, tc.n, rate, tc.want)
		}
		if s, err := strconv.ParseUint(seed, 10, 64); err != nil || s == 0 {
			t.Errorf("seed %q", seed)
		}
	}
}
