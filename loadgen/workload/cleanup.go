package workload

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// scanCount is the COUNT hint of DeleteKeys' SCANs: about how many keys a
// page holds, and so how many an UNLINK round trip removes.
const scanCount = 1000

// DeleteKeys removes every key of w's key space, that is every key that
// starts with Keys.Prefix (incr's counters included), and returns how many
// it removed. A bench run frees each workload's data before the next
// workload, so that one workload's memory does not weigh on the next one's
// numbers.
//
// It finds them with SCAN MATCH, the prefix's glob characters quoted, and
// removes them with UNLINK, which frees their memory off the server's main
// thread. On a *redis.ClusterClient it does so on every primary; there a
// SCAN page holds keys of many hash slots, which one UNLINK cannot name
// (CROSSSLOT), so each key gets its own UNLINK, a page's in one pipeline.
//
// An empty prefix is refused: it would delete every key of the database.
func (w *Workload) DeleteKeys(ctx context.Context, c redis.UniversalClient) (int64, error) {
	if w.Keys.Prefix == "" {
		return 0, errors.New("delete keys: the workload has no key prefix")
	}
	match := escapeGlob(w.Keys.Prefix) + "*"
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		return unlinkMatching(ctx, c, match, unlinkPage)
	}
	var total atomic.Int64
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		n, err := unlinkMatching(ctx, node, match, unlinkEach)
		total.Add(n)
		return err
	})
	return total.Load(), err
}

// unlinkMatching removes the keys of c that match, one SCAN page at a time,
// with unlink.
func unlinkMatching(ctx context.Context, c redis.Cmdable, match string, unlink func(context.Context, redis.Cmdable, []string) (int64, error)) (int64, error) {
	var total int64
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, match, scanCount).Result()
		if err != nil {
			return total, err
		}
		if len(keys) > 0 {
			n, err := unlink(ctx, c, keys)
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

// unlinkPage removes keys in one UNLINK.
func unlinkPage(ctx context.Context, c redis.Cmdable, keys []string) (int64, error) {
	return c.Unlink(ctx, keys...).Result()
}

// unlinkEach removes keys with an UNLINK each, in one pipeline, and counts
// those removed before any failure.
func unlinkEach(ctx context.Context, c redis.Cmdable, keys []string) (int64, error) {
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Unlink(ctx, k)
		}
		return nil
	})
	var n int64
	for _, cmd := range cmds {
		if ic, ok := cmd.(*redis.IntCmd); ok && ic.Err() == nil {
			n += ic.Val()
		}
	}
	return n, err
}

// escapeGlob quotes the bytes SCAN MATCH treats as a pattern, so that a
// prefix matches only itself. They are all ASCII, so quoting byte by byte
// leaves a prefix that is not UTF-8 as it is.
func escapeGlob(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := range len(s) {
		if strings.IndexByte(`*?[]\`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
