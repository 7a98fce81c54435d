package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Read reads the run in the results directory dir (its run.json). Errors name
// the file: "results/x/run.json: no such file or directory" (wrapping
// fs.ErrNotExist), "results/x/run.json: corrupt: …" (ErrCorrupt),
// "results/x/run.json: schema 7 is newer than this ecbench supports (4)"
// (ErrNewerSchema). It reads every schema from 1 to SchemaVersion; rows of
// schemas 1 and 2 have no histograms (Interval.LatencyHist is empty and
// Series.IntervalHistograms nil), so consumers fall back on their quantile
// fields.
func Read(dir string) (*Run, error) {
	path := filepath.Join(dir, RunFile)
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once, in front
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return decodeRun(path, data)
}

// decodeRun decodes the content of run.json; path names it in errors.
func decodeRun(path string, data []byte) (*Run, error) {
	// The version first: a newer file may not decode as this schema at all,
	// and "too new" is the error that tells the user what to do.
	var v struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrCorrupt, err)
	}
	switch {
	case v.Schema > SchemaVersion:
		return nil, fmt.Errorf("%s: schema %d is %w (%d)", path, v.Schema, ErrNewerSchema, SchemaVersion)
	case v.Schema < 1:
		return nil, fmt.Errorf("%s: %w", path, ErrNoSchema)
	}
	run := new(Run)
	if err := json.Unmarshal(data, run); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrCorrupt, err)
	}
	for _, s := range run.Series {
		if s.LowerBounds > s.Dropped {
			return nil, fmt.Errorf("%s: %w: series %s/%s/%s: lower_bounds %d exceeds dropped %d",
				path, ErrCorrupt, s.Target, s.Workload, s.Op, s.LowerBounds, s.Dropped)
		}
		if s.IntervalSeconds < 0 {
			return nil, fmt.Errorf("%s: %w: series %s/%s/%s: interval_seconds %v: must be > 0 (or absent: 1)",
				path, ErrCorrupt, s.Target, s.Workload, s.Op, s.IntervalSeconds)
		}
	}
	return run, nil
}
