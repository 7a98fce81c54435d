package workload_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// TestDeleteKeys fills a workload's keys, and keys of others that its
// prefix matches only as a glob, then checks that DeleteKeys removes
// exactly its own, on standalone servers and clusters of both engines.
func TestDeleteKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		kind   workload.Kind
		// others are keys DeleteKeys must leave: of other workloads, or
		// what prefix+"*" would match if its glob characters were not
		// quoted.
		others []string
	}{
		{"plain", "ecbench:kv:", workload.KindKV, []string{"ecbench:kv2:1", "ecbench:k", "other:ecbench:kv:1", "ECBENCH:KV:1"}},
		{"glob characters", `g*[ab]?\:`, workload.KindHash, []string{"gX[ab]?\\:1", "ga?\\:1", "g*b!\\:1", "g*[ab]?:1", `g*[ab]?\`, "g*[ab]"}},
		{"bracket range", "r[0-9]:", workload.KindSet, []string{"r5:1", "r0:1", "r-:1"}},
		// Quoted byte by byte: a prefix that is not UTF-8 stays as it is.
		{"not utf-8", "\xff[\xfe]:", workload.KindList, []string{"\xff\xfe:1", "\xff[\xfe]", "\xef\xbf\xbd[\xfe]:1"}},
	}
	for _, e := range servertest.Engines {
		for _, mode := range []string{"standalone", "cluster"} {
			t.Run(fmt.Sprintf("%s/%s", e, mode), func(t *testing.T) {
				t.Parallel()
				var c redis.UniversalClient
				if mode == "cluster" {
					c = servertest.ClusterClient(t, servertest.StartCluster(t, e, 3))
				} else {
					c = servertest.Start(t, e).Client()
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						checkDeleteKeys(t, c, tt.prefix, tt.kind, tt.others)
					})
				}
			})
		}
	}
}

func checkDeleteKeys(t *testing.T, c redis.UniversalClient, prefix string, kind workload.Kind, others []string) {
	ctx := t.Context()
	const count = 2500 // over two SCAN pages of each node
	w := &workload.Workload{
		Keys:      workload.Keys{Prefix: prefix, Count: count},
		Values:    workload.Values{Min: 4, Max: 4},
		Structure: workload.Structure{Kind: kind, Elements: 3},
	}
	if kind == workload.KindKV {
		w.Structure = workload.Structure{}
	}
	if err := w.Preload(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	// incr's counters are the workload's keys too.
	counter := prefix + "ctr:7"
	must(t, c.Incr(ctx, counter).Err())
	for _, k := range others {
		must(t, c.Set(ctx, k, "keep", 0).Err())
	}

	n, err := w.DeleteKeys(ctx, c)
	if err != nil {
		t.Fatalf("DeleteKeys: %v", err)
	}
	if n != count+1 {
		t.Errorf("DeleteKeys removed %d keys, want %d", n, count+1)
	}
	left, err := allKeys(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string // left, but not others: at most a few, for the message
	for _, k := range left {
		if !slices.Contains(others, k) && len(extra) < 5 {
			extra = append(extra, k)
		}
	}
	if len(left) != len(others) || extra != nil {
		t.Errorf("%d keys left, want the %d others %q; not others: %q…", len(left), len(others), others, extra)
	}

	n, err = w.DeleteKeys(ctx, c)
	if n != 0 || err != nil {
		t.Errorf("DeleteKeys again = %d, %v; want 0, nil", n, err)
	}
	for _, k := range others {
		must(t, c.Del(ctx, k).Err())
	}
}

// allKeys returns every key of c, on every primary of a cluster.
func allKeys(ctx context.Context, c redis.UniversalClient) ([]string, error) {
	scan := func(ctx context.Context, c redis.Cmdable) ([]string, error) {
		var keys []string
		iter := c.Scan(ctx, 0, "", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		return keys, iter.Err()
	}
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, c)
	}
	var (
		mu   sync.Mutex
		keys [][]string
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		k, err := scan(ctx, node)
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, k)
		return err
	})
	return slices.Concat(keys...), err
}

func TestDeleteKeysNoPrefix(t *testing.T) {
	t.Parallel()
	c := servertest.Start(t, servertest.Redis).Client()
	ctx := t.Context()
	must(t, c.Set(ctx, "unrelated", "keep", 0).Err())
	w := &workload.Workload{Keys: workload.Keys{Count: 10}}
	n, err := w.DeleteKeys(ctx, c)
	if want := "delete keys: the workload has no key prefix"; err == nil || err.Error() != want || n != 0 {
		t.Errorf("DeleteKeys with no prefix = %d, %v; want 0 and error %q", n, err, want)
	}
	if got := c.Exists(ctx, "unrelated").Val(); got != 1 {
		t.Error("DeleteKeys with no prefix deleted a key")
	}
}
