// Package app is ecbench's application: what a validated configuration
// builds (the plan: registry and metrics, targets, workloads, runners,
// probes, scenario, CloudWatch poller), and the two modes built from it.
//
//   - Daemon drives every workload against its targets until stopped and
//     serves /metrics: start order, readiness (systemd notify included),
//     summaries and shutdown order live here.
//   - Bench is one finite run: per workload, preload → warm-up → measure →
//     cleanup against its targets at once or one after the other, with
//     progress through a callback; Run returns what was measured.
//
// cmd/ecbench keeps flags, usage, logging setup and the calls into this
// package, so that the modes can be imported and tested end to end.
package app
