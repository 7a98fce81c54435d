package metrics

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/target"
)

// maxServerNodes bounds the node label of one target: the first
// maxServerNodes node addresses seen get the ordinals "0" to "63" for the
// life of the process (never reused: a reused ordinal would splice one
// node's counters onto another's). Nodes past the bound are summed into
// node="other", which holds the additive series only. A cluster whose nodes
// change address (an in-place engine migration replaces every node) uses up
// ordinals; 64 covers several replacements of a large cluster.
const maxServerNodes = 64

// maxServerDB is the highest db with a db label value of its own; the keys
// of higher dbs (a server configured with more than the default 16) are
// summed into db="other".
const maxServerDB = 15

// otherLabel is the label value of whatever is past a bound.
const otherLabel = "other"

// serverCommands are the commands ecbench sends, the only command label
// values besides "other": its ops' (loadgen/workload's op table; the capped
// pushes add LTRIM), preload's and key cleanup's (SCAN, UNLINK). Everything
// else, INFO and PING of ecbench's own poller included, is summed into
// command="other". TestServerCommandsAreWhatOpsSend keeps the list in step
// with the op table.
var serverCommands = []string{
	"get", "set", "mget", "incr", "del",
	"lpush", "rpush", "ltrim", "lpop", "rpop", "lrange", "llen", "lindex",
	"hset", "hget", "hmget", "hgetall", "hincrby", "hdel", "hlen",
	"sadd", "srem", "sismember", "smembers", "scard", "srandmember", "sinter",
	"zadd", "zincrby", "zscore", "zrank", "zrange", "zrangebyscore", "zrevrange", "zrem", "zcard",
	"scan", "unlink",
}

var serverCommandSet = func() map[string]bool {
	m := make(map[string]bool, len(serverCommands))
	for _, c := range serverCommands {
		m[c] = true
	}
	return m
}()

var _ prometheus.Collector = (*ServerStats)(nil)

// ServerStats exports what one target's INFO polls say about each of its
// nodes, as the ecbench_server_* series (serverstats_series.go), and
// the health of those polls: ecbench_server_info_last_success_timestamp_seconds
// and ecbench_server_info_errors_total. Observe stores each node's latest
// poll; a scrape reads what is stored and never polls.
//
// A node is labelled by an ordinal (see maxServerNodes), never by its
// address. Its series are exported while its last poll succeeded: a failed
// poll counts an error and removes them until the node answers again, and a
// node that is no longer polled at all (it left a cluster, or changed its
// address) loses them at the third round of polls without it.
//
// Counters are INFO's cumulative values: a restart of the server resets
// them, which Prometheus' rate() takes as a counter reset.
type ServerStats struct {
	target string
	d      *serverDescs

	mu          sync.Mutex
	engine      engine.Engine // of the last successful poll of a primary or of the only node
	lastSuccess time.Time
	errors      uint64
	ordinals    map[string]*serverNode // the first maxServerNodes addresses seen, kept for good
	overflow    map[string]*serverNode // addresses past them, while they are polled
}

// serverNode is one node's state.
type serverNode struct {
	label  string       // the node label value: an ordinal, or otherLabel
	polled [3]time.Time // when its last three polls came in (answered or failed), newest first
	sample *serverSample
}

// serverSample is what one successful poll of a node says, its commands and
// dbs bounded to their label values. It is never modified once stored, so a
// scrape reads it without a lock.
type serverSample struct {
	target.NodeStats                                // Commands and DBs are nil: see commands and dbs
	commands         map[string]target.CommandStats // by command label value
	dbs              map[string]target.DBKeys       // by db label value
	// aggregate is set on the sum over the nodes past maxServerNodes, which
	// holds only the series that mean something summed.
	aggregate bool
}

// NewServerStats creates the server-side metrics of the target called
// targetName and registers them with reg; feed it with Observe, as a
// target.InfoSink:
//
//	t.WatchInfo(stats.Observe, target.StatsSections...)
//
// The series carry the target name as a constant label, so each target has a
// collector of its own; a second one for the same name is an error.
func NewServerStats(reg prometheus.Registerer, targetName string) (*ServerStats, error) {
	s := &ServerStats{
		target:   targetName,
		d:        newServerDescs(targetName),
		ordinals: map[string]*serverNode{},
		overflow: map[string]*serverNode{},
	}
	if err := reg.Register(s); err != nil {
		return nil, fmt.Errorf("metrics: register server stats of target %q: %w", targetName, err)
	}
	return s, nil
}

