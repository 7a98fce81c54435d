// Package target is one Redis OSS or Valkey endpoint under test: its go-redis
// client (standalone or cluster, optionally over TLS), engine detection from
// INFO, and a monitor that reports when the endpoint goes down, comes back,
// restarts, changes its role or turns out to run a different engine than the
// configuration said.
//
// The client is a plain [redis.UniversalClient]; workloads drive it directly.
// Requests are never retried by the client, so every request a runner sends is
// measured exactly once.
//
// One poller reads INFO per target (Monitor, on connections of its own):
// server and replication every Options.InfoInterval and at once after
// Recheck, plus every section that WatchInfo registers, handed to its sinks
// per node. A change of a node's role, run_id or master link is an Event.
//
// Dials go through the target's own dialer (dialer.go), which replaces
// go-redis' pool back-off: connections follow a restarted server within
// 20 ms, and requests refused while dials fail are never sent and fail with
// result.ErrDialBackoff.
//
// A Target never holds or prints its password outside the go-redis client:
// errors, events and String() carry addresses and user names at most.
package target
