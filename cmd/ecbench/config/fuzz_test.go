package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary YAML to Load. It must never panic, and every error
// must be a file or YAML error, or a *ValidationError whose every problem has
// a path.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	examples, _ := filepath.Glob(examplesDir + "/*.yaml")
	for _, s := range append(seeds, examples...) {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("targets: [{name: a, addrs: ['a:1']}]\nworkloads: [{name: w, rate: {type: steps, steps: [{}, 1, null]}}]"))
	f.Add([]byte("- 1\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("? [1, 2]\n: x\n"))
	f.Add([]byte("1: 2\ntrue: 3\n~: 4\n"))
	f.Add([]byte("Listen: ':1'\nlisten: ':2'\n"))
	f.Add([]byte(base + "---\n" + base))
	f.Add([]byte(base + "<<: {listen: ':1'}\nw: &w {name: w}\nscenario: {phases: [{name: p, duration: 1s, workloads: {kv: {rate: {}}}}]}\n"))
	// Deep nesting, as mappings and lists, under known and unknown keys.
	f.Add([]byte(base + "a: " + nestedMaps(10_000)))
	f.Add([]byte(base + "probes: " + nestedMaps(10_000)))
	f.Add([]byte("targets: " + nestedLists(10_000) + "\nworkloads: [{name: kv, keys: " + nestedMaps(5_000) + "}]"))
	f.Add([]byte(base + "a: " + nestedLists(10_001)))
	f.Add([]byte(base + blockMaps("a", 50_000)))
	// Sizes and the budget.
	f.Add([]byte(base + "limits: {max_memory: 1.5GiB, max_inflight_bytes: 512 MiB}\n"))
	f.Add([]byte("targets: [{name: a, addrs: ['a:1']}]\nworkloads: [{name: w, values: {size: 536870912}, pipeline: 1000}]\nlimits: {max_memory: 1e12}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, nil, []string{"REDIS_PASSWORD=x", "ECBENCH_WORKLOADS_0_SEED=7"})
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without an error")
			}
			_ = cfg.Redacted()
			return
		}
		var ve *ValidationError
		switch {
		case errors.As(err, &ve):
			if len(ve.Problems) == 0 {
				t.Fatal("a *ValidationError without problems")
			}
			for _, p := range ve.Problems {
				if p.Path == "" || p.Msg == "" {
					t.Fatalf("problem without path or message: %+v", p)
				}
			}
		case errors.Is(err, ErrRead), errors.Is(err, ErrSyntax):
		default:
			t.Fatalf("error of unexpected kind: %v", err)
		}
	})
}
