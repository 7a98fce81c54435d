package target

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StatsSections are the INFO sections NodeStats reads besides server and
// replication (which every poll reads): pass them to WatchInfo, or read
// them with PollInfo after WatchInfo added them.
var StatsSections = []string{"memory", "stats", "cpu", "clients", "keyspace", "commandstats"}

// NodeStats is what one node's INFO says about its resources and its work:
// the server side of a benchmark. Counters are cumulative since the node
// started (a restart resets them: compare RunID). Fields a server does not
// report stay zero; the Has* flags tell a zero from an absence where it
// matters.
type NodeStats struct {
	Node string    // host:port, for logs; never a label value as it is
	At   time.Time // when INFO answered

	Info             // engine, version, mode, role
	RunID     string // drawn at every start
	Uptime    time.Duration
	IOThreads int // io_threads_active: 0 when the server's I/O threads are off (or it has none)

	// memory, in bytes; ClientsMemory is mem_clients_normal, the buffers of
	// ordinary client connections (part of UsedMemory)
	UsedMemory, UsedMemoryRSS, UsedMemoryDataset, MaxMemory uint64
	ClientsMemory                                           uint64
	FragmentationRatio                                      float64 // mem_fragmentation_ratio: RSS / used

	// stats, cumulative
	CommandsProcessed          uint64 // total_commands_processed
	KeyspaceHits, KeyspaceMiss uint64
	EvictedKeys, ExpiredKeys   uint64
	RejectedConnections        uint64
	NetInputBytes, NetOutput   uint64 // total_net_input_bytes, total_net_output_bytes (client traffic and replication)

	// cpu, in seconds, cumulative: the whole process (every thread), and
	// its main thread where the server reports it (Redis 7+, Valkey).
	CPUSys, CPUUser                 float64
	CPUSysMain, CPUUserMain         float64
	HasMainThreadCPU                bool
	ConnectedClients, BlockedClient uint64

	// keyspace: every db's keys and keys with a TTL, summed, and by db.
	Keys, Expires uint64
	DBs           []DBKeys

	// Commands is INFO commandstats by lower-case command name ("get",
	// "hset"; a subcommand as "client|setname"). It holds every command
	// the server reports: label values must come from a bounded list.
	Commands map[string]CommandStats

	// replication: a primary's replicas and the largest byte lag among them
	// (master_repl_offset minus the replica's acknowledged offset). A
	// replica cannot tell its own lag: its ReplLagBytes is 0.
	ConnectedReplicas int
	ReplOffset        int64 // master_repl_offset
	ReplLagBytes      int64
}

// DBKeys is one line of INFO keyspace.
type DBKeys struct {
	DB            int
	Keys, Expires uint64
}

// CommandStats is one line of INFO commandstats.
type CommandStats struct {
	Calls uint64
	Usec  uint64 // microseconds spent in the command, cumulative
	// Rejected and Failed are Redis 7+'s rejected_calls (refused before
	// running: ACL, OOM, wrong arity) and failed_calls (ran and failed).
	Rejected, Failed uint64
}

// Stats reads a node's NodeStats from a poll that read the server and
// replication sections and (for the rest) StatsSections. ok is false when
// the poll failed.
func (p InfoPoll) Stats() (s NodeStats, ok bool) {
	if p.Err != nil {
		return NodeStats{Node: p.Node, At: p.At}, false
	}
	return ParseNodeStats(p.Node, p.At, p.Sections), true
}

// ParseNodeStats reads NodeStats from INFO's fields by section; a missing
// section leaves its fields zero. Fields are looked up across all sections:
// the section a field is in has changed between versions.
func ParseNodeStats(node string, at time.Time, sections map[string]InfoFields) NodeStats {
	f := make(InfoFields, 128)
	for _, sec := range sections {
		for k, v := range sec {
			if _, seen := f[k]; !seen {
				f[k] = v
			}
		}
	}
	u := func(k string) uint64 { n, _ := strconv.ParseUint(f[k], 10, 64); return n }
	i := func(k string) int64 { n, _ := strconv.ParseInt(f[k], 10, 64); return n }
	fl := func(k string) float64 { x, _ := strconv.ParseFloat(f[k], 64); return x }
	s := NodeStats{
		Node: node, At: at, Info: f.Info(), RunID: f["run_id"],
		Uptime:    time.Duration(i("uptime_in_seconds")) * time.Second,
		IOThreads: int(i("io_threads_active")),

		UsedMemory: u("used_memory"), UsedMemoryRSS: u("used_memory_rss"), UsedMemoryDataset: u("used_memory_dataset"),
		MaxMemory: u("maxmemory"), FragmentationRatio: fl("mem_fragmentation_ratio"),
		ClientsMemory: u("mem_clients_normal"),

		CommandsProcessed: u("total_commands_processed"),
		KeyspaceHits:      u("keyspace_hits"), KeyspaceMiss: u("keyspace_misses"),
		EvictedKeys: u("evicted_keys"), ExpiredKeys: u("expired_keys"),
		RejectedConnections: u("rejected_connections"),
		NetInputBytes:       u("total_net_input_bytes"), NetOutput: u("total_net_output_bytes"),

		CPUSys: fl("used_cpu_sys"), CPUUser: fl("used_cpu_user"),
		CPUSysMain: fl("used_cpu_sys_main_thread"), CPUUserMain: fl("used_cpu_user_main_thread"),
		ConnectedClients: u("connected_clients"), BlockedClient: u("blocked_clients"),

		ConnectedReplicas: int(i("connected_slaves")),
		ReplOffset:        i("master_repl_offset"),
	}
	_, s.HasMainThreadCPU = f["used_cpu_sys_main_thread"]

	for k, v := range f {
		switch {
		case strings.HasPrefix(k, "db"):
			db, err := strconv.Atoi(k[2:])
			if err != nil || db < 0 {
				continue
			}
			kv := listFields(v)
			d := DBKeys{DB: db, Keys: kv.u("keys"), Expires: kv.u("expires")}
			s.DBs = append(s.DBs, d)
			s.Keys += d.Keys
			s.Expires += d.Expires
		case strings.HasPrefix(k, "cmdstat_"):
			kv := listFields(v)
			if s.Commands == nil {
				s.Commands = map[string]CommandStats{}
			}
			s.Commands[strings.ToLower(k[len("cmdstat_"):])] = CommandStats{
				Calls: kv.u("calls"), Usec: kv.u("usec"), Rejected: kv.u("rejected_calls"), Failed: kv.u("failed_calls"),
			}
		case s.Role == RolePrimary && strings.HasPrefix(k, "slave") && k != "slave_repl_offset" && !strings.Contains(k, "_"):
			// slave0:ip=…,port=…,state=online,offset=…,lag=…
			if off, err := strconv.ParseInt(listFields(v)["offset"], 10, 64); err == nil {
				s.ReplLagBytes = max(s.ReplLagBytes, s.ReplOffset-off)
			}
		}
	}
	slices.SortFunc(s.DBs, func(a, b DBKeys) int { return cmp.Compare(a.DB, b.DB) })
	return s
}

// kvList is a field's value of the form "a=1,b=2".
type kvList map[string]string

func listFields(v string) kvList {
	m := kvList{}
	for part := range strings.SplitSeq(v, ",") {
		if k, x, ok := strings.Cut(part, "="); ok {
			m[k] = x
		}
	}
	return m
}

func (m kvList) u(k string) uint64 { n, _ := strconv.ParseUint(m[k], 10, 64); return n }
