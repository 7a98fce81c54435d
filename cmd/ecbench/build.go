package main

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// targetOptions turns a validated target config into loadgen options.
// workloads are the ones that may run against it: each closed-loop worker
// holds a connection of its own (as valkey-benchmark's clients do), on top
// of the pool_size connections that open-loop requests, probes and health
// checks share, so that a busy closed loop cannot starve them.
func targetOptions(t config.Target, workloads []config.Workload) target.Options {
	pool := t.PoolSize
	if closed := closedLoopWorkers(t.Name, workloads); closed > 0 {
		if pool == 0 {
			pool = 10 * runtime.GOMAXPROCS(0) // go-redis' default
		}
		pool += closed
	}
	return target.Options{
		Name:           t.Name,
		Addrs:          t.Addrs,
		Mode:           target.Mode(t.Mode),
		DeclaredEngine: t.Engine,
		TLS: target.TLS{
			Enabled:            t.TLS.Enabled,
			CAFile:             t.TLS.CAFile,
			ServerName:         t.TLS.ServerName,
			InsecureSkipVerify: t.TLS.InsecureSkipVerify,
		},
		Username:     t.Username,
		Password:     t.Password.Reveal(),
		DB:           t.DB,
		PoolSize:     pool,
		Protocol:     t.Protocol,
		DialTimeout:  t.DialTimeout,
		ReadTimeout:  t.ReadTimeout,
		WriteTimeout: t.WriteTimeout,
	}
}

// closedLoopWorkers counts the closed-loop workers of the workloads that
// run against the named target.
func closedLoopWorkers(name string, workloads []config.Workload) int {
	n := 0
	for _, w := range workloads {
		if w.Rate.Type == config.RateClosed && (len(w.Targets) == 0 || slices.Contains(w.Targets, name)) {
			n += w.Rate.Workers
		}
	}
	return n
}

// newWorkload turns a validated workload config into a loadgen workload.
func newWorkload(w config.Workload) (*workload.Workload, error) {
	kind := workload.Kind(w.Type)
	out := &workload.Workload{
		Name: w.Name,
		Keys: workload.Keys{
			Prefix:       w.Keys.Prefix,
			Count:        uint64(w.Keys.Count),
			Distribution: workload.Distribution(w.Keys.Distribution),
			ZipfExponent: w.Keys.ZipfExponent,
		},
		Values:   workload.Values{Min: w.Values.Size, Max: w.Values.Size},
		Pipeline: w.Pipeline,
		Seed:     w.Seed,
	}
	if w.Values.Ranged() {
		out.Values = workload.Values{Min: w.Values.MinSize, Max: w.Values.MaxSize}
	}
	if w.Type != config.TypeKV {
		out.Structure = workload.Structure{Kind: kind, Elements: w.Elements.Count, ElementSize: w.Elements.Size, RangeLen: w.Range}
	}
	params := workload.OpParams{TTL: w.TTL, MGetBatch: w.MGetBatch, Structure: out.Structure}
	for _, ow := range w.Ops.Weights(w.Type) {
		op, err := workload.NewOp(kind, ow.Op, params)
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		out.Ops = append(out.Ops, workload.Weighted{Op: op, Weight: float64(ow.Weight)})
	}
	return out, nil
}

// newSchedule returns the workload's arrival schedule, or nil for closed loop.
// Finite schedules (ramp, steps) repeat or hold their last rate in the daemon.
func newSchedule(r config.Rate) schedule.Schedule {
	var finite schedule.Finite
	switch r.Type {
	case "constant":
		return schedule.Constant{PerSecond: r.Rate}
	case "burst":
		return schedule.Burst{Base: r.Base, Peak: r.Peak, Period: r.Period, Length: r.Length}
	case "sine":
		return schedule.Sine{Mean: r.Mean, Amplitude: r.Amplitude, Period: r.Period}
	case "closed":
		return nil
	case "ramp":
		finite = schedule.Ramp{From: r.From, To: r.To, Over: r.Duration}
	case "steps":
		steps := make([]schedule.Step, len(r.Steps))
		for i, s := range r.Steps {
			steps[i] = schedule.Step{Rate: s.Rate, For: s.Duration}
		}
		finite = schedule.NewSteps(steps)
	}
	if r.After == "hold" {
		return schedule.Hold{Of: finite}
	}
	return schedule.Repeat{Of: finite}
}
