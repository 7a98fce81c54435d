package main

import (
	"fmt"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// targetOptions turns a validated target config into loadgen options.
func targetOptions(t config.Target) target.Options {
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
		PoolSize:     t.PoolSize,
		DialTimeout:  t.DialTimeout,
		ReadTimeout:  t.ReadTimeout,
		WriteTimeout: t.WriteTimeout,
	}
}

// newOp returns the op for a config op name.
func newOp(name string, w config.Workload) (workload.Op, error) {
	switch name {
	case "get":
		return workload.Get{}, nil
	case "set":
		return workload.Set{}, nil
	case "set_ttl":
		return workload.SetTTL{TTL: w.TTL}, nil
	case "mget":
		return workload.MGet{Batch: w.MGetBatch}, nil
	case "incr":
		return workload.Incr{}, nil
	case "del":
		return workload.Del{}, nil
	}
	return nil, fmt.Errorf("workload %s: unknown op %q", w.Name, name)
}

// newWorkload turns a validated workload config into a loadgen workload.
func newWorkload(w config.Workload) (*workload.Workload, error) {
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
	if w.Values.MinSize > 0 {
		out.Values = workload.Values{Min: w.Values.MinSize, Max: w.Values.MaxSize}
	}
	for _, ow := range w.Ops.Weights() {
		op, err := newOp(ow.Op, w)
		if err != nil {
			return nil, err
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
