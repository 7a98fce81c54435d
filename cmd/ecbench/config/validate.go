package config

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// Limits. They keep a typo (an extra zero, a missing unit) from becoming a
// load that takes down the generator or the target, and bound label values.
const (
	maxTargets         = 64
	maxWorkloads       = 64
	maxDB              = 15
	maxPoolSize        = 10_000
	maxShutdownTimeout = 4 * time.Second // the daemon must stop within 5s
	minSummaryInterval = 100 * time.Millisecond
	maxKeyCount        = 1_000_000_000
	maxValueSize       = 512 << 20 // Redis' proto-max-bulk-len
	maxWeight          = 1_000_000
	minTTL             = time.Millisecond // SET PX resolution
	maxMGetBatch       = 1000
	maxPipeline        = 1000
	maxInflight        = 100_000
	maxRate            = 10_000_000 // requests/s
	maxWorkers         = 10_000
	maxElements        = 10_000_000
	maxElementSize     = 1 << 20
	maxRange           = 10_000
	maxRequests        = 1_000_000_000_000
)

var (
	cloudWatchNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,255}$`)
	nameRE           = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,62}$`)
	envNameRE        = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

const nameRule = `must start with a letter and hold only letters, digits, "_" and "-", at most 63 characters`

// validator checks a decoded Config. raw is the checked tree it came from,
// for the few rules that depend on whether a key was written at all.
type validator struct {
	*problems
	raw map[string]any
}

func validate(cfg *Config, raw map[string]any, ps *problems) {
	v := validator{ps, raw}
	v.address("listen", cfg.Listen, false)
	v.oneOf("log.level", cfg.Log.Level, LevelDebug, LevelInfo, LevelWarn, LevelError)
	v.oneOf("log.format", cfg.Log.Format, FormatJSON, FormatConsole)
	if v.positive("summary_interval", cfg.SummaryInterval) && cfg.SummaryInterval < minSummaryInterval {
		v.add("summary_interval", fmt.Sprintf("must be >= %v, got %s", minSummaryInterval, describe(cfg.SummaryInterval)))
	}
	if v.positive("shutdown_timeout", cfg.ShutdownTimeout) && cfg.ShutdownTimeout > maxShutdownTimeout {
		v.add("shutdown_timeout", fmt.Sprintf("must be <= %v (ecbench must stop within 5s), got %s", maxShutdownTimeout, describe(cfg.ShutdownTimeout)))
	}

	switch n := len(cfg.Targets); {
	case n == 0:
		v.add("targets", "at least one target is required")
	case n > maxTargets:
		v.add("targets", fmt.Sprintf("at most %d targets are allowed, got %d", maxTargets, n))
	}
	seen := map[string]int{}
	for i := range cfg.Targets {
		v.target(indexPath("targets", i), &cfg.Targets[i])
		v.unique("targets", i, cfg.Targets[i].Name, seen)
	}

	switch n := len(cfg.Workloads); {
	case n == 0:
		v.add("workloads", "at least one workload is required")
	case n > maxWorkloads:
		v.add("workloads", fmt.Sprintf("at most %d workloads are allowed, got %d", maxWorkloads, n))
	}
	seen = map[string]int{}
	for i := range cfg.Workloads {
		p := indexPath("workloads", i)
		w := &cfg.Workloads[i]
		wraw := v.element("workloads", i)
		v.workload(p, w, wraw, cfg.Targets)
		v.unique("workloads", i, w.Name, seen)
	}
	v.prefixes(cfg.Workloads)
	v.bench("bench", cfg.Bench)
	v.cloudWatch(cfg)
	v.probes("probes", cfg.Probes)
	v.scenario(cfg)
}

