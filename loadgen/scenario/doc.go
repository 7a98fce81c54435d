// Package scenario runs a soak test as a timeline of phases: warm-up 10m →
// steady 1h → burst 5m → failover → recovery 20m, once or over and over.
//
// A phase changes two things. The load: each open-loop workload's rate is
// its base schedule times the phase's multiplier, or a schedule of the
// phase's own in its place (an override). And the world: the phase's actions,
// such as an ElastiCache failover, start when it begins.
//
// The load needs no coordination at run time. Timeline.Schedule turns the
// timeline into one schedule per workload (a schedule.Piecewise), which every
// runner of that workload gets a copy of, so both engines keep seeing the same
// offered load at the same moment and neither waits for the other. The
// Driver only follows the same clock: it sleeps until each phase boundary,
// reports the phase to a Sink (the metrics package exports it as
// ecbench_phase_info{phase}) and starts the phase's actions.
//
//	time  0        10m           1h10m      1h15m    1h16m        1h36m
//	      │ warm-up │   steady    │  burst   │failover│  recovery  │ (runs on)
//	rate  │  ×0.5   │     ×1      │    ×3    │   ×1   │     ×1     │    ×1
//	                                           ▲ TestFailover requested
//
// End of the timeline. A timeline that repeats starts over (every cycle
// offers the same load, its base schedules included). One that does not
// keeps its last phase running: the load stays what the last phase made it,
// and the phase exported stays the last one, until ecbench stops.
//
// Closed-loop workloads have no rate to scale: they run unchanged through
// every phase (multipliers do not apply to them), and an override for one is
// a validation error. Phases and actions still apply.
//
// This package knows nothing of Prometheus, AWS or logging: actions and
// sinks are small interfaces that the failover and metrics packages and the
// daemon implement.
package scenario
