package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

var update = flag.Bool("update", false, "rewrite the testdata/invalid-*.err goldens")

func mustLoad(t *testing.T, path string, env ...string) *Config {
	t.Helper()
	cfg, err := Load(path, nil, env)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return cfg
}

func TestLoadValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		check func(t *testing.T, c *Config)
	}{
		{"valid-minimal.yaml", func(t *testing.T, c *Config) {
			want := &Config{
				Listen:          "127.0.0.1:9478",
				Log:             LogConfig{Level: "info", Format: "json"},
				SummaryInterval: 10 * time.Second,
				ShutdownTimeout: 3 * time.Second,
				Targets: []Target{{
					Name: "redis", Mode: "standalone", Addrs: []string{"127.0.0.1:6379"},
					Protocol: 2, DialTimeout: 2 * time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
					InfoInterval: 5 * time.Second,
				}},
				Workloads: []Workload{{
					Name: "kv", Seed: 1,
					Keys:   Keys{Prefix: "ecbench:kv:", Count: 100000, Distribution: "uniform"},
					Values: Values{Size: 32},
					Type:   "kv",
					Ops:    Ops{"get": 80, "set": 20},
					TTL:    time.Minute, MGetBatch: 10, Pipeline: 1, MaxInflight: 0,
					Rate: Rate{Type: "constant", Params: &schedule.ConstantParams{Rate: 1000}},
				}},
				Bench: Bench{Duration: time.Minute, Warmup: 5 * time.Second, Results: "results"},
				CloudWatch: CloudWatch{Period: time.Minute, PollInterval: time.Minute, Lookback: 10 * time.Minute,
					DiscoveryInterval: 5 * time.Minute, Statistics: []string{"Average"}},
				Failover: Failover{PollInterval: 5 * time.Second},
				Limits:   Limits{MaxMemory: 1 << 30},
				Probes: Probes{
					Availability: AvailabilityProbe{Enabled: true, Interval: 100 * time.Millisecond, Timeout: 100 * time.Millisecond},
					Integrity: IntegrityProbe{Keys: 10000, Interval: 100 * time.Millisecond, Timeout: time.Second,
						ValueSize: 128, VerifyDelay: 10 * time.Second, SweepRate: 1000, Sample: 1},
				},
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got  %+v\nwant %+v", c, want)
			}
		}},
		{"valid-cluster-tls.yaml", func(t *testing.T, c *Config) {
			r, v := c.Targets[0], c.Targets[1]
			if r.Mode != target.Cluster || len(r.Addrs) != 3 || r.Addrs[2] != "[fd00::3]:6379" {
				t.Errorf("redis target: %+v", r)
			}
			if r.Password.Reveal() != "hunter2-from-file" {
				t.Errorf("password from file = %q, want the file without its newline", r.Password.Reveal())
			}
			if !r.TLS.Enabled || r.TLS.CAFile != "testdata/ca.pem" || r.TLS.ServerName != "redis.internal" {
				t.Errorf("tls: %+v", r.TLS)
			}
			if v.DB != 3 || v.PoolSize != 100 || v.DialTimeout != 500*time.Millisecond ||
				v.ReadTimeout != 90*time.Second || v.WriteTimeout != 250*time.Millisecond || v.Password != "" {
				t.Errorf("valkey target: %+v", v)
			}
			w := c.Workloads[0]
			if w.Seed != 0 {
				t.Errorf("seed: 0 written must stay 0, got %d", w.Seed)
			}
			if w.Keys != (Keys{Prefix: "bench/", Count: 10, Distribution: workload.Sequential}) {
				t.Errorf("keys: %+v", w.Keys)
			}
			if !reflect.DeepEqual(w.Values, Values{MinSize: 1, MaxSize: 512 << 20}) {
				t.Errorf("values: %+v", w.Values)
			}
			if !reflect.DeepEqual(w.Ops, Ops{"get": 1, "set_ttl": 1, "incr": 1, "del": 1}) {
				t.Errorf("a written ops mapping must not get the default mix: %+v", w.Ops)
			}
			if want := (Rate{Type: "closed", Params: &schedule.ClosedParams{Workers: 2}}); !reflect.DeepEqual(w.Rate, want) ||
				w.Rate.OpenLoop() || w.Rate.Workers() != 2 {
				t.Errorf("rate: %+v", w.Rate)
			}
			if !w.RunsOn("redis") || !w.RunsOn("valkey") || c.Workloads[1].RunsOn("redis") {
				t.Error("RunsOn")
			}
			if c.Limits != (Limits{MaxMemory: 8 << 30, MaxInflightBytes: 6 << 30}) {
				t.Errorf("limits: %+v", c.Limits)
			}
		}},
		{"valid-rates.yaml", func(t *testing.T, c *Config) {
			want := map[string]Rate{
				"constant":         {Type: "constant", Params: &schedule.ConstantParams{Rate: 10_000_000}},
				"constant-default": {Type: "constant", Params: &schedule.ConstantParams{Rate: 1000}},
				"ramp": {Type: "ramp", Params: &schedule.RampParams{
					To: 5000, Duration: 10 * time.Minute, After: schedule.AfterRepeat}},
				"ramp-down-hold": {Type: "ramp", Params: &schedule.RampParams{
					From: 5000, Duration: time.Hour, After: schedule.AfterHold}},
				"steps": {Type: "steps", Params: &schedule.StepsParams{After: schedule.AfterRepeat, Steps: []schedule.Step{
					{Rate: 0, For: 10 * time.Second}, {Rate: 100.5, For: time.Minute}}}},
				"burst": {Type: "burst", Params: &schedule.BurstParams{
					Base: 10, Peak: 1000, Period: time.Minute, Length: 5 * time.Second}},
				"sine":   {Type: "sine", Params: &schedule.SineParams{Mean: 1000, Amplitude: 1000, Period: 5 * time.Minute}},
				"closed": {Type: "closed", Params: &schedule.ClosedParams{Workers: 1}},
				"nulls":  {Type: "constant", Params: &schedule.ConstantParams{Rate: 1000}},
			}
			for _, w := range c.Workloads {
				if r, ok := want[w.Name]; ok && !reflect.DeepEqual(w.Rate, r) {
					t.Errorf("%s: rate %+v, want %+v", w.Name, w.Rate, r)
				}
			}
			if got := c.Workloads[8].Keys.ZipfExponent; got != 0.99 {
				t.Errorf("default zipf_exponent = %v, want 0.99", got)
			}
			if got := c.Workloads[9].Keys.ZipfExponent; got != 1.2 {
				t.Errorf("zipf_exponent = %v, want 1.2", got)
			}
			if c.Workloads[0].Keys.ZipfExponent != 0 {
				t.Error("zipf_exponent must stay 0 for uniform")
			}
			if c.SummaryInterval != 100*time.Millisecond || c.ShutdownTimeout != 4*time.Second || c.Log.Format != FormatConsole {
				t.Errorf("top level: %+v", c)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			tt.check(t, mustLoad(t, filepath.Join("testdata", tt.file)))
		})
	}
}

