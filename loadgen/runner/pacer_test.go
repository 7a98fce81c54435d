package runner

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"
)

func TestPacerWaitsUntilDue(t *testing.T) {
	p := newPacer()
	defer p.close()
	if runtime.GOOS == "linux" && p.precise == nil {
		t.Fatal("no precise sleeper on Linux")
	}
	ctx := context.Background()
	for _, d := range []time.Duration{-time.Millisecond, 0, 50 * time.Microsecond, time.Millisecond, 5 * time.Millisecond} {
		due := time.Now().Add(d)
		if !p.until(ctx, due) {
			t.Fatalf("until(+%v) = false with a live context", d)
		}
		if now := time.Now(); now.Before(due) {
			t.Errorf("until(+%v) returned %v early", d, due.Sub(now))
		}
	}
}

func TestPacerStopsOnCancel(t *testing.T) {
	p := newPacer()
	defer p.close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if p.until(ctx, start.Add(time.Hour)) {
		t.Fatal("until returned true after the context was cancelled")
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("until took %v to notice the cancellation", waited)
	}
	if p.until(ctx, time.Now().Add(-time.Second)) {
		t.Error("until returned true for a due time in the past with a done context")
	}
}

type brokenSleeper struct{ closed bool }

func (b *brokenSleeper) sleep(time.Duration) error { return errors.New("broken") }
func (b *brokenSleeper) close() error              { b.closed = true; return nil }

func TestPacerFallsBackToTimers(t *testing.T) {
	p := newPacer()
	defer p.close()
	if p.precise != nil {
		_ = p.precise.close()
	}
	broken := &brokenSleeper{}
	p.precise = broken
	due := time.Now().Add(time.Millisecond)
	if !p.until(context.Background(), due) || time.Now().Before(due) {
		t.Fatal("until did not wait with a broken precise sleeper")
	}
	if !broken.closed || p.precise != nil {
		t.Error("the broken sleeper was kept")
	}
}

// BenchmarkPacerLateness reports how late the pacer wakes for waits of
// 100µs (10k requests/s), against a plain Go timer.
func BenchmarkPacerLateness(b *testing.B) {
	const gap = 100 * time.Microsecond
	report := func(b *testing.B, lates []time.Duration) {
		slices.Sort(lates)
		b.ReportMetric(float64(lates[len(lates)/2].Microseconds()), "late-p50-µs")
		b.ReportMetric(float64(lates[len(lates)*99/100].Microseconds()), "late-p99-µs")
	}
	b.Run("pacer", func(b *testing.B) {
		p := newPacer()
		defer p.close()
		var lates []time.Duration
		for b.Loop() {
			due := time.Now().Add(gap)
			p.until(context.Background(), due)
			lates = append(lates, time.Since(due))
		}
		report(b, lates)
	})
	b.Run("timer", func(b *testing.B) {
		t := time.NewTimer(time.Hour)
		var lates []time.Duration
		for b.Loop() {
			due := time.Now().Add(gap)
			t.Reset(gap)
			<-t.C
			lates = append(lates, time.Since(due))
		}
		report(b, lates)
	})
}
