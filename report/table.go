package report

import (
	"github.com/ecbench/ecbench/comparison"
	"github.com/ecbench/ecbench/results"
)

// TableOf is the comparison `ecbench compare` prints, as the report's
// table: the decisions, the thresholds (opts.Thresholds and the defaults)
// and the rows, and each op's ratios as numbers for the forest plot. It
// fails, as compare does, when a threshold names a workload, op or target
// the run does not have.
func TableOf(run *results.Run, opts Options) (Table, error) {
	c := comparison.Of(run)
	if c.Baseline == nil {
		return Table{}, nil
	}
	if err := c.Check(opts.Thresholds); err != nil {
		return Table{}, err
	}
	t := Table{
		Baseline: engineLabel(c.Baseline), Candidate: engineLabel(c.Candidate), Ratio: c.RatioName(),
		BaselineTarget: c.Baseline.Name,
		Warnings:       c.Warnings,
		Note:           c.Note(opts.Merged),
		ThresholdLines: c.ThresholdLines(),
	}
	if c.Candidate != nil {
		t.CandidateTarget = c.Candidate.Name
	}
	for _, d := range c.Workloads {
		t.Decisions = append(t.Decisions, decisionOf(d))
	}
	if len(c.Workloads) > 0 {
		t.Decisions = append(t.Decisions, decisionOf(c.Overall))
	}
	for _, r := range c.Thresholds {
		t.Thresholds = append(t.Thresholds, r.Threshold.Text+" ("+r.Threshold.Source+")")
	}
	if len(c.Efficiency) > 0 {
		t.EfficiencyTitle, t.EfficiencyNotes = c.EfficiencyTitle(), c.EfficiencyNotes()
		for _, r := range c.EfficiencyRows() {
			t.Efficiency = append(t.Efficiency, EfficiencyRow(r))
		}
	}
	for i := range c.Ops {
		t.Ops = append(t.Ops, opResultOf(&c.Ops[i]))
	}
	for _, r := range c.Rows {
		t.Rows = append(t.Rows, Row{
			Workload: r.Workload, Op: r.Op, Quantity: r.Quantity,
			Baseline: r.Baseline, Candidate: r.Candidate, Ratio: r.RatioText(), CI: r.CIText(),
			Verdict: r.Verdict, Trusted: r.Trusted,
		})
	}
	return t, nil
}

func decisionOf(d comparison.Decision) Decision {
	return Decision{Workload: d.Workload, Kind: string(d.Kind), Faster: d.Faster, Text: d.Text}
}

func opResultOf(op *comparison.Op) OpResult {
	r := OpResult{Workload: op.Workload, Op: op.Op, Failure: op.Failure, Trusted: op.Trusted, OpenLoop: op.OpenLoop}
	if op.Verdict.Kind == comparison.OneEngine {
		r.OneEngine = op.Verdict.Text
	}
	for _, q := range op.Quantities {
		r.Quantities = append(r.Quantities, Estimate{Quantity: q.Name, Ratio: q.Ratio, Low: q.Low, High: q.High,
			HasRatio: q.HasRatio, HasCI: q.HasCI, Better: q.Better})
	}
	return r
}

// engineLabel names a target as its lines' legends do: "redis 7.0.15",
// or "cache-a (valkey 8.0.1)" when the target is not named after its
// engine.
func engineLabel(t *results.Target) string {
	if t == nil {
		return "-"
	}
	return targetLabel(t.Name, string(t.Engine), t.Version)
}

func targetLabel(name, eng, version string) string {
	what := eng
	if version != "" {
		what += " " + version
	}
	switch {
	case eng == "" || eng == "unknown" && version == "":
		return name
	case name == eng:
		return what
	}
	return name + " (" + what + ")"
}
