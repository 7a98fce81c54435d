package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A config file of any nesting depth and size is read, or rejected with a
// clear error, at once: reading it takes linear time (BenchmarkLoadDeep
// measures how long).

// base is a valid config that the generated inputs below add to.
const base = "targets: [{name: redis, addrs: ['127.0.0.1:6379']}]\nworkloads: [{name: kv}]\n"

func nestedMaps(depth int) string {
	return strings.Repeat("{b: ", depth) + "1" + strings.Repeat("}", depth)
}

func nestedLists(depth int) string {
	return strings.Repeat("[", depth) + "1" + strings.Repeat("]", depth)
}

// blockMaps is depth mappings nested by indentation, the deepest block
// style that fits in about n bytes.
func blockMaps(key string, n int) string {
	var b strings.Builder
	for i := 0; b.Len()+i < n; i++ {
		b.WriteString(strings.Repeat(" ", i) + key + ":\n")
		key = "b"
	}
	return b.String()
}

// repeatUntil repeats line (with %d for a counter) to at most n bytes.
func repeatUntil(n int, line string) string {
	var b strings.Builder
	for i := 0; ; i++ {
		next := fmt.Sprintf(line, i)
		if b.Len()+len(next) > n {
			return b.String()
		}
		b.WriteString(next)
	}
}

const allowedTop = "bench, cloudwatch, failover, limits, listen, log, probes, scenario, shutdown_timeout, summary_interval, targets, workloads"

// sizeCases are inputs that reach the limits of depth and size, each with
// the error it must get: the whole text of a *ValidationError, or the end of
// a file error's text (after the file name) and its sentinel.
var sizeCases = []struct {
	name    string
	yaml    func() string
	is      error  // ErrRead or ErrSyntax; nil for a *ValidationError or none
	want    string // "" for no error
	wantAny bool   // a *ValidationError, whatever its problems
}{
	{"mappings 10000 deep under an unknown key", func() string { return base + "a: " + nestedMaps(10_000) }, nil,
		"a: unknown key; allowed: " + allowedTop, false},
	{"mappings 10000 deep under a known key", func() string { return base + "probes: " + nestedMaps(10_000) }, nil,
		"probes.b: unknown key; allowed: availability, integrity", false},
	{"mappings 10000 deep for a string", func() string { return base + "listen: " + nestedMaps(10_000) }, nil,
		"listen: must be a string, got a mapping", false},
	{"mappings 10000 deep in a list element", func() string {
		return "targets: [{name: redis, addrs: ['a:1'], tls: " + nestedMaps(9_998) + "}]\nworkloads: [{name: kv}]\n"
	}, nil, "targets[0].tls.b: unknown key; allowed: ca_file, enabled, insecure_skip_verify, server_name", false},
	{"lists 10000 deep under an unknown key", func() string { return base + "a: " + nestedLists(10_000) }, nil,
		"a: unknown key; allowed: " + allowedTop, false},
	{"lists 10000 deep under a known key", func() string { return base + "cloudwatch: {metrics: " + nestedLists(9_999) + "}" }, nil,
		"cloudwatch.metrics[0]: must be a string, got a list", false},
	{"lists 10000 deep for a list of mappings", func() string {
		return "targets: " + nestedLists(10_000) + "\nworkloads: [{name: kv}]\n"
	}, nil, "targets[0]: must be a mapping, got a list", false},
	{"mappings 10001 deep", func() string { return base + "a: " + nestedMaps(10_001) }, ErrSyntax,
		"yaml: line 3: exceeded max depth of 10000", false},
	{"lists 100000 deep", func() string { return base + "a: " + nestedLists(100_000) }, ErrSyntax,
		"yaml: line 3: exceeded max depth of 10000", false},
	{"block mappings 700 deep under an unknown key", func() string { return base + blockMaps("a", maxFileSize-len(base)) }, nil,
		"a: unknown key; allowed: " + allowedTop, false},
	{"14 mappings 3000 deep", func() string {
		return base + "probes:\n" + repeatUntil(14*(len("  k00: \n")+len(nestedMaps(3_000))), "  k%02d: "+nestedMaps(3_000)+"\n")
	}, nil, "", true},
	{"a full file of scalars", func() string {
		return base + "a: [" + strings.Repeat("1,", (maxFileSize-len(base)-10)/2) + "1]\n"
	}, ErrSyntax, "line 3: more than 100000 values (aliases counted as what they repeat), the most a config may hold", false},
	{"a full file of one workload's steps", func() string {
		return "targets: [{name: redis, addrs: ['a:1']}]\nworkloads:\n  - name: kv\n    rate:\n      type: steps\n      steps:\n" +
			repeatUntil(maxFileSize-200, "        - {rate: %d, duration: 1s}\n")
	}, nil, "", false},
	{"a full file of workloads", func() string {
		return "targets: [{name: redis, mode: cluster, addrs: ['a:1']}]\nworkloads:\n" +
			repeatUntil(maxFileSize-100, "  - {name: w%d, ops: {mget: 1}, rate: {type: steps, steps: [{rate: 1}]}}\n")
	}, nil, "", true},
	{"a full file of targets", func() string {
		return "workloads: [{name: kv, ops: {mget: 1}, targets: [a, b]}]\ntargets:\n" +
			repeatUntil(maxFileSize-100, "  - {name: t%d, mode: cluster, addrs: ['a:1'], tls: {enabled: true, ca_file: testdata/ca.pem}}\n")
	}, nil, "", true},
	{"a full file of phases", func() string {
		return base + "scenario:\n  phases:\n" +
			repeatUntil(maxFileSize-200, "    - {name: p%d, duration: 1s, workloads: {kv: {rate: {type: steps, steps: [{rate: 0}]}}, x: {}}}\n")
	}, nil, "", true},
	{"a full file of mappings of 256 keys", func() string {
		keys := strings.TrimSuffix(repeatUntil(256*len("k000: 1, "), "k%03d: 1, "), ", ")
		return base + "a:\n" + repeatUntil(maxFileSize-len(base)-10, "  - {"+keys+"} # %d\n")
	}, nil, "a: unknown key; allowed: " + allowedTop, false},
	{"20000 keys in a mapping", func() string {
		return base + "probes:\n" + repeatUntil(20_000*len("  k00000: 1\n"), "  k%05d: 1\n")
	}, ErrSyntax, "line 4: a mapping of 20000 keys, more than the 256 a mapping may hold", false},
	{"aliases of aliases", func() string {
		var b strings.Builder
		b.WriteString(base + "a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n")
		for i := 1; i < 10; i++ { // a9 stands for 10^10 values
			fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
		}
		return b.String()
	}, ErrSyntax, "line 7: more than 100000 values (aliases counted as what they repeat), the most a config may hold", false},
	{"a full file of aliases of a workload", func() string {
		return "targets: [{name: redis, addrs: ['a:1']}]\n" +
			"w: &w {name: w, ops: {get: 1}, rate: {type: steps, steps: [{rate: 1, duration: 1s}]}}\nworkloads:\n" +
			repeatUntil(maxFileSize-200, "  - *w # %d\n")
	}, ErrSyntax, "", false},
	{"10 MB of mappings 9000 deep", func() string {
		return base + "probes:\n" + repeatUntil(10_000_000, "  k%d: "+nestedMaps(9_000)+"\n")
	}, ErrRead, "is larger than 262144 bytes (256 KiB), the most a config file may hold", false},
	{"10 MB wide", func() string { return base + repeatUntil(10_000_000, "k%d: [1, 2, 3]\n") }, ErrRead,
		"is larger than 262144 bytes (256 KiB), the most a config file may hold", false},
}

