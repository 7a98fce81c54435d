package probe_test

import (
	"fmt"

	"github.com/ecbench/ecbench/loadgen/probe"
)

// The daemon's logger gets the integrity verdicts through a Ranges, so that a
// loss read back one batch at a time is one event with its sequence range;
// the metrics adapter gets every verdict as it comes.
func ExampleRanges() {
	log := probe.NewRanges(func(r probe.Range) {
		if r.Result != probe.Verified {
			fmt.Printf("integrity: %s %d writes, seq %d-%d\n", r.Result, r.N, r.From, r.To)
		}
	})
	var sink probe.IntegritySink = probe.IntegritySinks{log /*, the metrics recorder */}

	// Read-back batches as an integrity probe reports them after a restart
	// of a server without persistence.
	sink.Checked(probe.Verified, 1200, 0, 1199)
	sink.Checked(probe.Lost, 100, 1200, 1299)
	sink.Checked(probe.Lost, 151, 1300, 1450)
	sink.Checked(probe.Verified, 10, 1451, 1460)
	log.Flush() // when the probe stops
	// Output:
	// integrity: lost 251 writes, seq 1200-1450
}
