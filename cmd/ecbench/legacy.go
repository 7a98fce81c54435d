package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// legacyFlags are the options of the original run_benchmarks.sh, with the
// same letters and meanings, so that its users' commands keep working.
type legacyFlags struct {
	tests        string // -t kv|ds|all
	valueSize    int    // -s
	keys         int    // -n
	opsPerThread int    // -o
	threads      int    // -j
	structures   string // -d string|list|hash|set|zset|all
	elements     int    // -e
	redisHost    string // -r
	redisPort    int    // -p
	valkeyHost   string // -v
	valkeyPort   int    // -q
	password     string // -a (discouraged: visible in the process list)
	passwordEnv  string
	passwordFile string
	aws          string // --aws [FILE]
	compare      bool   // -c: always on with two engines; kept for old commands
	tls          bool
	cluster      bool
}

// defaultAWSEndpoints is where the original tool kept its endpoints file.
const defaultAWSEndpoints = "config/aws_endpoints.json"

// benchPasswordEnv carries a password given with -a to the config, which
// takes passwords only from the environment or files.
const benchPasswordEnv = "ECBENCH_BENCH_PASSWORD"

func addLegacyFlags(fs *pflag.FlagSet) *legacyFlags {
	l := &legacyFlags{}
	fs.StringVarP(&l.tests, "tests", "t", "kv", "what to run: kv, ds (the data structures of -d) or all")
	fs.IntVarP(&l.valueSize, "size", "s", 32, "value size in bytes (kv values; list items, hash values, set and zset members)")
	fs.IntVarP(&l.keys, "keys", "n", 100000, "key count (kv) or number of structures per type (ds)")
	fs.IntVarP(&l.opsPerThread, "ops", "o", 0, "operations per thread: the run ends after -o × -j requests per workload and engine (0: run for --duration)")
	fs.IntVarP(&l.threads, "threads", "j", 50, "threads: closed-loop workers per workload and engine (ignored with --rate)")
	fs.StringVarP(&l.structures, "data", "d", "all", "data structures for -t ds|all: string, list, hash, set, zset or all (comma-separated list allowed)")
	fs.IntVarP(&l.elements, "elements", "e", 100, "elements per structure")
	fs.StringVarP(&l.redisHost, "redis-host", "r", "127.0.0.1", "Redis OSS host")
	fs.IntVarP(&l.redisPort, "redis-port", "p", 6379, "Redis OSS port")
	fs.StringVarP(&l.valkeyHost, "valkey-host", "v", "127.0.0.1", "Valkey host")
	fs.IntVarP(&l.valkeyPort, "valkey-port", "q", 6380, "Valkey port")
	fs.StringVarP(&l.password, "password", "a", "", "password for both engines (visible to other users in the process list: prefer --password-env or --password-file)")
	fs.StringVar(&l.passwordEnv, "password-env", "", "environment variable holding the password for both engines")
	fs.StringVar(&l.passwordFile, "password-file", "", "file holding the password for both engines")
	fs.StringVar(&l.aws, "aws", "", "read the two endpoints from FILE ("+defaultAWSEndpoints+` if no FILE): {"redis":{"host":…,"port":…},"valkey":{…}}`)
	fs.Lookup("aws").NoOptDefVal = defaultAWSEndpoints
	fs.BoolVarP(&l.compare, "compare", "c", false, "compare the two engines (always done when both run; accepted for old commands)")
	fs.BoolVar(&l.tls, "tls", false, "connect with TLS (ElastiCache in-transit encryption)")
	fs.BoolVar(&l.cluster, "cluster", false, "targets are cluster-mode enabled (the configuration endpoint)")
	return l
}

// legacyFlagNames are the flags that describe targets and workloads, which
// cannot be combined with --config.
var legacyFlagNames = []string{"tests", "size", "keys", "ops", "threads", "data", "elements",
	"redis-host", "redis-port", "valkey-host", "valkey-port", "password", "password-env", "password-file",
	"aws", "tls", "cluster"}

// awsEndpoints is the original tool's endpoints file.
type awsEndpoints struct {
	Redis  *awsEndpoint `json:"redis"`
	Valkey *awsEndpoint `json:"valkey"`
}

type awsEndpoint struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

