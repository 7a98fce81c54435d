package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/loadgen/target"
)

// serverValue is a series with one value per node.
type serverValue struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(s *serverSample) float64
	// additive: the sum over nodes means something, so node="other" has it.
	additive bool
	// when, if set, says whether the node has the series.
	when func(s *serverSample) bool
}

// serverDescs are the descriptors of one target's ecbench_server_* series.
type serverDescs struct {
	lastSuccess, errors *prometheus.Desc // {engine}
	values              []serverValue    // {engine,node}
	cpu, mainThreadCPU  *prometheus.Desc // {engine,node,mode}
	dbKeys, dbExpiring  *prometheus.Desc // {engine,node,db}
	cmdCalls, cmdSecs   *prometheus.Desc // {engine,node,command}
	cmdRejected         *prometheus.Desc
	cmdFailed           *prometheus.Desc
	nodeInfo            *prometheus.Desc // {engine,node,role,version}
}

// resetNote ends the help of every counter taken from INFO.
const resetNote = " Cumulative since the server started: a restart resets it (a counter reset to Prometheus)."

func newServerDescs(targetName string) *serverDescs {
	constLabels := prometheus.Labels{"target": targetName}
	node := []string{"engine", "node"}
	desc := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append(node[:2:2], extra...), constLabels)
	}
	gauge := func(name, help string, additive bool, value func(s *serverSample) float64) serverValue {
		return serverValue{desc: desc(name, help), typ: prometheus.GaugeValue, value: value, additive: additive}
	}
	counter := func(name, help string, value func(s *serverSample) float64) serverValue {
		return serverValue{desc: desc(name, help+resetNote), typ: prometheus.CounterValue, value: value, additive: true}
	}
	u := func(v uint64) float64 { return float64(v) }
	primary := func(s *serverSample) bool { return s.Role == target.RolePrimary }
	lag := gauge("ecbench_server_replication_lag_bytes",
		"How many bytes of the replication stream the primary's slowest replica has yet to acknowledge: INFO replication master_repl_offset minus the least slaveN offset; 0 without replicas. Primaries only: a replica cannot tell its own lag.",
		false, func(s *serverSample) float64 { return float64(s.ReplLagBytes) })
	lag.when = primary
	return &serverDescs{
		lastSuccess: prometheus.NewDesc("ecbench_server_info_last_success_timestamp_seconds",
			"When a node of the target last answered ecbench's INFO poll, in seconds since the epoch; 0 before the first answer.",
			[]string{"engine"}, constLabels),
		errors: prometheus.NewDesc("ecbench_server_info_errors_total",
			"INFO polls of a node of the target that failed (one per node and poll); the node's ecbench_server_* series are absent until it answers again.",
			[]string{"engine"}, constLabels),
		values: []serverValue{
			gauge("ecbench_server_uptime_seconds", "Seconds since the server started: INFO server uptime_in_seconds.",
				false, func(s *serverSample) float64 { return s.Uptime.Seconds() }),
			gauge("ecbench_server_io_threads_active", "1 while the server's I/O threads are active, else 0: INFO io_threads_active.",
				false, func(s *serverSample) float64 { return float64(s.IOThreads) }),
			gauge("ecbench_server_memory_used_bytes", "Memory the server's allocator has handed out, in bytes: INFO memory used_memory.",
				true, func(s *serverSample) float64 { return u(s.UsedMemory) }),
			gauge("ecbench_server_memory_rss_bytes", "Memory the operating system has given the server process (resident set size), in bytes: INFO memory used_memory_rss.",
				true, func(s *serverSample) float64 { return u(s.UsedMemoryRSS) }),
			gauge("ecbench_server_memory_dataset_bytes", "Memory holding the data (used_memory less the server's overhead), in bytes: INFO memory used_memory_dataset.",
				true, func(s *serverSample) float64 { return u(s.UsedMemoryDataset) }),
			gauge("ecbench_server_memory_max_bytes", "The server's memory limit, in bytes; 0 when it has none: INFO memory maxmemory.",
				true, func(s *serverSample) float64 { return u(s.MaxMemory) }),
			gauge("ecbench_server_memory_fragmentation_ratio", "Resident memory over allocated memory: INFO memory mem_fragmentation_ratio.",
				false, func(s *serverSample) float64 { return s.FragmentationRatio }),
			counter("ecbench_server_commands_processed_total", "Commands the server ran: INFO stats total_commands_processed.",
				func(s *serverSample) float64 { return u(s.CommandsProcessed) }),
			counter("ecbench_server_keyspace_hits_total", "Key lookups that found the key: INFO stats keyspace_hits.",
				func(s *serverSample) float64 { return u(s.KeyspaceHits) }),
			counter("ecbench_server_keyspace_misses_total", "Key lookups that found no key: INFO stats keyspace_misses.",
				func(s *serverSample) float64 { return u(s.KeyspaceMiss) }),
			counter("ecbench_server_evicted_keys_total", "Keys evicted to stay within maxmemory: INFO stats evicted_keys.",
				func(s *serverSample) float64 { return u(s.EvictedKeys) }),
			counter("ecbench_server_expired_keys_total", "Keys deleted because their TTL ran out: INFO stats expired_keys.",
				func(s *serverSample) float64 { return u(s.ExpiredKeys) }),
			counter("ecbench_server_rejected_connections_total", "Connections refused because maxclients was reached: INFO stats rejected_connections.",
				func(s *serverSample) float64 { return u(s.RejectedConnections) }),
			counter("ecbench_server_net_input_bytes_total", "Bytes the server read from the network, clients' and replication's: INFO stats total_net_input_bytes.",
				func(s *serverSample) float64 { return u(s.NetInputBytes) }),
			counter("ecbench_server_net_output_bytes_total", "Bytes the server wrote to the network, clients' and replication's: INFO stats total_net_output_bytes.",
				func(s *serverSample) float64 { return u(s.NetOutput) }),
			gauge("ecbench_server_connected_clients", "Client connections open, replicas' excluded: INFO clients connected_clients.",
				true, func(s *serverSample) float64 { return u(s.ConnectedClients) }),
			gauge("ecbench_server_blocked_clients", "Clients waiting in a blocking command: INFO clients blocked_clients.",
				true, func(s *serverSample) float64 { return u(s.BlockedClient) }),
			gauge("ecbench_server_keys", "Keys in all dbs: the keys= of every dbN line of INFO keyspace, summed (ecbench_server_db_keys has them by db).",
				true, func(s *serverSample) float64 { return u(s.Keys) }),
			gauge("ecbench_server_expiring_keys", "Keys with a TTL in all dbs: the expires= of every dbN line of INFO keyspace, summed.",
				true, func(s *serverSample) float64 { return u(s.Expires) }),
			gauge("ecbench_server_connected_replicas", "Replicas connected to this node: INFO replication connected_slaves.",
				true, func(s *serverSample) float64 { return float64(s.ConnectedReplicas) }),
			gauge("ecbench_server_replication_offset_bytes", "The node's position in its replication stream, in bytes: INFO replication master_repl_offset.",
				false, func(s *serverSample) float64 { return float64(s.ReplOffset) }),
			lag,
		},
		cpu: desc("ecbench_server_cpu_seconds_total",
			"CPU time of the whole server process, every thread, by mode (system, user), in seconds: INFO cpu used_cpu_sys and used_cpu_user."+resetNote, "mode"),
		mainThreadCPU: desc("ecbench_server_main_thread_cpu_seconds_total",
			"CPU time of the server's main thread, by mode (system, user), in seconds: INFO cpu used_cpu_sys_main_thread and used_cpu_user_main_thread, where the server reports them. Part of ecbench_server_cpu_seconds_total, not beside it."+resetNote, "mode"),
		dbKeys: desc("ecbench_server_db_keys",
			"Keys in one db: keys= of INFO keyspace dbN, for db 0 to 15; higher dbs are summed into db=\"other\".", "db"),
		dbExpiring: desc("ecbench_server_db_expiring_keys",
			"Keys with a TTL in one db: expires= of INFO keyspace dbN, for db 0 to 15; higher dbs are summed into db=\"other\".", "db"),
		cmdCalls: desc("ecbench_server_command_calls_total",
			"Calls of a command: calls= of INFO commandstats cmdstat_<command>, for the commands ecbench sends; every other command (INFO and PING of ecbench's poller among them) is summed into command=\"other\"."+resetNote, "command"),
		cmdSecs: desc("ecbench_server_command_seconds_total",
			"Time the server spent running a command, in seconds: usec= of INFO commandstats cmdstat_<command>, commands as in ecbench_server_command_calls_total."+resetNote, "command"),
		cmdRejected: desc("ecbench_server_command_rejected_calls_total",
			"Calls of a command refused before running (ACL, OOM, wrong arity): rejected_calls= of INFO commandstats (Redis 7+, Valkey), commands as in ecbench_server_command_calls_total."+resetNote, "command"),
		cmdFailed: desc("ecbench_server_command_failed_calls_total",
			"Calls of a command that ran and failed: failed_calls= of INFO commandstats (Redis 7+, Valkey), commands as in ecbench_server_command_calls_total."+resetNote, "command"),
		nodeInfo: desc("ecbench_server_node_info",
			"Always 1 for a node whose last INFO poll answered; labelled with its role (INFO replication role: primary or replica) and version (INFO server).",
			"role", "version"),
	}
}

