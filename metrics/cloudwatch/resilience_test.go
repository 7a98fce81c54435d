package cloudwatch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/internal/metrictest"
)

// TestThrottling throttles the second of two batches: the first batch's
// series move on, the second's keep their last values, the poller backs off
// exponentially with jitter and resumes with the throttled batch only; the
// round's success is recorded once it completes.
func TestThrottling(t *testing.T) {
	t.Parallel()
	for _, e := range []struct {
		name string
		err  awsfake.Error
	}{
		{"Throttling", awsfake.Error{Status: 400, Code: "Throttling"}},
		{"query-compatible", awsfake.Error{Status: 400, Code: "com.amazon.coral.availability#ThrottlingException", QueryError: "Throttling;Sender"}},
		{"TooManyRequests", awsfake.Error{Status: 429, Code: "TooManyRequestsException"}},
	} {
		t.Run(e.name, func(t *testing.T) { testThrottling(t, e.err) })
	}
}

func testThrottling(t *testing.T, throttle awsfake.Error) {
	t.Parallel()
	fake := awsfake.New(t)
	var metrics []string
	for i := range 25 {
		metrics = append(metrics, fmt.Sprintf("M%02d", i))
	}
	var aNodes []Node
	for i := 1; i <= 10; i++ {
		aNodes = append(aNodes, Node{fmt.Sprintf("a-%03d", i), "0001"})
	}
	offset := 0.0
	fake.SetMetricData(func(q awsfake.Query, start, end time.Time) awsfake.Series {
		s := steady(q, start, end)
		for i := range s.Points {
			s.Points[i].Value += offset
		}
		return s
	})
	// Target a: 10 nodes × 25 metrics × 2 statistics = 500 queries, batch 0;
	// target b: 100 queries, batch 1.
	e := newEnv(t, fake, Options{
		Sources: []Source{
			{Target: "a", Nodes: aNodes},
			{Target: "b", Nodes: []Node{{"b-001", "0001"}, {"b-002", "0001"}}},
		},
		Metrics:    metrics,
		Statistics: []string{"Average", "Maximum"},
	})
	ctx := t.Context()
	const p = time.Minute // the poll interval
	e.p.step(ctx)
	round1 := metrictest.Values(t, e.reg, "ecbench_cloudwatch_value")
	if len(round1) != 600 {
		t.Fatalf("%d series, want 600", len(round1))
	}

	// Round 2: new values; batch 1 (target b) is throttled.
	offset = 100 // read by the fake after the lock that FailGetMetricData takes
	fake.FailGetMetricData(func(_ int, req awsfake.MetricDataRequest) *awsfake.Error {
		if strings.HasPrefix(req.Queries[0].Dim("CacheClusterId"), "b-") {
			return &throttle
		}
		return nil
	})
	e.clock.Add(p)
	calls := len(fake.MetricDataCalls())
	backoffs := []time.Duration{e.p.step(ctx)}
	if n := len(fake.MetricDataCalls()) - calls; n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	checkRound := func(target string, want float64) {
		t.Helper()
		for k, v := range metrictest.Values(t, e.reg, "ecbench_cloudwatch_value") {
			if strings.Contains(k, "target="+target+",") && v != round1[k]+want {
				t.Errorf("%s = %v, want %v", k, v, round1[k]+want)
				return
			}
		}
	}
	checkRound("a", 100) // polled
	checkRound("b", 0)   // kept
	// Still throttled: only batch 1 is retried, and the backoff grows.
	e.clock.Add(10 * time.Second)
	calls = len(fake.MetricDataCalls())
	backoffs = append(backoffs, e.p.step(ctx))
	if got := fake.MetricDataCalls()[calls:]; len(got) != 1 || len(got[0].Queries) != 100 {
		t.Errorf("resumed with %d calls, want 1 with batch 1's 100 queries", len(got))
	}
	if got := testutil.ToFloat64(e.p.errors.WithLabelValues(apiGetMetricData, reasonThrottled)); got != 2 {
		t.Errorf("errors_total{throttled} = %v, want 2", got)
	}
	last := metrictest.Values(t, e.reg, "ecbench_cloudwatch_last_success_timestamp_seconds")
	if last["target=a,"] != 1777896030 || last["target=b,"] != 1777896030 {
		t.Errorf("last success %v moved before the round completed", last)
	}
	for i, d := range backoffs { // k-th backoff: uniform in [P/4·2^(k-1) / 2, P/4·2^(k-1)]
		hi := p / 4 << i
		if d < hi/2 || d > hi {
			t.Errorf("backoff %d = %v, want within [%v, %v]", i+1, d, hi/2, hi)
		}
	}

	// Recovered: batch 1 gets its new values and the round completes.
	fake.FailGetMetricData(nil)
	e.clock.Add(10 * time.Second)
	wait := e.p.step(ctx)
	if want := p - 20*time.Second; wait != want {
		t.Errorf("after the round: wait %v, want %v (one poll interval from the round's start)", wait, want)
	}
	checkRound("b", 100)
	last = metrictest.Values(t, e.reg, "ecbench_cloudwatch_last_success_timestamp_seconds")
	if want := float64(t0.Add(p + 20*time.Second).Unix()); last["target=a,"] != want || last["target=b,"] != want {
		t.Errorf("last success %v, want %v", last, want)
	}
	if e.p.throttles != 0 {
		t.Errorf("throttle count %d after a success, want 0", e.p.throttles)
	}
}

