package config

import (
	"reflect"
	"time"

	"github.com/ecbench/ecbench/loadgen/workload"
)

// Redacted returns the effective configuration as plain maps, lists and
// scalars keyed like the YAML file, for logs and results metadata: durations
// as strings ("1m30s"), no passwords (only where they come from), and the
// keys that a workload's type, rate type or key distribution does not use
// left out (a rate holds only its type's keys).
// Marshalled to YAML, it loads back to the same Config.
func (c *Config) Redacted() map[string]any {
	m, _ := plain(reflect.ValueOf(*c)).(map[string]any)
	ws, _ := m["workloads"].([]any)
	for i, wm := range ws {
		w := &c.Workloads[i]
		wm := wm.(map[string]any)
		if w.Type == workload.KindKV {
			delete(wm, "elements")
			delete(wm, "range")
		}
		if w.Type != workload.KindReplay {
			delete(wm, "replay")
		} else { // what the trace says instead
			for _, k := range replayUnused {
				delete(wm, k)
			}
			for _, k := range replayUnusedKeys {
				delete(wm["keys"].(map[string]any), k)
			}
			continue
		}
		if w.Keys.Distribution != workload.Zipfian {
			delete(wm["keys"].(map[string]any), "zipf_exponent")
		}
		values := wm["values"].(map[string]any)
		switch {
		case len(w.Values.Sizes) > 0:
			delete(values, "size")
			delete(values, "min_size")
			delete(values, "max_size")
		case w.Values.Ranged():
			delete(values, "size")
		default:
			delete(values, "min_size")
			delete(values, "max_size")
		}
		if len(w.Values.Sizes) == 0 {
			delete(values, "sizes")
		}
		if elements, ok := wm["elements"].(map[string]any); ok {
			if len(w.Elements.Sizes) > 0 {
				delete(elements, "size")
			} else {
				delete(elements, "sizes")
			}
		}
	}
	return m
}

var secretType = reflect.TypeFor[Secret]()

// plain converts v to maps keyed by mapstructure tag, lists and scalars.
// Fields tagged "-" (the resolved password) are left out.
func plain(v reflect.Value) any {
	t := v.Type()
	switch {
	case t == durationType:
		return time.Duration(v.Int()).String()
	case t == sizeType:
		return Size(v.Int()).String()
	case t == secretType:
		return Secret(v.String()).String()
	case t == rateType:
		r := v.Interface().(Rate)
		m := map[string]any{}
		if r.Params != nil {
			m, _ = plain(reflect.ValueOf(r.Params)).(map[string]any)
		}
		m["type"] = r.Type
		return m
	case t.Kind() == reflect.String: // engine.Engine and the like, as plain strings
		return v.String()
	case t.Kind() == reflect.Struct:
		m := map[string]any{}
		for key, f := range fields(t) {
			m[key] = plain(v.FieldByIndex(f.Index))
		}
		return m
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return plain(v.Elem())
	case t.Kind() == reflect.Map && t.Elem().Kind() != reflect.Int:
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			m[k.String()] = plain(v.MapIndex(k))
		}
		return m
	case t.Kind() == reflect.Slice:
		l := make([]any, v.Len())
		for i := range l {
			l[i] = plain(v.Index(i))
		}
		return l
	}
	return v.Interface()
}
