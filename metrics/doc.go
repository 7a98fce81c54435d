// Package metrics exports ecbench's measurements as Prometheus metrics and
// serves them over HTTP.
//
// It implements the result.Recorder seam that the load engine defines: one
// Recorder per (target, workload) pair turns finished requests into latency
// and service-time histograms of answered requests, an error-latency
// histogram, outcome counters and error-class counters, and keeps
// HdrHistograms of answered requests for the summaries: the current
// interval's (the daemon's periodic line) and the whole run's (the final
// lines). Runner and target state (offered rate, in-flight requests,
// schedule lag, engine identity, client pool statistics) is read at scrape
// time through small interfaces, so a scrape never does network I/O.
//
// The metric names and labels are a contract with the Grafana dashboards:
//
//	ecbench_op_latency_seconds{target,engine,workload,op}        histogram, answered requests, from intended start
//	ecbench_op_service_seconds{target,engine,workload,op}        histogram, answered requests, from send
//	ecbench_op_error_latency_seconds{target,engine,workload,op}  histogram, failed requests, from intended start
//	ecbench_ops_total{target,engine,workload,op,outcome}         ok | miss | error | dropped
//	ecbench_op_errors_total{target,engine,workload,op,class}     result.Classes
//	ecbench_offered_rate_ops_per_second{target,workload}
//	ecbench_inflight_ops{target,workload}
//	ecbench_max_inflight_ops{target,workload}
//	ecbench_schedule_lag_seconds{target,workload}                gauge: the lag now
//	ecbench_dispatch_lag_seconds{target,workload}                histogram: every open-loop request's lag
//	ecbench_target_info{target,engine,version,mode,role}         1, once the target has answered
//	ecbench_target_up{target,engine}
//	ecbench_pool_*{target,engine}                                go-redis pool statistics plus the raw path's own connections
//	ecbench_build_info{version,goversion}
//	ecbench_outages_total, ecbench_outage_seconds, ecbench_last_outage_seconds,
//	ecbench_target_available, ecbench_probe_latency_seconds{target,engine},
//	ecbench_probe_errors_total{target,engine,class}                availability probe (probes.go)
//	ecbench_integrity_checks_total{target,engine,result}         integrity probe (probes.go)
//	ecbench_phase_info{phase}, ecbench_phase_start_timestamp_seconds,
//	ecbench_action_{requested,completed}_timestamp_seconds{action,phase},
//	ecbench_actions_total{action,result}                         scenario (scenario.go)
//	ecbench_cloudwatch_*                                         ElastiCache metrics (package cloudwatch)
//	ecbench_server_*{target,engine,node}                         INFO of every node, per target (serverstats.go); node is an ordinal
//	ecbench_server_info_last_success_timestamp_seconds{target,engine},
//	ecbench_server_info_errors_total{target,engine}              the INFO poller's health
//
// Label values come only from fixed sets: target and workload names from the
// configuration, op names from the workload, the detected engine, the
// outcome and error-class enums, node ordinals, and the commands ecbench
// sends. Never a key, an address or an error message.
package metrics
