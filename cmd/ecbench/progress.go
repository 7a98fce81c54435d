package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/ecbench/ecbench/internal/app"
	"github.com/ecbench/ecbench/results"
)

// progress shows a bench phase as it runs: on a terminal one line per
// target rewritten in place every second, and last with the whole phase's
// figures; otherwise a log line per target every logEvery and a final one
// ("final": true), so that CI logs and files stay readable.
type progress struct {
	out     io.Writer
	log     *zap.Logger
	tty     bool
	phase   time.Time // the start of the phase shown
	shown   int       // lines drawn last time, to draw over
	lastLog time.Duration
}

const logEvery = 10 * time.Second

// newProgress shows progress on out when it is a terminal, else in log.
func newProgress(out io.Writer, log *zap.Logger) *progress {
	p := &progress{out: out, log: log}
	if f, ok := out.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) show(pr app.Progress) {
	if !pr.Started.Equal(p.phase) { // a new phase: draw below the last one
		p.phase, p.shown, p.lastLog = pr.Started, 0, 0
	}
	if p.tty {
		if p.shown > 0 {
			fmt.Fprintf(p.out, "\x1b[%dA", p.shown)
		}
		for _, l := range pr.Targets {
			fmt.Fprintf(p.out, "\x1b[2K%s\n", format(pr, l))
		}
		p.shown = len(pr.Targets)
		return
	}
	if !pr.Final && pr.Elapsed-p.lastLog < logEvery {
		return
	}
	p.lastLog = pr.Elapsed
	for _, l := range pr.Targets {
		p.log.Info("progress", zap.String("phase", pr.Phase), zap.String("workload", pr.Workload),
			zap.String("target", l.Target), zap.String("engine", l.Engine),
			zap.Duration("elapsed", pr.Elapsed.Round(time.Second)), zap.Uint64("requests", l.Done),
			zap.Float64("ops_per_sec", round3(l.Rate)), zap.Float64("p99_ms", ms(l.P99)),
			zap.Uint64("errors", l.Errors), zap.Uint64("dropped", l.Dropped), zap.Bool("final", pr.Final))
	}
}

// format is one target's line: the last second's figures while the phase
// runs, then the whole phase's, marked "total", in the same columns.
func format(pr app.Progress, l app.TargetProgress) string {
	var of string
	switch {
	case pr.Requests > 0:
		of = fmt.Sprintf("%d/%d req", l.Done, pr.Requests)
	case pr.Limit > 0 && !pr.Final:
		of = fmt.Sprintf("%v/%v", pr.Elapsed.Round(time.Second), pr.Limit)
	default:
		of = pr.Elapsed.Round(time.Second).String()
	}
	if pr.Final {
		of = "total " + of
	}
	s := fmt.Sprintf("%-8s %-10s %-10s %-7s %18s %12.0f ops/s  p99 %8.3fms  errors %d  dropped %d",
		pr.Phase, pr.Workload, l.Target, l.Engine, of, l.Rate, ms(l.P99), l.Errors, l.Dropped)
	if l.Lag > results.SaturationLag {
		s += fmt.Sprintf("  behind schedule %v", l.Lag.Round(time.Millisecond))
	}
	return s
}

func ms(d time.Duration) float64 { return round3(d.Seconds() * 1000) }

// round3 keeps three decimals: enough for microseconds in milliseconds.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
