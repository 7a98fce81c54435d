package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// A workload of type replay sends a captured trace's commands instead of a
// mix of ops:
//
//	- name: prod
//	  type: replay
//	  replay: {file: prod.monitor, format: monitor, loop: false, max_value_size: 1MiB}
//	  rate: {type: recorded, speed: 1}     # the default: the trace's own timing
//
// rate says when requests are sent, as for every workload: recorded is the
// trace's inter-arrival times × speed; any other type sends the trace's
// commands in order at that rate. Without loop, the trace's end ends a
// bench's phase, and the daemon's workload sends nothing more. The keys are the trace's under
// keys.prefix; what the trace says replaces ops, values, elements, range,
// ttl, mget_batch, keys.count and keys.distribution, which are errors
// here, and preload.

// Replay is what a workload of type replay replays.
type Replay struct {
	File   string `mapstructure:"file"`   // the trace; gzip-compressed or not
	Format string `mapstructure:"format"` // monitor, twitter, ecbench or jsonl
	Loop   bool   `mapstructure:"loop"`   // start over at the end, else stop sending
	// MaxValueSize is the most value bytes one command carries; a longer
	// recorded value is cut to it (and counted), so the memory budget holds.
	MaxValueSize Size `mapstructure:"max_value_size"`
}

// DefaultReplayMaxValueSize is replay.max_value_size's default. Every
// request of a replay is charged this much in the memory budget (the
// runner charges each request its worst case), so it also bounds a derived
// max_inflight: 64 KiB lets one runner hold about 1,700 requests in its
// 128 MiB; 1 MiB (memcached's item limit) would allow 120. Longer values
// are cut and counted in the replay's stats.
const DefaultReplayMaxValueSize = 64 << 10

// Source is the trace file as loadgen reads it.
func (r Replay) Source() trace.Source {
	return trace.Source{Path: r.File, Format: trace.Format(r.Format), MaxLine: trace.MaxLineFor(int(r.MaxValueSize))}
}

// replayUnused are the workload keys a replay takes from its trace instead.
var replayUnused = []string{"ops", "values", "elements", "range", "ttl", "mget_batch"}

// replayUnusedKeys are the keys.* a replay takes from its trace.
var replayUnusedKeys = []string{"count", "distribution", "zipf_exponent"}

// fillReplay sets the defaults of a replay workload; raw is the workload
// as checked. The rate's trace is the workload's.
func fillReplay(w *Workload, raw map[string]any) {
	if w.Keys.Prefix == "" && nameRE.MatchString(w.Name) {
		w.Keys.Prefix = "ecbench:" + w.Name + ":"
	}
	if !has(raw, "replay", "max_value_size") {
		w.Replay.MaxValueSize = DefaultReplayMaxValueSize
	}
	// A rate that names no type is recorded timing here, not constant: the
	// rate was decoded onto constant's defaults, so it is decoded again.
	if !has(raw, "rate", "type") {
		rate, _ := raw["rate"].(map[string]any)
		w.Rate = defaultRate(recordedRateType)
		_ = decodeInto(rate, w.Rate.Params, false) // keys of other types are validation's to report
	}
	if p, ok := w.Rate.Params.(*schedule.RecordedParams); ok {
		src := w.Replay.Source()
		p.Trace, p.Loop = &src, w.Replay.Loop
	}
}

// recordedRateType is the schedule type of a trace's own timing, a replay
// workload's default rate.
const recordedRateType = "recorded"

// workloadTypes are the values of workloads[].type, in the order messages
// list them.
func workloadTypes() []string { return append(strs(workload.Kinds()), string(workload.KindReplay)) }

// replay checks a workload of type replay, in place of the op mix and
// structure checks of the other types.
func (v validator) replay(p string, w *Workload, raw map[string]any) {
	for _, key := range replayUnused {
		if has(raw, key) {
			v.add(p+"."+key, "not used by type replay: the trace says what is sent")
		}
	}
	for _, key := range replayUnusedKeys {
		if has(raw, "keys", key) {
			v.add(p+".keys."+key, "not used by type replay: the keys are the trace's, under keys.prefix")
		}
	}
	if w.Preload {
		v.add(p+".preload", "not used by type replay (the trace writes what it reads); must be false, got true")
	}

	r := w.Replay
	if r.File == "" {
		v.add(p+".replay.file", "required by type replay: the trace file to replay")
	}
	formats := strs(trace.Formats())
	if r.Format == "" {
		v.add(p+".replay.format", "required by type replay: one of "+strings.Join(formats, ", "))
	} else {
		v.oneOf(p+".replay.format", r.Format, formats...)
	}
	if r.MaxValueSize < 1 || r.MaxValueSize > maxValueSize {
		v.add(p+".replay.max_value_size", fmt.Sprintf("must be between 1B and %s, got %s", Size(maxValueSize), formatSizeValue(r.MaxValueSize)))
	}

	v.between(p+".pipeline", w.Pipeline, 1, maxPipeline)
	if w.MaxInflight < 0 || w.MaxInflight > maxInflight {
		v.add(p+".max_inflight", fmt.Sprintf("must be 0 (derived from the peak rate and each target's read_timeout) or between 1 and %d, got %d",
			maxInflight, w.MaxInflight))
	}
	rraw, _ := raw["rate"].(map[string]any)
	v.rate(p+".rate", &w.Rate, rraw)
	if _, recorded := w.Rate.Params.(*schedule.RecordedParams); recorded {
		if w.Pipeline != 1 {
			v.add(p+".pipeline", fmt.Sprintf("must be 1 with rate type recorded (each request is one command of the trace, sent at its recorded time), got %d", w.Pipeline))
		}
	}
}