// Observe stores one node's poll. It is a target.InfoSink: it parses p, then
// holds a lock only to swap pointers, so it never blocks the poller for
// longer than a scrape takes to copy them.
func (s *ServerStats) Observe(p target.InfoPoll) {
	var sample *serverSample
	if st, ok := p.Stats(); ok {
		sample = newServerSample(st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Node == "" {
		// No node could be asked (a cluster's topology did not load): the
		// poll failed, and no node's state is known to have changed.
		s.errors++
		return
	}
	n := s.node(p.Node)
	copy(n.polled[1:], n.polled[:2])
	n.polled[0] = p.At
	n.sample = sample
	if sample == nil {
		s.errors++
	} else {
		if p.At.After(s.lastSuccess) {
			s.lastSuccess = p.At
		}
		if sample.Role == target.RolePrimary || s.engine == "" || len(s.ordinals) == 1 {
			s.engine = sample.Engine
		}
	}
	s.forgetGone(n)
}

// node returns the state of the node at addr, adding it.
func (s *ServerStats) node(addr string) *serverNode {
	if n, ok := s.ordinals[addr]; ok {
		return n
	}
	if n, ok := s.overflow[addr]; ok {
		return n
	}
	n := &serverNode{label: otherLabel}
	if len(s.ordinals) < maxServerNodes {
		n.label = strconv.Itoa(len(s.ordinals))
		s.ordinals[addr] = n
	} else {
		s.overflow[addr] = n
	}
	return n
}

// forgetGone drops the samples of the nodes that have not been polled since
// before cur's third-last poll. The poller reads every node it knows in each
// round (a failed read is delivered too), and a round's polls all come in
// after the previous round's, so a node polled in neither of the two rounds
// before cur's latest has left the target.
func (s *ServerStats) forgetGone(cur *serverNode) {
	horizon := cur.polled[2]
	if horizon.IsZero() {
		return
	}
	for _, n := range s.ordinals {
		if n != cur && n.polled[0].Before(horizon) {
			n.sample = nil
		}
	}
	for addr, n := range s.overflow {
		if n != cur && n.polled[0].Before(horizon) {
			delete(s.overflow, addr)
		}
	}
}

func newServerSample(st target.NodeStats) *serverSample {
	s := &serverSample{NodeStats: st, commands: map[string]target.CommandStats{}, dbs: map[string]target.DBKeys{}}
	for name, c := range st.Commands {
		if !serverCommandSet[name] {
			name = otherLabel
		}
		s.commands[name] = addCommand(s.commands[name], c)
	}
	for _, d := range st.DBs {
		label := otherLabel
		if d.DB <= maxServerDB {
			label = strconv.Itoa(d.DB)
		}
		s.dbs[label] = addDB(s.dbs[label], d)
	}
	s.Commands, s.DBs = nil, nil
	return s
}

func addCommand(a, b target.CommandStats) target.CommandStats {
	return target.CommandStats{Calls: a.Calls + b.Calls, Usec: a.Usec + b.Usec, Rejected: a.Rejected + b.Rejected, Failed: a.Failed + b.Failed}
}

func addDB(a, b target.DBKeys) target.DBKeys {
	return target.DBKeys{DB: a.DB, Keys: a.Keys + b.Keys, Expires: a.Expires + b.Expires}
}

// add sums o's additive figures into s, an aggregate.
func (s *serverSample) add(o *serverSample) {
	a, b := &s.NodeStats, &o.NodeStats
	a.UsedMemory += b.UsedMemory
	a.UsedMemoryRSS += b.UsedMemoryRSS
	a.UsedMemoryDataset += b.UsedMemoryDataset
	a.MaxMemory += b.MaxMemory
	a.CommandsProcessed += b.CommandsProcessed
	a.KeyspaceHits += b.KeyspaceHits
	a.KeyspaceMiss += b.KeyspaceMiss
	a.EvictedKeys += b.EvictedKeys
	a.ExpiredKeys += b.ExpiredKeys
	a.RejectedConnections += b.RejectedConnections
	a.NetInputBytes += b.NetInputBytes
	a.NetOutput += b.NetOutput
	a.CPUSys += b.CPUSys
	a.CPUUser += b.CPUUser
	a.CPUSysMain += b.CPUSysMain
	a.CPUUserMain += b.CPUUserMain
	a.HasMainThreadCPU = a.HasMainThreadCPU || b.HasMainThreadCPU
	a.ConnectedClients += b.ConnectedClients
	a.BlockedClient += b.BlockedClient
	a.Keys += b.Keys
	a.Expires += b.Expires
	a.ConnectedReplicas += b.ConnectedReplicas
	for k, c := range o.commands {
		s.commands[k] = addCommand(s.commands[k], c)
	}
	for k, d := range o.dbs {
		s.dbs[k] = addDB(s.dbs[k], d)
	}
}

// labelled is a sample and its node label value.
type labelled struct {
	node   string
	sample *serverSample
}

// snapshot returns the samples to export: each ordinal node's, and one sum
// per engine over the nodes past maxServerNodes.
func (s *ServerStats) snapshot() (out []labelled, eng engine.Engine, lastSuccess time.Time, errors uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.ordinals {
		if n.sample != nil {
			out = append(out, labelled{n.label, n.sample})
		}
	}
	others := map[engine.Engine]*serverSample{}
	for _, n := range s.overflow {
		if n.sample == nil {
			continue
		}
		sum, ok := others[n.sample.Engine]
		if !ok {
			sum = &serverSample{aggregate: true, commands: map[string]target.CommandStats{}, dbs: map[string]target.DBKeys{}}
			sum.Engine = n.sample.Engine
			others[n.sample.Engine] = sum
		}
		sum.add(n.sample)
	}
	for _, sum := range others {
		out = append(out, labelled{otherLabel, sum})
	}
	return out, s.engine, s.lastSuccess, s.errors
}

// Describe implements prometheus.Collector.
func (s *ServerStats) Describe(ch chan<- *prometheus.Desc) { s.d.describe(ch) }

// Collect implements prometheus.Collector.
func (s *ServerStats) Collect(ch chan<- prometheus.Metric) {
	samples, eng, lastSuccess, errors := s.snapshot()
	d := s.d
	ts := 0.0
	if !lastSuccess.IsZero() {
		ts = epochSeconds(lastSuccess)
	}
	ch <- prometheus.MustNewConstMetric(d.lastSuccess, prometheus.GaugeValue, ts, eng.Label())
	ch <- prometheus.MustNewConstMetric(d.errors, prometheus.CounterValue, float64(errors), eng.Label())
	for _, l := range samples {
		d.collectNode(ch, l.node, l.sample)
	}
}
