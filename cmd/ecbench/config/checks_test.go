package config

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"1GiB", 1 << 30, nil},
		{"512MiB", 512 << 20, nil},
		{"512 MiB", 512 << 20, nil},
		{"512mib", 512 << 20, nil},
		{"1.5KiB", 1536, nil},
		{"0.5GiB", 512 << 20, nil},
		{"1.50KiB", 1536, nil},
		{"2TiB", 2 << 40, nil},
		{"1GB", 1e9, nil},
		{"1kB", 1000, nil},
		{"1.5MB", 1_500_000, nil},
		{"64B", 64, nil},
		{"1073741824", 1 << 30, nil},
		{" 1GiB ", 1 << 30, nil},
		{"0", 0, nil},
		{".5KiB", 512, nil},
		{"8388607TiB", 8388607 << 40, nil},
		{"9223372036854775807", math.MaxInt64, nil},
		{"1.5B", 0, errSizeWhole},
		{"1.0001KiB", 0, errSizeWhole},
		{"8388608TiB", 0, errSizeRange},
		{"9223372036854775808", 0, errSizeRange},
		{"99999999999999999999", 0, errSizeRange},
		{"", 0, errSizeSyntax},
		{"GiB", 0, errSizeSyntax},
		{"1 GiBs", 0, errSizeSyntax},
		{"1G", 0, errSizeSyntax},
		{"-1GiB", 0, errSizeSyntax},
		{"1.", 0, errSizeSyntax},
		{"1.2.3", 0, errSizeSyntax},
		{"1e9", 0, errSizeSyntax},
		{"12 parsecs", 0, errSizeSyntax},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if got != tt.want || err != tt.err {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// FuzzParseSize: parseSize never panics; what it accepts is a size >= 0,
// and a Size writes itself back as text that parses to the same size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1GiB", "512 MiB", "1.5KiB", "0.5gb", "1073741824", "1.5B", "8388608TiB", ".", "1..5", "9e99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("parseSize(%q) = %d with error %v", s, n, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d < 0", s, n)
		}
		back, err := parseSize(Size(n).String())
		if err != nil || back != n {
			t.Fatalf("Size(%d).String() = %q parses to %d, %v", n, Size(n).String(), back, err)
		}
	})
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, limit int64 // limit < 0: formatBytes
		want     string
	}{
		{0, -1, "0 bytes"},
		{1023, -1, "1023 bytes"},
		{1024, -1, "1 KiB"},
		{10_752, -1, "10.5 KiB"},
		{512 << 20, -1, "512 MiB"},
		{5_368_709_440_000, -1, "4.9 TiB"},
		{1 << 62, -1, "4 EiB"},
		{1<<30 + 1<<20, -1, "1.0 GiB"},
		{1<<30 + 1<<20, 1 << 30, "1.001 GiB"}, // over 1 GiB must not read as 1.0
		{2<<30 + 1<<10, 2 << 30, "2.000 GiB"}, // three decimals at most
		{1<<30 + 100<<20, 1 << 30, "1.1 GiB"}, // one is enough
		{8<<30 - 1<<20, -1, "8.0 GiB"},
	}
	for _, tt := range tests {
		if got := formatAbove(tt.n, tt.limit); got != tt.want {
			t.Errorf("formatAbove(%d, %d) = %q, want %q", tt.n, tt.limit, got, tt.want)
		}
	}
}

// TestEarlyChecks: what run used to find only once it started, or never,
// check finds first: a state_dir it cannot write, intervals of
// nanoseconds, two phases of one name.
func TestEarlyChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	integrity := func(stateDir string) string {
		return "probes: {integrity: {enabled: true, state_dir: " + strconv.Quote(stateDir) + "}}"
	}
	tests := []struct {
		name string
		yaml string // after a valid target and workload
		want string // the whole error; "" for none
	}{
		{"a state_dir that exists", integrity(dir), ""},
		{"a missing state_dir", integrity(missing), `probes.integrity.state_dir: directory "` + missing + `" does not exist`},
		{"a state_dir that is a file", integrity(file), `probes.integrity.state_dir: "` + file + `" is not a directory`},
		{"a missing state_dir of a disabled probe", "probes: {integrity: {state_dir: " + strconv.Quote(missing) + "}}", ""},
		{"intervals of a nanosecond", "probes: {availability: {interval: 1ns}, integrity: {interval: 999us}}\nfailover: {poll_interval: 1ns}\ncloudwatch: {discovery_interval: 1ns}",
			"cloudwatch.discovery_interval: must be >= 1ms, got \"1ns\"\n" +
				"failover.poll_interval: must be >= 1ms, got \"1ns\"\n" +
				"probes.availability.interval: must be >= 1ms, got \"1ns\"\n" +
				"probes.integrity.interval: must be >= 1ms, got \"999µs\""},
		{"intervals of a millisecond", "probes: {availability: {interval: 1ms}}\nfailover: {poll_interval: 1ms}\ncloudwatch: {discovery_interval: 1ms}", ""},
		{"two phases of one name", "scenario: {phases: [{name: base, duration: 1m}, {name: peak, duration: 1m}, {name: base, duration: 1m}]}",
			`scenario.phases[2].name: duplicate name "base" (also scenario.phases[0])`},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct{ name, yaml, want string }{"a read-only state_dir", integrity(readOnly),
			`probes.integrity.state_dir: cannot write in directory "` + readOnly + `": permission denied`})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err, _ := loadYAML(t, "targets: [{name: redis, addrs: ['127.0.0.1:6379']}]\nworkloads: [{name: kv}]\n"+tt.yaml+"\n")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("got\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".ecbench") {
			t.Errorf("the write check left %s behind", e.Name())
		}
	}
}

func TestWritableDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nested := filepath.Join(dir, "a", "b")
	if err := WritableDir(nested, false); err == nil {
		t.Errorf("WritableDir(%s, false) of a missing directory: no error", nested)
	}
	if err := WritableDir(nested, true); err != nil {
		t.Errorf("WritableDir(%s, true): %v, want it made", nested, err)
	}
	if info, err := os.Stat(nested); err != nil || !info.IsDir() {
		t.Errorf("%s not made: %v", nested, err)
	}
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WritableDir(filepath.Join(file, "sub"), true); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("WritableDir under a file: %v, want it cannot be made", err)
	}
}
