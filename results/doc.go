// Package results keeps what a finite `ecbench bench` run measured, writes it
// to a results directory, reads it back and merges repeated runs.
//
// While the run goes, one Recorder per (target, workload) runner sits beside
// the Prometheus recorder and keeps, per op, after warm-up: counts by outcome
// and error class, HdrHistograms of the latency (from the intended start) and
// service time (from the send) of answered requests, one of the latency of
// failed requests beside them, and interval rows (100 ms to begin with, see
// Intervals) each with a compact latency histogram (package loghist). At
// the end the caller collects Recorder.Series into a Run and calls Write.
//
// # The results directory
//
//	results/<run>/
//	  run.json        the run (schema below): the source of truth, the only file Read looks at
//	  intervals.csv   one row per series and interval:
//	                  target,engine,workload,op,t,start_s,interval_s,ok,miss,errors,dropped,lower_bounds,
//	                  mean_s,p50_s,p95_s,p99_s,p999_s,max_s
//	  summary.csv     one row per series (Series.Stats):
//	                  target,engine,workload,op,ok,miss,errors,dropped,lower_bounds,ops,throughput_per_s,error_rate,
//	                  mean_s,p50_s,p95_s,p99_s,p999_s,max_s,service_p50_s,service_p99_s
//
// Times are in seconds, rates per second, numbers in plain decimal. Each file
// is replaced atomically (temporary file, fsync, rename) and run.json is
// written last, so a crash never leaves half a file. In intervals.csv, t is
// the row's index as in run.json, start_s where it starts (t·interval_s
// seconds after time zero) and interval_s its length; before schema 3 the
// file had neither start_s, interval_s nor lower_bounds (nor had
// summary.csv), and t was in seconds.
//
// # run.json, schema 4
//
//	{
//	  "schema": 4,
//	  "meta": {
//	    "tool": "ecbench", "version": "…", "host": "…", "go_version": "go1.26.0",
//	    "command": ["ecbench", "bench", "--config", "bench.yaml"],   // secrets removed
//	    "start": "2025-01-02T03:04:05Z",    // RFC 3339
//	    "end": "2025-01-02T03:05:10Z",
//	    "warmup": "5s", "duration": "1m0s", // Go durations; a merged run's duration is the sum
//	    "sequential": false,                // workloads one after another
//	    "config": {…},                      // the redacted configuration, if the caller gave one
//	    "merged_starts": ["…", "…"]         // only in merged runs: the start of each original run
//	  },
//	  "targets": [{"name": "a", "engine": "redis", "version": "7.2.4", "mode": "standalone", "role": "master",
//	               "price_per_hour": 0.2195, "currency": "USD"}],   // absent: no price given
//	  "series": [{
//	    "target": "a", "engine": "redis", "workload": "cache", "op": "get",
//	    "ok": 59874, "miss": 120, "errors": 3, "dropped": 7,
//	    "lower_bounds": 7,                  // dropped requests whose latency lower bound is in latency
//	    "error_classes": {"timeout": 3},    // result.Class labels; absent when no errors
//	    "latency": "HISTFAAAA…",            // HdrHistogram V2 compressed, base64: ns, 3 digits, clamped to 1 µs..100 s:
//	                                        //   answered requests (ok, miss) and dropped requests' lower bounds
//	    "service": "HISTFAAAA…",            // answered requests only, from the send
//	    "error_latency": "HISTFAAAA…",      // failed requests, from the intended start to the error
//	    "seconds": 60,                      // the measured window: Stats.Throughput = (ok+miss)/seconds
//	    "interval_seconds": 0.2,            // L: 0.1 · 2^k, at most MaxIntervals rows in the window
//	    "intervals": [                      // absent when the window held no whole row
//	      {"t": 25, "ok": 198, "miss": 2, "errors": 0, "dropped": 1, "lower_bounds": 1,  // t·L = 5 s after time zero
//	       "mean": 0.00021, "p50": 0.000187, "p95": 0.000321, "p99": 0.000612, "p999": 0.00131, "max": 0.00252,
//	       "latency_hist": "AbcD…"}        // loghist text (MarshalText); absent when the row has no latency
//	    ]
//	  }],
//	  "generator": [                        // did the load generator keep up? absent if not reported
//	    {"target": "a", "workload": "cache", "max_schedule_lag": "1.2ms", "dropped": 0, "max_inflight": 1000}
//	  ],
//	  "servers": [                          // INFO around each workload's phases, per target; absent before schema 4
//	    {"target": "a", "workload": "cache", "kind": "kv", "preload_keys": 100000, "preload_elements": 100000,
//	     "before_preload": {                // also after_preload, before_measure, after_measure; absent: unread
//	       "at": "…", "nodes": 1, "engine": "redis", "version": "7.0.15", "run_ids": ["…"],
//	       "used_memory": 914872, "used_memory_rss": 6561792, "used_memory_dataset": 38272, "mem_clients_normal": 0,
//	       "keys": 0, "expires": 0, "total_commands_processed": 3, "keyspace_hits": 0, "keyspace_misses": 0,
//	       "used_cpu_sys": 0.01, "used_cpu_user": 0.02, "total_net_input_bytes": 120, "total_net_output_bytes": 9000,
//	       "calls": {"info": 8, "get": 0}}}  // INFO commandstats; absent when not reported
//	  ]
//	}
//
// The series' histograms are exact to 0.1% and merge exactly: Merge of two
// runs has the percentiles of all their samples together. Any HdrHistogram
// implementation decodes them (Java's HistogramLogProcessor, Python's hdrh).
// The rows' latency_hist (loghist, 0.39%) merge exactly too, so rows merge
// into longer ones (Series.Rebin; Merge rebins runs of different row
// lengths). Values outside 1 µs..100 s are clamped to the range.
//
// # Intervals
//
// Row t covers [zero + t·L, zero + (t+1)·L), zero being the time zero the
// Recorder was given (the run's start, or the start of the measured phase
// when warm-up runs as a phase of its own) and L the series'
// IntervalSeconds. L is 100 ms, doubled (200 ms, 400 ms, …) until the
// measured window holds at most MaxIntervals whole rows: a run of a few
// seconds gets dozens of rows, an hour 281 rows of 12.8 s. L depends on
// the window alone, so the series of both targets of one workload, which
// share time zero and warm-up's end, have rows that pair one to one (if
// their ends straddle a doubling, Series.Rebin brings the finer to the
// coarser). A completed request belongs to the row it was answered in, a
// dropped one with a latency lower bound to the row the in-flight bound
// freed in (result.Result.Done), another dropped one to the row it was due
// in.
//
// The rows cover exactly the whole rows of the measured window, from the
// end of warm-up to the end of the schedule (Recorder.SetEnd; without it,
// the moment Series is called):
//
//   - rows without any result are rows of zeros: a stalled server has
//     throughput 0;
//   - a partial first or last row is left out, and so are answers that
//     arrive after the schedule stopped (they are in the counts and
//     histograms), so every row is whole and the rows are samples of equal
//     weight for the verdict's statistics (Stats.Throughput, the whole-run
//     figure, is (ok+miss)/seconds instead);
//   - a row's latency fields and histogram are those of the requests
//     answered in it (ok and miss, not errors) and of the lower bounds of
//     the dropped requests counted in it (lower_bounds), and 0 (empty)
//     when it has none;
//   - a request due before the end of warm-up is never counted, even if
//     answered after it, so the first row misses the answers to requests
//     still in flight when warm-up ended (about rate × latency of them).
//
// A row's histogram (package loghist: 0.78% buckets, a value read back
// within 0.39%) is the merge of its 100 ms ticks'; its mean and max are
// exact, its quantiles the histogram's. A result recorded more than 200 ms
// after a later one (a worker stalled between reading the clock and
// recording) still counts in its row but may miss the row's latency fields
// and histogram; the series histograms always have it. Memory: see
// MaxIntervals.
//
// # Server data
//
// Schema 4 adds what each target's server said (Server): INFO read on
// every node before and after each workload's preload and before and
// after its measured phase (in sequential mode around each target's own
// phase), summed over the primaries in cluster mode. A snapshot is absent
// when a node did not answer: a figure from it would be wrong, not zero.
// Run.Efficiencies derives memory per key and per element, server CPU and
// network bytes per command and the keyspace hit ratio (Efficiency says
// how); each is measured once per run, with no interval. Merged runs keep
// every run's records and Efficiencies pools them.
//
// # Compatibility
//
// Fields may be added within a schema version; renaming, removing or changing
// the meaning of one bumps SchemaVersion. Read accepts every version up to
// SchemaVersion and refuses newer ones with a message saying so.
//
// Schema 2 took the errors out of latency, service and the interval
// quantiles and gave them error_latency. A schema-1 file still reads, with
// Run.Schema 1: its latency includes the errors and its ErrorLatency is
// empty, so compare it with a later run knowing that.
//
// Schema 3 made the rows adaptive (interval_seconds 0.1 · 2^k, t counting
// rows of it rather than seconds), gave each row its latency_hist, and put
// dropped requests' latency lower bounds in latency and the rows' latency
// (lower_bounds counting them). Files of schemas 1 and 2 read with their
// 1-second rows and no row histograms: Series.IntervalHistograms is nil for
// them and consumers fall back on the rows' quantile fields; their t·1 is
// still seconds after time zero. Merge refuses to mix schemas 1, 2 and 3.
//
// Schema 4 added servers and the targets' price_per_hour and currency, and
// changed nothing else: a file of schema 1 to 3 reads with no server data
// (Run.Servers empty, Efficiencies nil) and no prices. Runs of schemas 3
// and 4 merge, into schema 4.
package results
