package config

import (
	"fmt"
	"slices"
	"strings"
)

// rateFields says which rate keys each schedule type uses. A key that the
// chosen type does not use must be left zero: a "period" under a constant
// rate is a mistake, not a detail.
var rateFields = []struct {
	key    string
	usedBy []string
	isSet  func(r *Rate) bool
}{
	{"rate", []string{RateConstant}, func(r *Rate) bool { return r.Rate != 0 }},
	{"from", []string{RateRamp}, func(r *Rate) bool { return r.From != 0 }},
	{"to", []string{RateRamp}, func(r *Rate) bool { return r.To != 0 }},
	{"duration", []string{RateRamp}, func(r *Rate) bool { return r.Duration != 0 }},
	{"steps", []string{RateSteps}, func(r *Rate) bool { return len(r.Steps) != 0 }},
	{"base", []string{RateBurst}, func(r *Rate) bool { return r.Base != 0 }},
	{"peak", []string{RateBurst}, func(r *Rate) bool { return r.Peak != 0 }},
	{"period", []string{RateBurst, RateSine}, func(r *Rate) bool { return r.Period != 0 }},
	{"length", []string{RateBurst}, func(r *Rate) bool { return r.Length != 0 }},
	{"mean", []string{RateSine}, func(r *Rate) bool { return r.Mean != 0 }},
	{"amplitude", []string{RateSine}, func(r *Rate) bool { return r.Amplitude != 0 }},
	{"workers", []string{RateClosed}, func(r *Rate) bool { return r.Workers != 0 }},
	{"after", []string{RateRamp, RateSteps}, func(r *Rate) bool { return r.After != "" }},
}

var rateTypes = []string{RateConstant, RateRamp, RateSteps, RateBurst, RateSine, RateClosed}

// rate validates a schedule. raw is the rate mapping as written.
func (v validator) rate(p string, r *Rate, raw map[string]any) {
	if !v.oneOf(p+".type", r.Type, rateTypes...) {
		return
	}
	for _, f := range rateFields {
		if f.isSet(r) && !slices.Contains(f.usedBy, r.Type) {
			v.add(p+"."+f.key, fmt.Sprintf("not used by type %s; used by %s", quote(r.Type), strings.Join(f.usedBy, ", ")))
		}
	}
	// required reports whether the type's key was written, and says so if not.
	required := func(key string) bool {
		if has(raw, key) {
			return true
		}
		v.add(p+"."+key, fmt.Sprintf("required by type %s", quote(r.Type)))
		return false
	}

	switch r.Type {
	case RateConstant:
		v.requests(p+".rate", r.Rate, true)

	case RateRamp:
		okFrom := v.requests(p+".from", r.From, false)
		okTo := v.requests(p+".to", r.To, false)
		if okFrom && okTo && r.From == 0 && r.To == 0 {
			v.add(p+".to", "from and to are both 0; at least one must be > 0")
		}
		if required("duration") {
			v.positive(p+".duration", r.Duration)
		}
		v.oneOf(p+".after", r.After, AfterRepeat, AfterHold)

	case RateSteps:
		if required("steps") {
			v.steps(p+".steps", r.Steps, raw)
		}
		v.oneOf(p+".after", r.After, AfterRepeat, AfterHold)

	case RateBurst:
		okBase := v.requests(p+".base", r.Base, false)
		if required("peak") && v.requests(p+".peak", r.Peak, true) && okBase && r.Peak <= r.Base {
			v.add(p+".peak", fmt.Sprintf("must be > base (%s), got %s", formatFloat(r.Base), formatFloat(r.Peak)))
		}
		okPeriod := required("period") && v.positive(p+".period", r.Period)
		if required("length") && v.positive(p+".length", r.Length) && okPeriod && r.Length >= r.Period {
			v.add(p+".length", fmt.Sprintf("must be < period (%s), got %s", describe(r.Period), describe(r.Length)))
		}

	case RateSine:
		okMean := required("mean") && v.requests(p+".mean", r.Mean, true)
		switch {
		case r.Amplitude < 0:
			v.add(p+".amplitude", "must be >= 0, got "+formatFloat(r.Amplitude))
		case okMean && r.Amplitude > r.Mean:
			v.add(p+".amplitude", fmt.Sprintf("must be <= mean (%s), got %s", formatFloat(r.Mean), formatFloat(r.Amplitude)))
		case okMean && r.Mean+r.Amplitude > maxRate:
			v.add(p+".amplitude", fmt.Sprintf("mean + amplitude must be <= %d requests/s, got %s", maxRate, formatFloat(r.Mean+r.Amplitude)))
		}
		if required("period") {
			v.positive(p+".period", r.Period)
		}

	case RateClosed:
		if required("workers") {
			v.between(p+".workers", r.Workers, 1, maxWorkers)
		}
	}
}

func (v validator) steps(p string, steps []Step, raw map[string]any) {
	if len(steps) == 0 {
		v.add(p, "at least one step is required")
		return
	}
	list, _ := raw["steps"].([]any)
	allZero := true
	for i, s := range steps {
		sp := indexPath(p, i)
		v.requests(sp+".rate", s.Rate, false)
		allZero = allZero && s.Rate == 0
		var sraw map[string]any
		if i < len(list) {
			sraw, _ = list[i].(map[string]any)
		}
		if !has(sraw, "duration") {
			v.add(sp+".duration", "required")
		} else {
			v.positive(sp+".duration", s.Duration)
		}
	}
	if allZero && !v.brokenUnder(p) {
		v.add(p, "all step rates are 0; at least one must be > 0")
	}
}

// requests checks a rate in requests per second: >= 0 (> 0 if positive),
// and at most maxRate.
func (v validator) requests(p string, r float64, positive bool) bool {
	switch {
	case positive && r <= 0:
		v.add(p, "must be > 0, got "+formatFloat(r))
	case r < 0:
		v.add(p, "must be >= 0, got "+formatFloat(r))
	case r > maxRate:
		v.add(p, fmt.Sprintf("must be <= %d requests/s, got %s", maxRate, formatFloat(r)))
	default:
		return true
	}
	return false
}
