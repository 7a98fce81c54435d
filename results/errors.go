package results

import "errors"

// The errors Read and Merge return wrap one of these, so callers can tell
// them apart with errors.Is. A missing run.json wraps fs.ErrNotExist.
var (
	// ErrCorrupt: run.json is not valid JSON or does not decode as a run.
	ErrCorrupt = errors.New("corrupt")
	// ErrNewerSchema: run.json was written by a newer ecbench.
	ErrNewerSchema = errors.New("newer than this ecbench supports")
	// ErrNoSchema: run.json carries no (or a nonsensical) schema version.
	ErrNoSchema = errors.New("no schema version (not an ecbench run file?)")
	// ErrNoRuns: Merge was called with nothing to merge.
	ErrNoRuns = errors.New("no runs to merge")
	// ErrMismatch: the runs given to Merge are not of the same configuration.
	ErrMismatch = errors.New("runs cannot be merged")
)
