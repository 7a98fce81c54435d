package results

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// SchemaVersion is the version of run.json this package writes and the
// newest it reads. Adding a field keeps the version; renaming, removing or
// changing the meaning of one bumps it.
//
//	1  latency and service histograms and interval quantiles include errors
//	2  they are of answered requests (ok, miss) only; errors have their own
//	   error_latency histogram
const SchemaVersion = 2

// The files of a results directory.
const (
	RunFile       = "run.json"      // the run: the source of truth, all Read looks at
	IntervalsFile = "intervals.csv" // one row per series and second
	SummaryFile   = "summary.csv"   // one row per series
)

// Run is everything a finite benchmark run measured: the content of run.json.
type Run struct {
	Schema  int      `json:"schema"`
	Meta    Meta     `json:"meta"`
	Targets []Target `json:"targets"`
	Series  []Series `json:"series"`
	// Generator says, per (target, workload) runner, whether the load
	// generator kept up; absent when the caller did not report it.
	Generator []Generator `json:"generator,omitempty"`
}

// Meta describes how a run was made.
type Meta struct {
	Tool      string   // "ecbench"
	Version   string   // ecbench's version
	Host      string   // where the load generator ran
	GoVersion string   // runtime.Version()
	Command   []string // the command line, secrets removed by the caller

	Start, End time.Time     // when the run started and ended
	Warmup     time.Duration // time after Start whose requests are not in the results
	Duration   time.Duration // measured time per workload (merged runs: the sum)
	Sequential bool          // workloads ran one after another rather than at once

	// Config is the run's configuration, redacted by the caller: anything
	// encoding/json can marshal. Read returns it as generic JSON values
	// (map[string]any, []any, float64, string, bool).
	Config any

	// MergedStarts lists the start of every run merged into this one, in
	// merge order; empty for a run that was not merged.
	MergedStarts []time.Time
}

// metaJSON is Meta's JSON shape: durations as Go duration strings ("1m30s").
type metaJSON struct {
	Tool         string      `json:"tool"`
	Version      string      `json:"version"`
	Host         string      `json:"host"`
	GoVersion    string      `json:"go_version"`
	Command      []string    `json:"command"`
	Start        time.Time   `json:"start"`
	End          time.Time   `json:"end"`
	Warmup       string      `json:"warmup"`
	Duration     string      `json:"duration"`
	Sequential   bool        `json:"sequential"`
	Config       any         `json:"config,omitempty"`
	MergedStarts []time.Time `json:"merged_starts,omitempty"`
}

// MarshalJSON writes durations as Go duration strings.
func (m Meta) MarshalJSON() ([]byte, error) {
	return json.Marshal(metaJSON{
		Tool: m.Tool, Version: m.Version, Host: m.Host, GoVersion: m.GoVersion,
		Command: m.Command, Start: m.Start, End: m.End,
		Warmup: m.Warmup.String(), Duration: m.Duration.String(),
		Sequential: m.Sequential, Config: m.Config, MergedStarts: m.MergedStarts,
	})
}

// UnmarshalJSON reads durations as Go duration strings.
func (m *Meta) UnmarshalJSON(b []byte) error {
	var j metaJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	warmup, err := time.ParseDuration(j.Warmup)
	if err != nil {
		return fmt.Errorf("meta.warmup: %w", err)
	}
	duration, err := time.ParseDuration(j.Duration)
	if err != nil {
		return fmt.Errorf("meta.duration: %w", err)
	}
	*m = Meta{
		Tool: j.Tool, Version: j.Version, Host: j.Host, GoVersion: j.GoVersion,
		Command: j.Command, Start: j.Start, End: j.End,
		Warmup: warmup, Duration: duration,
		Sequential: j.Sequential, Config: j.Config, MergedStarts: j.MergedStarts,
	}
	return nil
}

// Target is one benchmarked endpoint as it was detected during the run.
type Target struct {
	Name    string        `json:"name"`    // from the configuration
	Engine  engine.Engine `json:"engine"`  // Redis, Valkey or Unknown
	Version string        `json:"version"` // the server's version
	Mode    string        `json:"mode"`    // "standalone" or "cluster"
	Role    string        `json:"role"`    // "master" or "replica"
}

// Series is what one op of one workload saw on one target after warm-up.
//
// The counts and histograms cover every result whose intended start is after
// warm-up, including answers that arrived after the measured window closed
// (requests in flight at the end). Intervals cover only the whole seconds of
// the measured window, so their sums can be slightly below the counts.
type Series struct {
	Target   string        `json:"target"`
	Engine   engine.Engine `json:"engine"`
	Workload string        `json:"workload"`
	Op       string        `json:"op"`

	OK      uint64 `json:"ok"`
	Miss    uint64 `json:"miss"`
	Errors  uint64 `json:"errors"`
	Dropped uint64 `json:"dropped"`
	// ErrorClasses counts errors by result.Class label; absent when none.
	ErrorClasses map[string]uint64 `json:"error_classes,omitempty"`

	// Latency is from the intended start to the answer, Service from the
	// actual send to the answer, both of answered requests (ok and miss)
	// only. ErrorLatency is from the intended start to the error, of failed
	// requests: an error reply, a timeout, a refused connection. Dropped
	// requests have no latency.
	//
	// In a schema-1 run (Run.Schema 1), Latency and Service include the
	// errors and ErrorLatency is empty.
	Latency      Histogram `json:"latency"`
	Service      Histogram `json:"service"`
	ErrorLatency Histogram `json:"error_latency"`

	// Seconds is the length of the measured window, from the end of warm-up
	// to the end of the run (summed over merged runs): the time the counts
	// were achieved in.
	Seconds float64 `json:"seconds"`
	// IntervalSeconds is the length of every interval: 1.
	IntervalSeconds float64 `json:"interval_seconds"`
	// Intervals has one row per second of the measured window, empty seconds
	// included; absent when the window held no whole second.
	Intervals []Interval `json:"intervals,omitempty"`
}

