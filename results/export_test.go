package results

import "time"

// HistOf returns a histogram holding ds, for tests that build series by hand.
func HistOf(ds ...time.Duration) Histogram {
	h := newHDR()
	for _, d := range ds {
		_ = h.RecordValue(clampNanos(d))
	}
	return Histogram{h}
}
