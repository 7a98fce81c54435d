package probe_test

import (
	"context"
	"flag"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
)

// goleakOpts are the goroutines allowed to outlive a test.
var goleakOpts = []goleak.Option{
	// After PoolSize failed dials a go-redis pool starts this probe, which
	// sleeps 1s between attempts and sees that its pool was closed only when
	// it wakes: it ends by itself up to a second after Close.
	goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"),
}

func TestMain(m *testing.M) {
	flag.Parse()
	// The fault tests spend their time waiting for servers and clocks, not
	// on the CPU: unless told otherwise, run more of them at once than the
	// default of GOMAXPROCS, which on a 2-CPU machine would serialise them
	// in pairs. Timing-critical tests are not parallel and run alone first.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "8")
	}
	redis.SetLogger(quiet{}) // dial failures are expected here; the probes report them
	goleak.VerifyTestMain(m, goleakOpts...)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// clientName marks the probes' connections in CLIENT LIST.
const clientName = "ecbench-probe"

// probeClient returns a client configured like a target's: no retries, one
// dial attempt, request deadlines on the socket. It is closed when the test
// ends.
func probeClient(t *testing.T, addr string, opts ...func(*redis.Options)) *redis.Client {
	t.Helper()
	o := &redis.Options{
		Addr: addr, ClientName: clientName, MaxRetries: -1, DialerRetries: 1,
		DialTimeout: time.Second, ContextTimeoutEnabled: true,
	}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// endpoint is a name whose address can move, like an ElastiCache primary
// endpoint whose DNS record is repointed by a failover. Its clients dial
// whatever address the name has now, for every new connection.
type endpoint struct{ addr atomic.Pointer[string] }

func newEndpoint(addr string) *endpoint {
	e := &endpoint{}
	e.point(addr)
	return e
}

func (e *endpoint) point(addr string) { e.addr.Store(&addr) }

func (e *endpoint) client(t *testing.T) *redis.Client {
	t.Helper()
	return probeClient(t, "primary.endpoint.test:6379", func(o *redis.Options) {
		o.Dialer = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, *e.addr.Load())
		}
	})
}

// goUntilStopped runs f in a goroutine; the returned stop cancels it and waits
// until it has returned. stop also runs when the test ends, before the
// clients it uses are closed (cleanups run last-in first-out).
func goUntilStopped(t *testing.T, f func(ctx context.Context)) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Error("probe did not return within 5s of being cancelled")
				<-done
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// runIntegrity starts in.Run; stop returns Run's error.
func runIntegrity(t *testing.T, in *probe.Integrity) (stop func() error) {
	t.Helper()
	var err error
	s := goUntilStopped(t, func(ctx context.Context) { err = in.Run(ctx) })
	return func() error { s(); return err }
}

// waitFor polls cond every 10ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// availability records what an availability probe reports.
type availability struct {
	mu     sync.Mutex
	probes []probeEvent
	starts []probe.Outage
	ends   []probe.Outage
	onEnd  func(probe.Outage)
}

type probeEvent struct {
	done    time.Time
	ok      bool
	class   result.Class
	latency time.Duration
}

var _ probe.AvailabilitySink = (*availability)(nil)

func (a *availability) Probe(ok bool, class result.Class, latency time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.probes = append(a.probes, probeEvent{time.Now(), ok, class, latency})
}

func (a *availability) OutageStart(o probe.Outage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.starts = append(a.starts, o)
}

func (a *availability) OutageEnd(o probe.Outage) {
	a.mu.Lock()
	a.ends = append(a.ends, o)
	f := a.onEnd
	a.mu.Unlock()
	if f != nil {
		f(o)
	}
}

func (a *availability) outages() (starts, ends []probe.Outage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]probe.Outage(nil), a.starts...), append([]probe.Outage(nil), a.ends...)
}

// firstOKAfter returns when the first successful probe after t0 was answered.
func (a *availability) firstOKAfter(t0 time.Time) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.probes {
		if p.ok && p.done.After(t0) {
			return p.done, true
		}
	}
	return time.Time{}, false
}

func (a *availability) count() (ok, failed int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.probes {
		if p.ok {
			ok++
		} else {
			failed++
		}
	}
	return ok, failed
}

// checks records an integrity probe's verdicts.
type checks struct {
	mu     sync.Mutex
	ranges []probe.Range
}

var _ probe.IntegritySink = (*checks)(nil)

func (c *checks) Checked(r probe.CheckResult, n int, from, to uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ranges = append(c.ranges, probe.Range{Result: r, N: n, From: from, To: to})
}

// count returns the verdicts of kind r on writes [lo, hi); with Sample 1 a
// range covers every seq from From to To.
func (c *checks) count(r probe.CheckResult, lo, hi uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range c.ranges {
		if x.Result == r {
			n += overlap(x, lo, hi)
		}
	}
	return n
}

// total returns the verdicts of any kind on writes [lo, hi).
func (c *checks) total(lo, hi uint64) int {
	n := 0
	for _, r := range probe.CheckResults {
		n += c.count(r, lo, hi)
	}
	return n
}

// byResult returns every verdict's count, for messages.
func (c *checks) byResult() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for _, x := range c.ranges {
		m[x.Result.String()] += x.N
	}
	return m
}

func overlap(x probe.Range, lo, hi uint64) int {
	from, to := max(x.From, lo), min(x.To+1, hi)
	if to <= from {
		return 0
	}
	if int(x.To-x.From+1) != x.N {
		panic("checks.count needs Sample 1: a range with gaps")
	}
	return int(to - from)
}
