package config

import (
	"maps"
	"reflect"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
)

// Load reads the YAML file at path (see readFile), applies the ECBENCH_* overrides found in
// env (a slice like os.Environ()) and the flags of fs that were set (listen,
// log-level, log-format; fs may be nil), decodes strictly, fills defaults,
// validates and resolves passwords.
//
// A file that cannot be read or is not YAML gives an error wrapping ErrRead or
// ErrSyntax. Anything wrong inside the configuration gives a
// *ValidationError listing every problem at once.
func Load(path string, fs *pflag.FlagSet, env []string) (*Config, error) {
	tree, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return LoadTree(tree, fs, env)
}

// LoadTree is Load for a configuration built in memory rather than read from
// a file (`ecbench bench` builds one from its flags): tree holds what the
// YAML would, as maps with string keys, lists ([]any) and scalars. It goes
// through the same overrides, checks, defaults and validation.
func LoadTree(tree map[string]any, fs *pflag.FlagSet, env []string) (*Config, error) {
	if tree == nil {
		tree = map[string]any{}
	}
	ps := &problems{}
	origins := map[string]string{} // path -> the variable or flag that set it
	envOvs, unmatched := envOverrides(env, ps)
	apply(tree, append(envOvs, flagOverrides(fs)...), origins, ps)

	checked, _ := ps.check("", tree, reflect.TypeFor[Config]())
	raw, _ := checked.(map[string]any)
	cfg := decode(raw, ps)
	for _, name := range unmatched {
		if !namesPassword(cfg, name) {
			ps.add(name, "matches no config key")
		}
	}
	validate(cfg, raw, ps)
	readFiles(cfg, env, ps)
	checkReplayFiles(cfg, ps)
	checkStateDir(cfg, ps)
	if err := ps.err(origins); err != nil {
		return nil, err
	}
	for i := range cfg.Workloads {
		// A weight of 0 is the same as no weight; one form compares equal.
		maps.DeleteFunc(cfg.Workloads[i].Ops, func(_ string, w int) bool { return w == 0 })
	}
	return cfg, nil
}

// ReadTree reads the YAML file at path into the tree that LoadTree takes,
// for callers that change it before loading.
func ReadTree(path string) (map[string]any, error) { return readFile(path) }

// decode decodes raw, already checked, onto the defaults.
func decode(raw map[string]any, ps *problems) *Config {
	cfg := defaultConfig()
	// List elements are decoded onto defaults too: mapstructure decodes into
	// the elements a slice already has.
	cfg.Targets = defaults(raw["targets"], defaultTarget)
	cfg.Workloads = defaults(raw["workloads"], defaultWorkload)
	scenario, _ := raw["scenario"].(map[string]any)
	cfg.Scenario.Phases = defaults(scenario["phases"], defaultPhase)
	if err := decodeInto(raw, &cfg, true); err != nil {
		// check lets through only what decodes, so this is a bug.
		ps.add("config", "cannot decode: "+err.Error())
	}
	fillDerived(&cfg, raw)
	normalize(&cfg)
	return &cfg
}

// defaults returns a default element for each element of the list raw.
func defaults[T any](raw any, def func() T) []T {
	l, _ := raw.([]any)
	out := make([]T, len(l))
	for i := range out {
		out[i] = def()
	}
	return out
}

// decodeInto decodes raw onto result, a pointer. strict makes a key that
// result has no field for an error.
func decodeInto(raw, result any, strict bool) error {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook:  decodeHook,
		ErrorUnused: strict,
		Result:      result,
	})
	if err != nil {
		return err
	}
	return dec.Decode(raw)
}

// decodeHook decodes durations from their text ("1m30s"), as check left
// them, and rates (rateHook).
func decodeHook(from, to reflect.Type, data any) (any, error) {
	if s, ok := data.(string); ok && to == durationType {
		return time.ParseDuration(s)
	}
	return rateHook(from, to, data)
}

// normalize keeps one form of the values that mean the same, absent and
// empty lists for one, so that configs compare equal.
func normalize(cfg *Config) {
	for i := range cfg.Targets {
		tc := &cfg.Targets[i].CloudWatch
		tc.CacheClusters = nilIfEmpty(tc.CacheClusters)
		tc.Nodes = nilIfEmpty(tc.Nodes)
	}
	cfg.CloudWatch.Metrics = nilIfEmpty(cfg.CloudWatch.Metrics)
	cfg.CloudWatch.ServerlessMetrics = nilIfEmpty(cfg.CloudWatch.ServerlessMetrics)
	cfg.Scenario.Phases = nilIfEmpty(cfg.Scenario.Phases)
	for i := range cfg.Workloads {
		cfg.Workloads[i].Targets = nilIfEmpty(cfg.Workloads[i].Targets)
	}
}

func nilIfEmpty[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
}

// namesPassword reports whether a target's password_env names the variable.
func namesPassword(cfg *Config, name string) bool {
	for _, t := range cfg.Targets {
		if t.PasswordEnv == name {
			return true
		}
	}
	return false
}