func (v validator) scenario(cfg *Config) {
	workloads := map[string]*Workload{}
	var names []string
	for i := range cfg.Workloads {
		workloads[cfg.Workloads[i].Name] = &cfg.Workloads[i]
		names = append(names, cfg.Workloads[i].Name)
	}
	scenario, _ := v.raw["scenario"].(map[string]any)
	phases, _ := scenario["phases"].([]any)
	for i := range cfg.Scenario.Phases {
		ph := &cfg.Scenario.Phases[i]
		p := indexPath("scenario.phases", i)
		v.name(p+".name", ph.Name)
		v.positive(p+".duration", ph.Duration)
		v.multiplier(p+".rate_multiplier", ph.RateMultiplier)
		var praw map[string]any
		if i < len(phases) {
			praw, _ = phases[i].(map[string]any)
		}
		wraws, _ := praw["workloads"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(ph.Workloads)) {
			pw := ph.Workloads[name]
			wp := keyPath(p+".workloads", name)
			w, known := workloads[name]
			switch {
			case !known:
				v.add(wp, fmt.Sprintf("unknown workload %s; workloads are: %s", quote(name), strings.Join(names, ", ")))
				continue
			case w.Rate.Type == RateClosed:
				v.add(wp, "workload "+quote(name)+" is closed loop: it has no rate to scale or replace")
				continue
			case (pw.RateMultiplier == nil) == (pw.Rate == nil):
				v.add(wp, "set one of rate_multiplier or rate")
			}
			if pw.RateMultiplier != nil {
				v.multiplier(wp+".rate_multiplier", *pw.RateMultiplier)
			}
			if pw.Rate != nil {
				rraw, _ := wraws[name].(map[string]any)
				rr, _ := rraw["rate"].(map[string]any)
				v.rate(wp+".rate", pw.Rate, rr)
				if pw.Rate.Type == RateClosed {
					v.add(wp+".rate.type", "must be an open-loop schedule in a phase (constant, ramp, steps, burst, sine), got \"closed\"")
				}
			}
		}
		for j, a := range ph.Actions {
			ap := indexPath(p+".actions", j)
			if !v.oneOf(ap+".type", a.Type, ActionFailover) {
				continue
			}
			if a.ReplicationGroup == "" {
				v.add(ap+".replication_group", "required: the replication group to fail over")
			}
			if a.Timeout < 0 {
				v.add(ap+".timeout", "must be >= 0 (0: 15m), got "+describe(a.Timeout))
			}
		}
	}
	v.positive("failover.poll_interval", cfg.Failover.PollInterval)
}

func (v validator) multiplier(p string, m float64) {
	if !(m >= 0) || m > maxRate {
		v.add(p, "must be >= 0 (1 runs the workload as configured, 0 pauses it), got "+formatFloat(m))
	}
}

func (v validator) probes(p string, pr Probes) {
	a := pr.Availability
	v.positive(p+".availability.interval", a.Interval)
	v.positive(p+".availability.timeout", a.Timeout)
	i := pr.Integrity
	ip := p + ".integrity"
	v.positive(ip+".timeout", i.Timeout)
	v.between(ip+".value_size", i.ValueSize, 48, maxValueSize)
	if !(i.Sample > 0 && i.Sample <= 1) {
		v.add(ip+".sample", "must be > 0 and <= 1 (the share of writes read back), got "+formatFloat(i.Sample))
	}
	if v.positive(ip+".interval", i.Interval) && v.positive(ip+".verify_delay", i.VerifyDelay) {
		// A record must be read back before the ring comes round to its key.
		if need := int(i.VerifyDelay/i.Interval) + 1; i.Keys <= need {
			v.add(ip+".keys", fmt.Sprintf("must be > verify_delay/interval = %d (a record is read back before its key is rewritten), got %d", need-1, i.Keys))
		}
	}
	v.between(ip+".keys", i.Keys, 1, maxKeyCount)
}

// cloudWatchStatistics are the statistics GetMetricData accepts besides
// percentiles (p0.0-p100).
var cloudWatchStatistics = []string{"Average", "Minimum", "Maximum", "Sum", "SampleCount"}

var percentileRE = regexp.MustCompile(`^p(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$`)

