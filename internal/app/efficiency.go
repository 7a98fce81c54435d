package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/results"
)

// The moments of a workload at which the bench reads its targets' INFO
// (results.Server), as the log names them.
const (
	beforePreload = "before_preload"
	afterPreload  = "after_preload"
	beforeMeasure = "before_measure"
	afterMeasure  = "after_measure"
)

// snapshotTimeout bounds one INFO snapshot of a target: the reads of all
// its nodes at once, a few INFO commands each.
const snapshotTimeout = 5 * time.Second

// watchServerStats makes every target's INFO reads (PollInfo) include the
// sections NodeStats reads: memory, stats, cpu, keyspace, commandstats.
func (b *Bench) watchServerStats() error {
	for _, t := range b.plan.targets {
		if err := t.WatchInfo(nil, target.StatsSections...); err != nil {
			return err
		}
	}
	return nil
}

// serverSnapshots reads the INFO of every target of ts at once, for
// workload w at moment when. Entry k is ts[k]'s snapshot, or nil when a
// node did not answer: that is logged as an error, and the figures that
// need the snapshot are left out rather than made of a partial sum. ctx
// may be done (an interrupted run): the snapshot that closes a phase is
// still taken, within snapshotTimeout.
func (b *Bench) serverSnapshots(ctx context.Context, ts []*target.Target, w, when string) []*results.ServerSnapshot {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotTimeout)
	defer cancel()
	settle := when == beforePreload || when == afterPreload
	if settle {
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), snapshotTimeout+settleTimeout)
		defer cancel()
	}
	out := make([]*results.ServerSnapshot, len(ts))
	var wg sync.WaitGroup
	for k, t := range ts {
		wg.Go(func() {
			snap, err := snapshot(ctx, t)
			if settle && err == nil {
				snap, err = b.settled(ctx, t, snap, w, when)
			}
			if err != nil {
				b.plan.log.Error("cannot read the server's INFO: its efficiency figures will be missing", zap.String("workload", w),
					zap.String("target", t.Name()), zap.String("when", when), zap.Error(err))
				return
			}
			out[k] = snap
		})
	}
	wg.Wait()
	return out
}

// snapshot reads one snapshot of t.
func snapshot(ctx context.Context, t *target.Target) (*results.ServerSnapshot, error) {
	polls, err := t.PollInfo(ctx)
	if err != nil {
		return nil, err
	}
	return sumPrimaries(polls)
}

// The memory snapshots around a preload wait for the server's memory to
// settle: a server resizes and rehashes its key table in the background
// (Redis' serverCron shrinks a table that a deleted workload emptied, and
// finishes growing one, about every 100 ms), and a snapshot taken while it
// does counts the old table's memory into, or out of, the keys the preload
// added. Seen: the previous workload's cleanup took a quarter off a hash
// workload's memory per element on Redis 7.0.
const (
	settleInterval = 200 * time.Millisecond
	settleTimeout  = 3 * time.Second
	// settleBytes is the change in memory, between two reads settleInterval
	// apart, below which it has settled: a few allocator pages, or 0.1%.
	settleBytes = 64 << 10
)

// settled reads t's snapshot again every settleInterval until its memory
// (used_memory less client buffers) moved less than settleBytes (or 0.1%)
// since the read before, and returns the last; after settleTimeout it
// logs that the memory was still moving and returns the last anyway.
func (b *Bench) settled(ctx context.Context, t *target.Target, prev *results.ServerSnapshot, w, when string) (*results.ServerSnapshot, error) {
	deadline := time.Now().Add(settleTimeout)
	for {
		select {
		case <-ctx.Done():
			return prev, nil
		case <-time.After(settleInterval):
		}
		cur, err := snapshot(ctx, t)
		if err != nil {
			return nil, err
		}
		a, c := int64(prev.UsedMemory-prev.ClientsMemory), int64(cur.UsedMemory-cur.ClientsMemory)
		moved := max(a-c, c-a)
		if moved <= max(settleBytes, c/1000) {
			return cur, nil
		}
		if time.Now().After(deadline) {
			b.plan.log.Warn("the server's memory was still moving when its INFO was read: memory per key may be off",
				zap.String("workload", w), zap.String("target", t.Name()), zap.String("when", when),
				zap.Int64("moved_bytes", moved), zap.Duration("waited", settleTimeout))
			return cur, nil
		}
		prev = cur
	}
}

