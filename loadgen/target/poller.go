package target

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultInfoInterval is how often Monitor reads INFO when
// Options.InfoInterval is zero.
const DefaultInfoInterval = 5 * time.Second

// topologySections are the INFO sections every poll reads: the target's
// identity (Info) and each node's status (NodeStatus).
var topologySections = []string{"server", "replication"}

var sectionRE = regexp.MustCompile(`^[a-z]{1,32}$`)

// InfoPoll is one read of INFO from one node of a target.
type InfoPoll struct {
	Target string
	// Node is the node's address, host:port, for logs: a cluster's nodes
	// come and go, so it is not a label value as it is.
	Node string
	At   time.Time // when the answer came, or the poll failed
	// Sections holds the fields of each section read, by the name it was
	// asked by ("memory"); nil when Err is set.
	Sections map[string]InfoFields
	Err      error
}

// Primary reports whether the node answered as a primary.
func (p InfoPoll) Primary() bool {
	return p.Err == nil && role(p.Sections["replication"]["role"]) == RolePrimary
}

// InfoSink takes each node's INFO as Monitor polls it, from Monitor's
// goroutine, in order. A poll that reached no node at all (a cluster whose
// topology could not be loaded) comes as one InfoPoll with Err set and no
// Node. It must not block for long.
type InfoSink func(InfoPoll)

// infoWatch is what the poller reads beside the topology, and who gets it.
type infoWatch struct {
	mu       sync.Mutex
	sections []string // topologySections first, then the others in the order added, once each
	sinks    []InfoSink
}

// WatchInfo makes the target's one INFO poller read sections as well (INFO
// server and replication are always read) and hand every poll of every node
// to sink: one place reads INFO per target, on Monitor's schedule (every
// Options.InfoInterval, and at once after Recheck), on connections of its
// own. A section name is lower-case letters, as INFO takes it ("memory",
// "stats", "commandstats"). It may be called while Monitor runs; polls from
// then on include the sections.
func (t *Target) WatchInfo(sink InfoSink, sections ...string) error {
	for _, s := range sections {
		if !sectionRE.MatchString(s) {
			return fmt.Errorf("%w: target %q: info section %q: must be 1 to 32 lower-case letters, e.g. \"memory\"",
				ErrInvalidOptions, t.opts.Name, s)
		}
	}
	w := &t.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.sections) == 0 {
		w.sections = slices.Clone(topologySections)
	}
	for _, s := range sections {
		if !slices.Contains(w.sections, s) {
			w.sections = append(w.sections, s)
		}
	}
	if sink != nil {
		w.sinks = append(w.sinks, sink)
	}
	return nil
}

// watched returns the sections to read and the sinks, as of now. Callers
// must not modify them.
func (w *infoWatch) watched() ([]string, []InfoSink) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.sections) == 0 {
		return topologySections, w.sinks
	}
	return w.sections, w.sinks
}

// PollInfo reads the watched INFO sections from every node of the target
// now, on the poller's own connections, and returns one InfoPoll per node,
// sorted by address. In cluster mode it asks every primary and replica at
// once; err is set when no primary answered (the first error), while a
// node that did not answer only has its InfoPoll.Err. It neither stores
// what it read nor calls the sinks: Monitor's polls do.
func (t *Target) PollInfo(ctx context.Context) ([]InfoPoll, error) {
	sections, _ := t.watch.watched()
	switch c := t.infoClient.(type) {
	case *redis.Client:
		p := pollNode(ctx, t.opts.Name, c, sections)
		return []InfoPoll{p}, p.Err
	case *redis.ClusterClient:
		return pollCluster(ctx, t.opts.Name, c, sections)
	default:
		return nil, fmt.Errorf("unsupported client %T", c)
	}
}

// pollNode reads sections from one node. Each section is a command of its
// own in one pipeline: Redis < 7 rejects INFO with several sections.
func pollNode(ctx context.Context, target string, c *redis.Client, sections []string) InfoPoll {
	p := InfoPoll{Target: target, Node: c.Options().Addr}
	pipe := c.Pipeline()
	cmds := make([]*redis.StringCmd, len(sections))
	for i, s := range sections {
		cmds[i] = pipe.Info(ctx, s)
	}
	_, err := pipe.Exec(ctx)
	p.At = time.Now()
	if err != nil {
		p.Err = err
		return p
	}
	p.Sections = make(map[string]InfoFields, len(sections))
	for i, s := range sections {
		p.Sections[s] = ParseInfoFields(cmds[i].Val())
	}
	return p
}

// pollCluster polls every node the cluster client knows, at once.
func pollCluster(ctx context.Context, target string, c *redis.ClusterClient, sections []string) ([]InfoPoll, error) {
	var (
		mu    sync.Mutex
		polls []InfoPoll
	)
	err := c.ForEachShard(ctx, func(ctx context.Context, node *redis.Client) error {
		p := pollNode(ctx, target, node, sections)
		mu.Lock()
		polls = append(polls, p)
		mu.Unlock()
		return nil // another node may answer
	})
	if err != nil { // loading the cluster topology failed
		return nil, err
	}
	slices.SortFunc(polls, func(a, b InfoPoll) int { return cmp.Compare(a.Node, b.Node) })
	var firstErr error
	for _, p := range polls {
		if p.Primary() {
			return polls, nil
		}
		if firstErr == nil {
			firstErr = p.Err
		}
	}
	if firstErr == nil {
		firstErr = ErrNoPrimary
	}
	return polls, firstErr
}

// identity returns the target's Info from polls: the first primary's (the
// node's own in standalone mode, whatever its role).
func identity(polls []InfoPoll) (Info, bool) {
	for _, p := range polls {
		if p.Err == nil && (len(polls) == 1 || p.Primary()) {
			return mergedFields(p).Info(), true
		}
	}
	return Info{}, false
}

// mergedFields puts a poll's topology sections together, as one INFO
// server + replication reply reads.
func mergedFields(p InfoPoll) InfoFields {
	f := make(InfoFields, len(p.Sections["server"])+len(p.Sections["replication"]))
	for _, s := range topologySections {
		for k, v := range p.Sections[s] {
			if _, seen := f[k]; !seen {
				f[k] = v
			}
		}
	}
	return f
}
