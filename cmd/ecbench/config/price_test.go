package config

import (
	"path/filepath"
	"testing"
)

// TestPrice: a target's price and currency load from the file and from
// ECBENCH_ overrides, and show in the redacted configuration; a target
// without one has price 0, no price.
func TestPrice(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ecbench.yaml")
	writeFile(t, path, `
targets:
  - {name: redis, addrs: [127.0.0.1:6379], price_per_hour: 0.2195, currency: USD}
  - {name: valkey, addrs: [127.0.0.1:6380]}
workloads:
  - name: kv
`)
	for _, tt := range []struct {
		name  string
		env   []string
		price [2]float64
		cur   [2]string
	}{
		{"file", nil, [2]float64{0.2195, 0}, [2]string{"USD", ""}},
		{"environment", []string{"ECBENCH_TARGETS_1_PRICE_PER_HOUR=0.1756", "ECBENCH_TARGETS_1_CURRENCY=USD", "ECBENCH_TARGETS_0_PRICE_PER_HOUR=1"},
			[2]float64{1, 0.1756}, [2]string{"USD", "USD"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustLoad(t, path, tt.env...)
			for i, tg := range c.Targets {
				if tg.PricePerHour != tt.price[i] || tg.Currency != tt.cur[i] {
					t.Errorf("target %d: price %v %q, want %v %q", i, tg.PricePerHour, tg.Currency, tt.price[i], tt.cur[i])
				}
			}
			red := c.Redacted()["targets"].([]any)[0].(map[string]any)
			if red["price_per_hour"] != tt.price[0] || red["currency"] != tt.cur[0] {
				t.Errorf("redacted target 0: %v", red)
			}
		})
	}
}
