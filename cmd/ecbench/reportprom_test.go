package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/servertest"
)

// reportNow is the "now" of the time parser's tests.
var reportNow = time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)

func TestReportTime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"now", reportNow},
		{"now-6h", reportNow.Add(-6 * time.Hour)},
		{"now-2d", reportNow.Add(-48 * time.Hour)},
		{"now-1w", reportNow.Add(-7 * 24 * time.Hour)},
		{"now-1h30m", reportNow.Add(-90 * time.Minute)},
		{"now+15m", reportNow.Add(15 * time.Minute)},
		{"now-0", reportNow},
		{"2025-01-02T03:04:05Z", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2025-01-02T03:04:05.25+01:00", time.Date(2025, 1, 2, 2, 4, 5, 250e6, time.UTC)},
		{"1735786800", time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)},
		{"1735786800.5", time.Date(2025, 1, 2, 3, 0, 0, 500e6, time.UTC)},
		{"0", time.Unix(0, 0)},
	} {
		got, err := parseTime(tt.in, reportNow)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"", `want RFC 3339 (2025-01-02T15:04:05Z), unix seconds (1735830245), now, or now-DURATION (now-6h, now-2d, now-1h30m); got ""`},
		{"yesterday", `got "yesterday"`},
		{"now-6", `"now-6": the duration after now-: not a valid duration string: "6"; want e.g. now-6h, now-2d, now-1h30m`},
		{"now-", `the duration after now-`},
		{"now - 6h", `got "now - 6h"`},
		{"-6h", `got "-6h"`},
		{"2025-01-02 03:04:05", `got "2025-01-02 03:04:05"`},
		{"1e9", `got "1e9"`},
		{"999999999999", `"999999999999": outside 1970..9999`},
		{"1969-12-31T23:59:59Z", `"1969-12-31T23:59:59Z": outside 1970..9999`},
		{"now-100y", `"now-100y": outside 1970..9999`},
	} {
		if _, err := parseTime(tt.in, reportNow); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseTime(%q): error %v, want one with %q", tt.in, err, tt.want)
		}
	}
}

// FuzzReportTime: the time parser never panics, and what it accepts is a
// time RFC 3339 can write and read back.
func FuzzReportTime(f *testing.F) {
	for _, s := range []string{"now", "now-6h", "now+1d", "now-1h30m", "2025-01-02T03:04:05Z", "2025-01-02T03:04:05.123456789-07:00",
		"1735786800", "1735786800.123", "", "now-", "-1", "9999-12-31T23:59:59Z", "now-292y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s, reportNow)
		if err != nil {
			if !got.IsZero() {
				t.Errorf("parseTime(%q) failed (%v) but returned %v", s, err, got)
			}
			return
		}
		back, err := parseTime(got.Format(time.RFC3339Nano), reportNow)
		if err != nil || !back.Equal(got) {
			t.Errorf("parseTime(%q) = %v, which reads back as %v, %v", s, got, back, err)
		}
	})
}

