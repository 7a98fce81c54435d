package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIntegritySweepRate: probes.integrity.sweep_rate is checked against
// its range and against the writes it has to keep up with.
func TestIntegritySweepRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		integrity string // the probes.integrity mapping
		want      string // the whole error; "" for none
	}{
		{"{}", ""},
		{"{sweep_rate: 10.5}", ""},
		{"{sweep_rate: 0}", "probes.integrity.sweep_rate: must be > 0 and <= 1000000 (writes read again per second), got 0"},
		{"{sweep_rate: -1}", "probes.integrity.sweep_rate: must be > 0 and <= 1000000 (writes read again per second), got -1"},
		{"{sweep_rate: 1e7}", "probes.integrity.sweep_rate: must be > 0 and <= 1000000 (writes read again per second), got 10000000"},
		{"{sweep_rate: 10}", "probes.integrity.sweep_rate: must be > sample/interval = 10 (the checked writes per second), got 10"},
		{"{sweep_rate: 10, sample: 0.5}", ""},
		{"{interval: 1ms, keys: 20000}", "probes.integrity.sweep_rate: must be > sample/interval = 1000 (the checked writes per second), got 1000"},
	}
	dir := t.TempDir()
	for j, tt := range tests {
		path := filepath.Join(dir, "c"+string(rune('a'+j))+".yaml")
		yaml := "targets: [{name: redis, addrs: ['127.0.0.1:6379']}]\nworkloads: [{name: kv}]\nprobes: {integrity: " + tt.integrity + "}\n"
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, nil, nil)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", tt.integrity, err)
		case tt.want == "" && cfg.Probes.Integrity.SweepRate <= 0:
			t.Errorf("%s: sweep_rate %v", tt.integrity, cfg.Probes.Integrity.SweepRate)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%s:\n got %v\nwant %s", tt.integrity, err, tt.want)
		}
	}
}
