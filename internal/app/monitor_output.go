package app

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

// ErrMonitorOutput wraps every problem with the monitor's output directory,
// which is bad input (exit 2), not a failed run.
var ErrMonitorOutput = errors.New("monitor output directory")

// The monitor's files, in its output directory. Each is created at start
// (an existing one is an error, so that two runs never mix) and flushed
// every second, so a crash loses at most the last second.
const (
	AvailabilityFile = "availability.csv" // one row per second
	OutagesFile      = "outages.csv"      // one row per outage
	IntegrityFile    = "integrity.csv"    // one row per run of verdicts
	CloudWatchFile   = "cloudwatch.csv"   // one row per datapoint
	EventsFile       = "events.jsonl"     // engine, version and role as detected, their changes, outages
	SummaryFile      = "summary.txt"      // the summary printed at the end
)

// timeLayout is RFC 3339 in UTC with milliseconds: sortable, and what
// spreadsheets and pandas read.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func seconds3(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// csvFile is one CSV file written as it goes; safe for concurrent use.
type csvFile struct {
	mu sync.Mutex
	f  *os.File
	w  *csv.Writer
}

// createFile creates dir/name, which must not exist yet.
func createFile(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, os.ErrExist):
		return nil, fmt.Errorf("%w %s: already holds %s from another run; give a new directory", ErrMonitorOutput, dir, name)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMonitorOutput, err)
	}
	return f, nil
}

func createCSV(dir, name string, header ...string) (*csvFile, error) {
	f, err := createFile(dir, name)
	if err != nil {
		return nil, err
	}
	c := &csvFile{f: f, w: csv.NewWriter(f)}
	c.write(header...)
	return c, c.flush()
}

func (c *csvFile) write(fields ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.w.Write(fields) // the error sticks; flush reports it
}

func (c *csvFile) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.w.Flush()
	return c.w.Error()
}

func (c *csvFile) close() error {
	return errors.Join(c.flush(), c.f.Close())
}

// jsonLines is a file of one JSON object per line; safe for concurrent use.
type jsonLines struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	err error
}

func createJSONLines(dir, name string) (*jsonLines, error) {
	f, err := createFile(dir, name)
	if err != nil {
		return nil, err
	}
	return &jsonLines{f: f, w: bufio.NewWriter(f)}, nil
}

func (j *jsonLines) write(v any) {
	b, err := json.Marshal(v)
	j.mu.Lock()
	defer j.mu.Unlock()
	if err == nil {
		b = append(b, '\n')
		_, err = j.w.Write(b)
	}
	j.err = cmp.Or(j.err, err)
}

func (j *jsonLines) flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return cmp.Or(j.err, j.w.Flush())
}

func (j *jsonLines) close() error { return errors.Join(j.flush(), j.f.Close()) }

// monitorEvent is one line of events.jsonl.
type monitorEvent struct {
	Time string `json:"time"`
	// detected, changed, role_changed, restarted, master_link_changed,
	// outage_start, outage_end
	Event string `json:"event"`
	// detected and changed: what INFO says now; changed: and before. The
	// node events: the node's role now and before, and the engine.
	Engine          string `json:"engine,omitempty"`
	Version         string `json:"version,omitempty"`
	Mode            string `json:"mode,omitempty"`
	Role            string `json:"role,omitempty"`
	PreviousEngine  string `json:"previous_engine,omitempty"`
	PreviousVersion string `json:"previous_version,omitempty"`
	PreviousMode    string `json:"previous_mode,omitempty"`
	PreviousRole    string `json:"previous_role,omitempty"`
	// role_changed, restarted, master_link_changed: the node (host:port),
	// a replica's primary, run_id and master link, now and before.
	Node               string `json:"node,omitempty"`
	Primary            string `json:"primary,omitempty"`
	PreviousPrimary    string `json:"previous_primary,omitempty"`
	RunID              string `json:"run_id,omitempty"`
	PreviousRunID      string `json:"previous_run_id,omitempty"`
	MasterLink         string `json:"master_link,omitempty"`
	PreviousMasterLink string `json:"previous_master_link,omitempty"`
	// outage_start and outage_end.
	Start    string   `json:"start,omitempty"`
	Duration *float64 `json:"duration_seconds,omitempty"`
	Class    string   `json:"class,omitempty"` // why the first probe failed
	Error    string   `json:"error,omitempty"` // the first failed probe's error
}

