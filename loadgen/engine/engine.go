// Package engine names the cache engines ecbench compares. It is the one
// place that spells them, "unknown" included: targets detect an engine,
// configs declare one, and metrics, results and reports label by it.
package engine

// Engine is a cache engine as INFO reports it: a bounded label value.
type Engine string

// The engines. Unknown is an engine not yet detected and not declared, or
// one whose INFO names neither Redis nor Valkey.
const (
	Redis   Engine = "redis"
	Valkey  Engine = "valkey"
	Unknown Engine = "unknown"
)

// Declarable are the engines a configuration may declare for a target.
var Declarable = []Engine{Redis, Valkey}

// Label is the engine as a label value: the empty engine is Unknown.
func (e Engine) Label() string {
	if e == "" {
		return string(Unknown)
	}
	return string(e)
}

// Known reports whether e is Redis or Valkey.
func (e Engine) Known() bool { return e == Redis || e == Valkey }
