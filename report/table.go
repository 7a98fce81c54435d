package report

import (
	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/results"
)

// TableOf is the comparison `ecbench compare` prints, as the report's
// summary table; merged is how many runs were merged into run (0 or 1: a
// single run).
func TableOf(run *results.Run, merged int) Table {
	c := comparison.Of(run)
	if c.Baseline == nil {
		return Table{}
	}
	t := Table{
		Baseline: comparison.Title(c.Baseline), Candidate: comparison.Title(c.Candidate), Ratio: c.RatioName(),
		Warnings: c.Warnings,
		Note:     c.Note(merged),
	}
	if len(c.Efficiency) > 0 {
		t.EfficiencyTitle, t.EfficiencyNotes = c.EfficiencyTitle(), c.EfficiencyNotes()
		for _, r := range c.EfficiencyRows() {
			t.Efficiency = append(t.Efficiency, EfficiencyRow(r))
		}
	}
	for _, r := range c.Rows {
		t.Rows = append(t.Rows, Row{
			Workload: r.Workload, Op: r.Op, Quantity: r.Quantity,
			Baseline: r.Baseline, Candidate: r.Candidate, Ratio: r.RatioText(), CI: r.CIText(),
			Verdict: r.Verdict, Trusted: r.Trusted,
		})
	}
	return t
}
