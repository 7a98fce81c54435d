package probe_test

import (
	"fmt"

	"github.com/ecbench/ecbench/loadgen/probe"
)

// The daemon's logger gets the integrity verdicts through a Ranges, so that a
// loss found one batch at a time is one event with its sequence range and
// the sweep that found it; the metrics adapter gets every verdict as it
// comes.
func ExampleRanges() {
	log := probe.NewRanges(func(c probe.Check) {
		if c.Result != probe.Verified {
			fmt.Printf("integrity: %s %d writes, seq %d-%d, found by the %s\n", c.Result, c.N, c.From, c.To, c.Sweep.Kind)
		}
	})
	var sink probe.IntegritySink = probe.IntegritySinks{log /*, the metrics recorder */}

	// What an integrity probe reports after a restart of a server without
	// persistence: the first checks of the writes made just before it, and
	// a recovery sweep, one batch at a time, of the writes verified before.
	first := probe.Sweep{Kind: probe.FirstCheck}
	recovery := probe.Sweep{Kind: probe.RecoverySweep, ID: 7}
	sink.Checked(probe.Check{Result: probe.Lost, N: 30, From: 1420, To: 1449, Sweep: first})
	sink.Checked(probe.Check{Result: probe.Lost, N: 512, From: 0, To: 511, Sweep: recovery})
	sink.Checked(probe.Check{Result: probe.Lost, N: 512, From: 512, To: 1023, Sweep: recovery})
	sink.Checked(probe.Check{Result: probe.Lost, N: 396, From: 1024, To: 1419, Sweep: recovery})
	sink.SweepDone(probe.SweepReport{Sweep: recovery, Read: 1420, Complete: true})
	sink.Checked(probe.Check{Result: probe.Verified, N: 1, From: 1450, To: 1450, Sweep: first})
	log.Flush() // when the probe stops
	// Output:
	// integrity: lost 1420 writes, seq 0-1419, found by the recovery sweep
	// integrity: lost 30 writes, seq 1420-1449, found by the first check
}
