// Package results keeps what a finite `ecbench bench` run measured, writes it
// to a results directory, reads it back and merges repeated runs.
//
// While the run goes, one Recorder per (target, workload) runner sits beside
// the Prometheus recorder and keeps, per op, after warm-up: counts by outcome
// and error class, HdrHistograms of the latency (from the intended start) and
// service time (from the send) of answered requests, one of the latency of
// failed requests beside them, and one row per second. At the end the
// caller collects Recorder.Series into a Run and calls Write.
//
// # The results directory
//
//	results/<run>/
//	  run.json        the run (schema below): the source of truth, the only file Read looks at
//	  intervals.csv   one row per series and second:
//	                  target,engine,workload,op,t,ok,miss,errors,dropped,mean_s,p50_s,p95_s,p99_s,p999_s,max_s
//	  summary.csv     one row per series (Series.Stats):
//	                  target,engine,workload,op,ok,miss,errors,dropped,ops,throughput_per_s,error_rate,
//	                  mean_s,p50_s,p95_s,p99_s,p999_s,max_s,service_p50_s,service_p99_s
//
// Times are in seconds, rates per second, numbers in plain decimal. Each file
// is replaced atomically (temporary file, fsync, rename) and run.json is
// written last, so a crash never leaves half a file.
//
// # run.json, schema 2
//
//	{
//	  "schema": 2,
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
//	  "targets": [{"name": "a", "engine": "redis", "version": "7.2.4", "mode": "standalone", "role": "master"}],
//	  "series": [{
//	    "target": "a", "engine": "redis", "workload": "cache", "op": "get",
//	    "ok": 59874, "miss": 120, "errors": 3, "dropped": 0,
//	    "error_classes": {"timeout": 3},    // result.Class labels; absent when no errors
//	    "latency": "HISTFAAAA…",            // HdrHistogram V2 compressed, base64: ns, 3 digits, clamped to 1 µs..100 s;
//	    "service": "HISTFAAAA…",            //   latency and service: answered requests (ok, miss) only
//	    "error_latency": "HISTFAAAA…",      // failed requests, from the intended start to the error
//	    "seconds": 60,                      // the measured window: Stats.Throughput = (ok+miss)/seconds
//	    "interval_seconds": 1,
//	    "intervals": [                      // absent when the window held no whole second
//	      {"t": 5, "ok": 998, "miss": 2, "errors": 0, "dropped": 0,
//	       "mean": 0.00021, "p50": 0.000187, "p95": 0.000321, "p99": 0.000612, "p999": 0.00131, "max": 0.00252}
//	    ]
//	  }],
//	  "generator": [                        // did the load generator keep up? absent if not reported
//	    {"target": "a", "workload": "cache", "max_schedule_lag": "1.2ms", "dropped": 0, "max_inflight": 1000}
//	  ]
//	}
//
// The histograms are exact to 0.1% and merge exactly: Merge of two runs has
// the percentiles of all their samples together. Any HdrHistogram
// implementation decodes them (Java's HistogramLogProcessor, Python's hdrh).
// Values outside 1 µs..100 s are clamped to the range.
//
// # Intervals
//
// Interval t covers [zero+t s, zero+t+1 s), zero being the time zero the
// Recorder was given: the run's start, or the start of the measured phase
// when warm-up runs as a phase of its own. A completed request belongs to
// the second it was answered in, a dropped one to the second it was due.
//
// The rows cover exactly the whole seconds of the measured window, from the
// end of warm-up to the end of the schedule (Recorder.SetEnd; without it,
// the moment Series is called):
//
//   - seconds without any result are rows of zeros: a stalled server has
//     throughput 0;
//   - a partial first or last second is left out, and so are answers that
//     arrive after the schedule stopped (they are in the counts and
//     histograms), so every row is a full second and the rows are samples of
//     equal weight for the verdict's statistics (Stats.Throughput, the
//     whole-run figure, is (ok+miss)/seconds instead);
//   - a row's latency fields are those of the requests answered in it (ok
//     and miss, not errors), and 0 when none was;
//   - a request due before the end of warm-up is never counted, even if
//     answered after it, so the first row misses the answers to requests
//     still in flight when warm-up ended (about rate × latency of them).
//
// A row's latency summary comes from an HdrHistogram of that second (0.1%).
// A result recorded more than a second after a later one (a worker stalled
// between reading the clock and recording) still counts in its row but not
// in the row's latency summary; the series histograms always have it.
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
// empty, so compare it with a schema-2 run knowing that. Merge refuses to
// mix the two.
package results
