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
// Integrity writes sequenced, checksummed records into a bounded ring of keys,
// remembers in a bounded ledger which writes were acknowledged, and reads a
// sample of them back after a delay. Each read-back is one verdict:
//
//	verified   the key holds the acknowledged record (or a later one of this run)
//	lost       the key is gone
//	stale      the key holds an older record than the one acknowledged
//	corrupted  the value does not parse or its checksum does not match
//	unchecked  the record was never read back (ecbench stopped without a state file)
//
// Both report to small sink interfaces that the metrics package and the
// daemon's logger implement; this package knows nothing of Prometheus or
// logging. Sinks are called from the probe's own goroutine and must not block
// for long.
//
// The probes use the client they are given and never retry: a probe that
// failed is a failed probe. The client should have ContextTimeoutEnabled (as
// target.Target's clients do) so that a probe's timeout also bounds the
// socket read, and Run returns promptly when its context is cancelled.
package probe