// sumPrimaries is one target's snapshot from its nodes' INFO: the one node
// of a standalone target (whatever its role), or the sum over a cluster's
// primaries, replicas holding copies of their data and no workload
// commands of their own. Any node that did not answer makes it an error: a
// sum without it would be wrong, not smaller.
func sumPrimaries(polls []target.InfoPoll) (*results.ServerSnapshot, error) {
	if len(polls) == 0 {
		return nil, errors.New("no node to read")
	}
	var errs []error
	for _, p := range polls {
		if p.Err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", p.Node, p.Err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &results.ServerSnapshot{}
	for _, p := range polls {
		if len(polls) > 1 && !p.Primary() {
			continue
		}
		n, _ := p.Stats()
		if s.Nodes == 0 {
			s.Engine, s.Version = n.Engine, n.Version
		}
		s.Nodes++
		if n.At.After(s.At) { // the moment the last node answered
			s.At = n.At
		}
		s.RunIDs = append(s.RunIDs, n.RunID)
		s.UsedMemory += n.UsedMemory
		s.UsedMemoryRSS += n.UsedMemoryRSS
		s.UsedMemoryDataset += n.UsedMemoryDataset
		s.ClientsMemory += n.ClientsMemory
		s.Keys += n.Keys
		s.Expires += n.Expires
		s.CommandsProcessed += n.CommandsProcessed
		s.KeyspaceHits += n.KeyspaceHits
		s.KeyspaceMisses += n.KeyspaceMiss
		s.CPUSys += n.CPUSys
		s.CPUUser += n.CPUUser
		s.NetInputBytes += n.NetInputBytes
		s.NetOutputBytes += n.NetOutput
		if n.Commands != nil {
			if s.Calls == nil {
				s.Calls = make(map[string]uint64, len(n.Commands))
			}
			for cmd, c := range n.Commands {
				s.Calls[cmd] += c.Calls
			}
		}
	}
	if s.Nodes == 0 {
		return nil, fmt.Errorf("none of the %d nodes answered as a primary", len(polls))
	}
	slices.Sort(s.RunIDs)
	return s, nil
}

// serverRecords are a workload's results.Server records, one per target,
// filled as its phases go.
type serverRecords struct {
	byTarget map[string]*results.Server
	order    []string
}

// newServerRecords starts the records of workload i on ts.
func (b *Bench) newServerRecords(i int, ts []*target.Target) *serverRecords {
	wc, w := b.plan.cfg.Workloads[i], b.plan.workloads[i]
	r := &serverRecords{byTarget: map[string]*results.Server{}}
	for _, t := range ts {
		s := &results.Server{Target: t.Name(), Workload: w.Name, Kind: string(wc.Type)}
		if wc.Preload {
			s.PreloadKeys = w.Keys.Count
			s.PreloadElements = w.Keys.Count // kv: one value per key
			if n := w.Structure.Elements; w.Structure.Kind != "" && n > 0 {
				s.PreloadElements = w.Keys.Count * uint64(n) // workload.Preload fills every structure with all its elements
			}
		}
		r.byTarget[t.Name()] = s
		r.order = append(r.order, t.Name())
	}
	return r
}

// take reads the snapshots of ts at moment when into the records.
func (r *serverRecords) take(ctx context.Context, b *Bench, ts []*target.Target, when string) {
	snaps := b.serverSnapshots(ctx, ts, r.byTarget[ts[0].Name()].Workload, when)
	for k, t := range ts {
		s := r.byTarget[t.Name()]
		switch when {
		case beforePreload:
			s.BeforePreload = snaps[k]
		case afterPreload:
			s.AfterPreload = snaps[k]
		case beforeMeasure:
			s.BeforeMeasure = snaps[k]
		case afterMeasure:
			s.AfterMeasure = snaps[k]
		}
	}
}

// list returns the records in target order.
func (r *serverRecords) list() []results.Server {
	out := make([]results.Server, 0, len(r.order))
	for _, name := range r.order {
		out = append(out, *r.byTarget[name])
	}
	return out
}
