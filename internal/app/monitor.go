package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// MonitorOptions configure a Monitor: one endpoint watched through an
// engine migration or a failover. Zero durations take the defaults.
type MonitorOptions struct {
	Target        target.Options // the endpoint; Name labels the metrics
	ProbeInterval time.Duration  // between availability probes and between integrity writes; default 100ms
	ProbeTimeout  time.Duration  // a slower availability probe fails; default ProbeInterval
	// IntegrityKeys is the integrity probe's ring: the keys it writes, and
	// how many writes back a loss is still found. 0: 10,000; negative: no
	// integrity probe.
	IntegrityKeys int
	InfoInterval  time.Duration // how often INFO is read (engine, version, role, run_id, master link); default 5s
	CloudWatch    MonitorCloudWatch
	Dir           string // the output directory, created if missing; required
	Listen        string // serve /metrics there; "": no server
	Version       string // ecbench's, for ecbench_build_info
}

// MonitorCloudWatch is the ElastiCache resource whose CloudWatch metrics the
// monitor polls; polling is off while CloudWatch is nil.
type MonitorCloudWatch struct {
	ReplicationGroup string // or
	CacheCluster     string
	Interval         time.Duration // between polls; default 60s
	CloudWatch       cwsdk.GetMetricDataAPIClient
	ElastiCache      cloudwatch.DescribeAPI
}

// Monitor defaults.
const (
	DefaultMonitorProbeInterval = 100 * time.Millisecond
	DefaultMonitorInfoInterval  = 5 * time.Second
	minMonitorInterval          = time.Millisecond
	// The monitor's probe keys; the integrity probe's ring is this prefix and
	// a number.
	monitorAvailabilityKey = "ecbench:monitor:avail"
	monitorIntegrityPrefix = "ecbench:monitor:integrity:"
)

// monitorHealthInterval is the poller's health check (PING) interval: the
// daemon's, or the INFO interval when that is shorter. The availability
// probe measures outages; the health check only brings the poller back
// after one, and Recheck at the outage's end does that at once.
func monitorHealthInterval(info time.Duration) time.Duration { return min(info, healthInterval) }

func (o MonitorOptions) withDefaults() (MonitorOptions, error) {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("monitor: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	o.ProbeInterval = cmp.Or(o.ProbeInterval, DefaultMonitorProbeInterval)
	o.ProbeTimeout = cmp.Or(o.ProbeTimeout, o.ProbeInterval)
	o.InfoInterval = cmp.Or(o.InfoInterval, DefaultMonitorInfoInterval)
	o.CloudWatch.Interval = cmp.Or(o.CloudWatch.Interval, cloudwatch.DefaultPollInterval)
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"probe interval", o.ProbeInterval}, {"probe timeout", o.ProbeTimeout},
		{"info interval", o.InfoInterval}, {"cloudwatch interval", o.CloudWatch.Interval},
	} {
		if d.v < minMonitorInterval {
			bad(d.field, "must be at least %v, got %v", minMonitorInterval, d.v)
		}
	}
	if o.Dir == "" {
		bad("output directory", "required")
	}
	if c := o.CloudWatch; c.CloudWatch != nil && (c.ReplicationGroup == "") == (c.CacheCluster == "") {
		bad("cloudwatch", "name exactly one of a replication group and a cache cluster, got %q and %q", c.ReplicationGroup, c.CacheCluster)
	}
	return o, errors.Join(errs...)
}

// Monitor watches one endpoint: an availability probe and an integrity
// probe against it, its engine, version and role from INFO, and its
// CloudWatch metrics, all written to files in its output directory as it
// goes, and optionally served on /metrics.
type Monitor struct {
	o      MonitorOptions
	log    *zap.Logger
	target *target.Target
	reg    *prometheus.Registry
	server *metrics.Server // nil without Listen

	avail  *probe.Availability
	integ  *probe.Integrity // nil when off
	poller *cloudwatch.Poller
	tap    *cloudWatchTap // nil when CloudWatch is off

	// The output files, and the verdict runs waiting to be written:
	// problems go out within a second, verified runs once a minute.
	availFile          *availabilityFile
	integrity, cwFile  *csvFile // nil when off
	events             *jsonLines
	problems, verified *probe.Ranges
	files              []interface{ flush() error }
	closers            []func() error
	verifiedFlushed    time.Time // Run's goroutine only

	mu   sync.Mutex
	sum  MonitorSummary
	open *probe.Outage // the outage under way
}

