// Package verdict answers "which engine is faster, and is the difference
// real?" for one quantity measured on both Redis and Valkey: throughput, or a
// latency statistic such as p99, with one value per 1-second interval of a
// run.
//
// # What it reports
//
// Compare returns the ratio valkey/redis of the two runs' means, a 95%
// confidence interval for that ratio, and a verdict. "1.23 [1.10, 1.37]
// valkey faster" for throughput reads: Valkey did 23% more ops/s in this
// benchmark; had we repeated both runs many times under the same conditions,
// intervals built this way would contain the true ratio 95 times in 100, and
// this one lies entirely above 1, so the difference is not run-to-run noise.
// When the interval contains 1 the verdict is "no significant difference":
// the data cannot tell the engines apart, which is not the same as proof that
// they are equal (a wide interval such as [0.7, 1.4] says "run longer"). For
// latency a ratio below 1 means Valkey's latency is lower, so Valkey is
// faster.
//
// The interval only covers noise within the conditions of the runs: a host
// that was busier during one engine's run, or a different configuration, is a
// real difference as far as the statistics are concerned.
//
// # Why batch means
//
// Consecutive seconds of a benchmark are not independent: a background save,
// a rehash, a noisy neighbour or a GC pause in the load generator lasts
// several seconds and pushes neighbouring intervals the same way. Treating
// 300 intervals as 300 independent measurements pretends there is more
// information than there is, and the interval comes out too narrow: in this
// package's tests, with moderately correlated noise, such an interval called
// identical engines different about a quarter of the time instead of 5%.
//
// So the intervals of each run are cut into a handful (3 to 20) of consecutive
// batches, each long enough that the correlation mostly stays inside it, and
// each batch is averaged. The batch means are close to independent, and how
// much they scatter shows how much the run's mean itself could move. Batches
// are about √n intervals long, and longer when the samples show strong
// correlation from one second to the next (batch.go gives the rule).
//
// # The interval
//
// With few batches, their scatter is itself uncertain, so the interval uses a
// Student t quantile (as in a t-test) rather than the normal 1.96; with 7
// batches a side the multiplier is about 2.2. The ratio is handled on the log
// scale, where it becomes a difference of two means whose standard errors add
// (the delta method), with Welch's degrees of freedom because the two engines
// may be noisy to different degrees and have run for different durations:
//
//	log R ± t · √(cv²redis + cv²valkey)   cv = standard error of a mean / that mean
//
// Exponentiating gives [Low, High]; the interval is symmetric in ratio terms
// (it extends by the same factor on both sides of R). The computation is
// closed-form and takes a few microseconds; no resampling is involved, so the
// same samples always give the same result.
//
// Bootstrap intervals from the same batch means were measured as an
// alternative and rejected: with 7 to 20 batches the percentile bootstrap
// covers only 87–92% instead of 95%, because resampling a few batch means
// underestimates their spread; the t interval corrects exactly that.
//
// Samples that are NaN or ±Inf are dropped. Fewer than MinSamples intervals
// on either side, or a mean that is not positive, gives NotEnoughData.
//
// # Paired comparisons
//
// When both engines ran at the same time on the same host, most of their
// noise is shared: a busy second on the host, the network or the generator
// slows both. Compare keeps that shared noise in both sides' spread, and its
// interval is far wider than the difference between the engines.
// ComparePaired pairs the engines interval by interval instead, and its
// interval comes from how the pair differs, so the shared noise cancels.
//
// Its ratio is the whole run's (total over total: answered requests over
// seconds for throughput, summed latency over answered requests for mean
// latency), the same estimator the table prints. Its interval uses the
// delta method on the paired per-interval deviations z_t, batch means of z
// with the batch length above, and a t quantile with b−1 degrees of
// freedom; paired.go gives the formula.
//
// Batch means over a moving-block bootstrap: both handle autocorrelation
// by keeping neighbouring intervals together. Batch means is closed form,
// deterministic and has a t correction for few batches; a bootstrap over
// 3–20 blocks under-covers, as measured for Compare above. On synthetic
// runs whose engines share 8% AR(1) noise and have 2% of their own
// (paired_test.go, 1,000 seeded trials each), the paired interval:
//   - covers the true ratio in 95.1–95.5% of trials;
//   - says "no significant difference" for identical engines in 95.1–95.5%;
//   - detects a consistent 5% difference in a 60 s run in 99.6–99.9%.
//
// The unpaired interval on the same samples is ×1.149 wide against ×1.025,
// and detects the 5% difference in 23%.
//
// # Quantiles
//
// ComparePairedQuantiles (engines at the same time) and CompareQuantiles
// (one after the other) compare p50, p95, p99 or p99.9 of the whole run:
// each engine's per-interval latency histograms (package loghist) are
// merged, and the ratio is valkey's quantile over redis'. The interval is
// about that same estimator. Averaging per-interval quantiles would not
// be: a run's p95 is not the mean of its seconds' p95s, least of all when
// a few seconds stalled, which is how a table came to print p95 1.389 with
// the interval [2.888, 36463]. With the whole-run estimator the interval
// is log R ± h around R, so Low ≤ Ratio ≤ High always.
//
// A quantile is not a sum over intervals, so the delta method of
// ComparePaired does not apply without the density at the quantile, which
// a histogram estimates poorly. A block bootstrap needs no density: the
// run's intervals are cut into b consecutive blocks, a replicate draws b of
// them with replacement (the same draws for both engines when paired, so
// that the noise they shared cancels), merges what it drew, and reads every
// quantile off the merged histograms. Blocks keep neighbouring intervals
// together, as batches do, so the interval honours the autocorrelation.
//
// Non-overlapping blocks rather than moving ones: blocks can then be merged
// once, before resampling (a replicate's quantile is a search over b
// pre-merged cumulative counts, not a merge of every interval), and with
// b blocks drawn with replacement the bootstrap variance is (b−1)/b of
// the batch-means variance, which gives the small-b correction exactly:
//
//	log R ± t(b−1) · √(b/(b−1)) · SD*(log R*)
//
// Moving blocks would cost a merge of every interval per replicate and
// have no such correction. The block length is batch.go's rule (√n, or
// five correlation times) on each interval's first-order contribution to
// log Qvalkey − log Qredis, (q·n_t − c_t)/N per engine, c_t its values at or
// below the whole-run quantile; the longest over the qs asked; at most 10
// blocks rather than 20, because on 600 intervals of 100 ms, 20 blocks
// covered 93.6% where 10 cover 95.0% (request noise hides the slow wander
// from the lag-1 correlation of short intervals). Unpaired, each engine
// gets its own blocks and draws, and the two corrected variances add, with
// Welch's degrees of freedom. 400 replicates: only their standard deviation
// is used (3.5% Monte Carlo error); 250 and 1,000 gave the same coverage.
// The draws are seeded from the data: the same histograms, the same answer.
//
// As for Compare, the percentile bootstrap under-covers with this few
// blocks, and so does ±1.96·SD*; measured on the same replicates (60 s of
// 1 s intervals, 6.7 blocks on average, 500 trials), they cover the true
// ratio of p50, p95, p99, p99.9 in 92.6, 88.6, 90.4, 88.8% and 90.2, 87.6,
// 90.4, 89.2%; the t form in 97.4, 94.8, 97.0, 95.6%.
//
// On synthetic runs at 1,000 requests per second (log-normal latencies
// whose scale carries 8% AR(1) noise both engines share and 2% of their
// own; quantile_test.go, 500 seeded trials each), paired:
//   - 60 s of 1 s intervals: the true ratio is covered in 94.8–97.4% of
//     trials for every quantile; identical engines give "no significant
//     difference" in 96.6% (p50), 95.0% (p95), 97.2% (p99), 95.6% (p99.9),
//     with mean widths ×1.031, ×1.040, ×1.062, ×1.150; a consistent 5%
//     difference is detected in 100% (p50), 99.8% (p95), 93.4% (p99) and
//     35% (p99.9: that tail holds one request a second);
//   - 600 intervals of 100 ms: coverage 94.4–97.0%, "no difference" for
//     identical engines in 95.0% (p50) and 97.0% (p99), widths ×1.028 to
//     ×1.139, the 5% difference detected in 100% (p50, p95), 96.8% (p99),
//     35% (p99.9).
//
// Unpaired on the same paired runs, the shared noise stays in the interval
// (×1.149 wide for p50) and 5% is detected in 37%, as it was by Compare
// over per-interval quantiles (38%). On sequential runs (60 s against
// 45 s, each under its own host noise) CompareQuantiles covers 94.2–95.2%
// and detects a 10% difference in 70% (p50). In runs where a few seconds
// stalled on one engine, the old row's interval missed its own printed
// ratio in 20 of 24 rows; these intervals hold it by construction.
//
// Cost: one call on 1,000 intervals of about 350 non-empty buckets, four
// quantiles, takes about 6 ms of CPU and allocates 1.4 MB
// (BenchmarkComparePairedQuantiles); 60 intervals, under 1 ms. Intervals
// are first merged into at most 120 consecutive segments, so the input is
// read once; the blocks are whole segments.
//
// Resolution: loghist buckets are 1/128 of a power of two wide (at most
// 0.78%) and a quantile is read as its bucket's midpoint, within 0.39% of
// the exact value. A ratio of two such quantiles is within about ±0.8% of
// the exact ratio and moves in steps of a bucket: identical engines often
// print exactly 1, and differences under about 1% are below what the
// histograms resolve, however long the run. The coverage above includes
// that rounding.
package verdict
