package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/servertest"
)

// TestPlanSizeTables: a config's size tables reach the workloads the plan
// builds: a kv preload writes values of exactly the table's sizes, in
// about its shares, and a hash preload elements of the element table's.
func TestPlanSizeTables(t *testing.T) {
	t.Parallel()
	vs := servertest.Start(t, servertest.Valkey)
	cfg, err := config.Load(e2etest.WriteConfig(t, fmt.Sprintf(`
targets: [{name: valkey, addrs: [%q]}]
workloads:
  - {name: kv, keys: {count: 2000}, values: {sizes: {32: 3, 1024: 1}}, ops: {get: 1}, rate: {type: constant, rate: 10}}
  - {name: h, type: hash, keys: {count: 50}, elements: {count: 20, sizes: {16: 1, 256: 1}}, ops: {hget: 1}, rate: {type: constant, rate: 10}}
`, vs.Addr)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(cfg, testLogger(&syncBuffer{}), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range cfg.Workloads {
		if err := p.preload(ctx, i, p.targetsOf(i)); err != nil {
			t.Fatal(err)
		}
	}
	c := vs.Client()
	sizes := map[int64]int{}
	for i := range 2000 {
		n, err := c.StrLen(ctx, fmt.Sprintf("ecbench:kv:%d", i)).Result()
		if err != nil {
			t.Fatal(err)
		}
		sizes[n]++
	}
	if len(sizes) != 2 || sizes[32]+sizes[1024] != 2000 || sizes[32] < 1350 || sizes[32] > 1650 {
		t.Errorf("value sizes %v, want 32 and 1024 bytes in about 3:1 (1,500 and 500)", sizes)
	}
	elements := map[int]int{}
	vals, err := c.HGetAll(ctx, "ecbench:h:0").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		elements[len(v)]++
	}
	if len(vals) != 20 || len(elements) != 2 || elements[16] == 0 || elements[256] == 0 {
		t.Errorf("hash of %d fields, element sizes %v; want 20 fields of 16 and 256 bytes", len(vals), elements)
	}
}