func (d *serverDescs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range []*prometheus.Desc{d.lastSuccess, d.errors, d.cpu, d.mainThreadCPU, d.dbKeys, d.dbExpiring,
		d.cmdCalls, d.cmdSecs, d.cmdRejected, d.cmdFailed, d.nodeInfo} {
		ch <- x
	}
	for _, v := range d.values {
		ch <- v.desc
	}
}

// collectNode sends the series of one node (or of the sum past the bound).
func (d *serverDescs) collectNode(ch chan<- prometheus.Metric, node string, s *serverSample) {
	eng := s.Engine.Label()
	send := func(desc *prometheus.Desc, typ prometheus.ValueType, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(desc, typ, v, append([]string{eng, node}, extra...)...)
	}
	for _, v := range d.values {
		if (v.additive || !s.aggregate) && (v.when == nil || v.when(s)) {
			send(v.desc, v.typ, v.value(s))
		}
	}
	send(d.cpu, prometheus.CounterValue, s.CPUSys, "system")
	send(d.cpu, prometheus.CounterValue, s.CPUUser, "user")
	if s.HasMainThreadCPU {
		send(d.mainThreadCPU, prometheus.CounterValue, s.CPUSysMain, "system")
		send(d.mainThreadCPU, prometheus.CounterValue, s.CPUUserMain, "user")
	}
	for db, k := range s.dbs {
		send(d.dbKeys, prometheus.GaugeValue, float64(k.Keys), db)
		send(d.dbExpiring, prometheus.GaugeValue, float64(k.Expires), db)
	}
	for cmd, c := range s.commands {
		send(d.cmdCalls, prometheus.CounterValue, float64(c.Calls), cmd)
		send(d.cmdSecs, prometheus.CounterValue, float64(c.Usec)/1e6, cmd)
		send(d.cmdRejected, prometheus.CounterValue, float64(c.Rejected), cmd)
		send(d.cmdFailed, prometheus.CounterValue, float64(c.Failed), cmd)
	}
	if !s.aggregate {
		send(d.nodeInfo, prometheus.GaugeValue, 1, s.Role, s.Version)
	}
}
