package comparison

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/ecbench/ecbench/threshold"
	"github.com/ecbench/ecbench/verdict"
)

// How the decisions are made.
//
// An op is decided on the quantities that matter to a cache's user:
// throughput (closed loop only: under a rate schedule both engines were
// offered the same load, and what they answered of it is shown instead) and
// p99 latency. A quantity whose interval excludes 1 names the better
// engine; one whose interval includes 1 either bounds the difference
// ("no difference beyond ±3.1%": the largest deviation from 1 that its
// interval allows, at most Resolution) or leaves it open (inconclusive).
// An op with a better engine on one quantity and none on the other is that
// engine's; better engines that disagree make the op mixed. An engine that
// fails more than MaxErrorRate of the op's requests, or a generator that
// was the bottleneck, overrides everything: the op's numbers are not the
// workload's.
//
// A workload is decided the same way on all its ops' quantities at once,
// without a combined statistic (its ops are different commands, and
// averaging their ratios would invent a quantity nobody measured): failing
// if any op fails, not trustworthy if the generator was the bottleneck,
// else faster for the one engine that some ops favour (mixed when ops
// favour both), else inconclusive if any quantity is, else no difference
// beyond the largest bound. The overall line counts the workloads of each
// kind.
//
// A decision looks at several intervals, and each of them misses the truth
// 5% of the time: so the intervals a decision rests on are widened to hold
// together with 95% confidence (widen), 2 of them for an op, 2 per op for a
// workload. The lines cite each difference with its own 95% interval, as
// the table shows it.
//
// An inconclusive interval says how long a run would resolve it: an
// interval's half-width on the log scale, h, shrinks about as 1/√T with
// the measured time T, so at this noise and this estimate R the interval
// would either exclude 1 or lie within ±Resolution after
//
//	T' = T · (h / h*)²,   h* = max(|ln R|, ln(1+Resolution) − |ln R|)
//
// which is what "±5% needs ≈ 90 s at this noise" says (per workload, as
// --duration). It is a projection, not a promise: noise that wanders over
// minutes makes longer runs wider than 1/√T predicts.

// Resolution is the difference a run should be able to rule out: an
// interval within ±Resolution of 1 is "no difference", a wider one that
// includes 1 is inconclusive.
const Resolution = 0.05

// decisionQuantities are the quantities an op is decided on.
var decisionQuantities = []threshold.Quantity{threshold.Throughput, threshold.P99}

// Kind is what a decision says.
type Kind string

// The kinds of decisions.
const (
	Faster       Kind = "faster"        // one engine is significantly faster
	Mixed        Kind = "mixed"         // each engine is faster at something
	NoDifference Kind = "no difference" // the intervals rule out more than Within
	Inconclusive Kind = "inconclusive"  // an interval is too wide to tell
	Failing      Kind = "failing"       // an engine failed more than MaxErrorRate of an op's requests
	Untrusted    Kind = "untrusted"     // the load generator was the bottleneck
	OneEngine    Kind = "one engine"    // nothing to compare
)

// Verdict is the decision of an op, a workload or the whole run.
type Verdict struct {
	Kind   Kind
	Faster string // Faster: the faster target
	// Within is, for NoDifference, the largest difference the intervals
	// allow, a fraction (0.031: ±3.1%).
	Within float64
	// NeedSeconds is, for Inconclusive, the measured time per workload
	// projected to resolve the difference (see above); 0 when no interval
	// could be computed at all.
	NeedSeconds float64
	// Evidence are the significant differences behind Faster and Mixed.
	Evidence []Evidence
	Text     string // the decision in words, without the workload
}

// Evidence is one significant difference: Better's value of Quantity
// relative to the other engine's, minus 1, with its interval. Throughput
// +0.082 is 8.2% more ops/s; p99 −0.12 is a p99 12% lower.
type Evidence struct {
	Op                string
	Quantity          threshold.Quantity
	Better            string
	Change, Low, High float64
}

// Decision is the verdict of one workload, or (Workload "") of the run.
type Decision struct {
	Workload string
	Verdict
	// Counts are, for the run, how many workloads got each summary
	// ("valkey faster", "no difference", …), in the order of Line.
	Counts []Count
}

