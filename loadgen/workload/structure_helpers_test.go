package workload_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// mustOp returns the op called name of the kind s.Kind, as cmd builds it.
func mustOp(t testing.TB, s workload.Structure, name string) workload.Op {
	t.Helper()
	op, err := workload.NewOp(s.Kind, name, workload.OpParams{Structure: s})
	if err != nil {
		t.Fatalf("NewOp(%s, %s): %v", s.Kind, name, err)
	}
	return op
}

// structureWorkload returns a workload of structure s over count keys
// under prefix, with the named ops of equal weight (every op of the kind
// when none is named).
func structureWorkload(t testing.TB, s workload.Structure, prefix string, count uint64, pipeline int, seed uint64, ops ...string) *workload.Workload {
	t.Helper()
	if len(ops) == 0 {
		ops = workload.OpNamesFor(s.Kind)
	}
	w := &workload.Workload{
		Name: string(s.Kind), Structure: s, Pipeline: pipeline, Seed: seed,
		Keys: workload.Keys{Prefix: prefix, Count: count},
	}
	for _, name := range ops {
		w.Ops = append(w.Ops, workload.Weighted{Op: mustOp(t, s, name), Weight: 1})
	}
	return w
}

// send sends the commands of r as the runner does: one alone on c, more in
// one pipeline; each command's reply is the Cmder its op returned, whatever
// helper commands the op queued after it.
func send(ctx context.Context, c redis.Cmdable, w *workload.Workload, r *workload.Request) []redis.Cmder {
	replies := make([]redis.Cmder, len(r.Cmds))
	if len(r.Cmds) == 1 {
		replies[0] = w.Ops[r.Cmds[0].Op].Op.Issue(ctx, c, &r.Cmds[0].Args)
		return replies
	}
	pipe := c.Pipeline()
	for i := range r.Cmds {
		replies[i] = w.Ops[r.Cmds[i].Op].Op.Issue(ctx, pipe, &r.Cmds[i].Args)
	}
	_, _ = pipe.Exec(ctx)
	return replies
}

// replyVal returns the value of a finished command, for comparing replies.
func replyVal(cmd redis.Cmder) any {
	switch c := cmd.(type) {
	case *redis.IntCmd:
		return c.Val()
	case *redis.StringCmd:
		return c.Val()
	case *redis.StatusCmd:
		return c.Val()
	case *redis.BoolCmd:
		return c.Val()
	case *redis.FloatCmd:
		return c.Val()
	case *redis.StringSliceCmd:
		return c.Val()
	case *redis.SliceCmd:
		return c.Val()
	case *redis.MapStringStringCmd:
		return c.Val()
	}
	return fmt.Sprintf("%T", cmd)
}

// offline is a client that is never used to send: it makes pipelines to
// queue commands on, whose arguments tests read.
var offline = redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})

// queuedArgs returns every command op queues for a, as sent: the op's own
// and its helpers. The pipeline is never executed.
func queuedArgs(op workload.Op, a *workload.Args) [][]any {
	pipe := offline.Pipeline()
	op.Issue(context.Background(), pipe, a)
	var out [][]any
	for _, cmd := range pipe.Cmds() {
		out = append(out, slices.Clone(cmd.Args()))
	}
	return out
}
