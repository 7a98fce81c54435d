// Package profile measures a live Redis OSS or Valkey server, read-only,
// and writes what it measured as an ecbench workload config: the answer
// to "what does my workload look like?" that synthetic mixes make users
// guess.
//
// Run reads every primary's INFO (commandstats, stats, keyspace, server,
// replication), samples keys for Options.Duration, and reads INFO again:
//
//	INFO ×5 ─┬─ SCAN COUNT 100 → TYPE, PTTL (MEMORY USAGE 1 in 16)   ─┬─ INFO ×5
//	         │    → STRLEN | LLEN+LRANGE 0 4 | HLEN+HRANDFIELD 5      │
//	         │      | SCARD+SRANDMEMBER 5 | ZCARD+ZRANGE 0 4          │
//	         └────────────── Options.Duration, ≤ MaxRate commands/s ──┘
//
// What it measures, all over that one window (a figure measured once,
// shown as such):
//
//   - the command mix: commandstats deltas, summed over the primaries,
//     less the profiler's own commands, which it counts as it sends them;
//   - the request rate: total_commands_processed's delta over the window,
//     less its own;
//   - keys by type: INFO keyspace's count, split by the sampled TYPEs;
//   - value and element sizes as empirical distributions (at most 64
//     sizes: exact when the sample has that few, else log-spaced buckets
//     each at its mean), element counts, the share of keys with a TTL
//     and the remaining TTLs;
//   - key families: the prefix up to the first Options.Delimiter.
//
// SCAN visits keys in hash-table order, which is random with respect to
// names and sizes: the first keys it returns are a uniform sample of the
// keys (not of the accesses). Sampling stops at Options.Sample keys or at
// the end of the window, whichever comes first.
//
// # Read-only, enforced
//
// Every command goes through one go-redis hook (guard) on every client,
// the node clients of a cluster included: a command outside AllowList
// fails before it is sent, and every other one waits for a limiter that
// spaces them at Options.MaxRate, all primaries together. KEYS, MONITOR,
// FLUSH*, CONFIG, DEBUG and every write are never sent. Each connection
// is one of at most two per primary, with no retries (so what it counted
// is what it sent) and no CLIENT SETINFO.
//
// # The config written
//
// Write turns a Profile into YAML that ecbench check, run and bench load
// as it is: one workload per kind of keys (kv, list, hash, set, zset)
// whose ops had calls, because the counters say which commands ran but
// not on which keys, so a mix can be split by kind and not by family
// (families are listed in the comments). Each workload gets its ops'
// weights (commandOps maps commands to ops), its constant open-loop rate,
// its key count, its size table and element count, and comments saying
// where each figure comes from. Commands no op sends are listed as "not
// reproduced: X% of calls: EVALSHA, XADD"; connection and server commands
// (PING, INFO, CLIENT …) are left out of the mix. The targets are the
// quick start's two local engines: a profiled production server must
// never be one, since the workloads write. When the largest sampled sizes
// need more generator memory than the default limits.max_memory, the
// config raises it and says so.
//
// Not measurable read-only, and left at ecbench's defaults with a comment:
// which keys are hot, pipelining, MGET's batch, range reads' length, and
// whether a SET carried an expiry (SETs are split into set and set_ttl by
// the share of sampled strings that have a TTL).
package profile
