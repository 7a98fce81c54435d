// Package probe holds the two monitors that run beside the workloads, one of
// each per target.
//
// Availability writes one key and reads it back every interval (100ms by
// default) and turns each run of failed probes into an Outage: when it began,
// when the target answered again, and why it failed first and last. A probe
// counts as successful only if the write was acknowledged and the read
// returned exactly what was written within the timeout, so a demoted primary
// answering READONLY, a paused server and a stale read are all failures.
//
// Integrity writes sequenced, checksummed records into a bounded ring of
// keys (write seq goes to key seq mod Keys) and watches every acknowledged
// write in the sample until write seq+Keys reuses its key. Each write is
// judged:
//
//	verified   the key holds the acknowledged record (or a later one of this run)
//	lost       the key is gone
//	stale      the key holds an older record than the one acknowledged
//	corrupted  the value does not parse or its checksum does not match
//	unchecked  the record was never read (ecbench stopped, could not read it, and has no state file)
//
// # The guarantee
//
// A write acknowledged and lost at any time before its key is reused is
// reported, once, by the next read of it. The reads of a write are:
//
//   - its first check, VerifyDelay after the acknowledgement: the one that
//     counts it verified (or lost, …);
//   - the continuous sweep, which reads every verified write again, oldest
//     first, round the ring at SweepRate writes per second, so a loss is found
//     within Keys/SweepRate (10 s at the defaults) of happening;
//   - a full sweep of the whole ring at once, writes younger than VerifyDelay
//     included: after the probe's own writes or reads failed and then
//     succeeded again (a restart, a failover, a partition), when asked
//     (Integrity.Sweep: the daemon asks when an outage ends, the role
//     changes or the server restarts), when a run resumes from its state
//     file, and a final one when Run stops (within one Timeout in all);
//   - a last read just before its key is rewritten: the next write waits
//     until that read succeeds, so no write leaves the ring unread, whatever
//     the sweep rate.
//
// A verified write found missing later is reported lost then, and a write
// reported lost, stale or corrupted is not reported again, so the counters
// count writes, not reads: each write at most once as verified and at most
// once as lost, stale or corrupted. One blind spot: the writes a crashed
// ecbench acknowledged after its last save of the state file (at most a
// second's worth) are written again, with the same bytes, by the run that
// resumes it, so a loss of those before the rewrite goes unseen.
//
// Each verdict says which read found it (SweepKind: first check, continuous
// sweep, check before reuse, recovery, requested, resume or final sweep),
// and the log gives the sequence ranges.
//
// # Cost
//
// Per target at the defaults (Keys 10,000, Interval 100ms, ValueSize 128,
// SweepRate 1,000/s), once the ring is full: 10 writes/s and about 1,020
// GETs/s (1,000 by the continuous sweep, 10 first checks, 10 reads before
// reuse) in about 20 pipelines a second, each led by a one-key DEL (the
// fence, see below): measured against valkey-server, 1,016 GETs/s, 20
// DELs/s, 51 KB/s to the server and 139 KB/s from it (a 136-byte reply per
// GET). A full sweep reads every write in the ring in MaxReadBatch batches
// back to back, up to half an interval per step (10,000 keys: 20 batches).
// While the ring fills up (the first Keys×Interval, 1,000 s at the
// defaults) the sweep reads only the writes made so far.
//
// # Reads from a primary only
//
// Each read batch starts with a DEL of a key no write uses (Prefix+"fence"),
// which changes nothing on a primary. A server that takes no writes answers
// it READONLY, and then no read of the batch is judged: after a failover
// behind a DNS name, go-redis's pipeline connections would otherwise go on
// reading from the demoted primary while it resynchronises, and report as
// lost writes that the new primary holds. The READONLY also closes the
// connection, so the next batch reaches the new primary.
//
// # Memory
//
// The ledger keeps, per ring slot, the acknowledgement time and the state of
// the latest write there: 9 bytes, allocated once (IntegrityMemory: 90 KB at
// the defaults, 9 GB for a billion keys). The sequence number is implied by
// the slot and the next sequence number, since writes are acknowledged one
// at a time, in order. With a StateFile the ledger survives restarts of
// ecbench (see the state type for the format).
//
// Both probes report to small sink interfaces that the metrics package and
// the daemon's logger implement; this package knows nothing of Prometheus or
// logging. Sinks are called from the probe's own goroutine and must not block
// for long.
//
// The probes use the client they are given and never retry: a probe that
// failed is a failed probe. The client should have ContextTimeoutEnabled (as
// target.Target's clients do) so that a probe's timeout also bounds the
// socket read, and Run returns promptly when its context is cancelled.
package probe