func readAWSEndpoints(path string) (awsEndpoints, error) {
	var e awsEndpoints
	b, err := os.ReadFile(path)
	if err != nil {
		return e, fmt.Errorf("--aws: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("--aws %s: %w (want {\"redis\":{\"host\":…,\"port\":…},\"valkey\":{\"host\":…,\"port\":…}})", path, err)
	}
	var problems []string
	for _, ep := range []struct {
		name string
		e    *awsEndpoint
	}{{"redis", e.Redis}, {"valkey", e.Valkey}} {
		switch {
		case ep.e == nil:
			problems = append(problems, ep.name+": missing")
		case ep.e.Host == "":
			problems = append(problems, ep.name+".host: must not be empty")
		case ep.e.Port < 1 || ep.e.Port > 65535:
			problems = append(problems, fmt.Sprintf("%s.port: must be from 1 to 65535, got %d", ep.name, ep.e.Port))
		}
	}
	if len(problems) > 0 {
		return e, fmt.Errorf("--aws %s: %s", path, strings.Join(problems, "; "))
	}
	return e, nil
}

// dsTypes are the data-structure workload types of -d, in run order.
var dsTypes = []string{"list", "hash", "set", "zset"}

// workloadTypes returns the workload types -t and -d select, in run order;
// -d string is the kv workload.
func (l *legacyFlags) workloadTypes() ([]string, error) {
	var types []string
	add := func(t string) {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	if l.tests != "kv" && l.tests != "ds" && l.tests != "all" {
		return nil, fmt.Errorf("-t/--tests: must be one of kv, ds, all; got %q", l.tests)
	}
	if l.tests == "kv" || l.tests == "all" {
		add("kv")
	}
	if l.tests == "ds" || l.tests == "all" {
		for _, d := range strings.Split(l.structures, ",") {
			switch d = strings.TrimSpace(d); d {
			case "all":
				add("kv")
				for _, t := range dsTypes {
					add(t)
				}
			case "string":
				add("kv")
			case "list", "hash", "set", "zset":
				add(d)
			default:
				return nil, fmt.Errorf("-d/--data: must be one of string, list, hash, set, zset, all; got %q", d)
			}
		}
	}
	return types, nil
}

// tree builds the configuration the flags describe, in the form the config
// file would have, so that it is checked and defaulted exactly like one. env
// gains the -a password, if any.
func (l *legacyFlags) tree(env []string) (map[string]any, []string, error) {
	redisAddr := net.JoinHostPort(l.redisHost, strconv.Itoa(l.redisPort))
	valkeyAddr := net.JoinHostPort(l.valkeyHost, strconv.Itoa(l.valkeyPort))
	if l.aws != "" {
		e, err := readAWSEndpoints(l.aws)
		if err != nil {
			return nil, env, err
		}
		redisAddr = net.JoinHostPort(e.Redis.Host, strconv.Itoa(e.Redis.Port))
		valkeyAddr = net.JoinHostPort(e.Valkey.Host, strconv.Itoa(e.Valkey.Port))
	}
	given := 0
	for _, s := range []string{l.password, l.passwordEnv, l.passwordFile} {
		if s != "" {
			given++
		}
	}
	if given > 1 {
		return nil, env, errors.New("-a/--password, --password-env and --password-file: give at most one")
	}
	target := func(name, addr string) map[string]any {
		t := map[string]any{"name": name, "engine": name, "addrs": []any{addr}}
		if l.cluster {
			t["mode"] = "cluster"
		}
		if l.tls {
			t["tls"] = map[string]any{"enabled": true}
		}
		switch {
		case l.password != "":
			t["password_env"] = benchPasswordEnv
		case l.passwordEnv != "":
			t["password_env"] = l.passwordEnv
		case l.passwordFile != "":
			t["password_file"] = l.passwordFile
		}
		return t
	}
	if l.password != "" {
		env = append(slices.Clip(env), benchPasswordEnv+"="+l.password)
	}
	types, err := l.workloadTypes()
	if err != nil {
		return nil, env, err
	}
	var workloads []any
	for _, typ := range types {
		w := map[string]any{
			"name":   typ,
			"type":   typ,
			"keys":   map[string]any{"count": l.keys},
			"values": map[string]any{"size": l.valueSize},
			"rate":   map[string]any{"type": "closed", "workers": l.threads},
		}
		if typ == "kv" {
			// redis-benchmark's SET and GET, with the keys written first
			// so that GETs hit.
			w["ops"] = map[string]any{"get": 1, "set": 1}
			w["preload"] = true
		} else {
			w["elements"] = map[string]any{"count": l.elements, "size": l.valueSize}
		}
		workloads = append(workloads, w)
	}
	tree := map[string]any{
		"targets":   []any{target("redis", redisAddr), target("valkey", valkeyAddr)},
		"workloads": workloads,
	}
	if l.opsPerThread > 0 {
		tree["bench"] = map[string]any{"requests": l.opsPerThread * max(l.threads, 1)}
	}
	return tree, env, nil
}