func (v validator) cloudWatch(cfg *Config) {
	c := cfg.CloudWatch
	const p = "cloudwatch"
	if v.positive(p+".period", c.Period) && c.Period%time.Minute != 0 {
		v.add(p+".period", "must be a multiple of 60s (ElastiCache publishes per minute), got "+describe(c.Period))
	}
	if v.positive(p+".poll_interval", c.PollInterval) && c.PollInterval < 10*time.Second {
		v.add(p+".poll_interval", "must be >= 10s (each poll is billed per metric), got "+describe(c.PollInterval))
	}
	if v.positive(p+".lookback", c.Lookback) && c.Lookback < c.Period {
		v.add(p+".lookback", fmt.Sprintf("must be >= period (%v), got %s", c.Period, describe(c.Lookback)))
	}
	v.positive(p+".discovery_interval", c.DiscoveryInterval)
	if len(c.Statistics) == 0 {
		v.add(p+".statistics", "at least one statistic is required: "+strings.Join(cloudWatchStatistics, ", ")+" or a percentile such as p99")
	}
	for i, st := range c.Statistics {
		if !slices.Contains(cloudWatchStatistics, st) && !percentileRE.MatchString(st) {
			v.add(indexPath(p+".statistics", i), fmt.Sprintf("must be one of %s or a percentile such as p99; got %s", strings.Join(cloudWatchStatistics, ", "), quote(st)))
		}
	}
	for key, names := range map[string][]string{"metrics": c.Metrics, "serverless_metrics": c.ServerlessMetrics} {
		for i, m := range names {
			if !cloudWatchNameRE.MatchString(m) {
				v.add(indexPath(p+"."+key, i), "must be a CloudWatch metric name such as EngineCPUUtilization, got "+quote(m))
			}
		}
	}
	polled := 0
	for i, t := range cfg.Targets {
		tp := indexPath("targets", i) + ".cloudwatch"
		tc := t.CloudWatch
		named := 0
		for _, set := range []bool{tc.ReplicationGroup != "", len(tc.CacheClusters) > 0, len(tc.Nodes) > 0, tc.ServerlessCache != ""} {
			if set {
				named++
			}
		}
		if named > 1 {
			v.add(tp, "name one of replication_group, cache_clusters, nodes or serverless_cache, not several")
		}
		if named > 0 {
			polled++
		}
		for j, n := range tc.Nodes {
			np := indexPath(tp+".nodes", j)
			if n.CacheCluster == "" {
				v.add(np+".cache_cluster", "required: the cache cluster id of the node")
			}
			if n.Node == "" {
				v.add(np+".node", `required: the node id, such as "0001"`)
			}
		}
	}
	if c.Enabled && polled == 0 {
		v.add(p+".enabled", "no target names an ElastiCache resource: set targets[].cloudwatch.replication_group (or cache_clusters, nodes, serverless_cache)")
	}
}

func (v validator) bench(p string, b Bench) {
	v.between(p+".requests", b.Requests, 0, maxRequests)
	if b.Requests == 0 {
		v.positive(p+".duration", b.Duration)
	} else if b.Duration < 0 {
		v.add(p+".duration", "must be >= 0, got "+describe(b.Duration))
	}
	if b.Warmup < 0 {
		v.add(p+".warmup", "must be >= 0, got "+describe(b.Warmup))
	}
	if b.Results == "" {
		v.add(p+".results", "must name a directory, got \"\"")
	}
}

func (v validator) target(p string, t *Target) {
	v.name(p+".name", t.Name)
	if t.Engine != "" && t.Engine != EngineRedis && t.Engine != EngineValkey {
		v.add(p+".engine", fmt.Sprintf("must be one of redis, valkey (or empty: not declared); got %s", quote(t.Engine)))
	}
	v.oneOf(p+".mode", t.Mode, ModeStandalone, ModeCluster)

	switch {
	case len(t.Addrs) == 0:
		v.add(p+".addrs", "at least one address is required")
	case t.Mode == ModeStandalone && len(t.Addrs) > 1:
		v.add(p+".addrs", fmt.Sprintf("standalone mode takes exactly one address, got %d; set mode: cluster for a cluster", len(t.Addrs)))
	}
	seen := map[string]int{}
	for j, a := range t.Addrs {
		ap := indexPath(p+".addrs", j)
		if !v.address(ap, a, true) {
			continue
		}
		if k, dup := seen[a]; dup {
			v.add(ap, fmt.Sprintf("duplicate address %s (also addrs[%d])", quote(a), k))
			continue
		}
		seen[a] = j
		// A standalone client on a configuration endpoint gets MOVED for
		// most keys.
		if t.Mode == ModeStandalone && strings.HasPrefix(strings.ToLower(a), "clustercfg.") {
			v.add(ap, fmt.Sprintf("%s is an ElastiCache cluster configuration endpoint; set mode: cluster", quote(a)))
		}
	}

	if t.DB < 0 || t.DB > maxDB {
		v.add(p+".db", fmt.Sprintf("must be between 0 and %d, got %d", maxDB, t.DB))
	} else if t.Mode == ModeCluster && t.DB != 0 {
		v.add(p+".db", fmt.Sprintf("must be 0 in cluster mode (a cluster has only database 0), got %d", t.DB))
	}

	if t.PasswordEnv != "" && t.PasswordFile != "" {
		v.add(p+".password_file", "cannot be combined with password_env; set one of them")
	}
	if t.PasswordEnv != "" && !envNameRE.MatchString(t.PasswordEnv) {
		// Not echoed: it may be the password itself, pasted in the wrong place.
		v.add(p+".password_env", `must be the name of an environment variable (letters, digits and "_"), not the password itself`)
	}

	if !t.TLS.Enabled {
		for key, set := range map[string]bool{
			"ca_file":              t.TLS.CAFile != "",
			"server_name":          t.TLS.ServerName != "",
			"insecure_skip_verify": t.TLS.InsecureSkipVerify,
		} {
			if set {
				v.add(p+".tls."+key, "has no effect unless tls.enabled is true")
			}
		}
	}

	if t.PoolSize < 0 || t.PoolSize > maxPoolSize {
		v.add(p+".pool_size", fmt.Sprintf("must be 0 (the go-redis default, 10 per CPU) or between 1 and %d, got %d", maxPoolSize, t.PoolSize))
	}
	if t.Protocol != 2 && t.Protocol != 3 {
		v.add(p+".protocol", fmt.Sprintf("must be 2 (RESP2, the default) or 3 (RESP3), got %d", t.Protocol))
	}
	v.positive(p+".dial_timeout", t.DialTimeout)
	v.positive(p+".read_timeout", t.ReadTimeout)
	v.positive(p+".write_timeout", t.WriteTimeout)
}

