package config

import (
	"slices"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/target"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// Config is the whole configuration. The mapstructure tags are the YAML keys.
type Config struct {
	Listen          string        `mapstructure:"listen"` // metrics HTTP address, host:port
	Log             LogConfig     `mapstructure:"log"`
	SummaryInterval time.Duration `mapstructure:"summary_interval"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	Targets         []Target      `mapstructure:"targets"`
	Workloads       []Workload    `mapstructure:"workloads"`
	Bench           Bench         `mapstructure:"bench"`
	CloudWatch      CloudWatch    `mapstructure:"cloudwatch"`
	Probes          Probes        `mapstructure:"probes"`
	Scenario        Scenario      `mapstructure:"scenario"`
	Failover        Failover      `mapstructure:"failover"`
	Limits          Limits        `mapstructure:"limits"`
}

// Scenario is an optional timeline of phases for soaks: each phase scales or
// replaces the workloads' rates and may run actions when it begins. The
// daemon runs it; without phases the workloads run as configured.
type Scenario struct {
	Repeat bool    `mapstructure:"repeat"` // start over after the last phase; else the last phase stays
	Phases []Phase `mapstructure:"phases"`
}

// Phase is one step of a scenario.
type Phase struct {
	Name     string        `mapstructure:"name"` // label value of ecbench_phase_info
	Duration time.Duration `mapstructure:"duration"`
	// RateMultiplier scales every open-loop workload's rate; default 1.
	RateMultiplier float64 `mapstructure:"rate_multiplier"`
	// Workloads overrides, by workload name, the multiplier or the whole
	// rate schedule (on the phase's own clock) during the phase.
	Workloads map[string]PhaseWorkload `mapstructure:"workloads"`
	Actions   []Action                 `mapstructure:"actions"`
}

// PhaseWorkload is one workload's rate during a phase: a multiplier, or a
// rate schedule of its own.
type PhaseWorkload struct {
	RateMultiplier *float64 `mapstructure:"rate_multiplier"`
	Rate           *Rate    `mapstructure:"rate"`
}

// Action is something a phase does when it begins.
type Action struct {
	Type             string        `mapstructure:"type"`              // failover
	ReplicationGroup string        `mapstructure:"replication_group"` // failover
	NodeGroup        string        `mapstructure:"node_group"`        // failover; default "0001"
	Timeout          time.Duration `mapstructure:"timeout"`           // failover: until the new primary is available
}

// Action types.
const ActionFailover = "failover"

// Failover guards the ElastiCache TestFailover action: scenarios may name
// failover actions, but they call AWS only when Enabled is true.
type Failover struct {
	Enabled      bool          `mapstructure:"enabled"`
	Region       string        `mapstructure:"region"`        // empty: the AWS default chain's
	PollInterval time.Duration `mapstructure:"poll_interval"` // how often completion is checked
}

// Probes watch every target besides the workloads: is it available, and
// are acknowledged writes still there. The daemon runs them; bench does not.
type Probes struct {
	Availability AvailabilityProbe `mapstructure:"availability"`
	Integrity    IntegrityProbe    `mapstructure:"integrity"`
}

// AvailabilityProbe writes and reads one key per target every Interval; a
// run of failed probes is an outage.
type AvailabilityProbe struct {
	Enabled  bool          `mapstructure:"enabled"`
	Interval time.Duration `mapstructure:"interval"`
	Timeout  time.Duration `mapstructure:"timeout"` // a probe slower than this fails
}

// IntegrityProbe writes sequenced, checksummed records to a ring of Keys
// keys per target, reads a Sample of them back VerifyDelay later, and then
// again, SweepRate writes a second round the ring, until their keys are
// reused.
type IntegrityProbe struct {
	Enabled     bool          `mapstructure:"enabled"`
	Keys        int           `mapstructure:"keys"`
	Interval    time.Duration `mapstructure:"interval"`
	Timeout     time.Duration `mapstructure:"timeout"`
	ValueSize   int           `mapstructure:"value_size"`
	VerifyDelay time.Duration `mapstructure:"verify_delay"`
	SweepRate   float64       `mapstructure:"sweep_rate"` // writes read again per second by the continuous sweep
	Sample      float64       `mapstructure:"sample"`
	StateDir    string        `mapstructure:"state_dir"` // keeps the ledger across restarts; empty: none
}

// CloudWatch configures polling ElastiCache's own metrics (AWS/ElastiCache)
// into /metrics. Credentials and the region come from the AWS default chain
// (an EC2 instance role works); Region overrides the chain's region.
type CloudWatch struct {
	Enabled           bool          `mapstructure:"enabled"`
	Region            string        `mapstructure:"region"`
	Period            time.Duration `mapstructure:"period"`             // datapoint period, a multiple of 60s
	PollInterval      time.Duration `mapstructure:"poll_interval"`      // how often GetMetricData is called
	Lookback          time.Duration `mapstructure:"lookback"`           // how far back each poll asks
	DiscoveryInterval time.Duration `mapstructure:"discovery_interval"` // how often node lists are refreshed
	Metrics           []string      `mapstructure:"metrics"`            // node-based caches; empty: the poller's defaults
	ServerlessMetrics []string      `mapstructure:"serverless_metrics"` // serverless caches; empty: the poller's defaults
	Statistics        []string      `mapstructure:"statistics"`
}

// TargetCloudWatch names the ElastiCache resource behind a target: one of
// a replication group, cache clusters, explicit nodes or a serverless cache.
type TargetCloudWatch struct {
	ReplicationGroup string           `mapstructure:"replication_group"`
	CacheClusters    []string         `mapstructure:"cache_clusters"`
	Nodes            []CloudWatchNode `mapstructure:"nodes"`
	ServerlessCache  string           `mapstructure:"serverless_cache"`
}

// CloudWatchNode is one cache node: its cache cluster id and node id ("0001").
type CloudWatchNode struct {
	CacheCluster string `mapstructure:"cache_cluster"`
	Node         string `mapstructure:"node"`
}

// Set reports whether any ElastiCache resource is named.
func (c TargetCloudWatch) Set() bool {
	return c.ReplicationGroup != "" || len(c.CacheClusters) > 0 || len(c.Nodes) > 0 || c.ServerlessCache != ""
}

// Bench configures the finite runs of `ecbench bench`; the daemon ignores it.
type Bench struct {
	Duration   time.Duration `mapstructure:"duration"`   // measured time per workload
	Requests   int           `mapstructure:"requests"`   // or: measured requests per workload and target
	Warmup     time.Duration `mapstructure:"warmup"`     // sent and exported, not in the results
	Sequential bool          `mapstructure:"sequential"` // one target after the other, not at once
	Results    string        `mapstructure:"results"`    // directory that receives one subdirectory per run
	// Thresholds are the run's pass/fail criteria in package threshold's
	// syntax ("p99<2ms", "ratio.throughput>0.95"); a crossed one makes
	// bench exit 3. They are not part of what was measured, so runs with
	// different thresholds still merge.
	Thresholds []string `mapstructure:"thresholds"`
}

// LogConfig selects the log level and encoding.
type LogConfig struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // json, console
}

// Log levels and formats.
const (
	LevelDebug = "debug"
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"

	FormatJSON    = "json"
	FormatConsole = "console"
)

// Target is one Redis OSS or Valkey endpoint.
type Target struct {
	Name         string        `mapstructure:"name"`   // label value
	Engine       engine.Engine `mapstructure:"engine"` // declared engine: "", redis, valkey
	Mode         target.Mode   `mapstructure:"mode"`   // standalone, cluster
	Addrs        []string      `mapstructure:"addrs"`  // host:port; exactly one in standalone mode
	DB           int           `mapstructure:"db"`
	Username     string        `mapstructure:"username"`      // ACL user
	PasswordEnv  string        `mapstructure:"password_env"`  // name of the variable holding the password
	PasswordFile string        `mapstructure:"password_file"` // file holding the password
	// Password is resolved from PasswordEnv or PasswordFile; never decoded.
	Password     Secret        `mapstructure:"-"`
	TLS          TLS           `mapstructure:"tls"`
	PoolSize     int           `mapstructure:"pool_size"` // 0: go-redis default (10 per CPU)
	Protocol     int           `mapstructure:"protocol"`  // RESP version: 2 (default) or 3
	DialTimeout  time.Duration `mapstructure:"dial_timeout"`
	ReadTimeout  time.Duration `mapstructure:"read_timeout"`
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// InfoInterval is how often the target's INFO is read (role, run_id,
	// master link): a demotion or a restart is seen within it.
	InfoInterval time.Duration `mapstructure:"info_interval"`
	// CloudWatch names the ElastiCache resource to poll when cloudwatch is
	// enabled; a target without one is not polled.
	CloudWatch TargetCloudWatch `mapstructure:"cloudwatch"`
	// PricePerHour is what the target costs per hour, in Currency: the
	// user's own figure (node prices differ by region and change). bench
	// turns it into a cost per billion requests at the measured
	// throughput; 0 is no price. Currency is free text shown beside the
	// figures ("USD", "EUR", "JPY"); two targets priced in different
	// currencies get no cost ratio.
	PricePerHour float64 `mapstructure:"price_per_hour"`
	Currency     string  `mapstructure:"currency"`
}

// TLS configures in-transit encryption to a target.
type TLS struct {
	Enabled            bool   `mapstructure:"enabled"`
	CAFile             string `mapstructure:"ca_file"` // PEM bundle; empty: system roots
	ServerName         string `mapstructure:"server_name"`
	InsecureSkipVerify bool   `mapstructure:"insecure_skip_verify"`
}

// Workload is a stream of operations driven against each of its targets.
type Workload struct {
	Name        string        `mapstructure:"name"`    // label value
	Type        workload.Kind `mapstructure:"type"`    // kv, list, hash, set, zset, replay
	Targets     []string      `mapstructure:"targets"` // target names; empty: all targets
	Seed        uint64        `mapstructure:"seed"`    // same seed, same key and op sequence on every target
	Keys        Keys          `mapstructure:"keys"`
	Values      Values        `mapstructure:"values"`
	Ops         Ops           `mapstructure:"ops"`
	Elements    Elements      `mapstructure:"elements"`     // list, hash, set, zset
	Range       int           `mapstructure:"range"`        // items per range read, fields per hmget
	Preload     bool          `mapstructure:"preload"`      // fill the key space before the run
	TTL         time.Duration `mapstructure:"ttl"`          // for set_ttl
	MGetBatch   int           `mapstructure:"mget_batch"`   // keys per MGET
	Pipeline    int           `mapstructure:"pipeline"`     // commands per request
	MaxInflight int           `mapstructure:"max_inflight"` // requests in flight per target
	Rate        Rate          `mapstructure:"rate"`
	Replay      Replay        `mapstructure:"replay"` // type replay: the trace (replay.go)
}

// RunsOn reports whether the workload runs against the named target.
func (w *Workload) RunsOn(target string) bool {
	return len(w.Targets) == 0 || slices.Contains(w.Targets, target)
}

// Keys describes the key space of a workload: keys of a kv workload, or the
// structures of the others.
type Keys struct {
	Prefix       string                `mapstructure:"prefix"` // default "ecbench:<workload>:"
	Count        int                   `mapstructure:"count"`
	Distribution workload.Distribution `mapstructure:"distribution"`  // uniform, zipfian, sequential
	ZipfExponent float64               `mapstructure:"zipf_exponent"` // zipfian only
}

// Values sizes the values written. Either Size is set, or MinSize and MaxSize
// are, for sizes drawn uniformly from [MinSize, MaxSize], or Sizes is, for
// sizes drawn from a table (size_table.go).
type Values struct {
	Size    int         `mapstructure:"size"`
	MinSize int         `mapstructure:"min_size"`
	MaxSize int         `mapstructure:"max_size"`
	Sizes   SizeWeights `mapstructure:"sizes"`
}

// Ranged reports whether sizes come from [MinSize, MaxSize] rather than Size.
func (v Values) Ranged() bool { return v.MinSize != 0 || v.MaxSize != 0 }

// Ops are the relative weights of the operations of a workload, by op name
// (the op label value). Which names are allowed depends on the workload's
// type: workload.OpNamesFor lists them.
type Ops map[string]int

// OpWeight is one operation of a mix and its relative weight.
type OpWeight struct {
	Op     string
	Weight int
}

// Weights returns the operations of kind with a weight > 0, always in the
// kind's canonical order, so that the same seed picks the same sequence of
// operations on every run whatever order the file lists them in.
func (o Ops) Weights(kind workload.Kind) []OpWeight {
	var ws []OpWeight
	for _, name := range workload.OpNamesFor(kind) {
		if w := o[name]; w > 0 {
			ws = append(ws, OpWeight{name, w})
		}
	}
	return ws
}

// Elements sizes the structures of a list, hash, set or zset workload.
type Elements struct {
	Count int         `mapstructure:"count"` // elements per structure
	Size  int         `mapstructure:"size"`  // bytes per element, field or member
	Sizes SizeWeights `mapstructure:"sizes"` // or: a table of sizes (size_table.go)
}

// Rate is the arrival schedule of a workload, in requests per second (each
// request carries Pipeline commands): the name of one of schedule.Types and
// that type's parameters, written flat in the YAML:
//
//	rate: {type: burst, base: 10, peak: 1000, period: 1m, length: 5s}
//
// Rate.Schedule builds it (nil for closed loop), Rate.OpenLoop and
// Rate.Workers tell open from closed loop.
type Rate = schedule.Spec