// NewMonitor builds the monitor of o and creates its output files. It does
// not connect: an endpoint that is down at start is an outage, not an error.
// An error about the output directory wraps ErrMonitorOutput.
func NewMonitor(o MonitorOptions, log *zap.Logger) (*Monitor, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Monitor{o: o, log: log, reg: metrics.NewRegistry()}
	if err := m.createFiles(); err != nil {
		m.closeFiles()
		return nil, err
	}
	fail := func(err error) (*Monitor, error) {
		m.closeFiles()
		if m.target != nil {
			_ = m.target.Close()
		}
		return nil, err
	}
	o.Target.InfoInterval = o.InfoInterval
	if m.target, err = target.New(o.Target); err != nil {
		return fail(err)
	}
	mm, err := metrics.New(m.reg, o.Version)
	if err != nil {
		return fail(err)
	}
	mm.AddTarget(targetState(m.target))
	if err := watchServerStats(m.reg, m.target); err != nil {
		return fail(err)
	}
	pm, err := metrics.NewProbes(m.reg)
	if err != nil {
		return fail(err)
	}
	name := m.target.Name()
	if o.IntegrityKeys >= 0 {
		m.problems = probe.NewRanges(m.onProblem)
		m.verified = probe.NewRanges(func(c probe.Check) { writeCheck(m.integrity, c) })
		m.integ, err = probe.NewIntegrity(m.target.Client(), probe.IntegrityOptions{
			Prefix: monitorIntegrityPrefix, Keys: o.IntegrityKeys, Interval: o.ProbeInterval,
		}, probe.IntegritySinks{pm.Integrity(name, m.target.Engine), integritySink{m}})
		if err != nil {
			return fail(fmt.Errorf("integrity probe: %w", err))
		}
	}
	m.avail, err = probe.NewAvailability(m.target.Client(), probe.AvailabilityOptions{
		Interval: o.ProbeInterval, Timeout: o.ProbeTimeout, Key: monitorAvailabilityKey,
	}, probe.AvailabilitySinks{pm.Availability(name, m.target.Engine), m.availFile, outageSink{m}})
	if err != nil {
		return fail(fmt.Errorf("availability probe: %w", err))
	}
	if c := o.CloudWatch; c.CloudWatch != nil {
		m.tap = &cloudWatchTap{GetMetricDataAPIClient: c.CloudWatch, out: m.cwFile}
		src := cloudwatch.Source{Target: name, Engine: m.target.Engine, ReplicationGroup: c.ReplicationGroup}
		if c.CacheCluster != "" {
			src.CacheClusters = []string{c.CacheCluster}
		}
		m.poller, err = cloudwatch.New(m.reg, cloudwatch.Options{
			Sources: []cloudwatch.Source{src}, PollInterval: c.Interval,
			CloudWatch: m.tap, ElastiCache: c.ElastiCache,
			Log: zapEvents{log.Named("cloudwatch").Sugar()},
		})
		if err != nil {
			return fail(err)
		}
	}
	if o.Listen != "" {
		m.server = metrics.NewServer(o.Listen, m.reg, nil, metrics.WithLogger(log))
	}
	m.sum = MonitorSummary{Endpoint: m.target.String(), Dir: o.Dir, Integrity: m.integ != nil, CloudWatch: m.poller != nil}
	return m, nil
}

func (m *Monitor) createFiles() error {
	if err := os.MkdirAll(m.o.Dir, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrMonitorOutput, err)
	}
	add := func(f *csvFile) *csvFile {
		m.files = append(m.files, f)
		m.closers = append(m.closers, f.close)
		return f
	}
	perSecond, err := createCSV(m.o.Dir, AvailabilityFile, availabilityHeader...)
	if err != nil {
		return err
	}
	add(perSecond)
	outages, err := createCSV(m.o.Dir, OutagesFile, outagesHeader...)
	if err != nil {
		return err
	}
	add(outages)
	m.availFile = &availabilityFile{perSecond: perSecond, outages: outages}
	if m.o.IntegrityKeys >= 0 {
		if m.integrity, err = createCSV(m.o.Dir, IntegrityFile, integrityHeader...); err != nil {
			return err
		}
		add(m.integrity)
	}
	if m.o.CloudWatch.CloudWatch != nil {
		if m.cwFile, err = createCSV(m.o.Dir, CloudWatchFile, cloudWatchHeader...); err != nil {
			return err
		}
		add(m.cwFile)
	}
	if m.events, err = createJSONLines(m.o.Dir, EventsFile); err != nil {
		return err
	}
	m.files = append(m.files, m.events)
	m.closers = append(m.closers, m.events.close)
	// The summary is written at the end; creating it now finds a
	// directory that cannot take it before the run rather than after.
	f, err := createFile(m.o.Dir, SummaryFile)
	if err != nil {
		return err
	}
	return f.Close()
}

