package workload

import (
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/keyspace"
)

// TestNamesOfSeveralSizes checks member names padded to sizes drawn from a
// table: the table's slices and the names built as drawn are the same
// names, distinct, each of its drawn size (at least its prefix and
// digits), and the same in every universe built from the table.
func TestNamesOfSeveralSizes(t *testing.T) {
	t.Parallel()
	table, err := keyspace.NewSizeTable([]keyspace.SizeWeight{{Size: 1, Weight: 1}, {Size: 40, Weight: 1}, {Size: 900, Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	const count = 500
	a := newNames("m:", count, 0, table)
	b := newNames("m:", count, 0, table)
	if a.table == "" || a.offsets == nil {
		t.Fatal("500 names of at most 900 bytes should fit the name table")
	}
	seen := map[string]bool{}
	sizes := map[int]int{}
	for i := range count {
		name := a.name(i)
		built := string(a.append(nil, i))
		if name != built || name != b.name(i) {
			t.Fatalf("name %d: table %q, built %q, other universe %q", i, name, built, b.name(i))
		}
		if !strings.HasPrefix(name, "m:") || seen[name] {
			t.Fatalf("name %d = %q: not a distinct member name", i, name)
		}
		seen[name] = true
		if want := max(memberSize(table, i), len("m:000")); len(name) != want {
			t.Fatalf("name %d is %d bytes, want %d", i, len(name), want)
		}
		sizes[len(name)]++
	}
	for _, size := range []int{5, 40, 900} {
		if d := sizes[size] - count/3; d < -2 || d > 2 {
			t.Errorf("%d of %d names are %d bytes, want a third within 2: %v", sizes[size], count, size, sizes)
		}
	}
}

// TestMemberSizeShares: the members of a universe of any size have the
// table's shares within two members, where random draws would be off by
// their binomial noise (±7 of 50).
func TestMemberSizeShares(t *testing.T) {
	t.Parallel()
	table, err := keyspace.NewSizeTable([]keyspace.SizeWeight{{Size: 4, Weight: 1}, {Size: 100, Weight: 1}, {Size: 300, Weight: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, count := range []int{4, 10, 50, 101, 1000, 100_000} {
		got := map[int]int{}
		for i := range count {
			got[memberSize(table, i)]++
		}
		for size, share := range map[int]float64{4: 0.25, 100: 0.25, 300: 0.5} {
			if d := float64(got[size]) - share*float64(count); d < -2 || d > 2 {
				t.Errorf("%d members: %d of %d bytes, want %.1f within 2", count, got[size], size, share*float64(count))
			}
		}
	}
}
