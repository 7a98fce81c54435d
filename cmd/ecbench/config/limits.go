package config

// Limits bound what ecbench itself may hold in memory. check, run and
// bench refuse a configuration whose worst case is over MaxMemory
// (validate_budget.go), and every runner's in-flight requests share one cap
// in bytes (runner.Budget) so that the worst case holds at run time too.
type Limits struct {
	// MaxMemory is the most the generator's worst case may reach: every
	// runner's requests in flight, the probes' ledgers, the workloads'
	// buffers and a preload's pipeline. Default 1 GiB.
	MaxMemory Size `mapstructure:"max_memory"`
	// MaxInflightBytes is the cap that the in-flight requests of every
	// runner share; a request past it is dropped. 0: what MaxMemory leaves
	// after everything else.
	MaxInflightBytes Size `mapstructure:"max_inflight_bytes"`
}

// DefaultMaxMemory is limits.max_memory's default.
const DefaultMaxMemory Size = 1 << 30

// The range of limits.max_memory: below 16 MiB not even a preload's
// pipeline and a few hundred requests fit, and above 1 TiB is a typo.
const (
	minMaxMemory        Size = 16 << 20
	maxMaxMemory        Size = 1 << 40
	minMaxInflightBytes Size = 1 << 20
)