// TestReportPrometheusBadInput: every wrong use of the Prometheus flags
// exits 2 with a message naming the flag and what it accepts, and writes
// nothing.
func TestReportPrometheusBadInput(t *testing.T) {
	t.Parallel()
	dir := writeReportResults(t, "one", e2etest.SyntheticRun(1.2, 0))
	out := filepath.Join(t.TempDir(), "report.html")
	prom := []string{"report", "-o", out, "--prometheus", "http://127.0.0.1:9090"}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"dirs and prometheus", append(slicesOf(prom, dir), "--from", "now-1h", "--to", "now"), "ecbench report: give results directories or --prometheus, not both"},
		{"no from", append(slicesOf(prom), "--to", "now"), "ecbench report: --from: required with --prometheus: RFC 3339 (2025-01-02T15:04:05Z), unix seconds (1735830245), now, or now-DURATION (now-6h, now-2d, now-1h30m)"},
		{"no to", append(slicesOf(prom), "--from", "now-1h"), "ecbench report: --to: required with --prometheus"},
		{"bad from", append(slicesOf(prom), "--from", "yesterday", "--to", "now"), `ecbench report: --from: want RFC 3339 (2025-01-02T15:04:05Z), unix seconds (1735830245), now, or now-DURATION (now-6h, now-2d, now-1h30m); got "yesterday"`},
		{"bad to", append(slicesOf(prom), "--from", "now-1h", "--to", "now-1x"), `ecbench report: --to: "now-1x": the duration after now-: unknown unit "x" in duration "1x"; want e.g. now-6h, now-2d, now-1h30m`},
		{"from after to", append(slicesOf(prom), "--from", "1735786800", "--to", "1735786000"),
			"ecbench report: --from must be before --to (by a second at least); got 2025-01-02T03:00:00Z and 2025-01-02T02:46:40Z"},
		{"from is to", append(slicesOf(prom), "--from", "now", "--to", "now"), "ecbench report: --from must be before --to"},
		{"bad step", append(slicesOf(prom), "--from", "now-1h", "--to", "now", "--step", "fast"), `ecbench report: --step: want a whole number of seconds, 1s or more (15s, 1m, 1h); got "fast"`},
		{"fractional step", append(slicesOf(prom), "--from", "now-1h", "--to", "now", "--step", "1500ms"), `ecbench report: --step: want a whole number of seconds, 1s or more (15s, 1m, 1h); got "1500ms"`},
		{"step too fine", append(slicesOf(prom), "--from", "now-1d", "--to", "now", "--step", "1s"),
			"ecbench report: --step: 1s gives 86401 points over the window; Prometheus allows 11000: use --step 8s or more"},
		{"bad url", []string{"report", "-o", out, "--prometheus", "localhost:9090", "--from", "now-1h", "--to", "now"},
			`ecbench report: --prometheus: want an http:// or https:// URL such as http://localhost:9090; got one with scheme "localhost" and host ""`},
		{"url with query", []string{"report", "-o", out, "--prometheus", "http://prom:9090/?x=1", "--from", "now-1h", "--to", "now"},
			"ecbench report: --prometheus: want the server's base URL, without ?query or #fragment, such as http://localhost:9090"},
		{"unparsable url keeps its secret", []string{"report", "-o", out, "--prometheus", "http://u:s3cr%t@prom:9090", "--from", "now-1h", "--to", "now"},
			"ecbench report: --prometheus: not a valid URL (check its characters and %-escapes); want one such as http://localhost:9090"},
		{"password env unset", append(slicesOf(prom), "--from", "now-1h", "--to", "now", "--prometheus-password-env", "ECBENCH_TEST_UNSET_PW_7f3a"),
			"ecbench report: --prometheus-password-env: $ECBENCH_TEST_UNSET_PW_7f3a is empty or not set"},
		{"password env without user", append(slicesOf(prom), "--from", "now-1h", "--to", "now", "--prometheus-password-env", "PATH"),
			"ecbench report: --prometheus-password-env: name the user in the URL: http://USER@host:9090"},
		{"bad timeout", append(slicesOf(prom), "--from", "now-1h", "--to", "now", "--timeout", "0s"), "ecbench report: --timeout: must be more than 0; got 0s"},
		{"from without prometheus", []string{"report", dir, "-o", out, "--from", "now-1h"}, "ecbench report: --from: only with --prometheus"},
		{"step without prometheus", []string{"report", dir, "-o", out, "--step", "1m"}, "ecbench report: --step: only with --prometheus"},
		{"negative max-ops", []string{"report", dir, "-o", out, "--max-ops", "-1"}, "ecbench report: --max-ops: must be 0 (every op) or more; got -1"},
		{"nothing to read", []string{"report", "-o", out}, "ecbench report: name at least one results directory (written by ecbench bench), or read Prometheus with --prometheus URL --from T --to T"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
			if strings.Contains(stderr.String(), "s3cr") {
				t.Errorf("stderr shows the URL's password:\n%s", stderr.String())
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written despite bad input", out)
			}
		})
	}
}

// slicesOf copies a and appends more, so that table rows never share an
// array.
func slicesOf(a []string, more ...string) []string {
	return append(append([]string(nil), a...), more...)
}

// TestReportPrometheusUnreachable: no Prometheus at the URL: exit 1 with
// the reason, no report and no temporary file left, and the password of
// the URL nowhere in the output.
func TestReportPrometheusUnreachable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	url := fmt.Sprintf("http://reporter:hunter2pw@127.0.0.1:%d", servertest.FreePort(t))
	var stdout, stderr bytes.Buffer
	code := run([]string{"report", "--prometheus", url, "--from", "now-1h", "--to", "now", "-o", out}, &stdout, &stderr)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	mustContain(t, "stderr", stderr.String(), "ecbench report: prometheus http://127.0.0.1:", ": query count_over_time(ecbench_build_info[4s]): ",
		"ecbench report: note: a password in the --prometheus URL is visible in the process list; prefer --prometheus-password-env")
	// Refused, as a rule; should another test's server have taken the
	// free port meanwhile, it is not Prometheus either.
	if !regexp.MustCompile(`connection refused|connection reset|EOF|404`).MatchString(stderr.String()) {
		t.Errorf("stderr does not say why:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), "hunter2pw") {
		t.Errorf("the password is in the output:\n%s%s", stdout.String(), stderr.String())
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("files left behind: %v", files)
	}
}
