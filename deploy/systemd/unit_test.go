package systemd

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/proctest"
)

const unitFile = "ecbench.service"

// unit is a parsed unit file: section, then key, then every value given to
// the key in order (a key may be repeated).
type unit map[string]map[string][]string

func (u unit) values(section, key string) []string { return u[section][key] }

// value is the last value of key, as systemd reads most settings.
func (u unit) value(section, key string) (string, bool) {
	vs := u[section][key]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

func parseUnit(t *testing.T, data []byte) unit {
	t.Helper()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", unitFile, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

func readUnit(t *testing.T) ([]byte, unit) {
	t.Helper()
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	return data, parseUnit(t, data)
}

// systemdAnalyze runs systemd-analyze with args. It needs no running systemd:
// verify, security --offline and syscall-filter read unit files and their own
// tables only.
func systemdAnalyze(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return proctest.Run(t, "", "systemd-analyze", args...)
}

// checkableCopy writes the unit to a temporary directory with ExecStart's
// binary replaced by /bin/true: verify refuses a unit whose binary does not
// exist, and /usr/local/bin/ecbench is not installed where tests run.
func checkableCopy(t *testing.T, data []byte) string {
	t.Helper()
	const bin = "/usr/local/bin/ecbench "
	if !bytes.Contains(data, []byte("\nExecStart="+bin)) {
		t.Fatalf("ExecStart does not start %s", bin)
	}
	path := filepath.Join(t.TempDir(), unitFile)
	fixed := bytes.Replace(data, []byte("\nExecStart="+bin), []byte("\nExecStart=/bin/true "), 1)
	if err := os.WriteFile(path, fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVerify runs systemd-analyze verify, which checks every directive's
// name and syntax. It exits 0 even for unknown keys and bad values, which it
// only prints, so any output at all is a failure.
func TestVerify(t *testing.T) {
	t.Parallel()
	data, _ := readUnit(t)
	out, err := systemdAnalyze(t, "verify", checkableCopy(t, data))
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSecurityExposure asks systemd-analyze for the unit's exposure score
// (0 is locked down, 10 is fully exposed) and keeps it in the "OK" band.
func TestSecurityExposure(t *testing.T) {
	t.Parallel()
	data, _ := readUnit(t)
	out, err := systemdAnalyze(t, "security", "--offline=true", "--no-pager", checkableCopy(t, data))
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	if score > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0:\n%s", score, out)
	}
}

func TestDirectives(t *testing.T) {
	t.Parallel()
	_, u := readUnit(t)
	for _, tc := range []struct{ section, key, want string }{
		{"Service", "Type", "notify"},
		{"Service", "NotifyAccess", "main"},
		{"Service", "ExecStart", "/usr/local/bin/ecbench run --config /etc/ecbench/ecbench.yaml"},
		{"Service", "Restart", "on-failure"},
		{"Service", "RestartPreventExitStatus", "2"},
		{"Service", "TimeoutStartSec", "infinity"},
		{"Service", "DynamicUser", "yes"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "PrivateDevices", "yes"},
		{"Service", "CapabilityBoundingSet", ""},
		{"Service", "AmbientCapabilities", ""},
		{"Service", "SystemCallArchitectures", "native"},
		{"Service", "SystemCallErrorNumber", "EPERM"},
		{"Service", "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
		{"Service", "MemoryDenyWriteExecute", "yes"},
		{"Service", "EnvironmentFile", "-/etc/ecbench/ecbench.env"},
		{"Unit", "After", "network-online.target"},
		{"Unit", "Wants", "network-online.target"},
		{"Install", "WantedBy", "multi-user.target"},
	} {
		got, ok := u.value(tc.section, tc.key)
		if !ok || got != tc.want {
			t.Errorf("[%s] %s=%q (set: %t), want %q", tc.section, tc.key, got, ok, tc.want)
		}
	}
	if got := u.values("Service", "User"); len(got) != 0 {
		t.Errorf("User=%q beside DynamicUser=yes", got)
	}
	if got := u.values("Service", "SystemCallFilter"); !slices.Equal(got, []string{"@system-service", "~@privileged @resources"}) {
		t.Errorf("SystemCallFilter=%q", got)
	}
}

func TestLimitsAndTimeouts(t *testing.T) {
	t.Parallel()
	_, u := readUnit(t)
	nofile, _ := u.value("Service", "LimitNOFILE")
	if n, err := strconv.Atoi(nofile); err != nil || n < 65536 {
		t.Errorf("LimitNOFILE=%q, want a number >= 65536 for the connection pools", nofile)
	}
	// ecbench stops within 5 s of SIGTERM: the stop timeout must leave it
	// that long, and not much more before SIGKILL.
	stop := duration(t, u, "TimeoutStopSec")
	if stop <= 5*time.Second || stop > 30*time.Second {
		t.Errorf("TimeoutStopSec=%v, want just above 5s", stop)
	}
	// ecbench pings at half the watchdog interval; too short an interval
	// turns a GC pause on a loaded generator into a restart.
	if w := duration(t, u, "WatchdogSec"); w < 10*time.Second || w > 5*time.Minute {
		t.Errorf("WatchdogSec=%v, want between 10s and 5m", w)
	}
	if r := duration(t, u, "RestartSec"); r < time.Second {
		t.Errorf("RestartSec=%v, want at least 1s", r)
	}
}

// duration reads a time span written the way the unit writes them: a number
// with a Go-compatible unit.
func duration(t *testing.T, u unit, key string) time.Duration {
	t.Helper()
	v, _ := u.value("Service", key)
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Errorf("%s=%q: %v", key, v, err)
	}
	return d
}

// TestCredentials checks the secrets path: every credential is loaded from
// /etc/ecbench/credentials under its own name (so the config's password_file
// is /run/credentials/ecbench.service/NAME) and has a default, so a missing
// file does not stop the unit.
func TestCredentials(t *testing.T) {
	t.Parallel()
	_, u := readUnit(t)
	loads := u.values("Service", "LoadCredential")
	if len(loads) == 0 {
		t.Fatal("no LoadCredential=")
	}
	defaults := map[string]bool{}
	for _, s := range u.values("Service", "SetCredential") {
		id, _, _ := strings.Cut(s, ":")
		defaults[id] = true
	}
	for _, l := range loads {
		id, path, ok := strings.Cut(l, ":")
		if !ok || path != "/etc/ecbench/credentials/"+id {
			t.Errorf("LoadCredential=%s: want ID:/etc/ecbench/credentials/ID", l)
		}
		if !defaults[id] {
			t.Errorf("LoadCredential=%s has no SetCredential=%s: default; a missing file would stop the unit", l, id)
		}
	}
	for _, id := range []string{"redis-password", "valkey-password"} {
		if !slices.Contains(loads, id+":/etc/ecbench/credentials/"+id) {
			t.Errorf("no LoadCredential for %s", id)
		}
	}
}

// TestSyscallFilterAllowsGo expands the unit's system call filter with
// systemd-analyze's own group lists and checks that what the Go runtime and
// its network poller use is allowed. A blocked call fails with EPERM rather
// than killing the process, but Go reads, for example, a failed
// sched_getaffinity as "one CPU" and would run on GOMAXPROCS=1 without a word.
func TestSyscallFilterAllowsGo(t *testing.T) {
	t.Parallel()
	out, err := systemdAnalyze(t, "syscall-filter", "--no-pager")
	if err != nil {
		t.Fatalf("systemd-analyze syscall-filter: %v\n%s", err, out)
	}
	groups := parseSyscallGroups(out)
	_, u := readUnit(t)
	allowed := map[string]bool{}
	for _, f := range u.values("Service", "SystemCallFilter") {
		deny := strings.HasPrefix(f, "~")
		for _, name := range strings.Fields(strings.TrimPrefix(f, "~")) {
			for _, call := range expand(t, groups, name) {
				allowed[call] = !deny
			}
		}
	}
	goNeeds := []string{
		// runtime: threads, memory, signals, timers, scheduling
		"clone", "clone3", "futex", "mmap", "munmap", "madvise", "mprotect",
		"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
		"gettid", "getpid", "tgkill", "sched_yield", "sched_getaffinity",
		"nanosleep", "clock_gettime", "getrandom", "prlimit64", "exit_group",
		// netpoller and sockets
		"epoll_create1", "epoll_ctl", "epoll_pwait", "eventfd2", "pipe2",
		"socket", "connect", "bind", "listen", "accept4", "setsockopt",
		"getsockopt", "getsockname", "getpeername", "sendto", "recvfrom",
		"sendmsg", "recvmsg", "shutdown",
		// files: config, credentials, /proc/self for the process collector
		"openat", "read", "write", "close", "fstat", "newfstatat", "fcntl",
		"readlinkat", "uname",
	}
	for _, call := range goNeeds {
		if !allowed[call] {
			t.Errorf("the filter blocks %s, which Go uses", call)
		}
	}
	for _, call := range []string{"setuid", "mount", "reboot", "kexec_load", "bpf", "setrlimit"} {
		if allowed[call] {
			t.Errorf("the filter allows %s", call)
		}
	}
}

// parseSyscallGroups reads `systemd-analyze syscall-filter`: a line "@name"
// starts a group, and indented lines (but comments) are its members, which
// are system calls or other groups.
func parseSyscallGroups(out string) map[string][]string {
	groups := map[string][]string{}
	group := ""
	for _, line := range strings.Split(out, "\n") {
		switch trimmed := strings.TrimSpace(line); {
		case strings.HasPrefix(line, "@"):
			group = trimmed
		case group != "" && trimmed != "" && !strings.HasPrefix(trimmed, "#") && line != trimmed:
			groups[group] = append(groups[group], trimmed)
		}
	}
	return groups
}

func expand(t *testing.T, groups map[string][]string, name string) []string {
	t.Helper()
	if !strings.HasPrefix(name, "@") {
		return []string{name}
	}
	members, ok := groups[name]
	if !ok {
		t.Fatalf("systemd-analyze knows no group %s", name)
	}
	var calls []string
	for _, m := range members {
		calls = append(calls, expand(t, groups, m)...)
	}
	return calls
}
