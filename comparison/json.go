package comparison

import (
	"encoding/json"
	"io"
	"math"

	"github.com/ecbench/ecbench/results"
	"github.com/ecbench/ecbench/threshold"
)

// DocumentSchema is the version of the JSON document. Adding a field keeps
// it; renaming, removing or changing the meaning of one bumps it.
//
//	1  decisions, per-op values, ratios, thresholds
//	2  workloads[].efficiency (the servers' INFO figures, measured once)
//	   and workloads[].cost (the price per request); nothing of 1 changed
const DocumentSchema = 2

// Document is what `--format json` writes: the decisions as data. Values
// are in base units: seconds, operations per second, fractions (0.001 is
// 0.1%); a value that does not exist (the latency of an engine that
// answered nothing, an interval too few intervals could not give) is null.
// Keys are always present, lists are [] when empty.
type Document struct {
	Schema     int           `json:"schema"`
	Results    []string      `json:"results"`     // the results directories read or written
	MergedRuns int           `json:"merged_runs"` // how many runs were merged (1: a single run)
	Sequential bool          `json:"sequential"`  // the engines ran one after the other: unpaired comparisons
	Baseline   *TargetDoc    `json:"baseline"`    // Redis OSS, when there is one
	Candidate  *TargetDoc    `json:"candidate"`   // Valkey; null with one target
	Ratio      string        `json:"ratio"`       // how ratios are taken: "valkey/redis"
	Overall    DecisionDoc   `json:"overall"`
	Workloads  []WorkloadDoc `json:"workloads"`
	// Thresholds are every threshold checked, the defaults included;
	// ThresholdsCrossed is true when any was crossed (the exit code 3).
	Thresholds        []ThresholdDoc `json:"thresholds"`
	ThresholdsCrossed bool           `json:"thresholds_crossed"`
	Warnings          []string       `json:"warnings"`
}

// TargetDoc is a compared target.
type TargetDoc struct {
	Name    string `json:"name"`
	Engine  string `json:"engine"`
	Version string `json:"version"`
}

// DecisionDoc is the decision of an op, a workload or the run.
type DecisionDoc struct {
	// Kind: faster, mixed, no difference, inconclusive, failing,
	// untrusted, one engine.
	Kind   string `json:"kind"`
	Faster string `json:"faster"` // the faster target, with kind faster; else ""
	// Within is, with kind "no difference", the largest difference the
	// intervals allow (0.031: ±3.1%); else null.
	Within *float64 `json:"within"`
	// NeedSeconds is, with kind inconclusive, the measured time per
	// workload projected to resolve ±5%; else null.
	NeedSeconds *float64      `json:"need_seconds"`
	Evidence    []EvidenceDoc `json:"evidence"`
	Text        string        `json:"text"` // as printed
	// Counts are, for the run, the workloads per decision.
	Counts []CountDoc `json:"counts,omitempty"`
}