func infoEvent(at time.Time, kind string, now target.Info, before *target.Info) monitorEvent {
	e := monitorEvent{Time: formatTime(at), Event: kind,
		Engine: string(now.Engine), Version: now.Version, Mode: now.Mode, Role: now.Role}
	if before != nil {
		e.PreviousEngine, e.PreviousVersion = string(before.Engine), before.Version
		e.PreviousMode, e.PreviousRole = before.Mode, before.Role
	}
	return e
}

// availabilityFile writes the availability probe's results as one row per
// second of wall-clock time (a second in which no probe finished has a row
// with 0 probes), and its outages as one row each. It is an
// AvailabilitySink.
type availabilityFile struct {
	perSecond, outages *csvFile

	mu         sync.Mutex
	cur        secondStats // the second being counted; zero start: none yet
	probes, ok int         // over the whole run
}

// totals returns the probes of the whole run, and how many succeeded.
func (a *availabilityFile) totals() (probes, ok int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.probes, a.ok
}

var _ probe.AvailabilitySink = (*availabilityFile)(nil)

// secondStats is what the probes that finished in one second saw.
type secondStats struct {
	start      time.Time
	probes, ok int
	sum, max   time.Duration // latency of every probe, failed ones included
	classes    map[result.Class]int
}

var availabilityHeader = []string{"second", "probes", "ok", "failed", "availability",
	"mean_latency_seconds", "max_latency_seconds", "error_classes"}

var outagesHeader = []string{"start", "end", "duration_seconds", "first_class", "last_class", "failed_probes", "ended"}

// Probe implements probe.AvailabilitySink.
func (a *availabilityFile) Probe(ok bool, class result.Class, latency time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// The clock is read under the lock, so rows come out in order even
	// when the flusher closes a second at the same moment.
	a.rollLocked(time.Now())
	s := &a.cur
	s.probes++
	a.probes++
	s.sum += latency
	s.max = max(s.max, latency)
	if ok {
		s.ok++
		a.ok++
		return
	}
	if s.classes == nil {
		s.classes = map[result.Class]int{}
	}
	s.classes[class]++
}

// OutageStart implements probe.AvailabilitySink; the outage is written when
// it ends.
func (a *availabilityFile) OutageStart(probe.Outage) {}

// OutageEnd implements probe.AvailabilitySink.
func (a *availabilityFile) OutageEnd(o probe.Outage) { a.writeOutage(o, true) }

// writeOutage writes o; an outage not ended when the monitor stopped has
// ended false, and its end is the stop.
func (a *availabilityFile) writeOutage(o probe.Outage, ended bool) {
	a.outages.write(formatTime(o.Start), formatTime(o.End), seconds3(o.Duration),
		o.FirstClass.String(), o.LastClass.String(), strconv.Itoa(o.Failed), strconv.FormatBool(ended))
}

// roll writes the rows of the seconds that ended before now.
func (a *availabilityFile) roll(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rollLocked(now)
}

func (a *availabilityFile) rollLocked(now time.Time) {
	sec := now.Truncate(time.Second)
	if a.cur.start.IsZero() {
		a.cur = secondStats{start: sec}
		return
	}
	for a.cur.start.Before(sec) {
		a.writeSecond(a.cur)
		a.cur = secondStats{start: a.cur.start.Add(time.Second)}
	}
}

// finish writes the row of the second under way, cut short by the stop.
func (a *availabilityFile) finish(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rollLocked(now)
	if a.cur.probes > 0 {
		a.writeSecond(a.cur)
	}
	a.cur = secondStats{}
}

func (a *availabilityFile) writeSecond(s secondStats) {
	row := []string{formatTime(s.start), strconv.Itoa(s.probes), strconv.Itoa(s.ok), strconv.Itoa(s.probes - s.ok), "", "", "", ""}
	if s.probes > 0 {
		row[4] = strconv.FormatFloat(float64(s.ok)/float64(s.probes), 'f', 3, 64)
		row[5] = strconv.FormatFloat((s.sum / time.Duration(s.probes)).Seconds(), 'f', 6, 64)
		row[6] = strconv.FormatFloat(s.max.Seconds(), 'f', 6, 64)
	}
	var classes []string
	for _, c := range slices.Sorted(maps.Keys(s.classes)) {
		classes = append(classes, fmt.Sprintf("%s=%d", c, s.classes[c]))
	}
	row[7] = strings.Join(classes, ";")
	a.perSecond.write(row...)
}

