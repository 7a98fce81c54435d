package workload_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ecbench/ecbench/loadgen/workload"
)

func TestKinds(t *testing.T) {
	t.Parallel()
	want := []workload.Kind{"kv", "list", "hash", "set", "zset"}
	if got := workload.Kinds(); !slices.Equal(got, want) {
		t.Fatalf("Kinds() = %q, want %q", got, want)
	}
	workload.Kinds()[0] = "mutated"
	if workload.Kinds()[0] != "kv" {
		t.Error("Kinds returns a slice shared between calls")
	}
}

func TestOpNamesFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind workload.Kind
		want []string
	}{
		{"kv", []string{"get", "set", "set_ttl", "mget", "incr", "del"}},
		{"", []string{"get", "set", "set_ttl", "mget", "incr", "del"}},
		{"list", []string{"lpush", "rpush", "lpop", "rpop", "lrange", "llen", "lindex"}},
		{"hash", []string{"hset", "hget", "hmget", "hgetall", "hincrby", "hdel", "hlen"}},
		{"set", []string{"sadd", "srem", "sismember", "smembers", "scard", "srandmember", "sinter"}},
		{"zset", []string{"zadd", "zincrby", "zscore", "zrank", "zrange", "zrangebyscore", "zrevrange", "zrem", "zcard"}},
		{"stream", nil},
		{"LIST", nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			got := workload.OpNamesFor(tt.kind)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("OpNamesFor(%q) = %q, want %q", tt.kind, got, tt.want)
			}
			if len(got) > 0 {
				got[0] = "mutated"
				if workload.OpNamesFor(tt.kind)[0] == "mutated" {
					t.Error("OpNamesFor returns a slice shared between calls")
				}
			}
		})
	}
	// Every op name is a label value of exactly one kind.
	seen := map[string]workload.Kind{}
	for _, k := range workload.Kinds() {
		for _, n := range workload.OpNamesFor(k) {
			if o, ok := seen[n]; ok {
				t.Errorf("op %s is listed under %s and %s", n, o, k)
			}
			seen[n] = k
		}
	}
}

// TestNewOp builds every op of every kind and checks its name, and that a
// workload of the same structure accepts it.
func TestNewOp(t *testing.T) {
	t.Parallel()
	for _, k := range workload.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			s := workload.Structure{Kind: k, Elements: 10, ElementSize: 8}
			if k == workload.KindKV {
				s = workload.Structure{}
			}
			p := workload.OpParams{TTL: time.Second, MGetBatch: 3, Structure: s}
			w := &workload.Workload{Structure: s, Keys: workload.Keys{Prefix: "r:", Count: 10}}
			for _, name := range workload.OpNamesFor(k) {
				op, err := workload.NewOp(k, name, p)
				if err != nil {
					t.Fatalf("NewOp(%s, %s): %v", k, name, err)
				}
				if op.Name() != name {
					t.Errorf("NewOp(%s, %s).Name() = %q", k, name, op.Name())
				}
				w.Ops = append(w.Ops, workload.Weighted{Op: op, Weight: 1})
			}
			if _, err := w.NewStream(); err != nil {
				t.Errorf("NewStream of every %s op: %v", k, err)
			}
		})
	}
	// The kv ops are the package's exported values, parameters included.
	kv := []struct {
		name string
		want workload.Op
	}{
		{"get", workload.Get{}}, {"set", workload.Set{}}, {"set_ttl", workload.SetTTL{TTL: time.Minute}},
		{"mget", workload.MGet{Batch: 7}}, {"incr", workload.Incr{}}, {"del", workload.Del{}},
	}
	for _, tt := range kv {
		got, err := workload.NewOp("", tt.name, workload.OpParams{TTL: time.Minute, MGetBatch: 7})
		if err != nil || got != tt.want {
			t.Errorf("NewOp(\"\", %s) = %#v, %v; want %#v", tt.name, got, err, tt.want)
		}
	}
}

