package profile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrNotAllowed is returned, wrapped with the command's name, for a
// command outside the allow-list: it is never sent.
var ErrNotAllowed = errors.New("not in the profiler's read-only allow-list")

// allowed is every command the profiler sends, as INFO commandstats names
// them ("memory|usage"). Each only reads, and each costs the server O(1)
// or O(the small count it is given): no KEYS, MONITOR, FLUSH*, CONFIG,
// DEBUG nor any write. guard enforces it on every command the clients
// send, go-redis's own (CLUSTER SLOTS when it learns a cluster's map)
// included.
var allowed = map[string]string{
	"info":          "commandstats, stats, keyspace, server and replication, at the start and the end",
	"ping":          "once per primary, to connect",
	"scan":          "with COUNT, to walk each primary's keys",
	"type":          "of each sampled key",
	"pttl":          "of each sampled key",
	"memory|usage":  "of one sampled key in every memoryEvery",
	"strlen":        "of each sampled string",
	"llen":          "of each sampled list",
	"hlen":          "of each sampled hash",
	"scard":         "of each sampled set",
	"zcard":         "of each sampled sorted set",
	"lrange":        "0 to elementSample-1 of each sampled list",
	"hrandfield":    "elementSample fields with their values of each sampled hash",
	"srandmember":   "elementSample members of each sampled set",
	"zrange":        "0 to elementSample-1 of each sampled sorted set",
	"cluster|slots": "go-redis, to find a cluster's primaries",
	// What go-redis sends to open a connection: it changes nothing but
	// the connection.
	"hello":  "go-redis, to open a connection (RESP2)",
	"auth":   "go-redis, to open a connection, when HELLO is refused",
	"select": "go-redis, to open a connection to a database other than 0",
}

// AllowList returns every command the profiler may send, as commandstats
// names them, sorted.
func AllowList() []string { return slices.Sorted(maps.Keys(allowed)) }

// containers are the commands whose first argument is a subcommand, which
// commandstats names "memory|usage".
var containers = map[string]bool{
	"acl": true, "client": true, "cluster": true, "command": true, "config": true, "function": true,
	"latency": true, "memory": true, "module": true, "object": true, "pubsub": true, "script": true,
	"slowlog": true, "xinfo": true, "xgroup": true,
}

// commandName is a command's name as commandstats writes it: lower case,
// and "name|subcommand" for container commands.
func commandName(cmd redis.Cmder) string {
	args := cmd.Args()
	if len(args) == 0 {
		return ""
	}
	name := strings.ToLower(fmt.Sprint(args[0]))
	if containers[name] && len(args) > 1 {
		name += "|" + strings.ToLower(fmt.Sprint(args[1]))
	}
	return name
}

// guard is the hook every client of the profiler goes through: a command
// outside the allow-list fails before it is sent, every other one waits
// for the rate limiter and is counted, so that the profiler's own calls
// can be taken out of the server's counters.
type guard struct {
	limiter *limiter
	counts  *counter
}

var _ redis.Hook = guard{}

func (guard) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (g guard) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := g.admit(ctx, []redis.Cmder{cmd}); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (g guard) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := g.admit(ctx, cmds); err != nil {
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		return next(ctx, cmds)
	}
}

// admit checks every command of a request against the allow-list, then
// waits for the limiter's leave to send them all and counts them.
func (g guard) admit(ctx context.Context, cmds []redis.Cmder) error {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = commandName(c)
		if _, ok := allowed[names[i]]; !ok {
			return fmt.Errorf("profile: %s: %w", strings.ToUpper(names[i]), ErrNotAllowed)
		}
	}
	if err := g.limiter.wait(ctx, len(cmds)); err != nil {
		return err
	}
	g.counts.add(names)
	return nil
}

// counter counts the commands sent, by name.
type counter struct {
	mu sync.Mutex
	n  map[string]uint64
}

func newCounter() *counter { return &counter{n: map[string]uint64{}} }

func (c *counter) add(names []string) {
	c.mu.Lock()
	for _, n := range names {
		c.n[n]++
	}
	c.mu.Unlock()
}

// snapshot returns a copy of the counts.
func (c *counter) snapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}