func TestSizeAndDepth(t *testing.T) {
	t.Parallel()
	for _, tt := range sizeCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "c.yaml")
			writeFile(t, path, tt.yaml())
			done := make(chan error, 1)
			go func() {
				_, err := Load(path, nil, nil)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute): // a guard against hangs, not a measure
				t.Fatal("Load has not returned after 2 minutes")
			}
			var ve *ValidationError
			switch {
			case tt.is != nil:
				if !errors.Is(err, tt.is) || !strings.HasSuffix(err.Error(), path+": "+tt.want) &&
					!strings.HasSuffix(err.Error(), path+" "+tt.want) && tt.want != "" {
					t.Errorf("got %v, want %v ending in %q", err, tt.is, tt.want)
				}
			case tt.want == "" && !tt.wantAny:
				if err != nil {
					t.Errorf("got %.300v, want no error", err)
				}
			case !errors.As(err, &ve):
				t.Errorf("got %.300v, want a *ValidationError", err)
			case !tt.wantAny && err.Error() != tt.want:
				t.Errorf("got\n%.1000s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestOneDocument(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, path, base+"---\nlisten: ':1'\n")
	_, err := Load(path, nil, nil)
	want := "invalid YAML in " + path + ": line 3: a second document; a config file holds one document only"
	if !errors.Is(err, ErrSyntax) || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestFileTooLarge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		size int
		ok   bool
	}{{maxFileSize, true}, {maxFileSize + 1, false}} {
		path := filepath.Join(dir, fmt.Sprintf("c%d.yaml", tt.size))
		writeFile(t, path, base+"# "+strings.Repeat("x", tt.size-len(base)-3)+"\n")
		_, err := Load(path, nil, nil)
		want := "cannot read config: " + path + " is larger than 262144 bytes (256 KiB), the most a config file may hold"
		if tt.ok && err != nil || !tt.ok && (!errors.Is(err, ErrRead) || err.Error() != want) {
			t.Errorf("%d bytes: got %v", tt.size, err)
		}
	}
}

func TestKeysNotCaseSensitive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	writeFile(t, path, "Listen: ':1'\nTARGETS: [{Name: redis, addrs: ['a:1']}]\nworkloads: [{name: kv, OPS: {GET: 1}}]\n")
	cfg := mustLoad(t, path)
	if cfg.Listen != ":1" || cfg.Targets[0].Name != "redis" || cfg.Workloads[0].Ops["get"] != 1 {
		t.Errorf("got %+v", cfg)
	}
	writeFile(t, path, base+"log: {level: info, Level: debug}\n")
	_, err := Load(path, nil, nil)
	want := "invalid YAML in " + path + `: log: keys "Level" and "level" are the same key: keys are not case-sensitive`
	if !errors.Is(err, ErrSyntax) || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// BenchmarkLoadDeep loads the deepest and largest inputs of sizeCases.
func BenchmarkLoadDeep(b *testing.B) {
	for _, tt := range sizeCases {
		path := filepath.Join(b.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(tt.yaml()), 0o600); err != nil {
			b.Fatal(err)
		}
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = Load(path, nil, nil)
			}
		})
	}
}
