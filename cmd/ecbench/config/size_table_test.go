package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/loadgen/keyspace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

const sizeTablesYAML = twoLocal + `workloads:
  - name: kv
    values: {sizes: {32: 70, 1024: 25, 65536: 5}}
  - name: hash
    type: hash
    elements: {count: 50, sizes: {0: 1, 16: 2.5, 1048576: 1}}
`

// TestSizeTables: a value and an element table load as written (sizes
// from YAML's integer keys, integer and fractional weights), take the
// place of size (no default 32 beside them), build their sampler, come
// back from ECBENCH_ overrides, and round-trip through Redacted.
func TestSizeTables(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, path, sizeTablesYAML)
	c := mustLoad(t, path)
	kv, hash := c.Workloads[0], c.Workloads[1]
	if want := (Values{Sizes: SizeWeights{"32": 70, "1024": 25, "65536": 5}}); !reflect.DeepEqual(kv.Values, want) {
		t.Errorf("kv values: %+v, want %+v", kv.Values, want)
	}
	if want := (Elements{Count: 50, Sizes: SizeWeights{"0": 1, "16": 2.5, "1048576": 1}}); !reflect.DeepEqual(hash.Elements, want) {
		t.Errorf("hash elements: %+v, want %+v", hash.Elements, want)
	}
	table, err := kv.Values.Sizes.Table()
	if err != nil {
		t.Fatal(err)
	}
	want := []keyspace.SizeWeight{{Size: 32, Weight: 0.7}, {Size: 1024, Weight: 0.25}, {Size: 65536, Weight: 0.05}}
	for i, e := range table.Entries() {
		if e.Size != want[i].Size || e.Weight-want[i].Weight > 1e-12 || want[i].Weight-e.Weight > 1e-12 {
			t.Errorf("entry %d: %+v, want %+v", i, e, want[i])
		}
	}
	if kv.Values.Sizes.Largest() != 65536 || hash.Elements.Sizes.Largest() != 1<<20 || (SizeWeights(nil)).Largest() != 0 {
		t.Error("Largest() is not the table's largest size")
	}
	if none, err := (SizeWeights{}).Table(); none != nil || err != nil {
		t.Errorf("an empty table gives %v, %v; want nil, nil", none, err)
	}

	// The budget charges the largest sizes: 64 KiB values, 1 MiB elements.
	if got := kv.sizes().MaxValue; got != 65536 {
		t.Errorf("kv sizes().MaxValue = %d, want 65536", got)
	}
	if got := workload.CommandBytes("hget", hash.sizes()); got != int64(len("f:00")+1<<20+workload.ItemOverhead) {
		t.Errorf("hget's command bytes = %d, want a field name and the largest element", got)
	}

	env := mustLoad(t, path, "ECBENCH_WORKLOADS_0_VALUES_SIZES_4096=1", "ECBENCH_WORKLOADS_1_ELEMENTS_SIZES_16=9")
	if env.Workloads[0].Values.Sizes["4096"] != 1 || len(env.Workloads[0].Values.Sizes) != 4 || env.Workloads[1].Elements.Sizes["16"] != 9 {
		t.Errorf("overrides: values %v, elements %v", env.Workloads[0].Values.Sizes, env.Workloads[1].Elements.Sizes)
	}

	b, err := yaml.Marshal(c.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "effective.yaml")
	if err := os.WriteFile(again, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, again); !reflect.DeepEqual(got, c) {
		t.Errorf("round trip differs:\n%s", b)
	}
}

// TestSizeTableBudgetMessage: a refused workload names its table's
// largest size as the field behind the figure.
func TestSizeTableBudgetMessage(t *testing.T) {
	t.Parallel()
	_, err, _ := loadYAML(t, twoLocal+`workloads: [{name: kv, values: {sizes: {32: 99, 536870912: 1}}, pipeline: 1000, max_inflight: 10}]`)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "(get: values.sizes up to 512 MiB × pipeline 1000 × max_inflight 10,") {
		t.Errorf("got %v, want the in-flight refusal naming values.sizes up to 512 MiB", err)
	}
}

// FuzzSizeTable loads workloads whose size tables are arbitrary YAML: it
// must never panic; a table that loads builds its sampler and stays
// within the field's bounds; every refusal has a path.
func FuzzSizeTable(f *testing.F) {
	f.Add("{32: 70, 1024: 30}", "{16: 1}")
	f.Add("{0: 1e-9, 536870912: 1e12}", "{1048576: 0.5}")
	f.Add("{-1: 1, abc: x, 1KiB: 2}", "[1, 2]")
	f.Add("{1.5: 1, 032: 1, '': 1}", "{~: 1}")
	f.Add("{9223372036854775808: 1}", "{1: .nan, 2: .inf}")
	f.Fuzz(func(t *testing.T, values, elements string) {
		path := filepath.Join(t.TempDir(), "c.yaml")
		doc := twoLocal + "workloads:\n  - name: kv\n    values: {sizes: " + values + "}\n" +
			"  - name: list\n    type: list\n    elements: {sizes: " + elements + "}\n"
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, nil, nil)
		var ve *ValidationError
		switch {
		case err == nil:
			for _, tc := range []struct {
				table SizeWeights
				max   int
			}{{cfg.Workloads[0].Values.Sizes, maxValueSize}, {cfg.Workloads[1].Elements.Sizes, maxElementSize}} {
				table, err := tc.table.Table()
				if err != nil {
					t.Fatalf("a table that loaded does not build: %v", err)
				}
				if table != nil && (table.Largest() > tc.max || table.Len() != len(tc.table)) {
					t.Fatalf("table %v: largest %d (max %d), %d sizes", tc.table, table.Largest(), tc.max, table.Len())
				}
			}
		case errors.As(err, &ve):
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
