package config

import (
	"time"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// Defaults. A key that is absent (or null) takes its default; a key that is
// present keeps its value, even a zero one, and is validated as written.
const (
	DefaultListen    = "127.0.0.1:9478"
	DefaultLogLevel  = LevelInfo
	DefaultLogFormat = FormatJSON
)

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
				ValueSize: 128, VerifyDelay: 10 * time.Second, Sample: 1},
		},
		CloudWatch: CloudWatch{
			Period: time.Minute, PollInterval: time.Minute, Lookback: 10 * time.Minute,
			DiscoveryInterval: 5 * time.Minute, Statistics: []string{"Average"},
		},
	}
}

func defaultTarget() Target {
	return Target{
		Mode:         ModeStandalone,
		Protocol:     2,
		DialTimeout:  2 * time.Second,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
	}
}

// defaultWorkload holds the workload defaults that depend on nothing else;
// fillDerived sets the others once the workload is decoded.
func defaultWorkload() Workload {
	return Workload{
		Seed:        1,
		Type:        TypeKV,
		Keys:        Keys{Count: 100_000, Distribution: DistUniform},
		TTL:         time.Minute,
		MGetBatch:   10,
		Pipeline:    1,
		MaxInflight: 256,
		Rate:        Rate{Type: RateConstant},
	}
}

// fillDerived sets the defaults of w that depend on its other values or on
// which keys raw, the workload as written, has.
func fillDerived(w *Workload, raw map[string]any) {
	if !has(raw, "ops") { // only when the whole mix is absent: a mix is all or nothing
		w.Ops = defaultOps(w.Type)
	}
	if w.Type != TypeKV {
		if !has(raw, "elements", "count") {
			w.Elements.Count = 100
		}
		if !has(raw, "elements", "size") {
			w.Elements.Size = 32
		}
		if !has(raw, "range") {
			w.Range = 10
		}
	}
	if !has(raw, "preload") { // reads of structures must find them
		w.Preload = w.Type != TypeKV
	}
	if w.Keys.Prefix == "" && nameRE.MatchString(w.Name) {
		w.Keys.Prefix = "ecbench:" + w.Name + ":"
	}
	if w.Keys.Distribution == DistZipfian && !has(raw, "keys", "zipf_exponent") {
		w.Keys.ZipfExponent = 0.99 // YCSB's
	}
	if !has(raw, "values", "size") && !w.Values.Ranged() {
		w.Values.Size = 32
	}
	switch w.Rate.Type {
	case RateConstant:
		if !has(raw, "rate", "rate") {
			w.Rate.Rate = 1000
		}
	case RateRamp, RateSteps:
		if !has(raw, "rate", "after") {
			w.Rate.After = AfterRepeat
		}
	}
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

// defaultOps is a kv workload's 80/20 read/write mix, and for the others
// every op of the type with the same weight.
func defaultOps(kind string) Ops {
	if kind == TypeKV {
		return Ops{"get": 80, "set": 20}
	}
	ops := Ops{}
	for _, name := range workload.OpNamesFor(workload.Kind(kind)) {
		ops[name] = 1
	}
	return ops
}
