package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Load reads the YAML file at path, applies the ECBENCH_* overrides found in
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

// readFile reads the YAML file at path with viper into a tree of maps, lists
// and scalars.
func readFile(path string) (map[string]any, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no config file given", ErrRead)
	}
	// No key contains NUL, so viper leaves dotted keys alone instead of
	// nesting them: "log.level:" is an unknown key, not log: {level:}.
	v := viper.NewWithOptions(viper.KeyDelimiter("\x00"))
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		var pe viper.ConfigParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w in %s: %w", ErrSyntax, path, pe.Unwrap())
		}
		return nil, fmt.Errorf("%w: %w", ErrRead, err)
	}
	return v.AllSettings(), nil
}

// decode decodes raw, already checked, onto the defaults.
func decode(raw map[string]any, ps *problems) *Config {
	cfg := defaultConfig()
	// List elements are decoded onto defaults too: mapstructure decodes into
	// the elements a slice already has.
	targets, _ := raw["targets"].([]any)
	cfg.Targets = make([]Target, len(targets))
	for i := range cfg.Targets {
		cfg.Targets[i] = defaultTarget()
	}
	workloads, _ := raw["workloads"].([]any)
	cfg.Workloads = make([]Workload, len(workloads))
	for i := range cfg.Workloads {
		cfg.Workloads[i] = defaultWorkload()
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook:  mapstructure.StringToTimeDurationHookFunc(),
		ErrorUnused: true,
		Result:      &cfg,
	})
	if err == nil {
		err = dec.Decode(raw)
	}
	if err != nil {
		// check lets through only what decodes, so this is a bug.
		ps.add("config", "cannot decode: "+err.Error())
	}
	for i := range cfg.Targets {
		tc := &cfg.Targets[i].CloudWatch
		if len(tc.CacheClusters) == 0 {
			tc.CacheClusters = nil
		}
		if len(tc.Nodes) == 0 {
			tc.Nodes = nil
		}
	}
	if len(cfg.CloudWatch.Metrics) == 0 {
		cfg.CloudWatch.Metrics = nil
	}
	if len(cfg.CloudWatch.ServerlessMetrics) == 0 {
		cfg.CloudWatch.ServerlessMetrics = nil
	}
	scenario, _ := raw["scenario"].(map[string]any)
	phases, _ := scenario["phases"].([]any)
	for i := range cfg.Scenario.Phases {
		if i < len(phases) {
			if praw, _ := phases[i].(map[string]any); !has(praw, "rate_multiplier") {
				cfg.Scenario.Phases[i].RateMultiplier = 1
			}
		}
	}
	if len(cfg.Scenario.Phases) == 0 {
		cfg.Scenario.Phases = nil
	}
	if cfg.Bench.Requests > 0 && !has(raw, "bench", "duration") {
		cfg.Bench.Duration = 0 // a run by request count has no time limit unless given one
	}
	for i := range cfg.Workloads {
		w := &cfg.Workloads[i]
		wraw, _ := workloads[i].(map[string]any)
		fillDerived(w, wraw)
		// Absent and empty lists mean the same; keep one form so that
		// configs compare equal.
		if len(w.Targets) == 0 {
			w.Targets = nil
		}
		if len(w.Rate.Steps) == 0 {
			w.Rate.Steps = nil
		}
	}
	return &cfg
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
