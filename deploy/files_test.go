package deploy

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// The shapes of the Prometheus and Grafana files, as far as the tests read
// them. Decoding is lenient: promtool and Grafana own the full schemas.

type promConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func readPromConfig(t testing.TB, path string) promConfig {
	t.Helper()
	var c promConfig
	if err := yaml.Unmarshal(readFile(t, path), &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string `yaml:"record"`
			Alert  string `yaml:"alert"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readRules(t testing.TB, path string) ruleFile {
	t.Helper()
	var r ruleFile
	if err := yaml.Unmarshal(readFile(t, path), &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

type datasourcesFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string         `yaml:"name"`
		Type      string         `yaml:"type"`
		UID       string         `yaml:"uid"`
		Access    string         `yaml:"access"`
		URL       string         `yaml:"url"`
		IsDefault bool           `yaml:"isDefault"`
		JSONData  map[string]any `yaml:"jsonData"`
	} `yaml:"datasources"`
}

func readDatasources(t testing.TB) datasourcesFile {
	t.Helper()
	var d datasourcesFile
	path := repoPath(t, "deploy", "grafana", "provisioning", "datasources", "datasources.yaml")
	if err := yaml.Unmarshal(readFile(t, path), &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

type providersFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name           string `yaml:"name"`
		Type           string `yaml:"type"`
		AllowUIUpdates bool   `yaml:"allowUiUpdates"`
		Options        struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

func readProviders(t testing.TB) providersFile {
	t.Helper()
	var p providersFile
	path := repoPath(t, "deploy", "grafana", "provisioning", "dashboards", "dashboards.yaml")
	if err := yaml.Unmarshal(readFile(t, path), &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}
