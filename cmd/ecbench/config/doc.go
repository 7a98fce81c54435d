// Package config loads ecbench's configuration: the metrics listener, logging,
// the targets (Redis OSS and Valkey endpoints) and the workloads driven
// against them.
//
// Load reads a YAML file (one document, at most 256 KiB; keys are not
// case-sensitive), applies ECBENCH_* environment overrides and command-line
// flags, decodes strictly (an unknown key is an error), fills defaults
// (defaults.go), validates and resolves passwords. Every problem found is
// reported at once, sorted by path, as a *ValidationError:
//
//	targets[0].db: must be between 0 and 15, got 16
//	workloads[1].rate.period: must be > 0, got "-5s"
//
// Precedence, lowest first: defaults, the file, the environment, flags.
//
// # Environment overrides
//
// Every key can be set with ECBENCH_ followed by its path in upper case, with
// "_" between the parts and list indexes as numbers:
//
//	ECBENCH_LISTEN=:9478
//	ECBENCH_TARGETS_0_ADDRS=10.0.0.1:6379,10.0.0.2:6379   (lists of scalars: comma-separated)
//	ECBENCH_WORKLOADS_0_RATE_RATE=5000
//	ECBENCH_WORKLOADS_0_RATE_STEPS_1_DURATION=30s
//
// An index may name an element the file already has or the next one, which
// appends a new element (filled with defaults like any other). Variables are
// applied in path order, so ECBENCH_TARGETS_1_* and ECBENCH_TARGETS_2_* can add
// two targets to a file that has one. A variable with an empty value is
// ignored, as viper does. A variable that matches no key is an error, except
// ECBENCH_CONFIG (the config path, handled by the caller) and variables named
// by a target's password_env.
//
// # Secrets
//
// There is no inline password key. A target's password comes from the
// environment variable named by password_env or from the file at
// password_file, and is held as a Secret, which prints, marshals and logs as
// "[redacted]". Relative paths (password_file, tls.ca_file) are relative to
// the working directory.
//
// # Limits
//
// limits.max_memory bounds the generator's worst case: Load refuses a
// configuration whose requests in flight, probes' ledgers, buffers or
// preload could take more (validate_budget.go), naming the fields that
// make the figure; Config.Budget gives the figures, and the runners share
// the in-flight cap it derives. Sizes (Size) are written with a unit,
// "512MiB", "1GiB", "64KB", or as a number of bytes.
//
// # Prices
//
// A target may carry its price, price_per_hour (a finite number >= 0; 0 or
// absent: no price) in currency (free text of at most 8 characters, such
// as "USD", "EUR" or "JPY"; only beside a price):
//
//	targets:
//	  - {name: redis, addrs: [10.0.0.1:6379], price_per_hour: 0.2195, currency: USD}
//
// bench records them with the target and derives the cost per billion
// requests at the measured throughput and the requests per unit of cost.
// They are the user's figures (node prices differ by region and change)
// and are not part of what was measured: runs priced differently merge.
//
// # Rates
//
// A workload's rate is one of the schedule types of loadgen/schedule, which
// says everything about each type: its keys, defaults, checks and how it is
// built. This package only places a rate in the configuration (rate.go).
//
// # Size tables
//
// Values and elements may take their sizes from a table, size in bytes →
// weight, instead of size (or min_size and max_size), as `ecbench
// profile` writes them:
//
//	values:   {sizes: {32: 70, 1024: 25, 65536: 5}}
//	elements: {count: 100, sizes: {16: 1, 256: 1}}
//
// Sizes are whole numbers of bytes (0 to 512 MiB for values, to 1 MiB
// for elements), weights numbers > 0 (at most 10^12) divided by their
// sum, at most 256 sizes a table (size_table.go). The memory budget
// charges each value or element the table's largest size.
//
// # Libraries
//
// yaml.v3 reads the file, mapstructure decodes the checked tree. The checks
// before decoding (schema.go) and the environment overrides (override.go)
// are this package's own: neither library reports every problem at once with
// its path in these words, and viper binds no variable to a list element
// that the file does not have.
package config
