package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/profile"
)

const profileSynopsis = `profile (--host H [--port P] [--tls] [--cluster] | --config FILE --target NAME) [--username U] [--password-env NAME | --password-file F] [--db N] [--duration D] [--sample N] [--max-rate R] [--delimiter S] [--families N] [-o FILE]`

const profileNotes = `Measures a live server, read-only, and writes its workload as a config that
ecbench check, run and bench accept as it is:

  ecbench profile --host my-cache.abc123.cache.amazonaws.com --tls --password-env AUTH -o workload.yaml
  ecbench bench --config workload.yaml

Over --duration it counts the calls of every command (INFO commandstats, less
its own) and the request rate, and samples up to --sample keys with SCAN, TYPE,
PTTL, MEMORY USAGE, STRLEN/LLEN/HLEN/SCARD/ZCARD and a few elements each
(HRANDFIELD, SRANDMEMBER, LRANGE 0 4, ZRANGE 0 4), on every primary in cluster
mode. It sends nothing else (never KEYS, MONITOR, FLUSH*, CONFIG, DEBUG or a
write) and at most --max-rate commands a second.

The config has one workload per kind of keys (kv, list, hash, set, zset) with
the measured op mix, rate, key count, value or element sizes (a size table)
and element counts, comments saying what each figure was measured from, and a
"not reproduced" line for the commands no ecbench op sends. Its targets are
the quick start's local engines: point them at test servers, never at the
profiled one. With --config, the file must load as ecbench check loads it
(every target's password_env set).

Exit codes:
  0  profiled, config written
  1  the server could not be profiled, the file not written, or interrupted
     (what was measured until then is written)
  2  bad input: flags, config, target name`

// profileFlags are the profile's flags, as parsed.
type profileFlags struct {
	host                 string
	port, db             int
	tls, cluster         bool
	username             string
	passwordEnv, pwdFile string
	config, target       string
	duration             time.Duration
	sample, families     int
	maxRate              float64
	delimiter, output    string
	logLevel, logFormat  string
	targetFlagsGiven     []string
}