// replays checks what involves a replay beyond its workload: the replay
// key of the other types, and scenario phases, which cannot shape a
// trace's own timing.
func (v validator) replays(cfg *Config) {
	for i := range capped(cfg.Workloads, maxWorkloads) {
		w := &cfg.Workloads[i]
		p := indexPath("workloads", i)
		if w.Type != workload.KindReplay {
			if w.Replay != (Replay{}) && slices.Contains(workloadTypes(), string(w.Type)) {
				v.add(p+".replay", fmt.Sprintf("not used by type %s; used by %s", w.Type, workload.KindReplay))
			}
			continue
		}
		if _, recorded := w.Rate.Params.(*schedule.RecordedParams); recorded && len(cfg.Scenario.Phases) > 0 {
			v.add(p+".rate.type", "recorded timing is the trace's own, which scenario phases cannot shape; under a scenario give the workload another rate type (constant, ramp, ...)")
		}
	}
}

// formatSizeValue writes a size as a message shows a bad value.
func formatSizeValue(s Size) string {
	if s < 0 {
		return fmt.Sprintf("%d bytes", int64(s))
	}
	return s.String()
}

// Lines and records check reads of a trace: enough to tell a wrong format
// or a file of the wrong kind, few enough for a trace of any size.
const (
	sniffLines   = 10_000
	sniffRecords = 100
)

// checkReplayFiles checks that every replay workload's trace is a regular
// file that can be read and holds lines of its format.
func checkReplayFiles(cfg *Config, ps *problems) {
	for i := range capped(cfg.Workloads, maxWorkloads) {
		w := &cfg.Workloads[i]
		if w.Type != workload.KindReplay || w.Replay.File == "" || !slices.Contains(trace.Formats(), trace.Format(w.Replay.Format)) {
			continue // reported by validate
		}
		if msg := sniffTrace(w.Replay); msg != "" {
			ps.add(indexPath("workloads", i)+".replay.file", msg)
		}
	}
}

// sniffTrace reads the start of a trace; on a problem it says what.
func sniffTrace(r Replay) string {
	info, err := os.Stat(r.File)
	if err != nil {
		return cannotRead(r.File, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Sprintf("%s is not a regular file", quote(r.File))
	}
	var counts trace.Counts
	f, err := r.Source().Open(&counts)
	if err != nil {
		return cannotRead(r.File, err)
	}
	defer f.Close()
	records := 0
	ended := false
	for records < sniffRecords && f.Line() < sniffLines {
		_, err := f.Next()
		if errors.Is(err, io.EOF) {
			ended = true
			break
		}
		if err != nil {
			return cannotRead(r.File, err)
		}
		records++
	}
	switch {
	case records > 0:
		return ""
	case f.Line() == 0:
		return fmt.Sprintf("%s is empty", quote(r.File))
	case counts.MalformedLines > 0 && counts.SkippedTotal() == 0:
		return fmt.Sprintf("%s: none of its first %d lines is a %s line (%s); is replay.format right?",
			quote(r.File), f.Line(), r.Format, counts.FirstMalformed[0])
	case ended:
		return fmt.Sprintf("%s holds no command a replay sends (%d skipped, %d malformed lines)",
			quote(r.File), counts.SkippedTotal(), counts.MalformedLines)
	}
	return ""
}

// replayReaders is what a replay runner's readers of its trace hold at
// most, besides its value buffer: two of them (its schedule's and its
// stream's) at the longest line (trace.ReaderMemory).
func (w *Workload) replayReaders() int64 {
	if w.Type != workload.KindReplay {
		return 0
	}
	return 2 * trace.ReaderMemory(w.Replay.Source().MaxLine)
}
