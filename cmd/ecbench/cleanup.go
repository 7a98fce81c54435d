package main

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// deletePrefix removes every key that starts with prefix (UNLINK, found with
// SCAN, on every primary in cluster mode) and returns how many it removed.
// A bench run frees each workload's data before the next workload, so that
// one workload's memory does not weigh on the next one's numbers.
func deletePrefix(ctx context.Context, c redis.UniversalClient, prefix string) (int64, error) {
	match := escapeGlob(prefix) + "*"
	if cc, ok := c.(*redis.ClusterClient); ok {
		var total atomic.Int64
		err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			n, err := unlinkMatching(ctx, node, match)
			total.Add(n)
			return err
		})
		return total.Load(), err
	}
	return unlinkMatching(ctx, c, match)
}

func unlinkMatching(ctx context.Context, c redis.Cmdable, match string) (int64, error) {
	var total int64
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, match, 1000).Result()
		if err != nil {
			return total, err
		}
		if len(keys) > 0 {
			n, err := c.Unlink(ctx, keys...).Result()
			total += n
			if err != nil {
				return total, err
			}
		}
		if cursor = next; cursor == 0 {
			return total, nil
		}
	}
}

// escapeGlob quotes the characters SCAN MATCH treats as a pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
