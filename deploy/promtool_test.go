package deploy

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/internal/promtest"
)

// TestPromtool runs promtool on the Prometheus config (which checks the rule
// files it names too), on every rule file, and on the rules' unit tests.
func TestPromtool(t *testing.T) {
	t.Parallel()
	promtool := promtest.Tool(t, "promtool")
	dir := repoPath(t, "deploy", "prometheus")
	rules, err := filepath.Glob(filepath.Join(dir, "rules", "*.rules.yml"))
	if err != nil || len(rules) == 0 {
		t.Fatalf("no rule files in %s/rules: %v", dir, err)
	}
	tests, err := filepath.Glob(filepath.Join(dir, "tests", "*.test.yml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule tests in %s/tests: %v", dir, err)
	}
	runs := []struct {
		name string
		args []string
		want string // in promtool's output
	}{
		{"check config", []string{"check", "config", "prometheus.yml"}, "SUCCESS"},
		{"check rules", append([]string{"check", "rules"}, rules...), "SUCCESS"},
		{"test rules", append([]string{"test", "rules"}, tests...), "SUCCESS"},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(promtool, r.args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(r.args, " "), err, out)
			}
			if !strings.Contains(string(out), r.want) {
				t.Fatalf("promtool %s: no %q in\n%s", strings.Join(r.args, " "), r.want, out)
			}
		})
	}
	// The config names the rule files by a glob relative to itself: make
	// sure it matches every one of them, so the stack loads them all.
	out, err := exec.Command(promtool, "check", "config", filepath.Join(dir, "prometheus.yml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	for _, r := range rules {
		if !strings.Contains(string(out), "Checking "+r) {
			t.Errorf("prometheus.yml does not load %s:\n%s", r, out)
		}
	}
}

// TestRuleTestsCoverRules requires the promtool unit tests to exercise every
// rule: each recording rule in an expression test, and each alert firing in
// an alert test.
func TestRuleTestsCoverRules(t *testing.T) {
	t.Parallel()
	type unitTests struct {
		Tests []struct {
			PromQL []struct {
				Expr string `yaml:"expr"`
			} `yaml:"promql_expr_test"`
			Alerts []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	exprs, firing := map[string]bool{}, map[string]bool{}
	files, _ := filepath.Glob(repoPath(t, "deploy", "prometheus", "tests", "*.test.yml"))
	for _, f := range files {
		var u unitTests
		if err := yaml.Unmarshal(readFile(t, f), &u); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range u.Tests {
			for _, e := range tc.PromQL {
				for _, id := range promIdent.FindAllString(stripStrings(e.Expr), -1) {
					exprs[id] = true
				}
			}
			for _, a := range tc.Alerts {
				if len(a.ExpAlerts) > 0 {
					firing[a.Alertname] = true
				}
			}
		}
	}
	for _, f := range ruleFiles(t) {
		for _, g := range readRules(t, f).Groups {
			for _, r := range g.Rules {
				if r.Record != "" && !exprs[r.Record] {
					t.Errorf("recording rule %s has no promql_expr_test", r.Record)
				}
				if r.Alert != "" && !firing[r.Alert] {
					t.Errorf("alert %s is never expected to fire in an alert_rule_test", r.Alert)
				}
			}
		}
	}
}
