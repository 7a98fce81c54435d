package profile

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/target"
)

// snapshotSections are the INFO sections read at the start and the end of
// the window, one INFO each: Redis before 7.0 takes one section an INFO.
var snapshotSections = []string{"server", "replication", "stats", "keyspace", "commandstats"}

// readSnapshots reads the counters of every primary at once.
func readSnapshots(ctx context.Context, primaries []*redis.Client) ([]target.NodeStats, error) {
	out := make([]target.NodeStats, len(primaries))
	errs := make([]error, len(primaries))
	var wg sync.WaitGroup
	for i, c := range primaries {
		wg.Go(func() { out[i], errs[i] = readSnapshot(ctx, c) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readSnapshot(ctx context.Context, c *redis.Client) (target.NodeStats, error) {
	addr := c.Options().Addr
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, s := range snapshotSections {
			p.Info(ctx, s)
		}
		return nil
	})
	if err != nil {
		return target.NodeStats{}, fmt.Errorf("%s: INFO: %w", addr, err)
	}
	sections := make(map[string]target.InfoFields, len(cmds))
	for i, cmd := range cmds {
		sections[snapshotSections[i]] = target.ParseInfoFields(cmd.(*redis.StringCmd).Val())
	}
	return target.ParseNodeStats(addr, time.Now(), sections), nil
}
