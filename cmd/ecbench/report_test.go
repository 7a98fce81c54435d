package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/results"
)

// writeReportResults writes run as a results directory under t.TempDir.
func writeReportResults(t *testing.T, name string, run *results.Run) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := results.Write(dir, run); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportCommand(t *testing.T) {
	t.Parallel()
	one := writeReportResults(t, "one", e2etest.SyntheticRun(1.2, 0))
	two := writeReportResults(t, "two", e2etest.SyntheticRun(1.2, 0))
	for _, tt := range []struct {
		name   string
		args   func(out, charts string) []string
		want   []string // in the page
		charts int      // image files written
	}{
		{"one run", func(out, _ string) []string { return []string{"report", one, "-o", out} },
			[]string{"<b>kv</b>: valkey faster", "<th>valkey 8.0.1</th>", "<svg", "Throughput: kv (all ops)", `<figure id="forest" class="forest">`,
				"thresholds: none crossed (error_rate&lt;=1% (default), dropped&lt;=0.1% (default))"}, 0},
		{"merged", func(out, _ string) []string { return []string{"report", one, two, "--output", out} },
			[]string{"2 runs merged", "time, merged runs one after another"}, 0},
		{"threshold", func(out, _ string) []string {
			return []string{"report", one, "-o", out, "--threshold", "valkey.throughput>2000"}
		},
			[]string{`<li class="crossed">threshold crossed: valkey.throughput&gt;2000 (--threshold): kv/get valkey `}, 0},
		{"png charts", func(out, charts string) []string {
			return []string{"report", one, "-o", out, "--format", "png", "--charts-dir", charts}
		}, nil, 3}, // the forest plot, throughput, p99 ratio; no errors: in words; no histograms: no spectrum
		{"svg charts", func(out, charts string) []string {
			return []string{"report", one, "-o", out, "--format=svg", "--charts-dir", charts}
		}, nil, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			out, charts := filepath.Join(tmp, "report.html"), filepath.Join(tmp, "charts")
			var stdout, stderr bytes.Buffer
			if code := run(tt.args(out, charts), &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
			}
			page, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(page), "<!DOCTYPE html>") {
				t.Errorf("not an HTML page: %.100s", page)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(page), w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if !strings.Contains(stdout.String(), "wrote "+out) {
				t.Errorf("stdout %q", stdout.String())
			}
			files, _ := os.ReadDir(charts)
			if len(files) != tt.charts {
				t.Errorf("%d chart files, want %d", len(files), tt.charts)
			}
			leftovers, _ := filepath.Glob(filepath.Join(tmp, ".report.html.tmp*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

func TestReportCommandBadInput(t *testing.T) {
	t.Parallel()
	dir := writeReportResults(t, "one", e2etest.SyntheticRun(1.2, 0))
	out := filepath.Join(t.TempDir(), "report.html")
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no dir", []string{"report", "-o", out}, "ecbench report: name at least one results directory (written by ecbench bench)"},
		{"no -o", []string{"report", dir}, "ecbench report: -o: name the HTML file to write"},
		{"missing dir", []string{"report", missing, "-o", out}, "ecbench report: "},
		{"bad format", []string{"report", dir, "-o", out, "--format", "gif", "--charts-dir", out + ".d"}, `ecbench report: --format: must be png or svg; got "gif"`},
		{"format without dir", []string{"report", dir, "-o", out, "--format", "png"}, "ecbench report: --format and --charts-dir go together: give both or neither"},
		{"unknown flag", []string{"report", dir, "-o", out, "--bogus"}, "ecbench report: unknown flag: --bogus"},
		{"bad threshold", []string{"report", dir, "-o", out, "--threshold", "p99<<2ms"}, "ecbench report: --threshold: "},
		{"threshold on nothing", []string{"report", dir, "-o", out, "--threshold", "nope.get.p99<2ms"}, `ecbench report: threshold: --threshold: `},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written despite bad input", out)
			}
		})
	}
}
