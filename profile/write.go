package profile

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/ecbench/ecbench/cmd/ecbench/config"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// placeholderTargets are the targets of the config written: the quick
// start's local engines. The profiled server is never one: the workloads
// write.
var placeholderTargets = []struct{ name, addr string }{{"redis", "127.0.0.1:6379"}, {"valkey", "127.0.0.1:6380"}}

// fallbackRate is the rate of the workload written when no call of any op
// was measured: something to start from, said so.
const fallbackRate = 1000

// Write writes p as a workload config that ecbench check, run and bench
// load as it is: the two quick-start targets, one workload per kind of
// keys that had calls (Workloads), and comments saying what was measured,
// over what sample and window, on which server, and what could not be
// reproduced.
func Write(w io.Writer, p *Profile) error {
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: header(p)}
	root := mapping(false)
	doc.Content = []*yaml.Node{root}

	targets := &yaml.Node{Kind: yaml.SequenceNode}
	for _, t := range placeholderTargets {
		targets.Content = append(targets.Content, mapping(true, "name", str(t.name), "addrs", seq(true, str(t.addr))))
	}
	addPair(root, "targets", targets,
		"The servers to compare: the quick start's (scripts/run-local.sh). Point them at",
		"test servers, never at the profiled one: these workloads write, and preload",
		"keys.count keys first.")

	workloads := &yaml.Node{Kind: yaml.SequenceNode}
	ws := p.Workloads()
	for i := range ws {
		workloads.Content = append(workloads.Content, workloadNode(p, &ws[i]))
	}
	if len(ws) == 0 {
		n := mapping(false, "name", str("kv"), "type", str("kv"),
			"rate", mapping(true, "type", str("constant"), "rate", number(fallbackRate)))
		n.HeadComment = "No call of any ecbench op was measured: a default kv workload (get 80, set 20)\n" +
			"at " + strconv.Itoa(fallbackRate) + " requests/s, to replace."
		workloads.Content = append(workloads.Content, n)
	}
	addPair(root, "workloads", workloads)

	if err := fitMemory(doc, root); err != nil {
		return err
	}
	b, err := encode(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write workload config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write workload config: %w", err)
	}
	return buf.Bytes(), nil
}

// fitMemory makes the config one that loads: when the generator's worst
// case under it (config's budget: the largest sampled sizes in buffers,
// preloads and requests in flight) is over the default limits.max_memory,
// it raises the limit to what the worst case needs, and says why. The
// config is loaded as check loads it, without the environment.
func fitMemory(doc, root *yaml.Node) error {
	load := func(maxMemory int64) (*config.Config, error) {
		b, err := encode(doc)
		if err != nil {
			return nil, err
		}
		var tree map[string]any
		if err := yaml.Unmarshal(b, &tree); err != nil {
			return nil, fmt.Errorf("write workload config: %w", err)
		}
		tree = stringKeys(tree).(map[string]any)
		if maxMemory > 0 {
			tree["limits"] = map[string]any{"max_memory": maxMemory}
		}
		return config.LoadTree(tree, nil, nil)
	}
	if _, err := load(0); err == nil {
		return nil
	}
	cfg, err := load(maxMemory)
	if err != nil {
		return fmt.Errorf("profile: the workload config written does not load: %w", err)
	}
	// What the budget's checks need: every runner alone, and what is held
	// before any open-loop request plus the largest request beside it.
	b := cfg.Budget()
	need := int64(config.DefaultMaxMemory)
	var largest int64
	for _, r := range b.Runners {
		need = max(need, r.InFlight())
		largest = max(largest, r.RequestBytes)
	}
	need = max(need, b.Fixed+b.ClosedLoop+largest)
	need = (need + 1<<20 - 1) &^ (1<<20 - 1) // whole MiB
	if need > maxMemory {
		return fmt.Errorf("profile: the sampled sizes need %s of generator memory, more than limits.max_memory allows (%s)", bytesText(float64(need)), bytesText(maxMemory))
	}
	addPair(root, "limits", mapping(true, "max_memory", str(strconv.FormatInt(need>>20, 10)+"MiB")),
		fmt.Sprintf("Raised from the default %s: with the largest sampled sizes the generator's worst case", bytesText(float64(config.DefaultMaxMemory))),
		"(value buffers, preloads, requests in flight; ecbench check prints it) needs this much.")
	if _, err := load(0); err != nil {
		return fmt.Errorf("profile: the workload config written does not load: %w", err)
	}
	return nil
}

