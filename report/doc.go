// Package report turns a results directory (see package results) into one
// self-contained HTML page: the side-by-side summary table, throughput,
// latency percentiles, errors and dropped requests over time, a latency
// spectrum per op, and the run's metadata.
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
// chart are in the results directory's CSV files.
//
// # Shape
//
// Build computes a Model from a *results.Run and the summary table, which
// the caller supplies (cmd/ecbench computes it with its verdict rules, so
// the page and `ecbench compare` show the same rows). Model holds every
// chart as plain data: lines of (x, y) points with labels. HTML renders a
// Model as the page, WriteCharts as image files.
package report
