package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/internal/app"
	"github.com/ecbench/ecbench/loadgen/target"
)

const monitorSynopsis = `monitor (-c CLUSTER_ID [-r REGION] | --host H [--port P]) [--password-env NAME | --password-file F] [-o DIR] [-t PROBE_INTERVAL] [-m CLOUDWATCH_INTERVAL] [--listen ADDR]`

// defaultMonitorRegion is the original run_migration_monitor.sh's region,
// used when neither -r nor the AWS environment or shared config names one.
const defaultMonitorRegion = "ap-northeast-1"

const monitorNotes = `The flags of the original run_migration_monitor.sh keep their meanings:
-c cluster id, -r region, --host/--port/--password, -o output directory,
-t probe interval and -m CloudWatch interval (seconds, such as 0.1 and 60, or
durations, such as 100ms and 1m). Without --host the endpoint is looked up
from the cluster id (a replication group's primary or configuration
endpoint, or a cache cluster's node), with TLS and cluster mode as
ElastiCache reports them. AWS credentials come from the SDK's default chain
(environment, shared files, instance role); the region from -r, else the AWS
environment or shared config, else ap-northeast-1.

Written to the output directory as it goes (flushed every second):
  availability.csv  one row per second: probes, ok, failed, availability, latency, error classes
  outages.csv       one row per outage: start, end, duration, first and last error class, failed probes
  integrity.csv     runs of integrity verdicts: result, sequence range, count, the sweep that found them
  cloudwatch.csv    every CloudWatch datapoint once: timestamp, cluster, node, metric, stat, value
  events.jsonl      engine, version, mode and role detected and changed; a node's role change,
                    restart (run_id) and master link; outages started and ended
  summary.txt       the summary printed at Ctrl-C

It writes an availability key (ecbench:monitor:avail, expiring after a
minute) and a ring of --integrity-keys keys (ecbench:monitor:integrity:N,
128 bytes each) to the endpoint. Ctrl-C (SIGINT) or SIGTERM stops it and
prints the summary: outages, total unavailable time, lost writes, engine
and version before and after.

Exit codes:
  0  stopped by a signal, summary printed
  1  the monitor failed (AWS unreachable, /metrics address busy, files not written)
  2  bad input: flags, cluster id not found, output directory already used`

// monitorFlags are the monitor's flags, as parsed.
type monitorFlags struct {
	clusterID, region              string
	host                           string
	port                           int
	username                       string
	password, passwordEnv, pwdFile string
	tls, cluster                   bool
	dir                            string
	probeInterval, probeTimeout    time.Duration
	infoInterval                   time.Duration
	cloudWatchInterval             time.Duration
	integrityKeys                  int
	listen, logLevel, logFormat    string
}

func newMonitorFlags(stderr io.Writer) (*pflag.FlagSet, *monitorFlags) {
	fs := newFlags("monitor", monitorSynopsis, stderr)
	f := &monitorFlags{probeInterval: app.DefaultMonitorProbeInterval, infoInterval: app.DefaultMonitorInfoInterval, cloudWatchInterval: time.Minute}
	fs.StringVarP(&f.clusterID, "cluster-id", "c", "", "ElastiCache replication group or cache cluster id: finds the endpoint (without --host) and names what CloudWatch polls")
	fs.StringVarP(&f.region, "region", "r", "", "AWS region (default: the AWS environment or shared config, else "+defaultMonitorRegion+")")
	fs.StringVar(&f.host, "host", "", "endpoint host, instead of looking it up from -c")
	fs.IntVar(&f.port, "port", 6379, "endpoint port, with --host")
	fs.StringVar(&f.username, "username", "", "ACL user name (ElastiCache RBAC)")
	fs.StringVar(&f.password, "password", "", "password or AUTH token (visible to other users in the process list: prefer --password-env or --password-file)")
	fs.StringVar(&f.passwordEnv, "password-env", "", "environment variable holding the password")
	fs.StringVar(&f.pwdFile, "password-file", "", "file holding the password")
	fs.BoolVar(&f.tls, "tls", false, "connect with TLS (on by itself when ElastiCache reports in-transit encryption)")
	fs.BoolVar(&f.cluster, "cluster", false, "the --host endpoint is cluster-mode enabled (the configuration endpoint)")
	fs.StringVarP(&f.dir, "output", "o", "", "output directory, created; it must not hold a previous run (default monitor-<cluster id or host>-<start time>)")
	fs.VarP(intervalFlag{&f.probeInterval}, "probe-interval", "t", "time between availability probes and between integrity writes")
	fs.VarP(intervalFlag{&f.cloudWatchInterval}, "cloudwatch-interval", "m", "time between CloudWatch polls; 0: no polling")
	fs.Var(intervalFlag{&f.probeTimeout}, "probe-timeout", "a slower availability probe fails (default: the probe interval)")
	fs.Var(intervalFlag{&f.infoInterval}, "info-interval", "time between INFO polls (role, run_id, master link, engine and version); also at once after an outage or a READONLY")
	fs.IntVar(&f.integrityKeys, "integrity-keys", 10000, "keys of the integrity probe's ring: a lost write is found until its key is rewritten, keys × probe interval later; 0: no integrity probe")
	fs.StringVar(&f.listen, "listen", "", "also serve /metrics on this address, host:port")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "console", "json or console")
	withNotes(fs, monitorNotes)
	return fs, f
}

