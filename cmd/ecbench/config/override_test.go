package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
)

const twoTargets = "testdata/valid-cluster-tls.yaml"

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		env   []string
		check func(t *testing.T, c *Config)
	}{
		{"scalars at every depth", "testdata/valid-minimal.yaml", []string{
			"ECBENCH_LISTEN=:9999",
			"ECBENCH_LOG_LEVEL=debug",
			"ECBENCH_SUMMARY_INTERVAL=1m30s",
			"ECBENCH_TARGETS_0_DB=2",
			"ECBENCH_TARGETS_0_POOL_SIZE=7",
			"ECBENCH_WORKLOADS_0_SEED=18446744073709551615",
			"ECBENCH_WORKLOADS_0_RATE_RATE=5000.5",
			"ECBENCH_WORKLOADS_0_KEYS_DISTRIBUTION=zipfian",
			"ECBENCH_WORKLOADS_0_KEYS_ZIPF_EXPONENT=1.5",
			"ECBENCH_WORKLOADS_0_OPS_SET_TTL=5", // a key with "_" in it
			"ECBENCH_WORKLOADS_0_MAX_INFLIGHT=9",
			"ECBENCH_CONFIG=/etc/ecbench.yaml", // the caller's; ignored
			"OTHER_VAR=1",
		}, func(t *testing.T, c *Config) {
			w := c.Workloads[0]
			if c.Listen != ":9999" || c.Log.Level != "debug" || c.SummaryInterval != 90*time.Second ||
				c.Targets[0].DB != 2 || c.Targets[0].PoolSize != 7 || w.Seed != 1<<64-1 ||
				w.Rate.Params.(*schedule.ConstantParams).Rate != 5000.5 ||
				w.Keys.ZipfExponent != 1.5 || w.MaxInflight != 9 {
				t.Errorf("got %+v", c)
			}
			// Setting one op weight writes an ops mapping: the default mix no longer applies.
			if !reflect.DeepEqual(w.Ops, Ops{"set_ttl": 5}) {
				t.Errorf("ops = %+v", w.Ops)
			}
		}},
		{"comma lists and booleans in list elements", twoTargets, []string{
			"ECBENCH_TARGETS_1_MODE=cluster",
			"ECBENCH_TARGETS_1_DB=0",
			"ECBENCH_TARGETS_1_ADDRS=a:1, b:2,c:3",
			"ECBENCH_TARGETS_1_TLS_ENABLED=true",
			"ECBENCH_TARGETS_1_TLS_INSECURE_SKIP_VERIFY=1",
			"ECBENCH_WORKLOADS_0_TARGETS=valkey",
			"ECBENCH_WORKLOADS_1_OPS_MGET=0", // valkey is now a cluster
			"ECBENCH_WORKLOADS_1_OPS_GET=1",
		}, func(t *testing.T, c *Config) {
			v := c.Targets[1]
			if !reflect.DeepEqual(v.Addrs, []string{"a:1", "b:2", "c:3"}) || !v.TLS.Enabled || !v.TLS.InsecureSkipVerify {
				t.Errorf("valkey target = %+v", v)
			}
			if !reflect.DeepEqual(c.Workloads[0].Targets, []string{"valkey"}) {
				t.Errorf("workload targets = %v", c.Workloads[0].Targets)
			}
		}},
		{"append elements in index order", "testdata/valid-minimal.yaml", []string{
			"ECBENCH_TARGETS_2_ADDRS=c:1", // applied after index 1 creates targets[1]
			"ECBENCH_TARGETS_2_NAME=third",
			"ECBENCH_TARGETS_1_NAME=second",
			"ECBENCH_TARGETS_1_ADDRS=b:1",
			"ECBENCH_TARGETS_1_MODE=cluster",
		}, func(t *testing.T, c *Config) {
			if len(c.Targets) != 3 || c.Targets[1].Name != "second" || c.Targets[2].Addrs[0] != "c:1" {
				t.Fatalf("targets = %+v", c.Targets)
			}
			// An appended element gets the defaults like any other.
			if c.Targets[2].Mode != target.Standalone || c.Targets[2].DialTimeout != 2*time.Second || c.Targets[1].Mode != target.Cluster {
				t.Errorf("appended targets = %+v", c.Targets[1:])
			}
		}},
		{"lists of mappings inside list elements", "testdata/valid-rates.yaml", []string{
			"ECBENCH_WORKLOADS_4_RATE_STEPS_1_RATE=7",
			"ECBENCH_WORKLOADS_4_RATE_STEPS_2_RATE=8",
			"ECBENCH_WORKLOADS_4_RATE_STEPS_2_DURATION=3s",
		}, func(t *testing.T, c *Config) {
			want := []schedule.Step{{Rate: 0, For: 10 * time.Second}, {Rate: 7, For: time.Minute}, {Rate: 8, For: 3 * time.Second}}
			if got := c.Workloads[4].Rate.Params.(*schedule.StepsParams).Steps; !reflect.DeepEqual(got, want) {
				t.Errorf("steps = %v, want %v", got, want)
			}
		}},
		{"a whole config from the environment", "testdata/invalid-empty.yaml", []string{
			"ECBENCH_TARGETS_0_NAME=redis",
			"ECBENCH_TARGETS_0_ADDRS=127.0.0.1:6379",
			"ECBENCH_WORKLOADS_0_NAME=kv",
		}, func(t *testing.T, c *Config) {
			if want := mustLoad(t, "testdata/valid-minimal.yaml"); !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v, want %+v", c, want)
			}
		}},
		{"empty values are unset", "testdata/valid-minimal.yaml", []string{
			"ECBENCH_LISTEN=",
			"ECBENCH_TARGETS_0_ADDRS=",
		}, func(t *testing.T, c *Config) {
			if c.Listen != DefaultListen || c.Targets[0].Addrs[0] != "127.0.0.1:6379" {
				t.Errorf("got %+v", c)
			}
		}},
		{"the last of duplicates wins", "testdata/valid-minimal.yaml", []string{
			"ECBENCH_LISTEN=:1", "ECBENCH_LISTEN=:2",
		}, func(t *testing.T, c *Config) {
			if c.Listen != ":2" {
				t.Errorf("listen = %q", c.Listen)
			}
		}},
		{"password_env may name an ECBENCH_ variable", "testdata/valid-minimal.yaml", []string{
			"ECBENCH_TARGETS_0_PASSWORD_ENV=ECBENCH_REDIS_PASSWORD",
			"ECBENCH_REDIS_PASSWORD=pw",
		}, func(t *testing.T, c *Config) {
			if c.Targets[0].Password.Reveal() != "pw" {
				t.Errorf("password = %q", c.Targets[0].Password.Reveal())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, mustLoad(t, tt.file, tt.env...))
		})
	}
}

func TestEnvOverrideErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"no such key", "testdata/valid-minimal.yaml", []string{
			"ECBENCH_WORKLOADS_0_BOGUS=1", "ECBENCH_LISTEN_PORT=1", "ECBENCH_TARGETS_X_NAME=a",
			"ECBENCH_TARGETS_00_NAME=a", "ECBENCH_TARGETS_0_ADDRS_0=a:1", "ECBENCH_TARGETS_0_PASSWORD=hunter2",
		},
			"ECBENCH_LISTEN_PORT: matches no config key\n" +
				"ECBENCH_TARGETS_0_ADDRS_0: matches no config key\n" +
				"ECBENCH_TARGETS_00_NAME: matches no config key\n" +
				"ECBENCH_TARGETS_0_PASSWORD: matches no config key\n" +
				"ECBENCH_TARGETS_X_NAME: matches no config key\n" +
				"ECBENCH_WORKLOADS_0_BOGUS: matches no config key"},
		{"sections", "testdata/valid-minimal.yaml", []string{"ECBENCH_LOG=debug", "ECBENCH_TARGETS_0=x", "ECBENCH_WORKLOADS=x"},
			"ECBENCH_LOG: names a section, not a value; set one of its keys\n" +
				"ECBENCH_TARGETS_0: names a section, not a value; set one of its keys\n" +
				"ECBENCH_WORKLOADS: names a section, not a value; set one of its keys"},
		{"index beyond the next", "testdata/valid-minimal.yaml", []string{"ECBENCH_TARGETS_2_NAME=x"},
			"ECBENCH_TARGETS_2_NAME: targets[2] does not exist: targets has 1 element; an index may name an existing element or the next one (1)"},
		{"bad values say where they came from", "testdata/valid-minimal.yaml", []string{
			"ECBENCH_TARGETS_0_DB=abc", "ECBENCH_TARGETS_0_ADDRS=a:1,b", "ECBENCH_LOG_LEVEL=loud",
			"ECBENCH_WORKLOADS_0_RATE_PERIOD=1m", "ECBENCH_WORKLOADS_0_TTL=30",
		},
			`log.level: must be one of debug, info, warn, error; got "loud" (from ECBENCH_LOG_LEVEL)` + "\n" +
				`targets[0].addrs: standalone mode takes exactly one address, got 2; set mode: cluster for a cluster (from ECBENCH_TARGETS_0_ADDRS)` + "\n" +
				`targets[0].addrs[1]: must be host:port with a port from 1 to 65535, such as "10.0.0.1:6379"; got "b" (from ECBENCH_TARGETS_0_ADDRS)` + "\n" +
				`targets[0].db: must be an integer, got "abc" (from ECBENCH_TARGETS_0_DB)` + "\n" +
				`workloads[0].rate.period: not used by type "constant"; used by burst, sine (from ECBENCH_WORKLOADS_0_RATE_PERIOD)` + "\n" +
				`workloads[0].ttl: must be a duration with a unit such as "30s" or "30ms", got "30" (from ECBENCH_WORKLOADS_0_TTL)`},
		{"an override cannot mend a scalar section", "testdata/invalid-types.yaml", []string{"ECBENCH_LOG_LEVEL=debug"},
			""}, // checked below: the file's error stays, nothing is added
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.file, nil, tt.env)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			if tt.want == "" {
				_, plain := Load(tt.file, nil, nil)
				if err.Error() != plain.Error() {
					t.Errorf("got\n%v\nwant the file's own errors\n%v", err, plain)
				}
				return
			}
			if err.Error() != tt.want {
				t.Errorf("got\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

// TestPrecedence checks flag > env > file > default, for each bound flag.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, file, "listen: file:1\nlog: {level: warn}\n"+
		"targets: [{name: a, addrs: ['a:1']}]\nworkloads: [{name: w}]\n")
	flags := func(args ...string) *pflag.FlagSet {
		fs := pflag.NewFlagSet("ecbench", pflag.ContinueOnError)
		fs.String("listen", "flagdefault:1", "")
		fs.String("log-level", "error", "")
		fs.String("config", "", "") // not bound
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return fs
	}
	tests := []struct {
		name                 string
		file                 string
		fs                   *pflag.FlagSet
		env                  []string
		listen, level, logFm string
	}{
		{"defaults", "testdata/valid-minimal.yaml", nil, nil, DefaultListen, DefaultLogLevel, DefaultLogFormat},
		{"file over defaults", file, nil, nil, "file:1", "warn", DefaultLogFormat},
		{"env over file", file, nil, []string{"ECBENCH_LISTEN=env:1", "ECBENCH_LOG_FORMAT=console"}, "env:1", "warn", "console"},
		{"unset flags do not count", file, flags(), []string{"ECBENCH_LISTEN=env:1"}, "env:1", "warn", DefaultLogFormat},
		{"flag over env", file, flags("--listen=flag:1", "--log-level=debug"),
			[]string{"ECBENCH_LISTEN=env:1", "ECBENCH_LOG_LEVEL=info"}, "flag:1", "debug", DefaultLogFormat},
		{"flags absent from the set are not bound", file, flags("--config=x.yaml"), nil, "file:1", "warn", DefaultLogFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.file, tt.env...)
			if tt.fs != nil {
				var err error
				if c, err = Load(tt.file, tt.fs, tt.env); err != nil {
					t.Fatal(err)
				}
			}
			if c.Listen != tt.listen || c.Log.Level != tt.level || c.Log.Format != tt.logFm {
				t.Errorf("listen %q level %q format %q, want %q %q %q", c.Listen, c.Log.Level, c.Log.Format, tt.listen, tt.level, tt.logFm)
			}
		})
	}

	// A bad flag value is reported with the flag's name.
	_, err := Load(file, flags("--listen=nope"), nil)
	want := `listen: must be host:port with a port from 1 to 65535, such as "127.0.0.1:9478" or ":9478"; got "nope" (from flag --listen)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