var integrityHeader = []string{"time", "result", "from_seq", "to_seq", "count", "found_by", "reason"}

// writeCheck writes one run of verdicts, found now.
func writeCheck(f *csvFile, c probe.Check) {
	f.write(formatTime(time.Now()), c.Result.String(), strconv.FormatUint(c.From, 10), strconv.FormatUint(c.To, 10),
		strconv.Itoa(c.N), c.Sweep.Kind.String(), c.Sweep.Reason)
}

var cloudWatchHeader = []string{"timestamp", "cluster", "node", "metric", "stat", "period_seconds", "value", "polled_at"}

// cloudWatchTap is the poller's GetMetricData client: it passes every call
// to the real client and writes each datapoint of the answers to a CSV file
// once. The poller asks for the last Lookback in every round, so the same
// datapoint comes back many times; the tap remembers which it wrote for
// cloudWatchMemory.
type cloudWatchTap struct {
	cwsdk.GetMetricDataAPIClient
	out *csvFile

	mu      sync.Mutex
	written map[cwSeries]map[int64]bool // Unix seconds of the datapoints written
	points  int
}

// cloudWatchMemory is how long the tap remembers a written datapoint: more
// than the poller's lookback (10 minutes), less than forever.
const cloudWatchMemory = time.Hour

type cwSeries struct{ cluster, node, metric, stat string }

var _ cwsdk.GetMetricDataAPIClient = (*cloudWatchTap)(nil)

// GetMetricData implements cloudwatch.GetMetricDataAPIClient.
func (t *cloudWatchTap) GetMetricData(ctx context.Context, in *cwsdk.GetMetricDataInput, opts ...func(*cwsdk.Options)) (*cwsdk.GetMetricDataOutput, error) {
	out, err := t.GetMetricDataAPIClient.GetMetricData(ctx, in, opts...)
	if err == nil {
		t.record(in, out, time.Now())
	}
	return out, err
}

func (t *cloudWatchTap) record(in *cwsdk.GetMetricDataInput, out *cwsdk.GetMetricDataOutput, now time.Time) {
	type query struct {
		series cwSeries
		period int32
	}
	queries := map[string]query{}
	for _, q := range in.MetricDataQueries {
		ms := q.MetricStat
		if q.Id == nil || ms == nil || ms.Metric == nil {
			continue
		}
		s := cwSeries{metric: deref(ms.Metric.MetricName), stat: deref(ms.Stat)}
		for _, d := range ms.Metric.Dimensions {
			switch deref(d.Name) {
			case "CacheClusterId", "clusterId":
				s.cluster = deref(d.Value)
			case "CacheNodeId":
				s.node = deref(d.Value)
			}
		}
		queries[*q.Id] = query{series: s, period: deref(ms.Period)}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.written == nil {
		t.written = map[cwSeries]map[int64]bool{}
	}
	forget := now.Add(-cloudWatchMemory).Unix()
	polled := formatTime(now)
	for _, r := range out.MetricDataResults {
		q, ok := queries[deref(r.Id)]
		if !ok || len(r.Timestamps) != len(r.Values) {
			continue
		}
		seen := t.written[q.series]
		if seen == nil {
			seen = map[int64]bool{}
			t.written[q.series] = seen
		}
		for at := range seen {
			if at < forget {
				delete(seen, at)
			}
		}
		// Oldest first in the file, whatever order CloudWatch answered in.
		order := make([]int, len(r.Timestamps))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return r.Timestamps[a].Compare(r.Timestamps[b]) })
		for _, i := range order {
			at := r.Timestamps[i].Unix()
			if seen[at] {
				continue
			}
			seen[at] = true
			t.points++
			s := q.series
			t.out.write(formatTime(r.Timestamps[i]), s.cluster, s.node, s.metric, s.stat, strconv.Itoa(int(q.period)),
				strconv.FormatFloat(r.Values[i], 'g', -1, 64), polled)
		}
	}
}

// count returns the number of datapoints written so far.
func (t *cloudWatchTap) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.points
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
