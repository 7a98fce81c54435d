// Package report turns a results directory (see package results), or a
// window of a Prometheus server that scraped ecbench, into one
// self-contained HTML page: the side-by-side summary table, the servers'
// side and the cost per engine (from a bench's INFO snapshots and the
// targets' prices, measured once: a simple table after the summary), throughput,
// latency percentiles, errors and dropped requests over time, a latency
// spectrum per op, ElastiCache's CloudWatch metrics (from Prometheus), and
// the run's metadata.
//
// # Why server-side SVG from gonum/plot
//
// The charts are drawn in Go with gonum.org/v1/plot and inlined in the page
// as SVG; the CSS is inline too. The page loads nothing: no JavaScript, no
// fonts, no stylesheets, no images from anywhere. So
//
//   - it opens offline, from a mail attachment or a ticket, years later, and
//     looks the same in every browser (nothing to fetch, nothing to run);
//   - the very same charts can be written as PNG or SVG files (WriteCharts)
//     to paste into a ticket or a slide, without a browser;
//   - the charts are a pure function of the results: the data behind them
//     (Model) is tested with golden files, the drawing is gonum's;
//   - it costs one well-kept, pure-Go library and no JavaScript toolchain.
//
// The price is no interactivity (zoom, hover): the numbers behind every
// chart are in the results directory's CSV files, or in Prometheus.
//
// # Shape
//
// Build computes a Model from a *results.Run and the summary table, which
// the caller supplies (cmd/ecbench computes it with its verdict rules, so
// the page and `ecbench compare` show the same rows). Model holds every
// chart as plain data: lines of (x, y) points with labels. HTML renders a
// Model as the page, WriteCharts as image files.
//
// A line breaks where nothing was measured (a point whose Y is NaN): a
// second missing from a results directory, a second without a completed
// request in the latency lines, a stretch without samples in Prometheus
// (ecbench restarted, target unscraped). Options.MaxOps keeps the charts
// of each workload's busiest ops and names the others; the table keeps
// every op.
//
// # From Prometheus
//
// QueryPrometheus reads a window through client_golang's HTTP API client,
// from ecbench's raw series (so it needs no recording rules), summing over
// instance so that several generators add up, and converts what it reads
// into a *results.Run: each step becomes an interval of Step seconds (ok,
// miss, error and dropped counts from rate() × step; p50, p95, p99, p99.9
// and max from histogram_quantile of the step's bucket rates; the mean
// from _sum/_count), and each op's whole-window latency histogram comes
// from the increase of its classic buckets (bucketHistogram). The summary
// table and the verdicts are then computed from the Run exactly as for a
// bench run, with steps in place of seconds. What a Run cannot hold sits
// beside it in Prometheus: the scenario's phases (ecbench_phase_info == 1),
// the CloudWatch series (ecbench_cloudwatch_value), the ecbench versions,
// every target identity, and Prometheus' warnings. Prometheus.Build makes
// the Model: every time chart spans the window with clock times and shades
// the phases, and a Servers section has one chart per CloudWatch metric.
//
// The scrape interval is the median spacing of ecbench_build_info's
// samples, which every ecbench exports on every scrape. The step defaults
// to the window / 1000 (DefaultStep), never below the scrape interval;
// rates are taken over the larger of the step and four scrape intervals
// (RateWindow), so a missed scrape does not break a line and, once the
// step is long enough, the windows tile the time range.
//
// Whole-window percentiles and spectra from Prometheus are at the classic
// buckets' resolution (interpolated within a bucket, like
// histogram_quantile), unlike a results directory's HDR histograms, exact
// to 0.1%; their titles and the table's note say so.
package report
