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
package verdict