func TestNewOpErrors(t *testing.T) {
	t.Parallel()
	list := workload.Structure{Kind: workload.KindList, Elements: 10}
	tests := []struct {
		name    string
		kind    workload.Kind
		op      string
		params  workload.OpParams
		wantErr string
		is      error
	}{
		{"unknown kind", "stream", "xadd", workload.OpParams{}, `unknown workload kind "stream": want one of kv, list, hash, set, zset`, workload.ErrUnknownKind},
		{"unknown kv op", "kv", "getex", workload.OpParams{}, `unknown op "getex" for kind kv: want one of get, set, set_ttl, mget, incr, del`, workload.ErrUnknownOp},
		{"kv op for a list", "list", "get", workload.OpParams{Structure: list}, `unknown op "get" for kind list: want one of lpush, rpush, lpop, rpop, lrange, llen, lindex`, workload.ErrUnknownOp},
		{"list op for kv", "", "lpush", workload.OpParams{}, `unknown op "lpush" for kind kv: want one of get, set, set_ttl, mget, incr, del`, workload.ErrUnknownOp},
		{"hash op for a set", "set", "hget", workload.OpParams{}, `unknown op "hget" for kind set: want one of sadd, srem, sismember, smembers, scard, srandmember, sinter`, workload.ErrUnknownOp},
		{"zset names", "zset", "zpopmin", workload.OpParams{}, `unknown op "zpopmin" for kind zset: want one of zadd, zincrby, zscore, zrank, zrange, zrangebyscore, zrevrange, zrem, zcard`, workload.ErrUnknownOp},
		{"hash names", "hash", "hscan", workload.OpParams{}, `unknown op "hscan" for kind hash: want one of hset, hget, hmget, hgetall, hincrby, hdel, hlen`, workload.ErrUnknownOp},
		{"names are case sensitive", "list", "LPUSH", workload.OpParams{Structure: list}, `unknown op "LPUSH" for kind list: want one of lpush, rpush, lpop, rpop, lrange, llen, lindex`, workload.ErrUnknownOp},
		{"set_ttl without ttl", "kv", "set_ttl", workload.OpParams{}, "op set_ttl: ttl must be > 0, got 0s", nil},
		{"no elements", "list", "lpush", workload.OpParams{Structure: workload.Structure{Kind: "list"}}, "op lpush: list structure: elements must be > 0, got 0", nil},
		{"no structure at all", "set", "sadd", workload.OpParams{}, "op sadd: set structure: elements must be > 0, got 0", nil},
		{"negative element size", "hash", "hset", workload.OpParams{Structure: workload.Structure{Elements: 1, ElementSize: -1}}, "op hset: hash structure: element size must be >= 0, got -1", nil},
		{"negative range", "zset", "zrange", workload.OpParams{Structure: workload.Structure{Elements: 1, RangeLen: -2}}, "op zrange: zset structure: range length must be >= 0, got -2", nil},
		{"structure of another kind", "list", "lpush", workload.OpParams{Structure: workload.Structure{Kind: "set", Elements: 1}}, "op lpush: structure is of kind set, want list", nil},
		{"kv structure for a list op", "list", "lpush", workload.OpParams{Structure: workload.Structure{Kind: "kv", Elements: 1}}, "op lpush: structure is of kind kv, want list", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op, err := workload.NewOp(tt.kind, tt.op, tt.params)
			if err == nil {
				t.Fatalf("NewOp(%q, %q) = %v, want error %q", tt.kind, tt.op, op, tt.wantErr)
			}
			if got := err.Error(); got != tt.wantErr {
				t.Errorf("NewOp(%q, %q) error\n%s\nwant\n%s", tt.kind, tt.op, got, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("NewOp error %q does not wrap %q", err, tt.is)
			}
		})
	}
}

func TestMultiKey(t *testing.T) {
	t.Parallel()
	for _, k := range workload.Kinds() {
		for _, name := range workload.OpNamesFor(k) {
			want := name == "mget" || name == "sinter"
			if got := workload.MultiKey(name); got != want {
				t.Errorf("MultiKey(%q) = %v, want %v", name, got, want)
			}
		}
	}
	if workload.MultiKey("unknown") {
		t.Error(`MultiKey("unknown") = true`)
	}
}