// examplesDir holds the example configs shipped with ecbench.
const examplesDir = "../../../examples"

func TestExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		env   []string
		check func(t *testing.T, c *Config)
	}{
		{"local.yaml", nil, func(t *testing.T, c *Config) {
			if len(c.Targets) != 2 || c.Targets[0].Engine != engine.Redis || c.Targets[1].Engine != engine.Valkey ||
				c.Targets[1].Addrs[0] != "127.0.0.1:6380" {
				t.Errorf("targets: %+v", c.Targets)
			}
			if len(c.Workloads) != 2 || c.Workloads[1].Keys.Distribution != workload.Zipfian || c.Workloads[1].Rate.Type != "sine" {
				t.Errorf("workloads: %+v", c.Workloads)
			}
		}},
		{"aws.yaml", []string{"REDIS_PASSWORD=redis-pw", "VALKEY_PASSWORD=valkey-pw"}, func(t *testing.T, c *Config) {
			for i, pw := range []string{"redis-pw", "valkey-pw"} {
				tg := c.Targets[i]
				if tg.Mode != target.Cluster || !tg.TLS.Enabled || tg.Username == "" || tg.Password.Reveal() != pw {
					t.Errorf("target %d: %+v (password %q)", i, tg, tg.Password.Reveal())
				}
			}
		}},
		{"annotated.yaml", nil, func(t *testing.T, c *Config) {
			// Every key at its default: the same as the minimal config.
			want := mustLoad(t, "testdata/valid-minimal.yaml")
			if !reflect.DeepEqual(c, want) {
				t.Errorf("annotated.yaml is not the defaults:\ngot  %+v\nwant %+v", c, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			tt.check(t, mustLoad(t, filepath.Join(examplesDir, tt.file), tt.env...))
		})
	}
}

func TestAWSExampleNeedsPasswords(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(examplesDir, "aws.yaml"), nil, nil)
	want := `targets[0].password_env: environment variable "REDIS_PASSWORD" is not set or empty
targets[1].password_env: environment variable "VALKEY_PASSWORD" is not set or empty`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want\n%s", err, want)
	}
}