// intervalFlag is a duration given as a Go duration (100ms, 1m) or, as the
// original script took it, a number of seconds (0.1, 60).
type intervalFlag struct{ d *time.Duration }

func (f intervalFlag) Set(s string) error {
	if d, err := time.ParseDuration(s); err == nil {
		*f.d = d
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxInt64/float64(time.Second) {
		return fmt.Errorf("want a duration such as 100ms or 1m, or seconds such as 0.1")
	}
	*f.d = time.Duration(x * float64(time.Second))
	return nil
}

func (f intervalFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0" // pflag's zero value: no "(default …)" in the help
	}
	return f.d.String()
}

func (intervalFlag) Type() string { return "duration" }

// check returns every problem with the flags, each naming the flag, the
// bad value and what is allowed.
func (f *monitorFlags) check(fs *pflag.FlagSet) []string {
	var ps []string
	bad := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if f.clusterID == "" && f.host == "" {
		bad("-c/--cluster-id or --host: give one (the cluster id to look the endpoint up, or the endpoint itself)")
	}
	if fs.Changed("port") && f.host == "" {
		bad("--port: only with --host (the port of a looked-up endpoint comes from ElastiCache)")
	}
	if f.cluster && f.host == "" {
		bad("--cluster: only with --host (cluster mode of a looked-up endpoint comes from ElastiCache)")
	}
	if f.port < 1 || f.port > 65535 {
		bad("--port: must be from 1 to 65535, got %d", f.port)
	}
	given := 0
	for _, s := range []string{f.password, f.passwordEnv, f.pwdFile} {
		if s != "" {
			given++
		}
	}
	if given > 1 {
		bad("--password, --password-env and --password-file: give at most one")
	}
	if f.probeInterval < time.Millisecond {
		bad("-t/--probe-interval: must be at least 1ms, got %v", f.probeInterval)
	}
	if fs.Changed("probe-timeout") && f.probeTimeout < time.Millisecond {
		bad("--probe-timeout: must be at least 1ms, got %v", f.probeTimeout)
	}
	if f.infoInterval < 100*time.Millisecond {
		bad("--info-interval: must be at least 100ms (each poll is a few INFO commands), got %v", f.infoInterval)
	}
	if f.cloudWatchInterval != 0 && f.cloudWatchInterval < time.Second {
		bad("-m/--cloudwatch-interval: must be 0 (no polling) or at least 1s, got %v", f.cloudWatchInterval)
	}
	if f.integrityKeys < 0 {
		bad("--integrity-keys: must be >= 0 (0: no integrity probe), got %d", f.integrityKeys)
	}
	if f.listen != "" {
		if _, _, err := net.SplitHostPort(f.listen); err != nil {
			bad("--listen: must be host:port, got %q", f.listen)
		}
	}
	return ps
}

func runMonitor(args []string, stdout, stderr io.Writer) int {
	fs, f := newMonitorFlags(stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	problems := f.check(fs)
	password, err := monitorPassword(f, os.Environ())
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "ecbench monitor: %s\n", p)
		}
		return exitUsage
	}
	log, err := newLogger(f.logLevel, f.logFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench monitor: %v\n", err)
		return exitUsage
	}
	defer func() { _ = log.Sync() }()
	redis.SetLogger(redisLogger{log.Named("go-redis").Sugar()})
	ctx, stop := notifyContext(log)
	defer stop()

	opts, code := f.options(ctx, password, log, stderr)
	if code != exitOK {
		return code
	}
	m, err := app.NewMonitor(opts, log)
	if err != nil {
		fmt.Fprintf(stderr, "ecbench monitor: %v\n", err)
		return exitUsage
	}
	s, err := m.Run(ctx)
	if s != nil {
		_ = s.WriteText(stdout)
	}
	if err != nil {
		log.Error("monitor failed", zap.Error(err))
		return exitFailed
	}
	return exitOK
}

