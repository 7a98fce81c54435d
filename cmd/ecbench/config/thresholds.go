package config

import (
	"errors"
	"strings"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/threshold"
)

// thresholdsPath is where thresholds are configured.
const thresholdsPath = "bench.thresholds"

// thresholds checks each of cfg.Bench.Thresholds: its syntax, and that the
// workloads, ops and targets it names are configured.
func (v validator) thresholds(cfg *Config) {
	if len(cfg.Bench.Thresholds) == 0 {
		// An empty list is no list: one form compares equal (a config
		// written out by Redacted and loaded again is the same).
		cfg.Bench.Thresholds = nil
	}
	names := cfg.ThresholdNames()
	for i, s := range cfg.Bench.Thresholds {
		p := indexPath(thresholdsPath, i)
		t, err := threshold.Parse(s)
		if err == nil {
			err = t.Check(names)
		}
		if err != nil {
			v.add(p, thresholdProblem(err))
		}
	}
}

// thresholdProblem is a threshold's error as a problem's message, which
// follows its path: without the "invalid threshold" that the path says.
func thresholdProblem(err error) string {
	msg := err.Error()
	if errors.Is(err, threshold.ErrSyntax) {
		msg = strings.TrimPrefix(msg, threshold.ErrSyntax.Error()+" ")
	}
	return msg + "; thresholds are " + threshold.Syntax
}

// ThresholdNames are what a threshold may name in cfg: its targets (with
// their declared engines) and its workloads with the ops they run.
func (c *Config) ThresholdNames() threshold.Names {
	n := threshold.Names{Targets: map[string]engine.Engine{}, Workloads: map[string][]string{}}
	for _, t := range c.Targets {
		n.Targets[t.Name] = t.Engine
	}
	for i := range c.Workloads {
		w := &c.Workloads[i]
		ops := []string{}
		for _, o := range w.Ops.Weights(w.Type) {
			ops = append(ops, o.Op)
		}
		n.Workloads[w.Name] = ops
	}
	return n
}

// ParsedThresholds returns c.Bench.Thresholds parsed, each with its source
// ("bench.thresholds[2]"). A loaded Config's thresholds are valid.
func (c *Config) ParsedThresholds() []threshold.Threshold {
	var ts []threshold.Threshold
	for i, s := range c.Bench.Thresholds {
		t, err := threshold.Parse(s)
		if err != nil {
			continue // Load rejected it already
		}
		t.Source = indexPath(thresholdsPath, i)
		ts = append(ts, t)
	}
	return ts
}
