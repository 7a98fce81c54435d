package config

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/target"
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
	minInfoInterval    = 100 * time.Millisecond
	maxKeyCount        = 1_000_000_000
	maxValueSize       = 512 << 20 // Redis' proto-max-bulk-len
	maxWeight          = 1_000_000
	minTTL             = time.Millisecond // SET PX resolution
	maxMGetBatch       = 1000
	maxPipeline        = 1000
	maxInflight        = 100_000
	maxMultiplier      = 10_000_000 // a phase's rate_multiplier
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
	targets := newNames(len(cfg.Targets), func(i int) string { return cfg.Targets[i].Name }, maxTargets, true)

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
		v.workload(p, w, wraw, targets)
		if i < maxWorkloads {
			v.clusterOps(p, w, capped(cfg.Targets, maxTargets))
		}
		v.unique("workloads", i, w.Name, seen)
	}
	v.prefixes(capped(cfg.Workloads, maxWorkloads))
	v.replays(cfg)
	v.bench("bench", cfg.Bench)
	v.cloudWatch(cfg)
	v.probes("probes", cfg.Probes)
	v.scenario(cfg)
	v.thresholds(cfg)
	v.limits(cfg.Limits)
	if len(ps.list) == 0 {
		v.budget(cfg)
	}
}

func (v validator) target(p string, t *Target) {
	v.name(p+".name", t.Name)
	if t.Engine != "" && !slices.Contains(engine.Declarable, t.Engine) {
		v.add(p+".engine", fmt.Sprintf("must be one of %s (or empty: not declared); got %s",
			strings.Join(strs(engine.Declarable), ", "), quote(string(t.Engine))))
	}
	v.oneOf(p+".mode", string(t.Mode), string(target.Standalone), string(target.Cluster))

	switch {
	case len(t.Addrs) == 0:
		v.add(p+".addrs", "at least one address is required")
	case t.Mode == target.Standalone && len(t.Addrs) > 1:
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
		if t.Mode == target.Standalone && strings.HasPrefix(strings.ToLower(a), "clustercfg.") {
			v.add(ap, fmt.Sprintf("%s is an ElastiCache cluster configuration endpoint; set mode: cluster", quote(a)))
		}
	}

	if t.DB < 0 || t.DB > maxDB {
		v.add(p+".db", fmt.Sprintf("must be between 0 and %d, got %d", maxDB, t.DB))
	} else if t.Mode == target.Cluster && t.DB != 0 {
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
	if v.positive(p+".info_interval", t.InfoInterval) && t.InfoInterval < minInfoInterval {
		v.add(p+".info_interval", fmt.Sprintf("must be >= %v (each poll is a few INFO commands per node), got %s", minInfoInterval, describe(t.InfoInterval)))
	}
	v.price(p, t)
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

// names are the names of a list's elements, for the checks that refer to
// them by name.
type names struct {
	set  map[string]bool
	list string // the distinct names, as a message lists them
}

// newNames returns the names name(0) ... name(n-1), listed once each if
// distinct. The list shows at most limit of them (the most a config may
// have), so that a message that lists them does not grow with a list far
// over the limit.
func newNames(n int, name func(int) string, limit int, distinct bool) names {
	ns := names{set: map[string]bool{}}
	var shown []string
	listed := 0
	for i := range n {
		s := name(i)
		if distinct && ns.set[s] {
			continue
		}
		ns.set[s] = true
		if listed++; listed <= limit {
			shown = append(shown, s)
		}
	}
	ns.list = strings.Join(shown, ", ")
	if listed > limit {
		ns.list += fmt.Sprintf(", ... (%d in all)", listed)
	}
	return ns
}

// capped returns the first limit elements of l. Checks that pair elements
// (a workload with each target, a workload with each other) look only at
// that many: in a config over the limit the count is what to fix, and
// pairing every element with every other would take quadratic time and
// print as many problems.
func capped[T any](l []T, limit int) []T { return l[:min(len(l), limit)] }

// strs converts named strings for messages.
func strs[T ~string](l []T) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = string(s)
	}
	return out
}
