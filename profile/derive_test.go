package profile

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// synthetic is a profile as Run would leave it, for the derivation.
func synthetic() *Profile {
	o := DefaultOptions()
	o.Target = target.Options{Addrs: []string{"10.0.0.1:6379"}}
	strings100 := make([]int, 700)
	for i := range strings100 {
		strings100[i] = 100
	}
	ttls := make([]time.Duration, 350)
	for i := range ttls {
		ttls[i] = time.Duration(i+1) * time.Minute / 350 * 2 // uniform in (0, 2m]
	}
	return &Profile{
		Options: o, Engine: "redis", Version: "7.1.0", Mode: "standalone",
		Nodes: []Node{{Addr: "10.0.0.1:6379", Keys: 10_000, Sampled: 1000, Scans: 11}},
		Start: time.Date(2026, 11, 24, 20, 15, 0, 0, time.UTC), End: time.Date(2026, 11, 24, 20, 16, 0, 0, time.UTC),
		Window: time.Minute,
		Calls: map[string]uint64{
			"get": 36_000, "set": 12_000, "setex": 1_200, "mget": 600, "del": 200,
			"hget": 6_000, "hset": 1_800, "hmset": 200,
			"evalsha": 1_500, "xadd": 500, "ping": 300, "client|setinfo": 10,
		},
		Processed: 60_310, Hits: 40_000, Misses: 2_000, Keys: 10_000, Expires: 3_500, Sampled: 1000,
		Types: map[string]*TypeSample{
			"string": {Keys: 700, WithTTL: 350, TTLs: ttls, Lengths: strings100},
			"hash":   {Keys: 300, Lengths: slices.Repeat([]int{10, 30}, 150), Elements: slices.Repeat([]int{8, 64}, 750)},
		},
		Families: []*Family{
			{Prefix: "session:", Keys: 700, Types: map[string]int{"string": 700}, WithTTL: 350, Bytes: 70_000},
			{Prefix: "user:", Keys: 300, Types: map[string]int{"hash": 300}, Bytes: 300 * 20 * 36},
		},
	}
}

// TestWorkloads: the mix by kind and op, the rates, keys by type share,
// sizes, element counts, and SET split into set and set_ttl by the share
// of strings with a TTL at twice their median remaining TTL.
func TestWorkloads(t *testing.T) {
	t.Parallel()
	ws := synthetic().Workloads()
	if len(ws) != 2 || ws[0].Kind != workload.KindKV || ws[1].Kind != workload.KindHash {
		t.Fatalf("workloads %+v, want kv and hash", ws)
	}
	kv, hash := ws[0], ws[1]
	wantKV := map[string]uint64{"get": 36_000, "set": 6_000, "set_ttl": 7_200, "mget": 600, "del": 200}
	if !equalMaps(kv.Ops, wantKV) || kv.Calls != 50_000 {
		t.Errorf("kv ops %v (calls %d), want %v", kv.Ops, kv.Calls, wantKV)
	}
	if w := kv.Weights(); w["get"] != 7200 || w["set_ttl"] != 1440 || w["del"] != 40 {
		t.Errorf("kv weights %v", w)
	}
	if kv.TTL != 2*time.Minute || kv.Rate != 50_000.0/60 || kv.Keys != 7000 {
		t.Errorf("kv ttl %v, rate %v, keys %d; want 2m, 833.3, 7000", kv.TTL, kv.Rate, kv.Keys)
	}
	if len(kv.Sizes) != 1 || kv.Sizes[0] != (Bucket{100, 700}) {
		t.Errorf("kv sizes %v", kv.Sizes)
	}
	if !equalMaps(hash.Ops, map[string]uint64{"hget": 6000, "hset": 2000}) || hash.Elements != 20 || hash.Keys != 3000 {
		t.Errorf("hash ops %v, elements %d, keys %d", hash.Ops, hash.Elements, hash.Keys)
	}
	if len(hash.Sizes) != 2 || hash.Sizes[0] != (Bucket{8, 750}) || hash.Sizes[1] != (Bucket{64, 750}) {
		t.Errorf("hash sizes %v", hash.Sizes)
	}
}

func equalMaps(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestWrite: the written config loads as it is, holds the measured
// workloads, and says what was not reproduced.
func TestWrite(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Write(&buf, synthetic()); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{
		"from 10.0.0.1:6379 (redis 7.1.0, standalone, 1 primary)",
		"Requests: 1,005 commands/s",
		"Not reproduced: 3.3% of calls: EVALSHA, XADD.",
		"Connection and server commands, left out of the mix: 0.5% of calls (CLIENT|SETINFO, PING).",
		"TTL: 35.0% of the sampled keys have one; remaining p10 12s, p50 1m0s, p90 1m50s, max 2m0s.",
		"session:                  70.0%  string 100.0%; TTL 50.0%; about 100 B a key",
		"values: {sizes: {100: 700}}",
		"ops: {get: 7200, set: 1200, set_ttl: 1440, mget: 120, del: 40}",
		"ttl: 2m0s",
		"elements: {count: 20, sizes: {8: 750, 64: 750}}",
		"rate: {type: constant, rate: 833.3}",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the config lacks %q:\n%s", want, text)
		}
	}
	cfg := load(t, buf.Bytes())
	if len(cfg.Workloads) != 2 || cfg.Workloads[0].Values.Sizes["100"] != 700 || cfg.Workloads[0].TTL != 2*time.Minute ||
		cfg.Workloads[1].Elements.Sizes["64"] != 750 || cfg.Workloads[1].Rate.Params == nil {
		t.Errorf("loaded workloads: %+v", cfg.Workloads)
	}
}

