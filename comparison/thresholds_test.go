package comparison

import (
	"errors"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/threshold"
)

func userThresholds(t *testing.T, ss ...string) []threshold.Threshold {
	t.Helper()
	var ts []threshold.Threshold
	for _, s := range ss {
		th, err := threshold.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		th.Source = "--threshold"
		ts = append(ts, th)
	}
	return ts
}

// TestCheck checks thresholds against the values the tables show: per
// engine, per ratio with its interval, and the defaults with what replaces
// them.
func TestCheck(t *testing.T) {
	t.Parallel()
	// valkey is 20% faster: higher throughput, p99 about 0.85 ms against 1 ms.
	fast := synthetic{seconds: 20, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 1, engines: faster(1.2)}.run()
	failing := synthetic{seconds: 10, workloads: kvOnly, shared: 0.1, own: 0.02, seed: 4,
		engines: [2]syntheticEngine{{rate: 2000, latency: 0.0005}, {rate: 2000, latency: 0.0005, failing: "set"}}}.run()
	for _, tt := range []struct {
		name       string
		c          Table
		thresholds []string
		// lines are the threshold lines; an empty list: none crossed or
		// undecided.
		lines []string
	}{
		{"per engine", Of(fast), []string{"p99<0.95ms"}, []string{
			`threshold crossed: p99<0.95ms (--threshold): kv/get redis 1.`, `, kv/set redis 1.`}},
		{"one engine", Of(fast), []string{"valkey.p99<0.95ms", "redis.throughput>1900"}, nil},
		{"one op", Of(fast), []string{"kv.set.redis.p99<0.95ms"}, []string{`threshold crossed: kv.set.redis.p99<0.95ms (--threshold): kv/set redis 1.`}},
		{"ratio crossed", Of(fast), []string{"ratio.throughput<1.1"}, []string{
			`threshold crossed: ratio.throughput<1.1 (--threshold): kv/get 1.`, ` [1.1`}},
		{"ratio holds", Of(fast), []string{"ratio.throughput>1.1", "ratio.p99<0.95"}, nil},
		{"ratio undecided", Of(fast), []string{"kv.get.ratio.p99<0.84"}, []string{
			`threshold undecided (the interval straddles the limit): kv.get.ratio.p99<0.84 (--threshold): kv/get 0.8`}},
		{"default error rate", Of(failing), nil, []string{`threshold crossed: error_rate<=1% (default): kv/set valkey 100%`}},
		{"default replaced for one op", Of(failing), []string{"kv.set.valkey.error_rate<=100%"}, nil},
		{"default replaced elsewhere only", Of(failing), []string{"kv.get.error_rate<0.5%"}, []string{`error_rate<=1% (default): kv/set valkey 100%`}},
		{"default off", Of(failing), []string{"error_rate<=100%"}, nil},
		{"a latency of nothing answered is not checked", Of(failing), []string{"valkey.p99<2ms", "error_rate<=100%"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c
			if err := c.Check(userThresholds(t, tt.thresholds...)); err != nil {
				t.Fatal(err)
			}
			lines := strings.Join(c.ThresholdLines(), "\n")
			if len(tt.lines) == 0 && lines != "" || c.Crossed() != strings.Contains(lines, "crossed") {
				t.Errorf("threshold lines:\n%s\ncrossed %v", lines, c.Crossed())
			}
			for _, want := range tt.lines {
				if !strings.Contains(lines, want) {
					t.Errorf("threshold lines lack %q:\n%s", want, lines)
				}
			}
			if n := len(c.Thresholds); n != len(tt.thresholds)+len(DefaultThresholds) {
				t.Errorf("%d results, want the %d thresholds and the defaults", n, len(tt.thresholds))
			}
		})
	}
}

// TestCheckNames: a threshold that names what the run does not have is an
// error naming it, and nothing is checked.
func TestCheckNames(t *testing.T) {
	t.Parallel()
	c := Of(synthetic{seconds: 2, workloads: kvOnly, seed: 1, engines: same}.run())
	err := c.Check(userThresholds(t, "list.lpush.p99<1ms", "kv.hget.p99<1ms", "p99<1ms"))
	if !errors.Is(err, ErrThreshold) || c.Thresholds != nil {
		t.Fatalf("error %v, results %v", err, c.Thresholds)
	}
	for _, want := range []string{`--threshold: invalid threshold "list.lpush.p99<1ms": no workload "list"; workloads: kv`,
		`--threshold: invalid threshold "kv.hget.p99<1ms": workload kv has no op "hget"; its ops: get, set`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
