// Package target is one Redis OSS or Valkey endpoint under test: its go-redis
// client (standalone or cluster, optionally over TLS), engine detection from
// INFO, and a health monitor that reports when the endpoint goes down, comes
// back, or turns out to run a different engine than the configuration said.
//
// The client is a plain [redis.UniversalClient]; workloads drive it directly.
// Requests are never retried by the client, so every request a runner sends is
// measured exactly once.
//
// A Target never holds or prints its password outside the go-redis client:
// errors, events and String() carry addresses and user names at most.
package target
