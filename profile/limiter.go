package profile

import (
	"context"
	"sync"
	"time"
)

// limiter spaces commands at most rate a second, all clients together: n
// commands sent at once (a pipeline) take n slots, and the next request
// waits for them. It reserves rather than refills, so it never lets a
// burst larger than one pipeline through after an idle spell:
//
//	slots  |a|a|a|b|c|c|       each | is 1/rate
//	sent   a at 0, b at 3/rate, c at 4/rate
type limiter struct {
	interval time.Duration
	mu       sync.Mutex
	next     time.Time // the earliest a new request may start
}

func newLimiter(rate float64) *limiter {
	return &limiter{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until n commands may be sent, or ctx is done.
func (l *limiter) wait(ctx context.Context, n int) error {
	l.mu.Lock()
	now := time.Now()
	start := l.next
	if start.Before(now) {
		start = now
	}
	l.next = start.Add(time.Duration(n) * l.interval)
	l.mu.Unlock()
	d := time.Until(start)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
