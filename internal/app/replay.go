package app

import (
	"go.uber.org/zap"

	"github.com/ecbench/ecbench/loadgen/workload"
	"github.com/ecbench/ecbench/results"
)

// replayRecord is what replay workload name read of its trace, for
// run.json.
func replayRecord(name string, s workload.ReplayStats) results.Replay {
	r := results.Replay{Workload: name, Commands: s.Commands, MalformedLines: s.Malformed, Clamped: s.Clamped, Passes: s.Passes}
	for _, k := range s.Skipped {
		if r.Skipped == nil {
			r.Skipped = map[string]int64{}
		}
		r.Skipped[k.Name] = k.Count
	}
	for _, m := range s.FirstMalformed {
		r.FirstMalformed = append(r.FirstMalformed, results.MalformedLine{Line: m.Line, Reason: m.Reason})
	}
	if s.Err != nil {
		r.Error = s.Err.Error()
	}
	return r
}

// logReplay logs what a replay workload read of its trace: at Info when it
// sent all of it, at Warn when it could not.
func logReplay(log *zap.Logger, msg, name string, s workload.ReplayStats) {
	fields := []zap.Field{zap.String("workload", name), zap.Int64("commands", s.Commands), zap.Int64("passes", s.Passes),
		zap.Int64("skipped", s.SkippedTotal()), zap.Int64("malformed_lines", s.Malformed), zap.Int64("clamped", s.Clamped),
		zap.String("summary", s.String())}
	if replayRecord(name, s).Complete() {
		log.Info(msg, fields...)
		return
	}
	log.Warn(msg, fields...)
}
