package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// maxSameSecond bounds the "-2", "-3"… suffixes WriteNew tries for runs that
// start within the same second.
const maxSameSecond = 1000

// WriteNew writes run into a new directory under parent, named by the run's
// start (20250102T030405Z, then 20250102T030405Z-2 and so on for runs that
// started in the same second), and returns its path. The directory is
// created with a single mkdir, which fails if it exists, so two runs never
// share one, even when they finish at the same moment.
func WriteNew(parent string, run *Run) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("results: %w", err)
	}
	base := run.Meta.Start.UTC().Format("20060102T150405Z")
	for i := 1; i <= maxSameSecond; i++ {
		dir := filepath.Join(parent, base)
		if i > 1 {
			dir = filepath.Join(parent, fmt.Sprintf("%s-%d", base, i))
		}
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("results: %w", err)
		}
		return dir, Write(dir, run)
	}
	return "", fmt.Errorf("results: %s: %d runs already started in the same second", filepath.Join(parent, base), maxSameSecond)
}

// ReadAll reads the results directories and merges them when there are
// several; merged is how many runs were merged (0: one run).
func ReadAll(dirs ...string) (run *Run, merged int, err error) {
	if len(dirs) == 0 {
		return nil, 0, errors.New("results: no results directory given")
	}
	runs := make([]*Run, 0, len(dirs))
	for _, dir := range dirs {
		r, err := Read(dir)
		if err != nil {
			return nil, 0, err
		}
		runs = append(runs, r)
	}
	if len(runs) == 1 {
		return runs[0], 0, nil
	}
	run, err = Merge(runs...)
	if err != nil {
		return nil, 0, err
	}
	return run, len(runs), nil
}