func newProfileFlags(stderr io.Writer) (*pflag.FlagSet, *profileFlags) {
	fs := newFlags("profile", profileSynopsis, stderr)
	d := profile.DefaultOptions()
	f := &profileFlags{}
	fs.StringVar(&f.host, "host", "", "the server's host (for a cluster, any node's or the configuration endpoint)")
	fs.IntVar(&f.port, "port", 6379, "the server's port, with --host")
	fs.BoolVar(&f.tls, "tls", false, "connect with TLS, with --host")
	fs.BoolVar(&f.cluster, "cluster", false, "the server is cluster-mode enabled: every primary is profiled, with --host")
	fs.StringVar(&f.username, "username", "", "ACL user name (ElastiCache RBAC), with --host")
	fs.StringVar(&f.passwordEnv, "password-env", "", "environment variable holding the password or AUTH token, with --host")
	fs.StringVar(&f.pwdFile, "password-file", "", "file holding the password or AUTH token, with --host")
	fs.IntVar(&f.db, "db", 0, "the database profiled (standalone), with --host")
	fs.StringVar(&f.config, "config", "", "take the server from this config file's targets (with --target)")
	fs.StringVar(&f.target, "target", "", "the name of the config's target to profile")
	fs.DurationVar(&f.duration, "duration", d.Duration, "how long calls are counted and keys sampled")
	fs.IntVar(&f.sample, "sample", d.Sample, "keys to sample, over every primary together; 0: none (the mix and rate only)")
	fs.Float64Var(&f.maxRate, "max-rate", d.MaxRate, "commands a second the profiler sends, at most, all primaries together")
	fs.StringVar(&f.delimiter, "delimiter", d.Delimiter, "ends a key family's prefix: user: of user:42:name")
	fs.IntVar(&f.families, "families", d.Families, "how many key families the config lists")
	fs.StringVarP(&f.output, "output", "o", "", "write the config to this file (default: stdout)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "console", "json or console")
	withNotes(fs, profileNotes)
	return fs, f
}

// check returns every problem with the flags, each naming the flag, the
// bad value and what is allowed.
func (f *profileFlags) check(fs *pflag.FlagSet) []string {
	var ps []string
	bad := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	for _, name := range []string{"host", "port", "tls", "cluster", "username", "password-env", "password-file", "db"} {
		if fs.Changed(name) {
			f.targetFlagsGiven = append(f.targetFlagsGiven, "--"+name)
		}
	}
	switch {
	case f.config != "" && len(f.targetFlagsGiven) > 0:
		bad("%s: not with --config (the target's settings come from the config)", strings.Join(f.targetFlagsGiven, ", "))
	case f.config != "" && f.target == "":
		bad("--target: required with --config: the name of the config's target to profile")
	case f.config == "" && f.target != "":
		bad("--target: only with --config")
	case f.config == "" && f.host == "":
		bad("--host or --config: give one (the server to profile, or a config file and --target)")
	}
	if f.port < 1 || f.port > 65535 {
		bad("--port: must be from 1 to 65535, got %d", f.port)
	}
	if f.passwordEnv != "" && f.pwdFile != "" {
		bad("--password-env and --password-file: give at most one")
	}
	if f.db < 0 || f.db > 15 {
		bad("--db: must be from 0 to 15, got %d", f.db)
	}
	if f.cluster && f.db != 0 {
		bad("--db: a cluster has database 0 only, got %d", f.db)
	}
	if f.duration < time.Second {
		bad("--duration: must be at least 1s, got %v", f.duration)
	}
	if f.sample < 0 || f.sample > 1_000_000 {
		bad("--sample: must be from 0 to 1000000 keys, got %d", f.sample)
	}
	if !(f.maxRate >= 1) || f.maxRate > 100_000 {
		bad("--max-rate: must be from 1 to 100000 commands a second, got %v", f.maxRate)
	}
	if f.delimiter == "" || len(f.delimiter) > 8 {
		bad("--delimiter: must be 1 to 8 bytes, got %q", f.delimiter)
	}
	if f.families < 1 || f.families > 1000 {
		bad("--families: must be from 1 to 1000, got %d", f.families)
	}
	return ps
}

// targetOptions returns the server to profile: from the flags, or the
// named target of the config file.
func (f *profileFlags) targetOptions(env []string) (target.Options, error) {
	if f.config == "" {
		password, err := monitorPassword(&monitorFlags{passwordEnv: f.passwordEnv, pwdFile: f.pwdFile}, env)
		if err != nil {
			return target.Options{}, err
		}
		o := target.Options{Name: "profiled", Addrs: []string{net.JoinHostPort(f.host, strconv.Itoa(f.port))},
			TLS: target.TLS{Enabled: f.tls}, Username: f.username, Password: password, DB: f.db,
			DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
		if f.cluster {
			o.Mode = target.Cluster
		}
		return o, nil
	}
	cfg, err := config.Load(f.config, nil, env)
	if err != nil {
		var ve *config.ValidationError
		if errors.As(err, &ve) {
			return target.Options{}, fmt.Errorf("--config %s: %d problem(s):\n%w", f.config, len(ve.Problems), err)
		}
		return target.Options{}, fmt.Errorf("--config: %w", err)
	}
	names := make([]string, len(cfg.Targets))
	for i, t := range cfg.Targets {
		names[i] = t.Name
		if t.Name == f.target {
			return target.Options{
				Name: t.Name, Addrs: t.Addrs, Mode: t.Mode, Username: t.Username, Password: t.Password.Reveal(), DB: t.DB,
				TLS:         target.TLS{Enabled: t.TLS.Enabled, CAFile: t.TLS.CAFile, ServerName: t.TLS.ServerName, InsecureSkipVerify: t.TLS.InsecureSkipVerify},
				DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout,
			}, nil
		}
	}
	return target.Options{}, fmt.Errorf("--target: %q is not a target of %s; its targets are: %s", f.target, f.config, strings.Join(slices.Sorted(slices.Values(names)), ", "))
}

func runProfile(args []string, stdout, stderr io.Writer) int {
	fs, f := newProfileFlags(stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	problems := f.check(fs)
	var to target.Options
	if len(problems) == 0 {
		var err error
		if to, err = f.targetOptions(os.Environ()); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "ecbench profile: %s\n", p)
		}
		return exitUsage
	}
	log, err := newLogger(f.logLevel, f.logFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench profile: --log-level or --log-format: %v\n", err)
		return exitUsage
	}
	defer func() { _ = log.Sync() }()
	redis.SetLogger(discardRedisLog{}) // failures are returned, with the address
	ctx, stop := notifyContext(log)
	defer stop()

	o := profile.Options{Target: to, Duration: f.duration, Sample: f.sample, MaxRate: f.maxRate, Delimiter: f.delimiter, Families: f.families}
	fmt.Fprintf(stderr, "ecbench profile: profiling %s for %v, sampling up to %d keys, at most %v commands/s (Ctrl-C stops early and writes what was measured)\n",
		strings.Join(to.Addrs, ","), f.duration, f.sample, f.maxRate)
	p, err := profile.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench profile: %v\n", err)
		return exitFailed
	}
	var buf bytes.Buffer
	if err := profile.Write(&buf, p); err != nil {
		fmt.Fprintf(stderr, "ecbench profile: %v\n", err)
		return exitFailed
	}
	where := "stdout"
	if f.output == "" {
		_, err = stdout.Write(buf.Bytes())
	} else {
		where = f.output
		err = os.WriteFile(f.output, buf.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ecbench profile: write %s: %v\n", where, err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "ecbench profile: %s (%s %s, %d primaries) over %.1f s: %.0f commands/s; %d keys of %d sampled; the profiler sent %.0f commands/s; %d workloads written to %s\n",
		strings.Join(to.Addrs, ","), p.Engine, p.Version, len(p.Nodes), p.Window.Seconds(), p.Rate(), p.Sampled, p.Keys, p.OwnRate(), len(p.Workloads()), where)
	if p.Interrupted {
		return exitFailed
	}
	return exitOK
}
