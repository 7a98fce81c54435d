// Package runner drives one workload against one target. Every (workload,
// target) pair gets its own Runner with its own copy of the schedule and its
// own request stream, so a slow engine never holds back the other.
//
// The open-loop runner sends each request at the time its schedule says,
// whether or not earlier requests have been answered, and measures latency
// from that intended time; when the in-flight bound is reached a request is
// counted as dropped, never queued without limit. The closed-loop runner
// (no schedule) keeps a fixed number of workers busy as fast as they go.
//
// A dropped request's lateness still counts. The runner holds it until the
// next request completes, which frees the slot it lacked, and records it
// then as result.Dropped with Done at that completion: the earliest it
// could have been sent, so Done − Intended is a lower bound on its latency,
// never above the truth. Every drop held gets the same completion's time
// (a queue would have sent only the first into the freed slot: the bound is
// loose for a backlog). At most 32,768 drops are held (512 KiB); past that,
// and for drops still held when the run ends, Done is zero: unknown.
//
// Who held the load back is told apart by the replies (stall.go). A reply
// gap, the time requests were in flight and the server answered none of
// them, of at least StallGap is a stall of the server (StallRecorder,
// MaxReplyGap); drops made during one count as StallDrops, the others were
// made while replies flowed, because rate × latency exceeded the bound.
// The schedule lag is the generator's own: the dispatcher never waits for
// the bound. MaxInFlightFor sizes the bound to ride out a stall of a
// target's read timeout within a memory budget.
//
// One runner's bound does not bound them all: several runners at their
// bounds at once (a stall of every target) add up. A Budget is one cap in
// bytes that the runners given it share: each request is charged its
// runner's worst case (RequestBytes) while it is in flight, and a request
// the cap cannot take is dropped like one over the runner's bound, with the
// release that makes room for it as its lower bound (CapDrops counts them).
//
// Closed-loop workers of a standalone RESP2 target (Config.Raw, the
// target's RawDialer) send with ecbench's own RESP2 (package resp) on a
// connection each, in place of go-redis: the same commands, handshake,
// timeouts, results and error classes (raw.go), with a third fewer
// instructions and one allocation per command. The open loop, cluster and
// RESP3 targets use go-redis.
package runner
