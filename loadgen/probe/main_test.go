package probe_test

import (
	"context"
	"flag"
	"fmt"
	"net"
	"slices"
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

// checks records an integrity probe's verdicts, write by write.
type checks struct {
	mu sync.Mutex
	// sampled, for a probe with Sample < 1, says which writes a run with
	// gaps covers; with Sample 1 every run covers From..To.
	sampled func(seq uint64) bool
	ranges  []probe.Check
	bySeq   map[uint64][]probe.CheckResult
	sweeps  []probe.SweepReport
	errs    []string // runs whose N does not match the writes they span
}

var _ probe.IntegritySink = (*checks)(nil)

func (c *checks) Checked(x probe.Check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ranges = append(c.ranges, x)
	if c.bySeq == nil {
		c.bySeq = map[uint64][]probe.CheckResult{}
	}
	n := 0
	for seq := x.From; seq <= x.To; seq++ {
		if int(x.To-x.From+1) == x.N || c.sampled != nil && c.sampled(seq) {
			c.bySeq[seq] = append(c.bySeq[seq], x.Result)
			n++
		}
	}
	if n != x.N {
		c.errs = append(c.errs, fmt.Sprintf("%+v spans %d sampled writes", x, n))
	}
}

func (c *checks) SweepDone(r probe.SweepReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweeps = append(c.sweeps, r)
}

// count returns the verdicts of kind r on writes [lo, hi).
func (c *checks) count(r probe.CheckResult, lo, hi uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for seq, rs := range c.bySeq {
		if seq >= lo && seq < hi {
			for _, x := range rs {
				if x == r {
					n++
				}
			}
		}
	}
	return n
}

// seqs returns the writes in [lo, hi) with a verdict of kind r, in order.
func (c *checks) seqs(r probe.CheckResult, lo, hi uint64) []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []uint64
	for seq, rs := range c.bySeq {
		if seq >= lo && seq < hi && slices.Contains(rs, r) {
			out = append(out, seq)
		}
	}
	slices.Sort(out)
	return out
}

// total returns the verdicts of any kind on writes [lo, hi).
func (c *checks) total(lo, hi uint64) int {
	n := 0
	for _, r := range probe.CheckResults {
		n += c.count(r, lo, hi)
	}
	return n
}

// judged returns how many writes in [lo, hi) have a verdict.
func (c *checks) judged(lo, hi uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for seq := range c.bySeq {
		if seq >= lo && seq < hi {
			n++
		}
	}
	return n
}

// reportedTwice returns the writes reported more than once as verified, or
// more than once as anything else: the probe promises neither.
func (c *checks) reportedTwice() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []uint64
	for seq, rs := range c.bySeq {
		good := 0
		for _, r := range rs {
			if r == probe.Verified {
				good++
			}
		}
		if good > 1 || len(rs)-good > 1 {
			out = append(out, seq)
		}
	}
	slices.Sort(out)
	return out
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

// foundBy returns the verdicts of kind r by the read that found them.
func (c *checks) foundBy(r probe.CheckResult) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for _, x := range c.ranges {
		if x.Result == r {
			m[x.Sweep.Kind.String()] += x.N
		}
	}
	return m
}

// sweepsDone returns the finished full sweeps of kind k.
func (c *checks) sweepsDone(k probe.SweepKind) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.sweeps {
		if r.Sweep.Kind == k && r.Complete {
			n++
		}
	}
	return n
}

// verify fails the test on runs that did not match their writes and on
// writes reported twice.
func (c *checks) verify(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	errs := c.errs
	c.mu.Unlock()
	for _, e := range errs {
		t.Error(e)
	}
	if twice := c.reportedTwice(); len(twice) > 0 {
		t.Errorf("writes reported twice: %v", twice)
	}
}