func (v validator) workload(p string, w *Workload, raw map[string]any, targets []Target) {
	v.name(p+".name", w.Name)

	var names []string
	for _, t := range targets {
		if !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
	}
	known := "no targets are defined"
	if len(names) > 0 {
		known = "targets are: " + strings.Join(names, ", ")
	}
	seen := map[string]int{}
	for j, name := range w.Targets {
		tp := indexPath(p+".targets", j)
		if k, dup := seen[name]; dup {
			v.add(tp, fmt.Sprintf("duplicate target %s (also targets[%d])", quote(name), k))
			continue
		}
		seen[name] = j
		if !slices.Contains(names, name) {
			v.add(tp, fmt.Sprintf("unknown target %s; %s", quote(name), known))
		}
	}

	k := w.Keys
	v.between(p+".keys.count", k.Count, 1, maxKeyCount)
	v.oneOf(p+".keys.distribution", k.Distribution, DistUniform, DistZipfian, DistSequential)
	switch {
	case k.Distribution == DistZipfian && !(k.ZipfExponent > 0):
		v.add(p+".keys.zipf_exponent", "must be > 0, got "+formatFloat(k.ZipfExponent))
	case k.Distribution != DistZipfian && k.ZipfExponent != 0:
		v.add(p+".keys.zipf_exponent", fmt.Sprintf("not used by distribution %s; used by zipfian", quote(k.Distribution)))
	}

	v.values(p+".values", w.Values, raw)

	kinds := workload.Kinds()
	kindNames := make([]string, len(kinds))
	for i, k := range kinds {
		kindNames[i] = string(k)
	}
	if v.oneOf(p+".type", w.Type, kindNames...) {
		v.ops(p, w, targets)
		v.structure(p, w)
	}
	if v.positive(p+".ttl", w.TTL) && w.TTL < minTTL {
		v.add(p+".ttl", fmt.Sprintf("must be >= %v, got %s", minTTL, describe(w.TTL)))
	}
	v.between(p+".mget_batch", w.MGetBatch, 1, maxMGetBatch)
	v.between(p+".pipeline", w.Pipeline, 1, maxPipeline)
	v.between(p+".max_inflight", w.MaxInflight, 1, maxInflight)

	rraw, _ := raw["rate"].(map[string]any)
	v.rate(p+".rate", &w.Rate, rraw)
}

// ops checks the op mix against the ops of the workload's type.
func (v validator) ops(p string, w *Workload, targets []Target) {
	allowed := workload.OpNamesFor(workload.Kind(w.Type))
	for _, name := range slices.Sorted(maps.Keys(w.Ops)) {
		op := keyPath(p+".ops", name)
		if !slices.Contains(allowed, name) {
			v.add(op, fmt.Sprintf("not an op of type %s; allowed: %s", w.Type, strings.Join(allowed, ", ")))
			continue
		}
		v.between(op, w.Ops[name], 0, maxWeight)
		if w.Ops[name] > 0 && workload.MultiKey(name) {
			for _, t := range targets {
				if t.Mode == ModeCluster && w.RunsOn(t.Name) {
					v.add(op, fmt.Sprintf("not supported on cluster-mode targets (keys span hash slots); target %s is cluster", quote(t.Name)))
				}
			}
		}
	}
	if len(w.Ops.Weights(w.Type)) == 0 && !v.brokenUnder(p+".ops") {
		v.add(p+".ops", "at least one weight must be > 0")
	}
}

// structure checks the element settings, which only structures use.
func (v validator) structure(p string, w *Workload) {
	if w.Type == TypeKV {
		// Zero values are what a written-out effective config holds.
		unused := fmt.Sprintf("not used by type kv; used by %s, %s, %s, %s", TypeList, TypeHash, TypeSet, TypeZSet)
		if w.Elements != (Elements{}) {
			v.add(p+".elements", unused)
		}
		if w.Range != 0 {
			v.add(p+".range", unused)
		}
		return
	}
	v.between(p+".elements.count", w.Elements.Count, 1, maxElements)
	v.between(p+".elements.size", w.Elements.Size, 1, maxElementSize)
	v.between(p+".range", w.Range, 1, maxRange)
}

