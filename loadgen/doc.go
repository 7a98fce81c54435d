// Package loadgen is ecbench's load engine: targets, workloads, key and value
// generators, rate schedules and the runner that drives one workload against
// one target. Its subpackages know nothing of Prometheus, config files or
// logging globals; the metrics package implements the small interfaces they define.
//
//   - result: what one request produced (outcome, error class, timings) and the
//     Recorder that takes it.
//   - engine: the engines compared (redis, valkey, unknown).
//   - schedule: arrival-rate schedules, one registry entry per type.
//   - keyspace: seeded key and value generators.
//   - workload: operations (one table of op specs), op mixes, the request
//     stream of a workload, preload and key cleanup.
//   - target: a Redis or Valkey endpoint, its client and engine detection.
//   - runner: the open-loop and closed-loop runners.
//   - probe: the availability and integrity probes.
//   - scenario: phase timelines that shape schedules and run actions.
//   - cpuuse: the generator's own CPU use and the host's steal, by which a
//     run says when the generator, not the server, set the pace.
package loadgen