// EvidenceDoc is a significant difference: the better target's value
// relative to the other's, minus 1 (0.082: 8.2% more throughput; −0.12: a
// 12% lower p99), with its 95% interval.
type EvidenceDoc struct {
	Op       string  `json:"op"`
	Quantity string  `json:"quantity"`
	Better   string  `json:"better"`
	Change   float64 `json:"change"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
}

// CountDoc is how many workloads got one decision.
type CountDoc struct {
	Decision  string `json:"decision"`
	Workloads int    `json:"workloads"`
}

// WorkloadDoc is one workload.
type WorkloadDoc struct {
	Workload string      `json:"workload"`
	Decision DecisionDoc `json:"decision"`
	Ops      []OpDoc     `json:"ops"`
	// Efficiency is the servers' side from their INFO; null without server
	// data (runs before schema 4, INFO unread). Cost is null when no
	// target of the workload has a price.
	Efficiency *EfficiencyDoc `json:"efficiency"`
	Cost       *CostDoc       `json:"cost"`
}

// EfficiencyDoc is a workload's server-side figures, each measured once
// per run: no interval, no verdict (results.Efficiency says how each is
// derived). Bytes, seconds, fractions.
type EfficiencyDoc struct {
	MeasuredOnce bool `json:"measured_once"` // always true: say so to whoever reads the numbers
	Runs         int  `json:"runs"`          // runs pooled (1: a single run)
	// Engines are the baseline's figures, then the candidate's, for those
	// with server data.
	Engines []ServerDoc `json:"engines"`
	// Ratios are candidate/baseline of each figure; null where either
	// engine lacks it.
	Ratios ServerRatiosDoc `json:"ratios"`
	Notes  []string        `json:"notes"` // why figures are missing
}

// ServerDoc is one engine's server-side figures of a workload.
type ServerDoc struct {
	Target  string `json:"target"`
	Engine  string `json:"engine"`
	Version string `json:"version"`
	Nodes   int    `json:"nodes"` // summed: the node, or a cluster's primaries
	// The preload: what it wrote, and what the server gained.
	PreloadKeys           uint64   `json:"preload_keys"`
	PreloadElements       uint64   `json:"preload_elements"`
	KeysAdded             *int64   `json:"keys_added"`
	MemoryAddedBytes      *int64   `json:"memory_added_bytes"` // used_memory − mem_clients_normal
	MemoryPerKeyBytes     *float64 `json:"memory_per_key_bytes"`
	MemoryPerElementBytes *float64 `json:"memory_per_element_bytes"` // list, hash, set, zset
	UsedMemoryBytes       *float64 `json:"used_memory_after_preload_bytes"`
	RSSBytes              *float64 `json:"rss_after_preload_bytes"`
	UsedMemoryOverRSS     *float64 `json:"used_memory_over_rss_after_preload"`
	MeasuredSeconds       float64  `json:"measured_seconds"` // between the measured phase's snapshots
	Commands              uint64   `json:"commands"`         // the workload's, as the server counted them
	CommandsSource        string   `json:"commands_source"`  // "commandstats" or "total_commands_processed"
	CPUSeconds            float64  `json:"cpu_seconds"`      // used_cpu_sys + used_cpu_user
	CPUSecondsPerCommand  *float64 `json:"cpu_seconds_per_command"`
	NetInputBytesPerCmd   *float64 `json:"net_input_bytes_per_command"`
	NetOutputBytesPerCmd  *float64 `json:"net_output_bytes_per_command"`
	KeyspaceHits          uint64   `json:"keyspace_hits"`
	KeyspaceMisses        uint64   `json:"keyspace_misses"`
	KeyspaceHitRatio      *float64 `json:"keyspace_hit_ratio"`
}

// ServerRatiosDoc is candidate/baseline of each server figure.
type ServerRatiosDoc struct {
	MemoryPerKey     *float64 `json:"memory_per_key"`
	MemoryPerElement *float64 `json:"memory_per_element"`
	UsedMemory       *float64 `json:"used_memory_after_preload"`
	RSS              *float64 `json:"rss_after_preload"`
	CPUPerCommand    *float64 `json:"cpu_per_command"`
	NetInputPerCmd   *float64 `json:"net_input_per_command"`
	NetOutputPerCmd  *float64 `json:"net_output_per_command"`
	KeyspaceHitRatio *float64 `json:"keyspace_hit_ratio"`
}

// CostDoc is what a workload's requests cost on each priced engine, at
// the throughput it measured.
type CostDoc struct {
	Engines []EngineCostDoc `json:"engines"` // the priced ones: baseline, then candidate
	// Ratio is candidate/baseline of the cost per billion requests; null,
	// with Note saying why, when the engines are not priced alike.
	Ratio *float64 `json:"ratio"`
	Note  string   `json:"note"`
	// OpenLoopNote, for a workload both engines ran at one offered rate,
	// says what the cost then means; "" for a closed loop.
	OpenLoopNote string `json:"open_loop_note"`
}

// EngineCostDoc is one engine's cost.
type EngineCostDoc struct {
	Target                 string   `json:"target"`
	PricePerHour           float64  `json:"price_per_hour"`
	Currency               string   `json:"currency"`
	RequestsPerSecond      float64  `json:"requests_per_second"` // answered, every op of the workload
	CostPerBillionRequests *float64 `json:"cost_per_billion_requests"`
	RequestsPerUnitOfCost  *float64 `json:"requests_per_unit_of_cost"`
}

// OpDoc is one op of a workload.
type OpDoc struct {
	Op       string      `json:"op"`
	Decision DecisionDoc `json:"decision"`
	OpenLoop bool        `json:"open_loop"` // one rate schedule for both: throughput has no ratio
	Trusted  bool        `json:"trusted"`   // false: the load generator was the bottleneck
	Failure  string      `json:"failure"`   // "redis: 100% of set failed (oom)", or ""
	// Engines are the baseline's values, then the candidate's.
	Engines []EngineDoc `json:"engines"`
	// Quantities are the ratios candidate/baseline: throughput, mean,
	// p50, p95, p99, p99.9, max.
	Quantities []QuantityDoc `json:"quantities"`
	// ErrorRate compares the error rates: candidate − baseline, a
	// fraction.
	ErrorRate         DifferenceDoc `json:"error_rate"`
	ThresholdsCrossed []string      `json:"thresholds_crossed"` // as written
}

// EngineDoc is one engine's whole-run values of an op.
type EngineDoc struct {
	Target                 string            `json:"target"`
	Engine                 string            `json:"engine"`
	ThroughputOpsPerSecond float64           `json:"throughput_ops_per_second"`
	MeanSeconds            *float64          `json:"mean_seconds"`
	P50Seconds             *float64          `json:"p50_seconds"`
	P95Seconds             *float64          `json:"p95_seconds"`
	P99Seconds             *float64          `json:"p99_seconds"`
	P999Seconds            *float64          `json:"p999_seconds"`
	MaxSeconds             *float64          `json:"max_seconds"`
	Answered               uint64            `json:"answered"` // ok + miss
	Errors                 uint64            `json:"errors"`
	Dropped                uint64            `json:"dropped"`
	ErrorRate              *float64          `json:"error_rate"`     // errors / (answered + errors)
	DroppedShare           *float64          `json:"dropped_share"`  // dropped / (answered + errors + dropped)
	AnsweredShare          *float64          `json:"answered_share"` // answered / (answered + errors + dropped)
	ErrorClasses           map[string]uint64 `json:"error_classes"`
	MeasuredSeconds        float64           `json:"measured_seconds"`
}

// QuantityDoc is the ratio of one quantity.
type QuantityDoc struct {
	Quantity string   `json:"quantity"`
	Ratio    *float64 `json:"ratio"`
	Low      *float64 `json:"low"`
	High     *float64 `json:"high"`
	Paired   bool     `json:"paired"`
	Better   string   `json:"better"` // the significantly better target, or ""
	Verdict  string   `json:"verdict"`
}

// DifferenceDoc is the difference of the error rates.
type DifferenceDoc struct {
	Diff    *float64 `json:"diff"`
	Low     *float64 `json:"low"`
	High    *float64 `json:"high"`
	Paired  bool     `json:"paired"`
	Better  string   `json:"better"` // the target with significantly fewer errors, or ""
	Verdict string   `json:"verdict"`
}

// ThresholdDoc is one checked threshold.
type ThresholdDoc struct {
	Threshold string        `json:"threshold"` // as written
	Source    string        `json:"source"`    // "--threshold", "thresholds[0]", "default"
	Default   bool          `json:"default"`
	Checked   int           `json:"checked"` // values checked
	Crossed   []CrossingDoc `json:"crossed"`
	Undecided []CrossingDoc `json:"undecided"` // ratios whose interval straddles the limit
}

// CrossingDoc is a value past a threshold's limit.
type CrossingDoc struct {
	Workload string   `json:"workload"`
	Op       string   `json:"op"`
	Target   string   `json:"target"` // "" for a ratio
	Value    float64  `json:"value"`  // base units, or the ratio
	Low      *float64 `json:"low"`    // a ratio's interval, else null
	High     *float64 `json:"high"`
}

// DocumentOf is c as a Document.
func DocumentOf(c Table, o Options) Document {
	d := Document{Schema: DocumentSchema, Results: nonNil(o.Dirs), MergedRuns: max(o.Merged, 1), Sequential: c.Sequential,
		Baseline: targetDoc(c.Baseline), Candidate: targetDoc(c.Candidate), Ratio: c.RatioName(),
		Overall: decisionDoc(c.Overall.Verdict), Workloads: []WorkloadDoc{}, Thresholds: []ThresholdDoc{},
		ThresholdsCrossed: c.Crossed(), Warnings: nonNil(c.Warnings)}
	for _, n := range c.Overall.Counts {
		d.Overall.Counts = append(d.Overall.Counts, CountDoc{Decision: n.Label, Workloads: n.N})
	}
	for _, w := range c.Workloads {
		wd := WorkloadDoc{Workload: w.Workload, Decision: decisionDoc(w.Verdict), Ops: []OpDoc{}}
		for i := range c.Ops {
			if op := &c.Ops[i]; op.Workload == w.Workload {
				wd.Ops = append(wd.Ops, c.opDoc(op))
			}
		}
		for _, e := range c.Efficiency {
			if e.Workload == w.Workload {
				wd.Efficiency, wd.Cost = efficiencyDoc(e), costDoc(e)
			}
		}
		d.Workloads = append(d.Workloads, wd)
	}
	for _, r := range c.Thresholds {
		d.Thresholds = append(d.Thresholds, ThresholdDoc{Threshold: r.Threshold.Text, Source: r.Threshold.Source, Default: r.Default,
			Checked: r.Checked, Crossed: crossingDocs(r.Crossed), Undecided: crossingDocs(r.Undecided)})
	}
	return d
}

func writeJSON(w io.Writer, c Table, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(DocumentOf(c, o))
}

func (c Table) opDoc(op *Op) OpDoc {
	d := OpDoc{Op: op.Op, Decision: decisionDoc(op.Verdict), OpenLoop: op.OpenLoop, Trusted: op.Trusted, Failure: op.Failure,
		Engines: []EngineDoc{}, Quantities: []QuantityDoc{}, ThresholdsCrossed: nonNil(c.crossedBy(op)),
		ErrorRate: DifferenceDoc{Diff: num(op.ErrorRate.Diff), Low: num(op.ErrorRate.Low), High: num(op.ErrorRate.High),
			Paired: op.ErrorRate.Paired, Better: op.ErrorRate.Better, Verdict: op.ErrorRate.Verdict}}
	for _, e := range op.Engines {
		if e != nil {
			d.Engines = append(d.Engines, engineDoc(e))
		}
	}
	for _, q := range op.Quantities {
		qd := QuantityDoc{Quantity: string(q.Name), Paired: q.Paired, Better: q.Better, Verdict: q.Verdict}
		if q.HasRatio {
			qd.Ratio = num(q.Ratio)
		}
		if q.HasCI {
			qd.Low, qd.High = num(q.Low), num(q.High)
		}
		d.Quantities = append(d.Quantities, qd)
	}
	return d
}

func engineDoc(v *Values) EngineDoc {
	val := func(q threshold.Quantity) *float64 {
		x, ok := v.Value(q)
		if !ok {
			return nil
		}
		return num(x)
	}
	d := EngineDoc{Target: v.Target, Engine: string(v.Engine), ThroughputOpsPerSecond: v.Throughput,
		MeanSeconds: val(threshold.Mean), P50Seconds: val(threshold.P50), P95Seconds: val(threshold.P95), P99Seconds: val(threshold.P99),
		P999Seconds: val(threshold.P999), MaxSeconds: val(threshold.Max),
		Answered: v.Requests, Errors: v.Errors, Dropped: v.Dropped, ErrorRate: val(threshold.ErrorRate), DroppedShare: val(threshold.Dropped),
		ErrorClasses: v.ErrorClasses, MeasuredSeconds: v.Seconds}
	if v.Requests+v.Errors+v.Dropped > 0 {
		d.AnsweredShare = num(v.Answered)
	}
	if d.ErrorClasses == nil {
		d.ErrorClasses = map[string]uint64{}
	}
	return d
}

func decisionDoc(v Verdict) DecisionDoc {
	d := DecisionDoc{Kind: string(v.Kind), Faster: v.Faster, Text: v.Text, Evidence: []EvidenceDoc{}}
	if v.Kind == NoDifference {
		d.Within = num(v.Within)
	}
	if v.Kind == Inconclusive && v.NeedSeconds > 0 {
		d.NeedSeconds = num(v.NeedSeconds)
	}
	if v.Kind == Faster || v.Kind == Mixed {
		for _, e := range v.Evidence {
			d.Evidence = append(d.Evidence, EvidenceDoc{Op: e.Op, Quantity: string(e.Quantity), Better: e.Better, Change: e.Change, Low: e.Low, High: e.High})
		}
	}
	return d
}

func targetDoc(t *results.Target) *TargetDoc {
	if t == nil {
		return nil
	}
	return &TargetDoc{Name: t.Name, Engine: string(t.Engine), Version: t.Version}
}

func crossingDocs(xs []Crossing) []CrossingDoc {
	out := []CrossingDoc{}
	for _, x := range xs {
		out = append(out, CrossingDoc{Workload: x.Workload, Op: x.Op, Target: x.Target, Value: x.Value, Low: num(x.Low), High: num(x.High)})
	}
	return out
}

// num is x for JSON: null when it is not a number.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func efficiencyDoc(e Efficiency) *EfficiencyDoc {
	if !e.HasServer() {
		return nil
	}
	d := &EfficiencyDoc{MeasuredOnce: true, Runs: e.Runs(), Engines: []ServerDoc{}, Notes: nonNil(e.Notes())}
	for _, x := range e.Engines {
		if x != nil {
			d.Engines = append(d.Engines, serverDoc(x))
		}
	}
	ratio := func(f func(*results.Efficiency) float64) *float64 {
		a, b := e.Engines[0], e.Engines[1]
		if a == nil || b == nil || f(a) == 0 {
			return nil
		}
		return num(f(b) / f(a))
	}
	d.Ratios = ServerRatiosDoc{
		MemoryPerKey:     ratio(func(x *results.Efficiency) float64 { return x.MemoryPerKey }),
		MemoryPerElement: ratio(func(x *results.Efficiency) float64 { return x.MemoryPerElement }),
		UsedMemory:       ratio(func(x *results.Efficiency) float64 { return x.UsedMemory }),
		RSS:              ratio(func(x *results.Efficiency) float64 { return x.RSS }),
		CPUPerCommand:    ratio(func(x *results.Efficiency) float64 { return x.CPUPerCommand }),
		NetInputPerCmd:   ratio(func(x *results.Efficiency) float64 { return x.NetInPerCommand }),
		NetOutputPerCmd:  ratio(func(x *results.Efficiency) float64 { return x.NetOutPerCommand }),
		KeyspaceHitRatio: ratio(func(x *results.Efficiency) float64 { return x.HitRatio }),
	}
	return d
}

func serverDoc(x *results.Efficiency) ServerDoc {
	d := ServerDoc{Target: x.Target, Engine: string(x.Engine), Version: x.Version, Nodes: x.Nodes,
		PreloadKeys: x.PreloadKeys, PreloadElements: x.PreloadElements,
		MemoryPerKeyBytes: num(x.MemoryPerKey), MemoryPerElementBytes: num(x.MemoryPerElement),
		UsedMemoryBytes: num(x.UsedMemory), RSSBytes: num(x.RSS), UsedMemoryOverRSS: num(x.UsedOverRSS),
		MeasuredSeconds: x.Seconds, Commands: x.Commands, CommandsSource: "total_commands_processed", CPUSeconds: x.CPUSeconds,
		CPUSecondsPerCommand: num(x.CPUPerCommand), NetInputBytesPerCmd: num(x.NetInPerCommand), NetOutputBytesPerCmd: num(x.NetOutPerCommand),
		KeyspaceHits: x.Hits, KeyspaceMisses: x.Misses, KeyspaceHitRatio: num(x.HitRatio)}
	if x.CommandsFromStats {
		d.CommandsSource = "commandstats"
	}
	if x.HasPreload() {
		keys, mem := x.KeysAdded, x.MemoryAdded
		d.KeysAdded, d.MemoryAddedBytes = &keys, &mem
	}
	return d
}

func costDoc(e Efficiency) *CostDoc {
	if !e.HasCost() {
		return nil
	}
	d := &CostDoc{Engines: []EngineCostDoc{}, Ratio: num(e.CostRatio), Note: e.CostNote, OpenLoopNote: e.OpenLoopNote}
	for _, c := range e.Cost {
		if c != nil {
			d.Engines = append(d.Engines, EngineCostDoc{Target: c.Target, PricePerHour: c.PricePerHour, Currency: c.Currency,
				RequestsPerSecond: c.Throughput, CostPerBillionRequests: num(c.PerBillion), RequestsPerUnitOfCost: num(c.PerUnit)})
		}
	}
	return d
}
