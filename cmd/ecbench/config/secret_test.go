package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

const password = "pw-4f9c1e7b-never-print-me"

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, file, `
targets:
  - {name: redis, addrs: ["a:1"], username: bench, password_env: REDIS_PASSWORD}
workloads: [{name: kv}]
`)
	cfg := mustLoad(t, file, "REDIS_PASSWORD="+password)
	if got := cfg.Targets[0].Password.Reveal(); got != password {
		t.Fatalf("Reveal() = %q", got)
	}

	var outputs []string
	outputs = append(outputs, fmt.Sprintf("%v %+v %#v %s %q %x", cfg, cfg, cfg, cfg.Targets[0].Password,
		cfg.Targets[0].Password, cfg.Targets[0].Password))
	outputs = append(outputs, fmt.Sprint(*cfg, cfg.Targets, cfg.Targets[0]))
	for _, v := range []any{cfg, cfg.Redacted()} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
		b, err = yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "target", cfg.Targets[0], "password", cfg.Targets[0].Password)
	outputs = append(outputs, logged.String())
	outputs = append(outputs, fmt.Sprint(cfg.Redacted()))

	for _, out := range outputs {
		if strings.Contains(out, password) {
			t.Errorf("password printed in %s", out)
		}
	}
	if !strings.Contains(outputs[0], "[redacted]") {
		t.Errorf("a set password should show as [redacted]: %s", outputs[0])
	}
	if s := Secret("").String(); s != "" {
		t.Errorf("an empty secret should print empty, got %q", s)
	}
}

func TestSecretNotInErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	writeFile(t, pwFile, password+"\n")
	tests := []struct {
		name string
		yaml string
		env  []string
	}{
		{"inline password", `targets: [{name: r, addrs: ["a:1"], password: ` + password + `}]`, nil},
		{"password pasted into password_env", `targets: [{name: r, addrs: ["a:1"], password_env: "` + password + `"}]`, nil},
		{"password in an ECBENCH_ variable", `targets: [{name: r, addrs: ["a:1"]}]`, []string{"ECBENCH_TARGETS_0_PASSWORD=" + password}},
		{"resolved from env, with other problems", `targets: [{name: r, addrs: ["a:1"], password_env: P, db: 99}]`, []string{"P=" + password}},
		{"resolved from a file, with other problems", `targets: [{name: r, addrs: ["a:1"], password_file: "` + pwFile + `", db: 99}]`, nil},
		{"both sources", `targets: [{name: r, addrs: ["a:1"], password_env: P, password_file: "` + pwFile + `"}]`, []string{"P=" + password}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "c.yaml")
			writeFile(t, file, tt.yaml+"\nworkloads: [{name: kv}]\n")
			_, err := Load(file, nil, tt.env)
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), password[:10]) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
