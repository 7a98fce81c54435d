package app

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/failover"
	"github.com/ecbench/ecbench/loadgen/scenario"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/metrics"
	"github.com/ecbench/ecbench/metrics/cloudwatch"
)

// scenarioRun is the daemon's scenario: the timeline that shapes every
// runner's schedule, and where its phases and actions are reported.
type scenarioRun struct {
	timeline scenario.Timeline
	sink     scenario.Sink
}

func (s *scenarioRun) driver(start time.Time) scenario.Driver {
	return scenario.Driver{Timeline: s.timeline, Start: start, Sink: s.sink}
}

// scenario builds the configured timeline, or nil without phases. A
// failover action calls AWS only with failover.enabled.
func (p *Plan) scenario(ctx context.Context) (*scenarioRun, error) {
	cfg, log := p.cfg, p.log
	sc := cfg.Scenario
	if len(sc.Phases) == 0 {
		return nil, nil
	}
	var api failover.API
	named := false
	for _, ph := range sc.Phases {
		for _, a := range ph.Actions {
			named = named || a.Type == config.ActionFailover
		}
	}
	switch {
	case named && cfg.Failover.Enabled:
		_, ec, err := cloudwatch.NewClients(ctx, cfg.Failover.Region)
		if err != nil {
			return nil, fmt.Errorf("failover: %w", err)
		}
		api = ec
	case named:
		log.Warn("the scenario names failover actions but failover.enabled is false: they will be skipped")
	}
	tl := scenario.Timeline{Repeat: sc.Repeat}
	for _, pc := range sc.Phases {
		ph := scenario.Phase{Name: pc.Name, Duration: pc.Duration, Multiplier: pc.RateMultiplier}
		for name, pw := range pc.Workloads {
			if pw.RateMultiplier != nil {
				if ph.Multipliers == nil {
					ph.Multipliers = map[string]float64{}
				}
				ph.Multipliers[name] = *pw.RateMultiplier
			}
			if pw.Rate != nil {
				if ph.Overrides == nil {
					ph.Overrides = map[string]schedule.Schedule{}
				}
				s, err := pw.Rate.Schedule()
				if err != nil {
					return nil, fmt.Errorf("scenario phase %s, workload %s: %w", pc.Name, name, err)
				}
				ph.Overrides[name] = s
			}
		}
		for _, ac := range pc.Actions {
			a, err := failover.New(api, failover.Options{
				Enabled: cfg.Failover.Enabled, ReplicationGroup: ac.ReplicationGroup, NodeGroup: ac.NodeGroup,
				PollInterval: cfg.Failover.PollInterval, Timeout: ac.Timeout,
			})
			if err != nil {
				return nil, fmt.Errorf("scenario phase %s: %w", pc.Name, err)
			}
			ph.Actions = append(ph.Actions, a)
		}
		tl.Phases = append(tl.Phases, ph)
	}
	open := map[string]bool{}
	for _, w := range cfg.Workloads {
		open[w.Name] = w.Rate.OpenLoop()
	}
	if err := tl.Validate(open); err != nil {
		return nil, err
	}
	ms, err := metrics.NewScenario(p.reg, tl)
	if err != nil {
		return nil, err
	}
	return &scenarioRun{timeline: tl, sink: scenario.Tee(ms, scenarioLog{log})}, nil
}

// scenarioLog logs phases and actions as events.
type scenarioLog struct{ log *zap.Logger }

func (l scenarioLog) PhaseStarted(index int, phase string, at time.Time) {
	l.log.Info("phase started", zap.String("phase", phase), zap.Int("index", index), zap.Time("at", at))
}

func (l scenarioLog) ActionRequested(action, phase string, at time.Time) {
	l.log.Warn("action requested", zap.String("action", action), zap.String("phase", phase), zap.Time("at", at))
}

func (l scenarioLog) ActionDone(action, phase string, res scenario.ActionResult, err error) {
	fields := []zap.Field{zap.String("action", action), zap.String("phase", phase),
		zap.String("result", scenario.ResultOf(err)), zap.Time("requested", res.Requested), zap.Time("completed", res.Completed)}
	if err != nil {
		l.log.Warn("action done", append(fields, zap.Error(err))...)
		return
	}
	l.log.Info("action done", append(fields, zap.Duration("took", res.Completed.Sub(res.Requested)))...)
}
