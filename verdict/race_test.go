//go:build race

package verdict

// raceEnabled: the race detector slows the synthetic generators and the
// bootstrap about tenfold, so the statistical tests run their reduced trials
// (./scripts/test.sh runs them once more in full without it).
const raceEnabled = true
