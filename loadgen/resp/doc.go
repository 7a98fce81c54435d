// Package resp is the hand-written RESP2 of the runner's raw path: commands
// appended to a reused buffer, and replies read one at a time into a small
// summary (Reply) with their payload discarded, since a benchmark needs
// each reply's type, not its value.
//
// Why by hand (docs/performance.md, issue 20): at pipeline 1 go-redis
// spends ~8,230 user-space instructions per command (its RESP writer
// ~1,230, hooks and retry logic ~650, five allocations ~1,500, deadlines
// ~1,190); a loop on one connection per worker with reused buffers spent
// 3,140, below valkey-benchmark's 3,460. This package is that loop's
// protocol, and nothing more: RESP2 only (no pushes, maps or doubles),
// no values returned, no retries, no pool.
//
// Measured in `ecbench bench` (callgrind, the difference of two run
// lengths, GET:SET 1:1, 50 workers; the scheduler's idle loop and the
// per-second summaries left out): the runner's closed loop on this
// package in place of go-redis takes 11,600–12,200 user-space
// instructions per command to 7,700 at pipeline 1, and 5,260 to 1,890 at
// pipeline 16; go-redis' own share (2,030–2,080 and 1,060) goes, this
// package and its bufio.Reader take 640 and 380, and allocations fall from
// 5 to 1 and from 6 to 1 per command (the workload's key string). The
// syscalls are the same (3.0 and 0.19 per command).
//
// An error reply becomes an Error, which implements go-redis' redis.Error
// with the message go-redis would give it (the line after '-'), so that
// result.Classify gives it the same class on both paths. A reply that
// breaks the protocol (a bad type byte, a bad or oversized length, nesting
// deeper than MaxDepth) is an error wrapping ErrProtocol, never a panic,
// and nothing is allocated from a length the server sent.
package resp
