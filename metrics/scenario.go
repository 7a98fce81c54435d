package metrics

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/loadgen/scenario"
)

var _ scenario.Sink = (*Scenario)(nil)

// Scenario exports the scenario timeline; it is the scenario.Driver's Sink:
//
//	ecbench_phase_info{phase}                                  1 for the phase in force, 0 for the others
//	ecbench_phase_start_timestamp_seconds                      when the phase in force began
//	ecbench_action_requested_timestamp_seconds{action,phase}   when the action last asked for its effect
//	ecbench_action_completed_timestamp_seconds{action,phase}   when the action last saw it complete
//	ecbench_actions_total{action,result}                       scenario.Results: ok | error | timeout | canceled | skipped
//
// Every phase's ecbench_phase_info series is present from the start, 0 or 1,
// so that a Grafana state timeline shades each phase and a query such as
// `ecbench_phase_info == 1` names the phase in force. The action timestamps
// are 0 until the first request and completion; a completion older than the
// request means the action is still running (or failed, see
// ecbench_actions_total). Label values come from the timeline's phase and
// action names.
type Scenario struct {
	requested *prometheus.GaugeVec
	completed *prometheus.GaugeVec
	actions   *prometheus.CounterVec
	phases    *phaseCollector
}

// NewScenario creates the scenario metrics for t, with every series at 0,
// and registers them with reg.
func NewScenario(reg prometheus.Registerer, t scenario.Timeline) (*Scenario, error) {
	s := &Scenario{
		requested: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ecbench_action_requested_timestamp_seconds",
			Help: "When a scenario action (such as a failover) last asked for its effect, in seconds since the epoch; 0 before the first time.",
		}, []string{"action", "phase"}),
		completed: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ecbench_action_completed_timestamp_seconds",
			Help: "When a scenario action last saw its effect complete (a failover: the new primary in place), in seconds since the epoch; 0 before the first time. Older than the request while the action runs or after it failed.",
		}, []string{"action", "phase"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecbench_actions_total",
			Help: "Scenario actions that returned, by result: ok, error, timeout (not complete in time), canceled (ecbench stopped) or skipped (not enabled, or still running from the previous cycle).",
		}, []string{"action", "result"}),
		phases: newPhaseCollector(),
	}
	for _, p := range t.Phases {
		s.phases.known(p.Name)
		for _, a := range p.Actions {
			if a == nil {
				continue
			}
			s.requested.WithLabelValues(a.Name(), p.Name)
			s.completed.WithLabelValues(a.Name(), p.Name)
			for _, r := range scenario.Results {
				s.actions.WithLabelValues(a.Name(), r)
			}
		}
	}
	cs := []prometheus.Collector{s.phases, s.requested, s.completed, s.actions}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] { // leave reg as it was
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("metrics: register scenario: %w", err)
		}
	}
	return s, nil
}

// PhaseStarted implements scenario.Sink.
func (s *Scenario) PhaseStarted(_ int, phase string, at time.Time) {
	s.phases.start(phase, at)
}

// ActionRequested implements scenario.Sink.
func (s *Scenario) ActionRequested(action, phase string, at time.Time) {
	s.requested.WithLabelValues(action, phase).Set(epochSeconds(at))
}

// ActionDone implements scenario.Sink.
func (s *Scenario) ActionDone(action, phase string, res scenario.ActionResult, err error) {
	if !res.Requested.IsZero() {
		s.requested.WithLabelValues(action, phase).Set(epochSeconds(res.Requested))
	}
	if !res.Completed.IsZero() {
		s.completed.WithLabelValues(action, phase).Set(epochSeconds(res.Completed))
	}
	s.actions.WithLabelValues(action, scenario.ResultOf(err)).Inc()
}

// epochSeconds is t in seconds since the epoch, whole seconds and fraction
// apart so that a time such as 1700000000.25 comes out exact.
func epochSeconds(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

var _ prometheus.Collector = (*phaseCollector)(nil)

// phaseCollector exports the phase in force at scrape time, so that a
// scrape never sees two phases at 1, or none, while the phase changes.
type phaseCollector struct {
	info, started *prometheus.Desc

	mu      sync.Mutex
	names   []string // every phase name, in timeline order
	current string
	since   time.Time // zero before the first phase
}

func newPhaseCollector() *phaseCollector {
	return &phaseCollector{
		info: prometheus.NewDesc("ecbench_phase_info",
			"1 for the scenario phase in force, 0 for the scenario's other phases.", []string{"phase"}, nil),
		started: prometheus.NewDesc("ecbench_phase_start_timestamp_seconds",
			"When the scenario phase in force began, in seconds since the epoch; absent before the first phase.", nil, nil),
	}
}

// known adds name to the phases exported; the caller holds no lock.
func (c *phaseCollector) known(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(name)
}

func (c *phaseCollector) add(name string) {
	if !slices.Contains(c.names, name) {
		c.names = append(c.names, name)
	}
}

func (c *phaseCollector) start(name string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(name)
	c.current, c.since = name, at
}

// Describe implements prometheus.Collector.
func (c *phaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.info
	ch <- c.started
}

// Collect implements prometheus.Collector.
func (c *phaseCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	names, current, since := slices.Clone(c.names), c.current, c.since
	c.mu.Unlock()
	for _, n := range names {
		v := 0.0
		if !since.IsZero() && n == current {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, v, n)
	}
	if !since.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.started, prometheus.GaugeValue, epochSeconds(since))
	}
}