// Count is one kind of workload decision and how many workloads got it.
type Count struct {
	Label string
	N     int
}

// Line is the decision as printed: "kv: valkey faster: …", "overall: …".
func (d Decision) Line() string {
	name := d.Workload
	if name == "" {
		name = "overall"
	}
	return name + ": " + d.Text
}

// opVerdict decides op (see above).
func (c Table) opVerdict(op *Op) Verdict {
	a, b := op.Engines[0], op.Engines[1]
	switch {
	case a == nil || b == nil:
		ran := a
		if ran == nil {
			ran = b
		}
		name := ""
		if ran != nil {
			name = ran.Target
		}
		return Verdict{Kind: OneEngine, Text: "only " + name + " ran it"}
	case !op.Trusted:
		// A generator that fell behind makes failures of its own (its
		// pool exhausted, timeouts counted from intended starts it was
		// late for), so even they do not describe the engine: untrusted
		// first, with the failures named.
		text := "not trustworthy: generator-bound"
		if op.Failure != "" {
			text += " (meanwhile " + op.Failure + ")"
		}
		return Verdict{Kind: Untrusted, Text: text}
	case op.Failure != "":
		return Verdict{Kind: Failing, Text: op.Failure}
	}
	v := c.judge(judgedOf(op))
	switch v.Kind {
	case Faster:
		v.Text = v.Faster + " faster"
	case Mixed:
		v.Text = "mixed: " + mixedText(v.Evidence, false)
	}
	return v
}

// judged is one quantity an op is decided on.
type judged struct {
	op      string
	q       Quantity
	seconds float64 // the op's measured time, for the projection
}

// judgedOf are the decision quantities of op that have a ratio.
func judgedOf(op *Op) []judged {
	var js []judged
	seconds := 0.0
	if a, b := op.Engines[0], op.Engines[1]; a != nil && b != nil {
		seconds = min(a.Seconds, b.Seconds)
	}
	for _, name := range decisionQuantities {
		q := op.Quantity(name)
		if name == threshold.Throughput && op.OpenLoop || !q.HasRatio {
			continue
		}
		js = append(js, judged{op.Op, q, seconds})
	}
	return js
}

// judge decides on js together: their intervals are widened to hold
// simultaneously (see widen), and then a better engine on one with none
// against it is that engine's, and so on (see the comment at the top). The
// Text of Faster and Mixed is left to the caller.
func (c Table) judge(js []judged) Verdict {
	k := 0
	for _, j := range js {
		if j.q.HasCI {
			k++
		}
	}
	v := Verdict{}
	inconclusive := false
	for _, j := range js {
		if !j.q.HasCI {
			inconclusive = true // no projection: the others' still tell how long
			continue
		}
		low, high := widen(j.q, k)
		if better := c.betterOf(j.q.Name, low, high); better != "" {
			v.Evidence = append(v.Evidence, evidence(j.op, j.q, better, c.Candidate.Name))
			continue
		}
		if within := max(high-1, 1-low); within <= Resolution {
			v.Within = max(v.Within, within)
			continue
		}
		inconclusive = true
		v.NeedSeconds = max(v.NeedSeconds, needSeconds(j.q.Ratio, low, high, j.seconds))
	}
	better := winners(v.Evidence)
	switch {
	case len(better) == 1:
		v.Kind, v.Faster, v.Within, v.NeedSeconds = Faster, better[0], 0, 0
	case len(better) > 1:
		v.Kind, v.Within, v.NeedSeconds = Mixed, 0, 0
	case inconclusive:
		v.Kind, v.Within = Inconclusive, 0
		v.Text = inconclusiveText(v.NeedSeconds)
	default:
		v.Kind = NoDifference
		v.Text = "no difference beyond ±" + strconv.FormatFloat(100*v.Within, 'f', 1, 64) + "%"
	}
	return v
}

