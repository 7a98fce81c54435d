package results

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loghist"
)

// SchemaVersion is the version of run.json this package writes and the
// newest it reads. Adding a field keeps the version; renaming, removing or
// changing the meaning of one bumps it.
//
//	1  latency and service histograms and interval quantiles include errors
//	2  they are of answered requests (ok, miss) only; errors have their own
//	   error_latency histogram
//	3  interval rows adapt (100 ms · 2^k, at most MaxIntervals of them) and t
//	   counts rows of interval_seconds; each row carries its latency_hist;
//	   latency and the rows' latency also hold dropped requests' lower bounds
//	   (lower_bounds counts them)
//	4  servers: INFO snapshots of each target around each workload's
//	   preload and measured phase (Server); targets' price_per_hour and
//	   currency. Series mean what they meant in 3: runs of 3 and 4 merge.
const SchemaVersion = 4

// The files of a results directory.
const (
	RunFile       = "run.json"      // the run: the source of truth, all Read looks at
	IntervalsFile = "intervals.csv" // one row per series and interval
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
	// Servers holds, per (target, workload) and run, what the target's
	// INFO said around the preload and the measured phase (schema 4;
	// absent in older files, and for targets whose INFO was never read).
	// Efficiencies derives the figures.
	Servers []Server `json:"servers,omitempty"`
	// Replays says, per replay workload, what it read of its trace and
	// what it could not send (absent for runs without one, and in files
	// written before it was added).
	Replays []Replay `json:"replays,omitempty"`
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
	// PricePerHour is what the user said the target costs per hour, in
	// Currency (free text, such as "USD"); 0: no price given (schema 4).
	PricePerHour float64 `json:"price_per_hour,omitempty"`
	Currency     string  `json:"currency,omitempty"`
}

// Series is what one op of one workload saw on one target after warm-up.
//
// The counts and histograms cover every result whose intended start is after
// warm-up, including answers that arrived after the measured window closed
// (requests in flight at the end). Intervals cover only the whole rows of
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
	// LowerBounds counts the dropped requests (among Dropped) whose
	// latency lower bound is in Latency: those the runner reported with the
	// time the in-flight bound freed (result.Result.Done).
	LowerBounds uint64 `json:"lower_bounds"`
	// ErrorClasses counts errors by result.Class label; absent when none.
	ErrorClasses map[string]uint64 `json:"error_classes,omitempty"`

	// Latency is from the intended start to the answer, of answered
	// requests (ok and miss), and, as lower bounds, of the LowerBounds
	// dropped requests: from the intended start to the moment the in-flight
	// bound freed, the earliest the request could have been sent. A stall
	// that makes the generator drop therefore still shows in the
	// percentiles. Latency.Count() is OK+Miss+LowerBounds. Service is from
	// the actual send to the answer, of answered requests only.
	// ErrorLatency is from the intended start to the error, of failed
	// requests: an error reply, a timeout, a refused connection.
	//
	// In a schema-1 run (Run.Schema 1), Latency and Service include the
	// errors and ErrorLatency is empty; before schema 3, Latency holds no
	// lower bounds (dropped requests had no latency).
	Latency      Histogram `json:"latency"`
	Service      Histogram `json:"service"`
	ErrorLatency Histogram `json:"error_latency"`

	// Seconds is the length of the measured window, from the end of warm-up
	// to the end of the run (summed over merged runs): the time the counts
	// were achieved in.
	Seconds float64 `json:"seconds"`
	// IntervalSeconds is the length of every row, L: a recorder makes it
	// 0.1 s · 2^k, the shortest that keeps the window's rows within
	// MaxIntervals (schemas 1 and 2: 1). It depends on the measured window
	// only, so the series of both targets of one workload have the same
	// rows. 0 in files written before it was recorded: IntervalLength
	// reads it as 1.
	IntervalSeconds float64 `json:"interval_seconds"`
	// Intervals has one row per L of the measured window, empty rows
	// included, in order of T; absent when the window held no whole row.
	Intervals []Interval `json:"intervals,omitempty"`
}

// Interval is one row of a series: T·L to (T+1)·L after the recorder's time
// zero, L being Series.IntervalSeconds. Completed requests belong to the row
// they were answered in, dropped ones with a latency lower bound to the row
// the in-flight bound freed in (result.Result.Done), other dropped ones to
// the row they were due in.
//
// The latency fields are of the row's answered requests (ok and miss;
// schema 1: errors too) and, from schema 3, of its LowerBounds dropped
// requests' lower bounds, from the intended start, in seconds; 0 when the row
// has none. From schema 3, Mean is exact (a sum of nanoseconds, of
// LatencyHist.Count() values: use that count, not OK+Miss, to weight it),
// the quantiles are LatencyHist's (bucket midpoints, within 0.39%) capped at
// Max, and Max is exact; before, all came from an HdrHistogram (0.1%).
type Interval struct {
	T       int64  `json:"t"` // the row's index: it starts T·IntervalSeconds after time zero
	OK      uint64 `json:"ok"`
	Miss    uint64 `json:"miss"`
	Errors  uint64 `json:"errors"`
	Dropped uint64 `json:"dropped"`
	// LowerBounds counts the row's dropped requests (among Dropped) whose
	// latency lower bound is in the row's latency fields and LatencyHist.
	LowerBounds uint64  `json:"lower_bounds"`
	Mean        float64 `json:"mean"`
	P50         float64 `json:"p50"`
	P95         float64 `json:"p95"`
	P99         float64 `json:"p99"`
	P999        float64 `json:"p999"`
	Max         float64 `json:"max"`
	// LatencyHist is the distribution of the row's latency values (package
	// loghist), to merge rows or resample them (Series.IntervalHistograms);
	// the latency fields are computed from the same values. It can hold
	// fewer values than OK+Miss+LowerBounds: a result recorded more than
	// 200 ms after a later one may only count (see the package doc).
	// Empty in rows without latency values and in runs of schema 1 or 2 or
	// from Prometheus, which kept no histogram per row.
	LatencyHist loghist.Histogram `json:"latency_hist,omitzero"`
}