// TestLoadInvalid loads each testdata/invalid-*.yaml and compares the whole
// error text with the golden invalid-*.err beside it. go test -update
// rewrites the goldens.
func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			t.Parallel()
			_, err := Load(file, nil, nil)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".err"
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("%v (run go test -update to create it)", rerr)
			}
			if got != string(want) {
				t.Errorf("error text differs from %s:\ngot:\n%swant:\n%s", golden, got, want)
			}
			for _, p := range ve.Problems {
				if p.Path == "" || p.Msg == "" {
					t.Errorf("problem without path or message: %+v", p)
				}
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("targets:\n  - name: a\n   addrs: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "list.yaml")
	if err := os.WriteFile(list, []byte("- a\n- b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(dir, "dup.yaml")
	if err := os.WriteFile(dup, []byte("listen: a:1\nlisten: b:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		path   string
		is     error
		substr string
	}{
		{missing, ErrRead, "cannot read config: open " + missing + ": no such file or directory"},
		{dir, ErrRead, dir},
		{"", ErrRead, "no config file given"},
		{bad, ErrSyntax, "invalid YAML in " + bad + ": yaml: line "},
		{list, ErrSyntax, "invalid YAML in " + list},
		{dup, ErrSyntax, `mapping key "listen" already defined`},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.path, nil, nil)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("got %v, want %v containing %q", err, tt.is, tt.substr)
			}
			var ve *ValidationError
			if errors.As(err, &ve) {
				t.Errorf("a file error must not be a *ValidationError")
			}
		})
	}
}

// TestRedactedRoundTrip checks that Redacted, written as YAML, loads back to
// the same Config: it is the complete effective configuration.
func TestRedactedRoundTrip(t *testing.T) {
	t.Parallel()
	files := []string{
		"testdata/valid-minimal.yaml", "testdata/valid-cluster-tls.yaml", "testdata/valid-rates.yaml",
		examplesDir + "/local.yaml", examplesDir + "/aws.yaml",
	}
	env := []string{"REDIS_PASSWORD=redis-pw", "VALKEY_PASSWORD=valkey-pw"}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			cfg := mustLoad(t, file, env...)
			b, err := yaml.Marshal(cfg.Redacted())
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "effective.yaml")
			if err := os.WriteFile(out, b, 0o644); err != nil {
				t.Fatal(err)
			}
			again := mustLoad(t, out, env...)
			if !reflect.DeepEqual(cfg, again) {
				t.Errorf("round trip differs:\n%s\ngot  %+v\nwant %+v", b, again, cfg)
			}
		})
	}
}

func TestWeights(t *testing.T) {
	t.Parallel()
	got := Ops{"del": 1, "get": 3, "mget": 2, "set_ttl": 0}.Weights(workload.KindKV)
	want := []OpWeight{{"get", 3}, {"mget", 2}, {"del", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Weights() = %v, want %v", got, want)
	}
	got = Ops{"zcard": 1, "zadd": 2, "get": 5}.Weights(workload.KindZSet)
	want = []OpWeight{{"zadd", 2}, {"zcard", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Weights(zset) = %v, want %v", got, want)
	}
}

func TestComparePaths(t *testing.T) {
	t.Parallel()
	sorted := []string{
		"ECBENCH_X", "listen", "targets", "targets[2]", "targets[2].addrs[1]", "targets[2].addrs[10]",
		"targets[10]", "workloads[0].rate", "workloads[0].rate.period",
	}
	for i := range sorted {
		for j := range sorted {
			c := comparePaths(sorted[i], sorted[j])
			if (i < j && c >= 0) || (i > j && c <= 0) || (i == j && c != 0) {
				t.Errorf("comparePaths(%q, %q) = %d", sorted[i], sorted[j], c)
			}
		}
	}
}
