// Package report turns a results directory (see package results), or a
// window of a Prometheus server that scraped ecbench, into one
// self-contained HTML page that leads with the answer to "Redis OSS or
// Valkey?".
//
// # The page, top down
//
//  1. The decision: the overall line and one per workload, as `ecbench
//     compare` prints them (package comparison), the thresholds checked
//     (the defaults and Options.Thresholds) and any crossed, the warnings.
//  2. The forest plot (forest.go): every workload, op and quantity with an
//     interval, as the ratio candidate/baseline and its 95% interval on a
//     logarithmic axis with 1 marked, coloured by verdict. With the
//     decision it fits the first screen of a 1400×900 window for the 32
//     ops of `bench -t all`.
//  3. The servers' side and cost (from a bench's INFO snapshots and the
//     targets' prices): one small table per workload, measured once, so
//     ratios without intervals or verdicts.
//  4. Each workload's details, collapsed under its decision line:
//     throughput over time (each engine's line, or their ratio with the
//     whole run's interval as a band when the two lines would coincide),
//     errors and drops (a chart only for what is not all zero, the zeros
//     said in words), and per op its p99 ratio over time with the whole
//     run's interval as a band (each engine's p99 when the engines did not
//     run at once) and its latency by percentile.
//  5. ElastiCache's CloudWatch metrics (Prometheus reports), the full
//     table of every quantity (cells that do not wrap), the metadata.
//
// Every chart has at most three lines; a target is named by its engine and
// version ("redis 7.0.15"); the baseline (Redis OSS) is vermillion and the
// candidate (Valkey) blue, as on the dashboards, on every chart, in the
// forest plot's verdicts and the decision marks;
// time axes step at round seconds or clock times; text is sans-serif, at
// 12 to 14 CSS pixels when a chart is shown at its own size, which the
// page does at 100% zoom.
//
// # Why server-side SVG from gonum/plot
//
// The charts are drawn in Go with gonum.org/v1/plot (the forest plot with
// its drawing primitives) and inlined in the page as SVG; the CSS is
// inline too. The page loads nothing: no JavaScript, no fonts, no
// stylesheets, no images from anywhere. So
//
//   - it opens offline, from a mail attachment or a ticket, years later, and
//     looks the same in every browser (nothing to fetch, nothing to run);
//   - the very same figures, the forest plot included, can be written as
//     PNG or SVG files (WriteCharts) to paste into a ticket or a slide,
//     without a browser;
//   - the charts are a pure function of the results: the data behind them
//     (Model) is tested with golden files, the drawing is gonum's;
//   - it costs one well-kept, pure-Go library and no JavaScript toolchain.
//
// Go lays the text out with Liberation Sans; the SVG names it first, then
// the fonts of the same widths (Arial, Helvetica), a narrow fallback and
// any sans-serif. The price is no interactivity (zoom, hover): the numbers
// behind every chart are in the full table, the results directory's CSV
// files, or Prometheus.
//
// # Shape
//
// Build computes a Model from a *results.Run: TableOf computes the
// comparison `ecbench compare` prints (decisions, thresholds, rows, each
// op's ratios as numbers) and the builder the figures from it and the run.
// Model holds every chart as plain data: lines of (x, y) points with
// labels, bands, and the forest plot's rows. HTML renders a Model as the
// page, WriteCharts as image files.
//
// A line breaks where nothing was measured (a point whose Y is NaN): a
// row missing from a results directory, a row without a completed request
// in the latency lines, a stretch without samples in Prometheus (ecbench
// restarted, target unscraped). Throughput, errors and drops over time
// are means over bins of whole rows, at most 150 points; ratios over time
// are over bins too, at most 60, and a p99 bin holds at least 1000
// requests where the rows' histograms allow merging them (ratio.go; a
// Prometheus window's steps have none: one point per step). Options.MaxOps keeps the charts of each
// workload's busiest ops and names the others; the table keeps every op.
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
// from the increase of its classic buckets (bucketHistogram). The
// comparison and the verdicts are then computed from the Run exactly as
// for a bench run, with steps in place of intervals, and the page is the
// same page. What a Run cannot hold sits beside it in Prometheus: the
// scenario's phases (ecbench_phase_info == 1), the CloudWatch series
// (ecbench_cloudwatch_value), the ecbench versions, every target
// identity, and Prometheus' warnings. Prometheus.Build makes the Model:
// every time chart spans the window with clock times and shades the
// phases, and a Servers section has the CloudWatch metrics, a chart per
// metric, or per target and three nodes' lines at a time.
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
// to 0.1%; the spectra and the table's note say so.
package report
