package main

import (
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"
)

// progressLine is one target's state in a bench phase.
type progressLine struct {
	target, engine  string
	done            uint64  // requests answered or dropped so far
	rate            float64 // answered ops/s over the last second
	p99             time.Duration
	errors, dropped uint64 // over the last second
	lag             time.Duration
}

// progress shows a bench phase as it runs: on a terminal one line per
// target rewritten in place every second; otherwise a log line per target
// every logEvery, so that CI logs and files stay readable.
type progress struct {
	out      io.Writer
	log      *zap.Logger
	tty      bool
	phase    string
	workload string
	limit    time.Duration // 0: none
	requests int64         // 0: none
	shown    int           // lines drawn last time, to draw over
	lastLog  time.Duration
}

const logEvery = 10 * time.Second

func newProgress(out io.Writer, log *zap.Logger, tty bool, phase, workload string, limit time.Duration, requests int64) *progress {
	return &progress{out: out, log: log, tty: tty, phase: phase, workload: workload, limit: limit, requests: requests}
}

func (p *progress) show(elapsed time.Duration, lines []progressLine, final bool) {
	if p.tty {
		if p.shown > 0 {
			fmt.Fprintf(p.out, "\x1b[%dA", p.shown)
		}
		for _, l := range lines {
			fmt.Fprintf(p.out, "\x1b[2K%s\n", p.format(elapsed, l))
		}
		p.shown = len(lines)
		return
	}
	if !final && elapsed-p.lastLog < logEvery {
		return
	}
	p.lastLog = elapsed
	for _, l := range lines {
		p.log.Info("progress", zap.String("phase", p.phase), zap.String("workload", p.workload),
			zap.String("target", l.target), zap.String("engine", l.engine),
			zap.Duration("elapsed", elapsed.Round(time.Second)), zap.Uint64("requests", l.done),
			zap.Float64("ops_per_sec", round3(l.rate)), zap.Float64("p99_ms", ms(l.p99)),
			zap.Uint64("errors", l.errors), zap.Uint64("dropped", l.dropped))
	}
}

func (p *progress) format(elapsed time.Duration, l progressLine) string {
	var of string
	switch {
	case p.requests > 0:
		of = fmt.Sprintf("%d/%d req", l.done, p.requests)
	case p.limit > 0:
		of = fmt.Sprintf("%v/%v", elapsed.Round(time.Second), p.limit)
	default:
		of = elapsed.Round(time.Second).String()
	}
	s := fmt.Sprintf("%-8s %-10s %-10s %-7s %18s %12.0f ops/s  p99 %8.3fms  errors %d  dropped %d",
		p.phase, p.workload, l.target, l.engine, of, l.rate, ms(l.p99), l.errors, l.dropped)
	if l.lag > lagWarnThreshold {
		s += fmt.Sprintf("  behind schedule %v", l.lag.Round(time.Millisecond))
	}
	return s
}
