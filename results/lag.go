package results

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// LagRecorder keeps the distribution of one open-loop runner's schedule
// lag: how late each request was dispatched. RecordLag is called by the
// runner's one dispatching goroutine; read the quantiles after the runner
// has returned. Lags under 1 µs count as 1 µs.
type LagRecorder struct {
	h *hdrhistogram.Histogram
}

// NewLagRecorder returns an empty LagRecorder.
func NewLagRecorder() *LagRecorder { return &LagRecorder{h: newHDR()} }

// RecordLag records one request's lag.
func (l *LagRecorder) RecordLag(d time.Duration) {
	_ = l.h.RecordValue(clampNanos(d)) // clamped into range: cannot fail
}

// Quantiles returns the lag's p50, p99 and p99.9; zeros when nothing was
// recorded (a closed loop has no schedule).
func (l *LagRecorder) Quantiles() (p50, p99, p999 time.Duration) {
	if l == nil || l.h.TotalCount() == 0 {
		return 0, 0, 0
	}
	q := func(p float64) time.Duration { return time.Duration(l.h.ValueAtQuantile(p)) }
	return q(50), q(99), q(99.9)
}