// options turns the flags into the monitor's options: the endpoint (looked
// up when no --host is given) and the CloudWatch clients. The exit code is
// exitOK unless it failed, and then the error was printed.
func (f *monitorFlags) options(ctx context.Context, password string, log *zap.Logger, stderr io.Writer) (app.MonitorOptions, int) {
	o := app.MonitorOptions{
		Target: target.Options{Name: "endpoint", Username: f.username, Password: password,
			TLS: target.TLS{Enabled: f.tls}},
		ProbeInterval: f.probeInterval, ProbeTimeout: f.probeTimeout, InfoInterval: f.infoInterval, IntegrityKeys: f.integrityKeys,
		Dir: f.dir, Listen: f.listen, Version: buildVersion(),
	}
	if f.integrityKeys == 0 {
		o.IntegrityKeys = -1
	}
	if f.clusterID != "" {
		o.Target.Name = f.clusterID
	}
	if f.host != "" {
		o.Target.Addrs = []string{net.JoinHostPort(f.host, strconv.Itoa(f.port))}
		if f.cluster {
			o.Target.Mode = target.Cluster
		}
	}
	fail := func(code int, format string, args ...any) (app.MonitorOptions, int) {
		fmt.Fprintf(stderr, "ecbench monitor: "+format+"\n", args...)
		return o, code
	}
	needLookup := f.host == ""
	needCloudWatch := f.clusterID != "" && f.cloudWatchInterval > 0
	if needLookup || needCloudWatch {
		cw, ec, region, err := monitorClients(ctx, f.region)
		if err != nil {
			return fail(exitFailed, "%v", err)
		}
		// Even with --host, the lookup says whether the id is a replication
		// group or a cache cluster, which CloudWatch needs to know.
		resource := app.Endpoint{ReplicationGroup: f.clusterID}
		e, err := app.FindEndpoint(ctx, ec, f.clusterID)
		switch {
		case errors.Is(err, app.ErrClusterNotFound):
			return fail(exitUsage, "-c/--cluster-id: %v in region %s", err, region)
		case err != nil && needLookup:
			return fail(exitFailed, "cannot look up the endpoint of %q in region %s: %v", f.clusterID, region, err)
		case err != nil:
			log.Warn("cannot describe the cluster; CloudWatch polls it as a replication group",
				zap.String("cluster_id", f.clusterID), zap.Error(err))
		default:
			resource = e
		}
		if needLookup {
			if e.Auth && password == "" {
				return fail(exitUsage, "-c/--cluster-id: %q requires an AUTH token (AuthTokenEnabled): give --password-env NAME or --password-file FILE", f.clusterID)
			}
			o.Target.Addrs = []string{e.Addr()}
			o.Target.TLS.Enabled = o.Target.TLS.Enabled || e.TLS
			if e.Cluster {
				o.Target.Mode = target.Cluster
			}
			log.Info("endpoint found", zap.String("cluster_id", f.clusterID), zap.String("region", region),
				zap.String("addr", e.Addr()), zap.Bool("cluster_mode", e.Cluster), zap.Bool("tls", e.TLS),
				zap.String("engine", e.Engine))
		}
		if needCloudWatch {
			o.CloudWatch = app.MonitorCloudWatch{
				ReplicationGroup: resource.ReplicationGroup, CacheCluster: resource.CacheCluster,
				Interval: f.cloudWatchInterval, CloudWatch: cw, ElastiCache: ec,
			}
		}
	}
	if o.Dir == "" {
		id := f.clusterID
		if id == "" {
			id = strings.NewReplacer(":", "_", "/", "_").Replace(f.host)
		}
		o.Dir = "monitor-" + id + "-" + time.Now().UTC().Format("20060102T150405Z")
	}
	return o, exitOK
}

// monitorClients returns CloudWatch and ElastiCache clients from the SDK's
// default chain, and the region they use: region if given, else the AWS
// environment's or shared config's, else defaultMonitorRegion. Unlike the
// daemon it does not ask the EC2 instance metadata, as the original script
// did not.
func monitorClients(ctx context.Context, region string) (*cwsdk.Client, *elasticache.Client, string, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region), awsconfig.WithAppID("ecbench"))
	if err != nil {
		return nil, nil, "", fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultMonitorRegion
	}
	return cwsdk.NewFromConfig(cfg), elasticache.NewFromConfig(cfg), cfg.Region, nil
}

// maxMonitorPasswordSize bounds --password-file, as the config's
// password_file is bounded.
const maxMonitorPasswordSize = 64 << 10

// monitorPassword returns the password from --password, --password-env or
// --password-file (as the config's password_env and password_file read
// them: set and not empty, a regular file with its line end trimmed). The
// error names the flag and the variable or file, never the password.
func monitorPassword(f *monitorFlags, env []string) (string, error) {
	switch {
	case f.password != "":
		return f.password, nil
	case f.passwordEnv != "":
		pw := ""
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok && k == f.passwordEnv {
				pw = v
			}
		}
		if pw == "" {
			return "", fmt.Errorf("--password-env: environment variable %q is not set or empty", f.passwordEnv)
		}
		return pw, nil
	case f.pwdFile != "":
		info, err := os.Stat(f.pwdFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		if !info.Mode().IsRegular() {
			return "", fmt.Errorf("--password-file: %q is not a regular file", f.pwdFile)
		}
		if info.Size() > maxMonitorPasswordSize {
			return "", fmt.Errorf("--password-file: %q is larger than %d bytes", f.pwdFile, maxMonitorPasswordSize)
		}
		b, err := os.ReadFile(f.pwdFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		pw := strings.TrimRight(string(b), "\r\n") // editors add a newline
		if pw == "" {
			return "", fmt.Errorf("--password-file: %q is empty", f.pwdFile)
		}
		return pw, nil
	}
	return "", nil
}