// TestWriteEdges: configs written from profiles with nothing measured, or
// with extreme figures, still load.
func TestWriteEdges(t *testing.T) {
	t.Parallel()
	huge := synthetic()
	huge.Calls = map[string]uint64{"get": 1 << 40, "lpush": 3, "zadd": 1}
	huge.Window = time.Second
	huge.Keys = 1 << 40
	huge.Types["string"].Lengths = []int{1 << 30, 0}
	huge.Types["list"] = &TypeSample{Keys: 1, Lengths: []int{1 << 30}, Elements: []int{2 << 20}}
	empty := synthetic()
	empty.Calls, empty.Processed, empty.Sampled, empty.Types, empty.Families, empty.Keys = map[string]uint64{}, 0, 0, map[string]*TypeSample{}, nil, 0
	for name, p := range map[string]*Profile{"huge": huge, "empty": empty} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, p); err != nil {
				t.Fatal(err)
			}
			cfg := load(t, buf.Bytes())
			if raised := cfg.Limits.MaxMemory > config.DefaultMaxMemory; raised != (name == "huge") {
				t.Errorf("limits.max_memory %v: raised only for the huge sizes", cfg.Limits.MaxMemory)
			}
		})
	}
}

func load(t *testing.T, b []byte) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil, nil)
	if err != nil {
		t.Fatalf("does not load: %v\n%s", err, b)
	}
	return cfg
}

// TestBucketSizes: few sizes come back exactly; many are grouped into at
// most maxBuckets log-spaced buckets that keep the count and the mean,
// and whose shares are the sample's bucket by bucket.
func TestBucketSizes(t *testing.T) {
	t.Parallel()
	if got := bucketSizes([]int{32, 1024, 32, 0}, maxValueSize); !slices.Equal(got, []Bucket{{0, 1}, {32, 2}, {1024, 1}}) {
		t.Errorf("exact: %v", got)
	}
	if got := bucketSizes([]int{5, 1 << 30}, maxValueSize); !slices.Equal(got, []Bucket{{5, 1}, {maxValueSize, 1}}) {
		t.Errorf("over the limit: %v", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, spread := range []float64{8, 20, 29} { // sizes up to 2^spread, log-uniform
		sizes := make([]int, 50_000)
		total := 0.0
		for i := range sizes {
			sizes[i] = int(math.Exp2(rng.Float64() * spread))
			total += float64(min(sizes[i], maxValueSize))
		}
		got := bucketSizes(sizes, maxValueSize)
		count, sum := 0, 0.0
		for i, b := range got {
			count += b.Count
			sum += float64(b.Size) * float64(b.Count)
			if i > 0 && b.Size <= got[i-1].Size {
				t.Errorf("spread %v: buckets out of order: %v", spread, got)
			}
		}
		if len(got) > maxBuckets || count != len(sizes) || math.Abs(sum/total-1) > 0.005 { // each bucket at its mean rounded to a byte
			t.Errorf("spread %v: %d buckets, count %d, mean off by %.4f", spread, len(got), count, sum/total-1)
		}
	}
}

func TestShares(t *testing.T) {
	t.Parallel()
	tests := []struct {
		total   int
		weights []uint64
		want    []int
	}{
		{10, []uint64{1, 1}, []int{1, 1}},
		{10, []uint64{100, 300}, []int{3, 7}},
		{10, []uint64{1, 1, 1}, []int{1, 1, 1}},
		{5, []uint64{1, 1, 1, 100}, []int{0, 0, 0, 5}},
		{3, []uint64{10, 10, 10, 10}, []int{1, 1, 1, 0}},
		{10, []uint64{0, 0}, []int{0, 0}},
	}
	for _, tt := range tests {
		got := shares(tt.total, tt.weights)
		if !slices.Equal(got, tt.want) {
			t.Errorf("shares(%d, %v) = %v, want %v", tt.total, tt.weights, got, tt.want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	t.Parallel()
	o := Options{Target: target.Options{Addrs: []string{"a:1", "b:2"}}, Duration: time.Millisecond, Sample: -1, MaxRate: 0}
	want := []string{
		"invalid profile options: target: a standalone target has one address, got 2",
		"invalid profile options: duration: must be at least 1s, got 1ms",
		"invalid profile options: sample: must be between 0 and 1000000 keys, got -1",
		"invalid profile options: max rate: must be between 1 and 100000 commands a second, got 0",
		`invalid profile options: delimiter: must be 1 to 8 bytes, got ""`,
		"invalid profile options: families: must be between 1 and 1000, got 0",
	}
	if err := o.Check(); err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	if err := (Options{Target: target.Options{Addrs: []string{"a:1"}}, Duration: time.Second, MaxRate: 1, Delimiter: ":", Families: 1}).Check(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

// TestFamily: a key's family is its prefix up to the first delimiter,
// within the first maxPrefix bytes.
func TestFamily(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, delim, want string }{
		{"user:42:name", ":", "user:"},
		{"user/42", "/", "user/"},
		{"plain", ":", noFamily},
		{strings.Repeat("x", maxPrefix) + ":y", ":", noFamily},
		{"a::b", "::", "a::"},
	}
	for _, tt := range tests {
		if got := family(tt.key, tt.delim); got != tt.want {
			t.Errorf("family(%q, %q) = %q, want %q", tt.key, tt.delim, got, tt.want)
		}
	}
}
