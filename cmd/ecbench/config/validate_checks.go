package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Checks that run would otherwise make only once it starts, or never: a
// config that check accepts must not fail later for one of these.

// minInterval is the shortest interval of anything periodic (probes,
// polls): a nanosecond interval would be a busy loop, not a setting.
const minInterval = time.Millisecond

// interval checks a duration meant as the period of something that
// repeats: probes.availability.interval, probes.integrity.interval,
// failover.poll_interval and cloudwatch.discovery_interval here
// (summary_interval, cloudwatch.poll_interval and the targets'
// info_interval have higher floors of their own).
func (v validator) interval(p string, d time.Duration) bool {
	if d >= minInterval {
		return true
	}
	v.add(p, fmt.Sprintf("must be >= %v, got %s", minInterval, describe(d)))
	return false
}

// limits checks the limits section's own ranges; validate_budget.go checks
// the config against them.
func (v validator) limits(l Limits) {
	if l.MaxMemory < minMaxMemory || l.MaxMemory > maxMaxMemory {
		v.add("limits.max_memory", fmt.Sprintf("must be between %v and %v, got %s", minMaxMemory, maxMaxMemory, quote(l.MaxMemory.String())))
	}
	if l.MaxInflightBytes != 0 && (l.MaxInflightBytes < minMaxInflightBytes || l.MaxInflightBytes > l.MaxMemory) {
		v.add("limits.max_inflight_bytes", fmt.Sprintf("must be 0 (what limits.max_memory leaves) or between %v and limits.max_memory (%v), got %s",
			minMaxInflightBytes, l.MaxMemory, quote(l.MaxInflightBytes.String())))
	}
}

// checkStateDir checks that the integrity probe can keep its state in
// probes.integrity.state_dir, as NewIntegrity will when run starts.
func checkStateDir(cfg *Config, ps *problems) {
	ic := cfg.Probes.Integrity
	if !ic.Enabled || ic.StateDir == "" {
		return
	}
	if err := WritableDir(ic.StateDir, false); err != nil {
		ps.add("probes.integrity.state_dir", err.Error())
	}
}

// WritableDir returns why ecbench cannot write files in dir, or nil: it
// must be a directory (made with its parents when create is set, as a
// results directory is) in which a file can be created. It creates and
// removes an empty file to know: permission bits do not tell (root, ACLs,
// read-only mounts). run and check use it for the integrity probe's
// state_dir, bench for its results directory before the run starts.
func WritableDir(dir string, create bool) error {
	info, err := os.Stat(dir)
	if create && errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("cannot create directory %s: %w", quote(dir), unwrapPath(err))
		}
		info, err = os.Stat(dir)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", quote(dir))
	case err != nil:
		return fmt.Errorf("cannot use directory %s: %w", quote(dir), unwrapPath(err))
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", quote(dir))
	}
	f, err := os.CreateTemp(dir, ".ecbench-write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in directory %s: %w", quote(dir), unwrapPath(err))
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("cannot remove a file from directory %s: %w", quote(dir), unwrapPath(err))
	}
	return nil
}

// unwrapPath drops a *fs.PathError's operation and path, which the
// message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
