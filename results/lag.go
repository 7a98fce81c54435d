package results

import (
	"math"
	"time"
)

// LagRecorder keeps the distribution of one open-loop runner's schedule
// lag: how late each request was dispatched. RecordLag is called by the
// runner's one dispatching goroutine; read the quantiles after the runner
// has returned. Lags under 1 µs count as 1 µs.
type LagRecorder struct {
	h Histogram
}

// NewLagRecorder returns an empty LagRecorder.
func NewLagRecorder() *LagRecorder { return &LagRecorder{h: Histogram{newHDR()}} }

// RecordLag records one request's lag.
func (l *LagRecorder) RecordLag(d time.Duration) {
	_ = l.h.h.RecordValue(clampNanos(d)) // clamped into range: cannot fail
}

// Quantiles returns the lag's p50, p99 and p99.9; zeros when nothing was
// recorded (a closed loop has no schedule).
func (l *LagRecorder) Quantiles() (p50, p99, p999 time.Duration) {
	if l == nil {
		return 0, 0, 0
	}
	q := func(q float64) time.Duration { return time.Duration(math.Round(l.h.Quantile(q) * 1e9)) }
	return q(0.5), q(0.99), q(0.999)
}
