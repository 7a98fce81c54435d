package results

import (
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Server is what one target's server said about one workload of a bench:
// INFO read at the phase boundaries (schema 4). A snapshot is nil where
// INFO could not be read on every node (the bench logged why) or where the
// phase did not run (no preload): a figure derived from it is then absent,
// never zero.
//
//	before_preload ─ preload ─ after_preload ─ warm-up ─ before_measure ─ measure ─ after_measure
//
// In sequential mode each target's before_measure and after_measure are
// around its own measured phase; the preload runs on every target at once.
type Server struct {
	Target   string `json:"target"`
	Workload string `json:"workload"`
	Kind     string `json:"kind"` // the workload's type: kv, list, hash, set, zset
	// PreloadKeys and PreloadElements are what the preload wrote: the
	// workload's keys, and their elements (keys × elements per structure;
	// for kv one per key). Both 0 when the workload has no preload.
	PreloadKeys     uint64 `json:"preload_keys"`
	PreloadElements uint64 `json:"preload_elements"`

	BeforePreload *ServerSnapshot `json:"before_preload,omitempty"`
	AfterPreload  *ServerSnapshot `json:"after_preload,omitempty"`
	BeforeMeasure *ServerSnapshot `json:"before_measure,omitempty"`
	AfterMeasure  *ServerSnapshot `json:"after_measure,omitempty"`
}

// ServerSnapshot is a target's INFO at one moment: one node's, or in
// cluster mode the sum over its primaries (replicas hold copies, not more
// data or work of the workload's). The JSON names are INFO's own. Counters
// are cumulative since each node started: only differences between two
// snapshots with the same RunIDs mean anything.
type ServerSnapshot struct {
	At      time.Time     `json:"at"`      // when the last node answered
	Nodes   int           `json:"nodes"`   // the nodes summed
	Engine  engine.Engine `json:"engine"`  // of the first node
	Version string        `json:"version"` // of the first node
	RunIDs  []string      `json:"run_ids"` // the nodes' run_id, sorted: a change is a restart

	// memory, bytes. ClientsMemory (mem_clients_normal) is the client
	// connections' buffers: transient, not the data's.
	UsedMemory        uint64 `json:"used_memory"`
	UsedMemoryRSS     uint64 `json:"used_memory_rss"`
	UsedMemoryDataset uint64 `json:"used_memory_dataset"`
	ClientsMemory     uint64 `json:"mem_clients_normal"`

	Keys    uint64 `json:"keys"`    // every db's keys
	Expires uint64 `json:"expires"` // keys with a TTL

	// cumulative counters
	CommandsProcessed uint64  `json:"total_commands_processed"`
	KeyspaceHits      uint64  `json:"keyspace_hits"`
	KeyspaceMisses    uint64  `json:"keyspace_misses"`
	CPUSys            float64 `json:"used_cpu_sys"`  // seconds, every thread of the process
	CPUUser           float64 `json:"used_cpu_user"` // seconds
	NetInputBytes     uint64  `json:"total_net_input_bytes"`
	NetOutputBytes    uint64  `json:"total_net_output_bytes"`
	// Calls is INFO commandstats: calls by lower-case command name
	// ("get", "client|setinfo"); nil when the server did not report it.
	Calls map[string]uint64 `json:"calls,omitempty"`
}

// OwnCommands are the commands a client sends for itself rather than for a
// workload: ecbench's INFO snapshots and a connection's setup (HELLO, AUTH,
// CLIENT SETINFO, SELECT, READONLY), a cluster client's topology reads
// (CLUSTER, COMMAND), health checks (PING). WorkloadCommands leaves them
// out; no op of a workload sends one.
var OwnCommands = []string{"auth", "client", "cluster", "command", "hello", "info", "ping", "quit", "readonly", "readwrite", "select"}

// WorkloadCommands is how many commands the server ran between from and to,
// except OwnCommands: the workload's own, counted by the server
// (commandstats). fromStats is true when both snapshots had commandstats;
// without them it is the difference of total_commands_processed, which
// includes ecbench's own INFO commands (a few per snapshot).
func WorkloadCommands(from, to *ServerSnapshot) (n uint64, fromStats bool) {
	if from.Calls == nil || to.Calls == nil {
		return sub(to.CommandsProcessed, from.CommandsProcessed), false
	}
	for cmd, calls := range to.Calls {
		if own(cmd) {
			continue
		}
		n += sub(calls, from.Calls[cmd])
	}
	return n, true
}

// own reports whether cmd ("client|setinfo") is one of OwnCommands.
func own(cmd string) bool {
	name, _, _ := strings.Cut(cmd, "|")
	for _, c := range OwnCommands {
		if c == name {
			return true
		}
	}
	return false
}

// sub is a − b for counters, 0 when b > a (a restart reset them; the
// caller checks RunIDs).
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// sameServer reports whether two snapshots are of the same server
// processes: the same run_ids, in the same number.
func sameServer(a, b *ServerSnapshot) bool {
	if len(a.RunIDs) != len(b.RunIDs) || a.Nodes != b.Nodes {
		return false
	}
	for i := range a.RunIDs {
		if a.RunIDs[i] != b.RunIDs[i] {
			return false
		}
	}
	return true
}
