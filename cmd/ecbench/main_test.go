package main

import (
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/e2etest"
	"github.com/ecbench/ecbench/internal/metrictest"
	"github.com/ecbench/ecbench/internal/proctest"
)

// beMain makes the test binary act as ecbench itself, so that signal tests
// run the real main without a separate build.
const beMain = "RUN_AS_ECBENCH_MAIN" // not ECBENCH_…: that prefix is for config overrides

func TestMain(m *testing.M) {
	if os.Getenv(beMain) == "1" {
		main()
	}
	// go-redis logs dial failures of killed servers; tests assert on counts.
	redis.SetLogger(discardRedisLog{})
	os.Exit(m.Run())
}

// syncBuffer is a buffer safe for a logger writing while a test reads.
type syncBuffer = proctest.Output

// The end-to-end helpers, shared with internal/app's tests.
var (
	writeConfig = e2etest.WriteConfig
	scrape      = metrictest.Scrape
	value       = metrictest.Sum
	hasLabels   = metrictest.HasLabels
	eventually  = e2etest.Eventually
	labels      = e2etest.Labels
	mustContain = e2etest.MustContain
	status      = e2etest.Status
)
