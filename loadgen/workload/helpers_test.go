package workload_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// allOps is a mix with every op, used wherever the mix itself is not the
// subject of the test.
func allOps() []workload.Weighted {
	return []workload.Weighted{
		{Op: workload.Get{}, Weight: 40},
		{Op: workload.Set{}, Weight: 25},
		{Op: workload.SetTTL{TTL: time.Minute}, Weight: 10},
		{Op: workload.MGet{Batch: 4}, Weight: 10},
		{Op: workload.Incr{}, Weight: 10},
		{Op: workload.Del{}, Weight: 5},
	}
}

// drawn is what one command of a stream sends, copied out of the reused
// request: only the fields its op reads, since Args keeps stale fields of
// earlier ops in the same slot.
type drawn struct {
	Op    string
	Keys  []string
	Value string
	TTL   time.Duration
}

func (d drawn) equal(o drawn) bool {
	return d.Op == o.Op && slices.Equal(d.Keys, o.Keys) && d.Value == o.Value && d.TTL == o.TTL
}

// copyCmd copies the arguments op reads out of a.
func copyCmd(op workload.Op, a *workload.Args) drawn {
	d := drawn{Op: op.Name()}
	switch op.(type) {
	case workload.MGet:
		d.Keys = slices.Clone(a.Keys)
	case workload.Set:
		d.Keys, d.Value = []string{a.Key}, string(a.Value)
	case workload.SetTTL:
		d.Keys, d.Value, d.TTL = []string{a.Key}, string(a.Value), a.TTL
	default:
		d.Keys = []string{a.Key}
	}
	return d
}

func newStream(t testing.TB, w *workload.Workload) *workload.Stream {
	t.Helper()
	s, err := w.NewStream()
	if err != nil {
		t.Fatalf("NewStream: %v", err)
	}
	return s
}

// drawCmds returns the commands of the first n requests of a new stream of
// w, in order, checking request numbering and pipeline depth on the way.
func drawCmds(t testing.TB, w *workload.Workload, n int) []drawn {
	t.Helper()
	s := newStream(t, w)
	depth := max(w.Pipeline, 1)
	out := make([]drawn, 0, n*depth)
	var r workload.Request
	for i := range n {
		s.Next(&r)
		if r.N != int64(i) {
			t.Fatalf("request %d has N = %d", i, r.N)
		}
		if len(r.Cmds) != depth {
			t.Fatalf("request %d has %d commands, want pipeline depth %d", i, len(r.Cmds), depth)
		}
		for j := range r.Cmds {
			c := &r.Cmds[j]
			out = append(out, copyCmd(w.Ops[c.Op].Op, &c.Args))
		}
	}
	return out
}

// keyIndex returns the index after prefix in key, failing the test unless
// key is prefix followed by a canonical decimal index below count.
func keyIndex(t testing.TB, key, prefix string, count uint64) uint64 {
	t.Helper()
	i, err := parseKey(key, prefix, count)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func parseKey(key, prefix string, count uint64) (uint64, error) {
	digits, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, fmt.Errorf("key %q does not start with prefix %q", key, prefix)
	}
	i, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || strconv.FormatUint(i, 10) != digits {
		return 0, fmt.Errorf("key %q: %q after prefix %q is not a decimal index", key, digits, prefix)
	}
	if i >= count {
		return 0, fmt.Errorf("key %q: index %d, want < count %d", key, i, count)
	}
	return i, nil
}

// issueAll sends ops[i] with args[i], one by one or as one pipeline, and
// returns each op's reply as the op itself returned it (as the runner reads
// them), and for a pipeline how many commands Exec answered.
func issueAll(ctx context.Context, c redis.Cmdable, pipelined bool, ops []workload.Op, args []*workload.Args) (replies []redis.Cmder, executed int) {
	replies = make([]redis.Cmder, len(ops))
	if !pipelined {
		for i, op := range ops {
			replies[i] = op.Issue(ctx, c, args[i])
		}
		return replies, len(ops)
	}
	pipe := c.Pipeline()
	for i, op := range ops {
		replies[i] = op.Issue(ctx, pipe, args[i])
	}
	// Exec's error repeats the first command error (a miss included); each
	// command has its own.
	got, _ := pipe.Exec(ctx)
	return replies, len(got)
}