// TestBackoff checks the bounds for any number of throttles in a row.
func TestBackoff(t *testing.T) {
	t.Parallel()
	p := &Poller{o: Options{PollInterval: time.Minute}}
	prevHi := time.Duration(0)
	for k := 1; k <= 1000; k++ {
		hi := min(15*time.Second<<min(k-1, 4), 4*time.Minute)
		for range 20 {
			if d := p.backoff(k); d < hi/2 || d > hi {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", k, d, hi/2, hi)
			}
		}
		if hi < prevHi {
			t.Fatalf("bound shrank at %d", k)
		}
		prevHi = hi
	}
	tiny := &Poller{o: Options{PollInterval: time.Nanosecond}}
	if d := tiny.backoff(1); d <= 0 || d > time.Millisecond {
		t.Errorf("backoff with a 1ns poll interval = %v", d)
	}
}

// TestPartialData keeps the last good value of a series whose result is
// partial, missing, empty or failed, and drops it only once CloudWatch
// answered completely with nothing newer than the lookback window.
func TestPartialData(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	fake.SetMetricData(steady)
	e := newEnv(t, fake, Options{
		Sources:    []Source{{Target: "a", Nodes: []Node{{"a-001", "0001"}}}},
		Metrics:    []string{"M0", "M1", "M2", "M3", "M4"},
		Statistics: []string{"Average"},
	})
	ctx := t.Context()
	e.p.step(ctx)
	round1 := byMetric(t, e)
	if len(round1) != 5 {
		t.Fatalf("round 1: %v", round1)
	}

	// Round 2 (window [11:51, 12:01)).
	fake.SetMetricData(func(q awsfake.Query, start, end time.Time) awsfake.Series {
		switch q.Metric {
		case "M0": // partial, with a newer datapoint
			return awsfake.Series{Status: "PartialData", Points: []awsfake.Datapoint{{At: end.Add(-2 * time.Minute), Value: 42}}}
		case "M1":
			return awsfake.Series{Omit: true}
		case "M2":
			return awsfake.Series{} // Complete, no datapoints
		case "M3":
			return awsfake.Series{Status: "PartialData"}
		default:
			return awsfake.Series{Status: "Forbidden"}
		}
	})
	e.clock.Add(time.Minute)
	e.p.step(ctx)
	round2 := byMetric(t, e)
	want := map[string]string{"M0": "42@11:59", "M1": round1["M1"], "M2": round1["M2"], "M3": round1["M3"], "M4": round1["M4"]}
	if !mapsEqual(round2, want) {
		t.Errorf("round 2: %v, want %v", round2, want)
	}
	if got := testutil.ToFloat64(e.p.errors.WithLabelValues(apiGetMetricData, reasonAccessDenied)); got != 1 {
		t.Errorf("errors_total{access_denied} = %v, want 1 (the Forbidden result)", got)
	}
	if v := metrictest.Values(t, e.reg, "ecbench_cloudwatch_last_success_timestamp_seconds")["target=a,"]; v != 1777896030 {
		t.Errorf("last success %v after a failed result, want the first round's", v)
	}

	// Round 3, ten minutes on (window [12:01, 12:11)): everything stored is
	// older than the window.
	fake.SetMetricData(func(q awsfake.Query, start, end time.Time) awsfake.Series {
		switch q.Metric {
		case "M0":
			return awsfake.Series{Points: []awsfake.Datapoint{{At: end.Add(-6 * time.Minute), Value: 7}}}
		case "M2":
			return awsfake.Series{Status: "PartialData"} // not known complete: kept
		case "M3":
			return awsfake.Series{Omit: true} // not answered: kept
		default:
			return awsfake.Series{} // complete and empty: gone
		}
	})
	e.clock.Add(10 * time.Minute)
	e.p.step(ctx)
	round3 := byMetric(t, e)
	want = map[string]string{"M0": "7@12:05", "M2": round1["M2"], "M3": round1["M3"]}
	if !mapsEqual(round3, want) {
		t.Errorf("round 3: %v, want %v", round3, want)
	}
}

// byMetric returns the value@time of each series of target a by metric.
func byMetric(t *testing.T, e *env) map[string]string {
	t.Helper()
	values := metrictest.Values(t, e.reg, "ecbench_cloudwatch_value")
	at := metrictest.Values(t, e.reg, "ecbench_cloudwatch_value_timestamp_seconds")
	out := map[string]string{}
	for k, v := range values {
		out[metrictest.ParseKey(k)["metric"]] = fmt.Sprintf("%v@%s", v, time.Unix(int64(at[k]), 0).UTC().Format("15:04"))
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