// maxMemory is the largest limits.max_memory config accepts.
const maxMemory = 1 << 40

// stringKeys turns the mappings yaml.v3 decodes with integer keys (a size
// table's) into mappings keyed by their text, as config reads a file.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = stringKeys(x)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = stringKeys(x)
		}
		return m
	case []any:
		for i, x := range v {
			v[i] = stringKeys(x)
		}
	}
	return v
}

// header is the comment above everything: what was profiled, how, and
// what it measured, once (one window: no interval is shown).
func header(p *Profile) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	primaries := "1 primary"
	if len(p.Nodes) != 1 {
		primaries = fmt.Sprintf("%d primaries", len(p.Nodes))
	}
	line("Workload config written by ecbench profile from %s (%s %s, %s, %s),",
		strings.Join(p.Options.Target.Addrs, ","), p.Engine, p.Version, orDash(p.Mode), primaries)
	line("measured from %s to %s (%.1f s), read-only, at most %s commands/s.",
		p.Start.UTC().Format("2006-01-02T15:04:05Z"), p.End.UTC().Format("15:04:05Z"), p.Window.Seconds(), thousands(p.Options.MaxRate))
	line("Every figure is one measurement over that window.")
	line("")
	total := p.CallsTotal()
	line("Requests: %s commands/s (total_commands_processed; the profiler's own %s/s left out).", thousands(p.Rate()), thousands(p.OwnRate()))
	mapped := uint64(0)
	for _, w := range p.Workloads() {
		mapped += w.Calls
	}
	line("Calls: %s over the window (commandstats); the workloads below reproduce %s of them.", thousands(float64(total)), pct(mapped, total))
	if un := p.Unreproduced(); len(un) > 0 {
		var calls uint64
		names := make([]string, 0, 8)
		for i, u := range un {
			calls += u.Calls
			if i < 8 {
				names = append(names, strings.ToUpper(u.Command))
			}
		}
		more := ""
		if len(un) > len(names) {
			more = fmt.Sprintf(" and %d more", len(un)-len(names))
		}
		line("Not reproduced: %s of calls: %s%s.", pct(calls, total), strings.Join(names, ", "), more)
	}
	if calls, names := p.AdminCalls(); calls > 0 {
		upper := make([]string, len(names))
		for i, n := range names {
			upper[i] = strings.ToUpper(n)
		}
		line("Connection and server commands, left out of the mix: %s of calls (%s).", pct(calls, total), strings.Join(upper, ", "))
	}
	if reads := p.Hits + p.Misses; reads > 0 {
		line("Keyspace hits: %s of %s reads (the profiler's own reads included).", pct(p.Hits, reads), thousands(float64(reads)))
	}
	short := ""
	if asked := min(uint64(p.Options.Sample), p.Keys); uint64(p.Sampled) < asked && !p.Interrupted {
		short = fmt.Sprintf(" (of %s asked: no more within the window at the rate cap)", thousands(float64(asked)))
	}
	line("Keys: %s in db %d (%s with a TTL); %s sampled%s by SCAN, TYPE, PTTL and their lengths.",
		thousands(float64(p.Keys)), p.db(), thousands(float64(p.Expires)), thousands(float64(p.Sampled)), short)
	if p.Sampled > 0 {
		line("Types of the sampled keys: %s.", p.typeShares())
		line("%s", p.ttlLine())
		if m := p.memoryLine(); m != "" {
			line("%s", m)
		}
		line("")
		line("Key families (prefix up to %q), by share of the sampled keys:", p.Options.Delimiter)
		for _, f := range p.Families[:min(len(p.Families), p.Options.Families)] {
			line("  %s", familyLine(f, p.Sampled))
		}
		if rest := len(p.Families) - p.Options.Families; rest > 0 {
			line("  … and %d more", rest)
		}
	}
	for _, n := range p.Notes {
		line("Note: %s.", strings.TrimSuffix(n, "."))
	}
	line("")
	line("Not measurable read-only, left at ecbench's defaults: which keys are hot (keys are")
	line("uniform; try zipfian), pipelining (1), mget's batch (10), range reads' length (10).")
	if d := p.dataSize(); d > 0 {
		line("Preloading writes about %s on each target (keys.count × the mean size):", bytesText(d))
		line("lower keys.count to fit smaller test servers.")
	}
	return strings.TrimRight(b.String(), "\n")
}