func (v validator) values(p string, vs Values, raw map[string]any) {
	if !vs.Ranged() {
		v.between(p+".size", vs.Size, 1, maxValueSize)
		return
	}
	if vs.Size != 0 {
		v.add(p+".size", "cannot be combined with min_size and max_size; set either size or both min_size and max_size")
	}
	ok := true
	for _, b := range []struct {
		key, other string
		n          int
	}{{"min_size", "max_size", vs.MinSize}, {"max_size", "min_size", vs.MaxSize}} {
		if !has(raw, "values", b.key) {
			v.add(p+"."+b.key, "required when "+b.other+" is set")
			ok = false
		} else {
			ok = v.between(p+"."+b.key, b.n, 1, maxValueSize) && ok
		}
	}
	if ok && vs.MinSize > vs.MaxSize {
		v.add(p+".min_size", fmt.Sprintf("must be <= max_size (%d), got %d", vs.MaxSize, vs.MinSize))
	}
}

// prefixes checks that no two workloads write into the same keys: one
// workload's DEL or SET would skew the other's hit rate.
func (v validator) prefixes(ws []Workload) {
	for j := range ws {
		pj := ws[j].Keys.Prefix
		if pj == "" { // defaulted from an invalid name, which is reported
			continue
		}
		for i := range j {
			pi := ws[i].Keys.Prefix
			if pi == "" {
				continue
			}
			other := indexPath("workloads", i) + ".keys.prefix"
			var msg string
			switch {
			case pi == pj:
				msg = fmt.Sprintf("%s is also %s", quote(pj), other)
			case strings.HasPrefix(pi, pj):
				msg = fmt.Sprintf("%s is a prefix of %s %s", quote(pj), other, quote(pi))
			case strings.HasPrefix(pj, pi):
				msg = fmt.Sprintf("%s starts with %s %s", quote(pj), other, quote(pi))
			default:
				continue
			}
			v.add(indexPath("workloads", j)+".keys.prefix", msg+"; key spaces must not overlap")
			break
		}
	}
}

// element returns the i-th element of the list at key of the raw tree.
func (v validator) element(key string, i int) map[string]any {
	l, _ := v.raw[key].([]any)
	if i < len(l) {
		m, _ := l[i].(map[string]any)
		return m
	}
	return nil
}

func (v validator) name(p, name string) {
	switch {
	case name == "":
		v.add(p, "required")
	case !nameRE.MatchString(name):
		v.add(p, nameRule+", got "+quote(name))
	}
}

// unique checks that the name of list[i] is the first of its kind.
func (v validator) unique(list string, i int, name string, seen map[string]int) {
	if name == "" {
		return
	}
	if k, dup := seen[name]; dup {
		v.add(indexPath(list, i)+".name", fmt.Sprintf("duplicate name %s (also %s)", quote(name), indexPath(list, k)))
		return
	}
	seen[name] = i
}

func (v validator) oneOf(p, got string, allowed ...string) bool {
	if slices.Contains(allowed, got) {
		return true
	}
	v.add(p, fmt.Sprintf("must be one of %s; got %s", strings.Join(allowed, ", "), quote(got)))
	return false
}

func (v validator) positive(p string, d time.Duration) bool {
	if d > 0 {
		return true
	}
	v.add(p, "must be > 0, got "+describe(d))
	return false
}

func (v validator) between(p string, n, lo, hi int) bool {
	if lo <= n && n <= hi {
		return true
	}
	v.add(p, fmt.Sprintf("must be between %d and %d, got %d", lo, hi, n))
	return false
}

// address checks a host:port. The host may be empty only for a listen
// address (all interfaces).
func (v validator) address(p, addr string, needHost bool) bool {
	if strings.Contains(addr, "://") {
		v.add(p, fmt.Sprintf("must be host:port without a scheme, got %s", quote(addr)))
		return false
	}
	host, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || strings.Trim(port, "0123456789") != "" || n < 1 || n > 65535 ||
		needHost && host == "" || strings.ContainsAny(host, " \t\r\n/") {
		example := `"10.0.0.1:6379"`
		if !needHost {
			example = `"127.0.0.1:9478" or ":9478"`
		}
		v.add(p, fmt.Sprintf("must be host:port with a port from 1 to 65535, such as %s; got %s", example, quote(addr)))
		return false
	}
	return true
}