// widen turns q's 95% interval into one of k that hold at once with 95%
// confidence (Bonferroni: each at 1 − 5%/k). A workload of 7 ops decided
// on 14 intervals would otherwise call identical engines different in
// about half of its runs (1 − 0.95¹⁴ = 51%; 44% measured on synthetic
// runs). The interval is taken as symmetric on the log scale, as the
// verdict package's are, and its half-width scaled by the ratio of the
// Student t quantiles of the two levels, with the interval's own degrees of
// freedom (the batches or bootstrap blocks less one): normal quantiles scale
// too little with few batches (13% of identical 7-op workloads called
// different, measured). An interval without them (none reported) falls back
// on batch.go's rule for moderately correlated intervals: batches of
// max(√n, 15) intervals, 3 to 20 of them.
func widen(q Quantity, k int) (low, high float64) {
	if k <= 1 || !(q.Low > 0) || !(q.High >= q.Low) {
		return q.Low, q.High
	}
	df := q.DF
	if !(df >= 1) {
		n := float64(max(q.Samples, 1))
		df = min(max(math.Floor(n/max(math.Sqrt(n), 15)), 3), 20) - 1
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	alpha := 1 - verdict.Confidence
	centre, half := math.Log(q.Low*q.High)/2, math.Log(q.High/q.Low)/2
	half *= t.Quantile(1-alpha/2/float64(k)) / t.Quantile(1-alpha/2)
	return math.Exp(centre - half), math.Exp(centre + half)
}

// betterOf is the target an interval [low, high] of quantity q's ratio
// candidate/baseline favours, or "" when it includes 1.
func (c Table) betterOf(q threshold.Quantity, low, high float64) string {
	higherIsBetter := q == threshold.Throughput // latencies are better lower
	switch {
	case low > 1 && higherIsBetter, high < 1 && !higherIsBetter:
		return c.Candidate.Name
	case low > 1, high < 1:
		return c.Baseline.Name
	}
	return ""
}

// evidence is q's difference from the better engine's side, with its 95%
// interval (the one the table shows).
func evidence(op string, q Quantity, better, candidate string) Evidence {
	e := Evidence{Op: op, Quantity: q.Name, Better: better}
	if better == candidate {
		e.Change, e.Low, e.High = q.Ratio-1, q.Low-1, q.High-1
	} else {
		e.Change, e.Low, e.High = 1/q.Ratio-1, 1/q.High-1, 1/q.Low-1
	}
	return e
}

// needSeconds projects the measured time that would resolve a ratio and
// its interval (see above); 0 when the run's length is not known.
func needSeconds(ratio, low, high, seconds float64) float64 {
	if !(seconds > 0) || !(low > 0) || !(high > low) {
		return 0
	}
	h := math.Log(high/low) / 2
	lr := math.Abs(math.Log(ratio))
	target := max(lr, math.Log1p(Resolution)-lr)
	return seconds * (h / target) * (h / target)
}

func inconclusiveText(need float64) string {
	res := strconv.FormatFloat(100*Resolution, 'f', -1, 64)
	if need == 0 {
		return "inconclusive: too few intervals for a confidence interval"
	}
	return "inconclusive: ±" + res + "% needs ≈ " + humanSeconds(need) + " at this noise"
}

// humanSeconds rounds a projected run length up to what one would type:
// 90 s, 4 min, 2.5 h.
func humanSeconds(s float64) string {
	switch {
	case s <= 120:
		return strconv.FormatFloat(math.Ceil(s/10)*10, 'f', 0, 64) + " s"
	case s <= 2*3600:
		return strconv.FormatFloat(math.Ceil(s/60), 'f', 0, 64) + " min"
	case s <= 48*3600:
		return strconv.FormatFloat(math.Ceil(s/360)/10, 'f', -1, 64) + " h"
	}
	return strconv.FormatFloat(math.Ceil(s/86400), 'f', 0, 64) + " days"
}

// winners are the better engines of es, in order of first appearance.
func winners(es []Evidence) []string {
	var out []string
	for _, e := range es {
		if !slices.Contains(out, e.Better) {
			out = append(out, e.Better)
		}
	}
	return out
}

// decide makes the workloads' and the overall decisions from the ops'.
func (c *Table) decide() {
	var order []string
	byWorkload := map[string][]*Op{}
	for i := range c.Ops {
		op := &c.Ops[i]
		if _, ok := byWorkload[op.Workload]; !ok {
			order = append(order, op.Workload)
		}
		byWorkload[op.Workload] = append(byWorkload[op.Workload], op)
	}
	c.Workloads = nil
	for _, w := range order {
		v := c.workloadVerdict(w, byWorkload[w])
		if v.Kind == Inconclusive && c.traceEnded[w] {
			// Running longer is not the user's choice here: the trace
			// set the length.
			v.Text += "; the trace's end ended the run: loop it (replay.loop: true) or replay a longer trace"
		}
		c.Workloads = append(c.Workloads, Decision{Workload: w, Verdict: v})
	}
	c.Overall = c.overall()
}

// maxEvidenceOps is how many ops a workload line cites at most; fewer when
// the line would grow past maxWidth.
const maxEvidenceOps = 2

func (c Table) workloadVerdict(workload string, ops []*Op) Verdict {
	var failing []string
	var js []judged
	kinds := map[Kind]int{}
	for _, op := range ops {
		kinds[op.Verdict.Kind]++
		if op.Verdict.Kind == Failing {
			failing = append(failing, op.Failure)
		}
		js = append(js, judgedOf(op)...)
	}
	switch {
	case kinds[OneEngine] > 0:
		return Verdict{Kind: OneEngine, Text: ops[0].Verdict.Text}
	case len(failing) > 0:
		return Verdict{Kind: Failing, Text: strings.Join(failing, "; ")}
	case kinds[Untrusted] > 0:
		return Verdict{Kind: Untrusted, Text: "not trustworthy: the load generator was the bottleneck (see the warnings)"}
	}
	v := c.judge(js)
	switch v.Kind {
	case Faster:
		v.Text = v.Faster + " faster"
		var favoured []string
		for _, e := range v.Evidence {
			if !slices.Contains(favoured, e.Op) {
				favoured = append(favoured, e.Op)
			}
		}
		if len(favoured) < len(ops) {
			v.Text += fmt.Sprintf(" in %d of %d ops", len(favoured), len(ops))
		}
		v.Text += ": "
		v.Text += evidenceText(v.Evidence, len(ops) > 1, maxWidth-len(workload)-2-len([]rune(v.Text)))
	case Mixed:
		v.Text = "mixed: " + mixedText(v.Evidence, true)
	}
	if ops[0].OpenLoop {
		v.Text += c.answeredText(ops)
	}
	return v
}

// answeredText says how much of the offered load each engine answered in
// an open-loop workload, when the shares differ as printed.
func (c Table) answeredText(ops []*Op) string {
	var answered, due [2]float64
	for _, op := range ops {
		for i, e := range op.Engines {
			if e != nil {
				answered[i] += float64(e.Requests)
				due[i] += float64(e.Requests + e.Errors + e.Dropped)
			}
		}
	}
	if due[0] == 0 || due[1] == 0 {
		return ""
	}
	a, b := percent(answered[0]/due[0]), percent(answered[1]/due[1])
	if a == b {
		return ""
	}
	return fmt.Sprintf("; of the offered load %s answered %s, %s %s", c.Baseline.Name, a, c.Candidate.Name, b)
}

// evidenceText cites the evidence of the first ops, at most
// maxEvidenceOps and as many as fit in width runes (the first always):
// "get throughput +8.2% [+5.1, +11.4], p99 -12.0% [-18.0, -6.0]; 3 more ops".
func evidenceText(es []Evidence, withOps bool, width int) string {
	var ops []string
	for _, e := range es {
		if !slices.Contains(ops, e.Op) {
			ops = append(ops, e.Op)
		}
	}
	var parts []string
	for i, op := range ops {
		var qs []string
		for _, e := range es {
			if e.Op == op {
				qs = append(qs, string(e.Quantity)+" "+changeText(e.Change, e.Low, e.High))
			}
		}
		s := strings.Join(qs, ", ")
		if withOps {
			s = op + " " + s
		}
		more := ""
		if rest := len(ops) - i - 1; rest > 0 {
			more = "; " + moreOps(rest)
		}
		if i > 0 && (i == maxEvidenceOps || len([]rune(strings.Join(append(parts, s), "; ")+more)) > width) {
			parts = append(parts, moreOps(len(ops)-i))
			break
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func moreOps(n int) string {
	if n == 1 {
		return "1 more op"
	}
	return strconv.Itoa(n) + " more ops"
}

// mixedText names the ops each engine is better at: "valkey faster in
// get, set; redis faster in incr" (a workload), or "valkey higher
// throughput, redis lower p99" (an op).
func mixedText(es []Evidence, byOp bool) string {
	var parts []string
	for _, w := range winners(es) {
		var names []string
		for _, e := range es {
			if e.Better != w {
				continue
			}
			n := e.Op
			if !byOp {
				n = string(e.Quantity)
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if byOp {
			parts = append(parts, w+" faster in "+strings.Join(names, ", "))
		} else {
			parts = append(parts, w+" better "+strings.Join(names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// changeText writes a change and its interval in percent:
// "+8.2% [+5.1, +11.4]".
func changeText(change, low, high float64) string {
	prec := 1
	if math.Abs(change) >= 1 || math.Abs(high) >= 1 || math.Abs(low) >= 1 {
		prec = 0 // past ±100%, tenths are noise
	}
	return signed(100*change, prec) + "% [" + signed(100*low, prec) + ", " + signed(100*high, prec) + "]"
}

// signed writes x with prec decimals and its sign: +8.2, -12.0, +0.0.
func signed(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

// overall counts the workloads' decisions.
func (c Table) overall() Decision {
	d := Decision{}
	if len(c.Workloads) == 0 {
		d.Kind, d.Text = OneEngine, "no results"
		return d
	}
	labels := map[string]int{}
	var order []string
	kinds := map[Kind]int{}
	var better []string
	for _, w := range c.Workloads {
		kinds[w.Kind]++
		label := string(w.Kind)
		switch w.Kind {
		case Faster:
			label = w.Faster + " faster"
			if !slices.Contains(better, w.Faster) {
				better = append(better, w.Faster)
			}
		case Failing:
			label = c.failingLabel(w.Workload)
		case Untrusted:
			label = "not trustworthy"
		case Mixed:
			for _, e := range w.Evidence {
				if !slices.Contains(better, e.Better) {
					better = append(better, e.Better)
				}
			}
		}
		if labels[label] == 0 {
			order = append(order, label)
		}
		labels[label]++
	}
	// The most frequent first; ties in the order the workloads ran.
	slices.SortStableFunc(order, func(a, b string) int { return labels[b] - labels[a] })
	var parts []string
	for i, l := range order {
		d.Counts = append(d.Counts, Count{Label: l, N: labels[l]})
		if i == 0 {
			unit := "workloads"
			if len(c.Workloads) == 1 {
				unit = "workload"
			}
			parts = append(parts, fmt.Sprintf("%s in %d of %d %s", l, labels[l], len(c.Workloads), unit))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s in %d", l, labels[l]))
	}
	d.Text = strings.Join(parts, "; ")
	switch {
	case kinds[Failing] > 0:
		d.Kind = Failing
	case kinds[OneEngine] == len(c.Workloads):
		d.Kind = OneEngine
	case len(better) == 1 && kinds[Mixed] == 0:
		d.Kind, d.Faster = Faster, better[0]
	case len(better) > 1:
		d.Kind = Mixed
	case kinds[Untrusted] > 0:
		d.Kind = Untrusted
	case kinds[Inconclusive] > 0:
		d.Kind = Inconclusive
	default:
		d.Kind = NoDifference
	}
	return d
}

// failingLabel names who failed in workload: "redis failing", "redis and
// valkey failing".
func (c Table) failingLabel(workload string) string {
	var names []string
	for _, op := range c.Ops {
		if op.Workload != workload || op.Failure == "" {
			continue
		}
		for _, e := range op.Engines {
			if e != nil && e.ErrorRate > MaxErrorRate && !slices.Contains(names, e.Target) {
				names = append(names, e.Target)
			}
		}
	}
	return strings.Join(names, " and ") + " failing"
}