// workloadNode is one workload and the comment that says where it comes
// from.
func workloadNode(p *Profile, w *Workload) *yaml.Node {
	name := string(w.Kind)
	weights := w.Weights()
	ops := mapping(true)
	for _, op := range workload.OpNamesFor(w.Kind) { // canonical order
		if wt, ok := weights[op]; ok {
			ops.Content = append(ops.Content, str(op), number(float64(wt)))
		}
	}
	n := mapping(false, "name", str(name), "type", str(name))
	n.HeadComment = workloadComment(p, w)

	keys := mapping(true, "count", number(float64(w.Keys)))
	addPair(n, "keys", keys, keysComment(p, w))
	sizes := mapping(true)
	for _, b := range w.Sizes {
		sizes.Content = append(sizes.Content, number(float64(b.Size)), number(float64(b.Count)))
	}
	if w.Kind == workload.KindKV {
		if len(w.Sizes) > 0 {
			addPair(n, "values", mapping(true, "sizes", sizes), sizesComment("sizes", "STRLEN of the sampled strings", w.Sample.Lengths, len(w.Sizes)))
		} else {
			addPair(n, "values", mapping(true, "size", number(32)), "No string was sampled: ecbench's default size.")
		}
	} else {
		elements := mapping(true, "count", number(float64(w.Elements)))
		var comment []string
		if w.Sample != nil && len(w.Sample.Lengths) > 0 {
			comment = append(comment, fmt.Sprintf("count: the mean of %s sampled %s (p50 %s, p99 %s, max %s).",
				thousands(float64(len(w.Sample.Lengths))), plural(typeOfKind(w.Kind)), thousands(float64(quantile(sortedInts(w.Sample.Lengths), 0.5))),
				thousands(float64(quantile(sortedInts(w.Sample.Lengths), 0.99))), thousands(float64(quantile(sortedInts(w.Sample.Lengths), 1)))))
		} else {
			comment = append(comment, "No key of this type was sampled: ecbench's default element count and size.")
		}
		if len(w.Sizes) > 0 {
			elements.Content = append(elements.Content, str("sizes"), sizes)
			comment = append(comment, sizesComment("sizes", elementWhat(w.Kind), w.Sample.Elements, len(w.Sizes)))
		} else {
			elements.Content = append(elements.Content, str("size"), number(32))
		}
		addPair(n, "elements", elements, comment...)
	}
	addPair(n, "ops", ops, opsComment(w))
	if _, ok := weights["set_ttl"]; ok {
		addPair(n, "ttl", str(w.TTL.String()), fmt.Sprintf("set_ttl's: twice the median remaining TTL of the %s sampled strings with one.", thousands(float64(len(w.Sample.TTLs)))))
	}
	addPair(n, "preload", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	addPair(n, "rate", mapping(true, "type", str("constant"), "rate", number(roundRate(w.Rate))),
		"The measured rate of its calls, open loop; each request is one command (pipeline 1).")
	return n
}

func workloadComment(p *Profile, w *Workload) string {
	total := p.CallsTotal()
	parts := make([]string, 0, len(w.Commands))
	for _, c := range slices.SortedFunc(maps.Keys(w.Commands), func(a, b string) int {
		return cmpDesc(w.Commands[a], w.Commands[b], a, b)
	}) {
		parts = append(parts, fmt.Sprintf("%s %s", strings.ToUpper(c), pct(w.Commands[c], total)))
	}
	return fmt.Sprintf("%s: %s of the calls, %s/s: %s.", w.Kind, pct(w.Calls, total), thousands(w.Rate), strings.Join(parts, ", "))
}

func keysComment(p *Profile, w *Workload) string {
	if w.KeysGuessed {
		return fmt.Sprintf("No key of type %s was sampled: %s keys, a guess.", typeOfKind(w.Kind), thousands(float64(w.Keys)))
	}
	return fmt.Sprintf("%s%% of the sampled keys are %s: that share of the %s keys.",
		strconv.FormatFloat(100*float64(w.Sample.Keys)/float64(p.Sampled), 'f', 1, 64), plural(typeOfKind(w.Kind)), thousands(float64(p.Keys)))
}

func opsComment(w *Workload) string {
	c := fmt.Sprintf("Weights: the share of each op's calls, in 1/%s.", thousands(weightScale))
	if w.Kind == workload.KindKV && w.Ops["set_ttl"] > 0 && w.TTLShare > 0 {
		c += fmt.Sprintf(" SETs are split into set and set_ttl by the %.1f%% of sampled strings with a TTL.", 100*w.TTLShare)
	}
	return c
}

// plural names keys of a Redis type in a sentence.
func plural(typ string) string {
	switch typ {
	case "hash":
		return "hashes"
	case "zset":
		return "sorted sets"
	}
	return typ + "s"
}

func elementWhat(k workload.Kind) string {
	n := strconv.Itoa(elementSample)
	switch k {
	case workload.KindList:
		return "the first " + n + " items (LRANGE) of each sampled list"
	case workload.KindHash:
		return n + " random field values (HRANDFIELD) of each sampled hash"
	case workload.KindSet:
		return n + " random members (SRANDMEMBER) of each sampled set"
	}
	return "the first " + n + " members (ZRANGE) of each sampled sorted set"
}

// sizesComment says what a size table was measured from.
func sizesComment(field, what string, sizes []int, buckets int) string {
	sorted := sortedInts(sizes)
	how := "exact sizes"
	if buckets == 1 {
		how = "exact size"
	}
	if len(distinctInts(sorted)) > buckets {
		how = "log-spaced buckets, each at its mean"
	}
	return fmt.Sprintf("%s: %s sizes, %s, as %d %s weighted by count;\nmean %s, p50 %s, p99 %s, max %s.",
		field, thousands(float64(len(sizes))), what, buckets, how,
		bytesText(mean(sizes)), bytesText(float64(quantile(sorted, 0.5))), bytesText(float64(quantile(sorted, 0.99))), bytesText(float64(quantile(sorted, 1))))
}

// db is the database profiled.
func (p *Profile) db() int {
	if p.Mode == "cluster" {
		return 0
	}
	return p.Options.Target.DB
}

func (p *Profile) typeShares() string {
	names := slices.SortedFunc(maps.Keys(p.Types), func(a, b string) int {
		return cmpDesc(uint64(p.Types[a].Keys), uint64(p.Types[b].Keys), a, b)
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + pct(uint64(p.Types[n].Keys), uint64(p.Sampled))
	}
	return strings.Join(parts, ", ")
}

func (p *Profile) ttlLine() string {
	var ttls []int
	with := 0
	for _, t := range p.Types {
		with += t.WithTTL
		for _, d := range t.TTLs {
			ttls = append(ttls, int(d.Milliseconds()))
		}
	}
	if with == 0 {
		return "TTL: no sampled key has one."
	}
	s := sortedInts(ttls)
	ms := func(q float64) string { return roundTTL(msDuration(quantile(s, q))).String() }
	return fmt.Sprintf("TTL: %s of the sampled keys have one; remaining p10 %s, p50 %s, p90 %s, max %s.",
		pct(uint64(with), uint64(p.Sampled)), ms(0.1), ms(0.5), ms(0.9), ms(1))
}

func (p *Profile) memoryLine() string {
	var parts []string
	n := 0
	for _, name := range slices.Sorted(maps.Keys(p.Types)) {
		if m := p.Types[name].Memory; len(m) > 0 {
			n += len(m)
			parts = append(parts, name+" "+bytesText(mean(m)))
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("Memory per key (MEMORY USAGE of %s keys): %s.", thousands(float64(n)), strings.Join(parts, ", "))
}

func familyLine(f *Family, sampled int) string {
	types := slices.SortedFunc(maps.Keys(f.Types), func(a, b string) int {
		return cmpDesc(uint64(f.Types[a]), uint64(f.Types[b]), a, b)
	})
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = t + " " + pct(uint64(f.Types[t]), uint64(f.Keys))
	}
	return fmt.Sprintf("%-24s %6s  %s; TTL %s; about %s a key", printable(f.Prefix), pct(uint64(f.Keys), uint64(sampled)),
		strings.Join(parts, ", "), pct(uint64(f.WithTTL), uint64(f.Keys)), bytesText(f.Bytes/float64(f.Keys)))
}

// dataSize is about what preloading the workloads writes per target.
func (p *Profile) dataSize() float64 {
	total := 0.0
	for _, w := range p.Workloads() {
		size := 32.0
		var sizes []int
		if w.Sample != nil {
			sizes = w.Sample.Lengths
			if w.Kind != workload.KindKV {
				sizes = w.Sample.Elements
			}
		}
		if len(sizes) > 0 {
			size = mean(sizes)
		}
		if w.Kind != workload.KindKV {
			size *= float64(w.Elements)
		}
		total += float64(w.Keys) * size
	}
	return total
}

// YAML nodes.

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func number(f float64) *yaml.Node {
	if f == float64(int64(f)) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(int64(f), 10)}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(f, 'f', -1, 64)}
}

func seq(flow bool, items ...*yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Content: items}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

// mapping builds a mapping of alternating keys (strings) and values.
func mapping(flow bool, kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

// addPair appends key: value to the mapping m, with comment lines above.
func addPair(m *yaml.Node, key string, value *yaml.Node, comment ...string) {
	k := str(key)
	k.HeadComment = strings.Join(comment, "\n")
	m.Content = append(m.Content, k, value)
}

// Text.

func cmpDesc(a, b uint64, an, bn string) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return strings.Compare(an, bn)
}

// pct writes n/of as a percentage with one decimal.
func pct(n, of uint64) string {
	if of == 0 {
		return "0%"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
}

// thousands writes x with thousands separators, with one decimal below
// 100 and none above.
func thousands(x float64) string {
	if x < 100 && x != float64(int64(x)) {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(x+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// bytesText writes a size in B, KiB, MiB or GiB.
func bytesText(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(b, 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(b, 'f', 1, 64) + " " + units[i]
}

// roundRate keeps a rate to 0.1 request/s, at least 0.1.
func roundRate(r float64) float64 {
	return max(float64(int64(r*10+0.5))/10, 0.1)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable writes a key prefix as it is, or quoted when it holds what a
// comment should not (control characters, invalid UTF-8).
func printable(s string) string {
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func msDuration(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

func sortedInts(xs []int) []int { return slices.Sorted(slices.Values(xs)) }

func distinctInts(sorted []int) []int { return slices.Compact(slices.Clone(sorted)) }
