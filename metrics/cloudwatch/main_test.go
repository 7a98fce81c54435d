package cloudwatch

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/loadgen/engine"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// t0 is 30s into a minute, so the query window [11:50, 12:00) is aligned
// down: 2026-05-04T12:00:30Z = 1777896030.
var t0 = time.Date(2026, 5, 4, 12, 0, 30, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testLog records the poller's events.
type testLog struct {
	t  *testing.T
	mu sync.Mutex
	ms []string
}

func (l *testLog) Info(msg string, kv ...any) { l.add("INFO", msg, kv) }
func (l *testLog) Warn(msg string, kv ...any) { l.add("WARN", msg, kv) }

func (l *testLog) add(level, msg string, kv []any) {
	line := fmt.Sprint(append([]any{level, " ", msg, " "}, kv...)...)
	l.t.Log(line)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ms = append(l.ms, level+" "+msg)
}

func (l *testLog) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.ms, func(m string) bool { return strings.Contains(m, s) })
}

var _ Logger = (*testLog)(nil)

type env struct {
	fake  *awsfake.Server
	reg   *prometheus.Registry
	p     *Poller
	clock *fakeClock
	log   *testLog
}

// newEnv returns a poller on a fresh registry, talking to fake through the
// real SDK clients, with a fake clock at t0 unless o.Now is set.
func newEnv(t *testing.T, fake *awsfake.Server, o Options) *env {
	t.Helper()
	e := &env{fake: fake, reg: prometheus.NewRegistry(), clock: &fakeClock{t: t0}, log: &testLog{t: t}}
	o.CloudWatch, o.ElastiCache = fake.Clients(t)
	if o.Now == nil {
		o.Now = e.clock.Now
	}
	o.Log = e.log
	p, err := New(e.reg, o)
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	return e
}

func fixedEngine(e engine.Engine) func() engine.Engine { return func() engine.Engine { return e } }

// valueOf is a distinct, deterministic value per query.
func valueOf(q awsfake.Query) float64 {
	h := fnv.New32a()
	fmt.Fprint(h, q.Metric, q.Stat, q.Dims)
	return float64(h.Sum32()%100000) / 100
}

// steady publishes valueOf(q)-1 at end-3m and valueOf(q) at end-2m (the
// latest), like ElastiCache with CloudWatch's usual delay.
func steady(q awsfake.Query, _, end time.Time) awsfake.Series {
	v := valueOf(q)
	return awsfake.Series{Points: []awsfake.Datapoint{
		{At: end.Add(-3 * time.Minute), Value: v - 1},
		{At: end.Add(-2 * time.Minute), Value: v},
	}}
}

// group is a replication group of one node group, "0001", whose first node
// is the primary.
func group(id, engine string, nodes ...Node) awsfake.ReplicationGroup {
	ng := awsfake.NodeGroup{ID: "0001"}
	for _, n := range nodes {
		ng.Members = append(ng.Members, awsfake.Member{CacheCluster: n.CacheCluster, Node: n.Node})
	}
	return awsfake.ReplicationGroup{ID: id, Engine: engine, NodeGroups: []awsfake.NodeGroup{ng}}
}
