package config

import (
	"time"

	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// Every default is here, and examples/annotated.yaml writes each one out. A
// key that is absent (or null) takes its default; a key that is present
// keeps its value, even a zero one, and is validated as written.
//
// The configuration is decoded onto the defaults below, so most of them are
// plain values. A rate is decoded onto the defaults of its schedule type,
// which are the type's own (schedule.Type.New). The few defaults that depend
// on other values are set by fillDerived once the rest is decoded.
const (
	DefaultListen    = "127.0.0.1:9478"
	DefaultLogLevel  = LevelInfo
	DefaultLogFormat = FormatJSON
)

// defaultRateType is the schedule type of a rate that names none.
const defaultRateType = "constant"

func defaultConfig() Config {
	return Config{
		Listen:          DefaultListen,
		Log:             LogConfig{Level: DefaultLogLevel, Format: DefaultLogFormat},
		SummaryInterval: 10 * time.Second,
		ShutdownTimeout: 3 * time.Second,
		Bench:           Bench{Duration: time.Minute, Warmup: 5 * time.Second, Results: "results"},
		Failover:        Failover{PollInterval: 5 * time.Second},
		Probes: Probes{
			Availability: AvailabilityProbe{Enabled: true, Interval: 100 * time.Millisecond, Timeout: 100 * time.Millisecond},
			Integrity: IntegrityProbe{Keys: 10_000, Interval: 100 * time.Millisecond, Timeout: time.Second,
				ValueSize: 128, VerifyDelay: 10 * time.Second, SweepRate: 1000, Sample: 1},
		},
		Limits: Limits{MaxMemory: DefaultMaxMemory},
		CloudWatch: CloudWatch{
			Period: time.Minute, PollInterval: time.Minute, Lookback: 10 * time.Minute,
			DiscoveryInterval: 5 * time.Minute, Statistics: []string{"Average"},
		},
	}
}

func defaultTarget() Target {
	return Target{
		Mode:         target.Standalone,
		Protocol:     2,
		DialTimeout:  2 * time.Second,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
		InfoInterval: target.DefaultInfoInterval,
	}
}

// defaultWorkload holds the workload defaults that depend on nothing else.
func defaultWorkload() Workload {
	return Workload{
		Seed:        1,
		Type:        workload.KindKV,
		Keys:        Keys{Count: 100_000, Distribution: workload.Uniform},
		TTL:         time.Minute,
		MGetBatch:   10,
		Pipeline:    1,
		MaxInflight: 0, // derived per target by the plan: see runner.MaxInFlightFor
		Rate:        defaultRate(defaultRateType),
	}
}

// defaultRate returns a rate of the named schedule type at the type's
// defaults; an unknown type has no parameters.
func defaultRate(name string) Rate {
	r := Rate{Type: name}
	if t, ok := schedule.Lookup(name); ok {
		r.Params = t.New()
	}
	return r
}

// defaultPhase holds the phase defaults.
func defaultPhase() Phase { return Phase{RateMultiplier: 1} }

// fillDerived sets the defaults that depend on other values or on which
// keys raw, the checked tree, has.
func fillDerived(cfg *Config, raw map[string]any) {
	if cfg.Bench.Requests > 0 && !has(raw, "bench", "duration") {
		cfg.Bench.Duration = 0 // a run by request count has no time limit unless given one
	}
	workloads, _ := raw["workloads"].([]any)
	for i := range cfg.Workloads {
		wraw, _ := workloads[i].(map[string]any)
		fillWorkload(&cfg.Workloads[i], wraw)
	}
}

// fillWorkload sets the defaults of w that depend on its type or keys; raw
// is the workload as checked.
func fillWorkload(w *Workload, raw map[string]any) {
	if w.Type == workload.KindReplay {
		fillReplay(w, raw)
		return
	}
	if !has(raw, "ops") { // only when the whole mix is absent: a mix is all or nothing
		w.Ops = defaultOps(w.Type)
	}
	if w.Type != workload.KindKV {
		if !has(raw, "elements", "count") {
			w.Elements.Count = 100
		}
		if !has(raw, "elements", "size") && len(w.Elements.Sizes) == 0 {
			w.Elements.Size = 32
		}
		if !has(raw, "range") {
			w.Range = 10
		}
	}
	if !has(raw, "preload") { // reads of structures must find them
		w.Preload = w.Type != workload.KindKV
	}
	if w.Keys.Prefix == "" && nameRE.MatchString(w.Name) {
		w.Keys.Prefix = "ecbench:" + w.Name + ":"
	}
	if w.Keys.Distribution == workload.Zipfian && !has(raw, "keys", "zipf_exponent") {
		w.Keys.ZipfExponent = 0.99 // YCSB's
	}
	if !has(raw, "values", "size") && !w.Values.Ranged() && len(w.Values.Sizes) == 0 {
		w.Values.Size = 32
	}
}

// defaultOps is a kv workload's 80/20 read/write mix, and for the others
// every op of the type with the same weight.
func defaultOps(kind workload.Kind) Ops {
	if kind == workload.KindKV {
		return Ops{"get": 80, "set": 20}
	}
	ops := Ops{}
	for _, name := range workload.OpNamesFor(kind) {
		ops[name] = 1
	}
	return ops
}

// has reports whether the nested mappings of raw hold the key path.
func has(raw map[string]any, key ...string) bool {
	m := raw
	for i, k := range key {
		v, ok := m[k]
		if !ok || v == nil {
			return false
		}
		if i == len(key)-1 {
			return true
		}
		if m, ok = v.(map[string]any); !ok {
			return false
		}
	}
	return false
}