func (m *Monitor) closeFiles() error {
	var errs []error
	for _, c := range m.closers {
		errs = append(errs, c())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// Addr is the /metrics server's address once Run has started it, else "".
func (m *Monitor) Addr() string {
	if m.server == nil {
		return ""
	}
	return m.server.Addr()
}

// Run watches until ctx is done, then stops (the integrity probe's final
// sweep takes up to its timeout, 1s), writes and closes the files and
// returns the summary. The error is about the metrics server or the files;
// the endpoint's failures are what the monitor measures.
func (m *Monitor) Run(ctx context.Context) (*MonitorSummary, error) {
	defer func() { _ = m.target.Close() }()
	if m.server != nil {
		if err := m.server.Start(); err != nil {
			m.closeFiles()
			return nil, fmt.Errorf("metrics server: %w", err)
		}
		m.log.Info("serving metrics", zap.String("url", "http://"+m.server.Addr()+"/metrics"))
	}
	m.verifiedFlushed = time.Now()
	m.mu.Lock()
	m.sum.Start = m.verifiedFlushed
	m.mu.Unlock()
	m.log.Info("monitoring", zap.String("endpoint", m.target.String()), zap.String("dir", m.o.Dir),
		zap.Duration("probe_interval", m.o.ProbeInterval), zap.Bool("integrity", m.integ != nil),
		zap.Bool("cloudwatch", m.poller != nil))

	// Stopped in order: the availability probe first, so that the final
	// sweep's reads are not counted as probes; then the rest.
	availCtx, stopAvail := context.WithCancel(context.Background())
	restCtx, stopRest := context.WithCancel(context.Background())
	defer stopAvail()
	defer stopRest()
	var avail, rest sync.WaitGroup
	avail.Go(func() { m.avail.Run(availCtx) })
	if m.integ != nil {
		rest.Go(func() {
			if err := m.integ.Run(restCtx); err != nil {
				m.log.Error("integrity probe stopped", zap.Error(err))
			}
		})
	}
	if m.poller != nil {
		rest.Go(func() { m.poller.Run(restCtx) })
	}
	rest.Go(func() { m.target.Monitor(restCtx, monitorHealthInterval(m.o.InfoInterval), m.onTargetEvent) })

	var flushErr error // the first; a file's write error sticks
	tick := time.NewTicker(time.Second)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case now := <-tick.C:
			if err := m.flush(now, false); err != nil && flushErr == nil {
				flushErr = err
				m.log.Error("cannot write the output files; monitoring goes on", zap.Error(err))
			}
		}
	}
	tick.Stop()
	stopAvail()
	avail.Wait()
	stopRest()
	rest.Wait()

	end := time.Now()
	m.finish(end)
	err := cmp.Or(flushErr, errors.Join(m.flush(end, true), m.closeFiles()))
	if m.server != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if serr := m.server.Shutdown(sctx); serr != nil {
			m.log.Warn("metrics server shutdown", zap.Error(serr))
		}
	}
	s := m.summary()
	if werr := s.writeFile(); werr != nil {
		err = errors.Join(err, werr)
	}
	return s, err
}

// flush closes the seconds that ended, emits the verdict runs that wait
// (problems every second, verified writes every minute: they are many and
// nothing to act on) and flushes every file to the OS. At the end, all of it.
func (m *Monitor) flush(now time.Time, final bool) error {
	m.availFile.roll(now)
	if m.problems != nil {
		m.problems.Flush()
		if final || now.Sub(m.verifiedFlushed) >= time.Minute {
			m.verified.Flush()
			m.verifiedFlushed = now
		}
	}
	var errs []error
	for _, f := range m.files {
		if err := f.flush(); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrMonitorOutput, err))
		}
	}
	return errors.Join(errs...)
}

// finish writes what is still under way at the stop: the last second and
// an outage that has not ended.
func (m *Monitor) finish(end time.Time) {
	m.availFile.finish(end)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sum.End = end
	if m.open != nil {
		o := *m.open
		o.End, o.Duration = end, end.Sub(o.Start)
		m.availFile.writeOutage(o, false)
		m.sum.Outages = append(m.sum.Outages, o)
		m.sum.Ongoing = true
		m.open = nil
	}
	if m.tap != nil {
		m.sum.CloudWatchPoints = m.tap.count()
	}
}

// summary returns a copy of the summary so far.
func (m *Monitor) summary() *MonitorSummary {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sum
	s.Outages = append([]probe.Outage(nil), m.sum.Outages...)
	s.Probes, s.ProbesOK = m.availFile.totals()
	return &s
}
