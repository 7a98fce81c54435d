// Package metrictest reads single series out of a prometheus.Gatherer for
// tests, where client_golang's testutil does not reach: a histogram's
// buckets, one series picked by its labels among others that change as the
// test runs, a value compared within a tolerance, or every series of a
// family at once. Where the whole expected exposition is known, compare it
// with testutil.GatherAndCompare instead; where the test holds the
// collector, read it with testutil.ToFloat64.
package metrictest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Family gathers g and returns the family name, or nil when g has none.
func Family(t testing.TB, g prometheus.Gatherer, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// Metric returns the series of family name whose labels are exactly labels
// (nil or empty: a series without labels). It fails the test when g has no
// such series.
func Metric(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	for _, m := range Family(t, g, name).GetMetric() {
		if maps.Equal(Labels(m), labels) {
			return m
		}
	}
	t.Fatalf("no %s%s", name, format(labels))
	return nil
}

// Histogram returns the histogram series name{labels}, as Metric finds it.
func Histogram(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) *dto.Histogram {
	t.Helper()
	return Metric(t, g, name, labels).GetHistogram()
}

// Value returns the value of the counter or gauge series name{labels}, as
// Metric finds it.
func Value(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	return value(Metric(t, g, name, labels))
}

// Values returns the value of every counter or gauge series of family name
// (none when g has no such family), each keyed by its labels written as
// "name=value," pairs in label order: `target=a,` or `engine=redis,target=a,`.
// The trailing comma lets a test look for one pair with strings.Contains.
// ParseKey reads a key back.
func Values(t testing.TB, g prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range Family(t, g, name).GetMetric() {
		var b strings.Builder
		for _, l := range m.GetLabel() {
			fmt.Fprintf(&b, "%s=%s,", l.GetName(), l.GetValue())
		}
		out[b.String()] = value(m)
	}
	return out
}

// ParseKey returns the labels of a key of Values.
func ParseKey(k string) map[string]string {
	l := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(k, ","), ",") {
		n, v, _ := strings.Cut(kv, "=")
		l[n] = v
	}
	return l
}

// Labels returns m's labels by name.
func Labels(m *dto.Metric) map[string]string {
	l := make(map[string]string, len(m.GetLabel()))
	for _, lp := range m.GetLabel() {
		l[lp.GetName()] = lp.GetValue()
	}
	return l
}

// value is a counter's or, for anything else, a gauge's value.
func value(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

// format writes labels the way the exposition does: {a="1",b="2"}.
func format(labels map[string]string) string {
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		pairs = append(pairs, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{" + strings.Join(pairs, ",") + "}"
}