// Interval is one second of a series. Completed requests belong to the
// second they were answered in, dropped ones to the second they were due.
// The latency fields are of the second's answered requests (ok and miss;
// schema 1: errors too), from the intended start, in seconds, and are 0
// when no request was answered in the second.
type Interval struct {
	T       int64   `json:"t"` // seconds since the recorder's time zero (the run's start): [T, T+1)
	OK      uint64  `json:"ok"`
	Miss    uint64  `json:"miss"`
	Errors  uint64  `json:"errors"`
	Dropped uint64  `json:"dropped"`
	Mean    float64 `json:"mean"`
	P50     float64 `json:"p50"`
	P95     float64 `json:"p95"`
	P99     float64 `json:"p99"`
	P999    float64 `json:"p999"`
	Max     float64 `json:"max"`
}

// Generator is how the load generator of one (target, workload) runner fared
// while measuring. A runner that dropped requests or fell behind its
// schedule was the bottleneck, and its numbers understate the engine.
type Generator struct {
	Target         string
	Workload       string
	MaxScheduleLag time.Duration // the longest a request waited past its due time to be dispatched
	// The schedule lag's distribution over every request (LagRecorder);
	// zero for a closed loop and in files written before it was recorded.
	ScheduleLagP50, ScheduleLagP99, ScheduleLagP999 time.Duration
	Dropped                                         uint64 // requests not sent: the in-flight bound was reached
	MaxInFlight                                     int64  // the in-flight bound (closed loop: the worker count)
	// OpenLoop: requests followed a rate schedule, the same for every
	// target, so the throughput is what the schedule offered, less what
	// was dropped or failed, not a measure of the engine.
	OpenLoop bool
}

// SaturationLag is the schedule lag past which the generator, not the
// engine, set the pace: past it (or with any request dropped) the numbers
// describe ecbench, not the engine.
const SaturationLag = 50 * time.Millisecond

// Bound reports whether the generator was the bottleneck of this runner.
func (g Generator) Bound() bool { return g.Dropped > 0 || g.MaxScheduleLag > SaturationLag }

// generatorJSON is Generator's JSON shape: the lag as a Go duration string.
type generatorJSON struct {
	Target         string `json:"target"`
	Workload       string `json:"workload"`
	MaxScheduleLag string `json:"max_schedule_lag"`
	LagP50         string `json:"schedule_lag_p50,omitempty"`
	LagP99         string `json:"schedule_lag_p99,omitempty"`
	LagP999        string `json:"schedule_lag_p999,omitempty"`
	Dropped        uint64 `json:"dropped"`
	MaxInFlight    int64  `json:"max_inflight"`
	OpenLoop       bool   `json:"open_loop,omitempty"`
}

// MarshalJSON writes the lag as a Go duration string.
func (g Generator) MarshalJSON() ([]byte, error) {
	return json.Marshal(generatorJSON{
		Target: g.Target, Workload: g.Workload, MaxScheduleLag: g.MaxScheduleLag.String(),
		LagP50: g.ScheduleLagP50.String(), LagP99: g.ScheduleLagP99.String(), LagP999: g.ScheduleLagP999.String(),
		Dropped: g.Dropped, MaxInFlight: g.MaxInFlight, OpenLoop: g.OpenLoop,
	})
}

// UnmarshalJSON reads the lag as a Go duration string.
func (g *Generator) UnmarshalJSON(b []byte) error {
	var j generatorJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	lag, err := time.ParseDuration(j.MaxScheduleLag)
	if err != nil {
		return fmt.Errorf("generator.max_schedule_lag: %w", err)
	}
	*g = Generator{Target: j.Target, Workload: j.Workload, MaxScheduleLag: lag, Dropped: j.Dropped, MaxInFlight: j.MaxInFlight, OpenLoop: j.OpenLoop}
	for _, q := range []struct {
		name, value string
		into        *time.Duration
	}{
		{"schedule_lag_p50", j.LagP50, &g.ScheduleLagP50},
		{"schedule_lag_p99", j.LagP99, &g.ScheduleLagP99},
		{"schedule_lag_p999", j.LagP999, &g.ScheduleLagP999},
	} {
		if q.value == "" { // written before the distribution was kept
			continue
		}
		if *q.into, err = time.ParseDuration(q.value); err != nil {
			return fmt.Errorf("generator.%s: %w", q.name, err)
		}
	}
	return nil
}
