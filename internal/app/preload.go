package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/target"
)

// preloadProgressEvery is how often a preload under way logs its progress.
const preloadProgressEvery = 5 * time.Second

// preload fills workload i's key space on every target of ts at once (the
// bench before each workload, the daemon before its runners start), so
// that reads hit: the same data on each engine (workload.Preload). Its
// commands and pipelines are bounded in bytes (workload.PreloadBytes). It
// logs each target's progress every preloadProgressEvery and a line when
// all are done; the first failure of a target is its error.
func (p *Plan) preload(ctx context.Context, i int, ts []*target.Target) error {
	w := p.workloads[i]
	start := time.Now()
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for k, t := range ts {
		wg.Go(func() {
			last := start
			progress := func(done, total int64) {
				if now := time.Now(); now.Sub(last) >= preloadProgressEvery && done < total {
					last = now
					p.log.Info("preloading", zap.String("workload", w.Name), zap.String("target", t.Name()),
						zap.Int64("keys_done", done), zap.Int64("keys", total),
						zap.Duration("elapsed", now.Sub(start).Round(time.Millisecond)))
				}
			}
			if err := w.Preload(ctx, t.Client(), progress); err != nil {
				errs[k] = fmt.Errorf("preload %s on %s: %w", w.Name, t.Name(), err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	p.log.Info("preloaded", zap.String("workload", w.Name), zap.Int("targets", len(ts)), zap.Uint64("keys", w.Keys.Count),
		zap.Duration("took", time.Since(start).Round(time.Millisecond)))
	return nil
}
