package workload_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/resp"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// writeRecorder keeps what a go-redis client writes on its connections.
type writeRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *writeRecorder) take() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := bytes.Clone(w.buf.Bytes())
	w.buf.Reset()
	return b
}

type recordedConn struct {
	net.Conn
	rec *writeRecorder
}

func (c recordedConn) Write(b []byte) (int, error) {
	c.rec.mu.Lock()
	c.rec.buf.Write(b)
	c.rec.mu.Unlock()
	return c.Conn.Write(b)
}

// recordingClient is a client of addr with the target's options that
// matter here (RESP2, no retries) on one connection, whose writes rec
// keeps. It has connected (and done its handshake) when it is returned.
func recordingClient(t *testing.T, addr string) (*redis.Client, *writeRecorder) {
	t.Helper()
	rec := &writeRecorder{}
	c := redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 2, MaxRetries: -1, PoolSize: 1, PipelinePoolSize: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return recordedConn{Conn: nc, rec: rec}, nil
		},
	})
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	rec.take()
	return c, rec
}

// rawConn is a plain connection to addr for the raw path (database 0, no
// password: no handshake needed).
func rawConn(t *testing.T, addr string) *resp.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return resp.NewConn(nc, 0, 5*time.Second, 5*time.Second)
}

// rawIssue writes cmd (replies replies) on c and returns the outcome of
// its first reply, reading the others as the runner does.
func rawIssue(t *testing.T, c *resp.Conn, op workload.RawOp, cmd []byte, replies int) (result.Outcome, result.Class) {
	t.Helper()
	if err := c.ArmDeadlines(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(cmd); err != nil {
		t.Fatal(err)
	}
	var first, rep resp.Reply
	for i := range replies {
		if err := c.ReadReply(&rep); err != nil {
			t.Fatalf("reply %d of %d: %v", i+1, replies, err)
		}
		if i == 0 {
			first = rep
		}
	}
	return workload.RawOutcome(op, &first)
}

// rawCase is one op built as config builds it, over one key.
type rawCase struct {
	name string // the op's name, or a variant of it
	kind workload.Kind
	op   workload.Op
}

// rawCases is every op of the registry (set_ttl twice: its EX and its PX
// forms).
func rawCases(t *testing.T) []rawCase {
	var cases []rawCase
	for _, k := range workload.Kinds() {
		for _, name := range workload.OpNamesFor(k) {
			p := workload.OpParams{TTL: 30 * time.Second, MGetBatch: 3, Structure: rawStructure(k)}
			op, err := workload.NewOp(k, name, p)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, rawCase{name: name, kind: k, op: op})
			if name == "set_ttl" {
				p.TTL = 1500 * time.Millisecond
				op, _ := workload.NewOp(k, name, p)
				cases = append(cases, rawCase{name: name + " px", kind: k, op: op})
			}
		}
	}
	return cases
}

func rawStructure(k workload.Kind) workload.Structure {
	if k == workload.KindKV {
		return workload.Structure{}
	}
	return workload.Structure{Kind: k, Elements: 4, ElementSize: 8, RangeLen: 2}
}

// What each op gets in each state, when not what it gets when the key
// holds its data (always ok).
var (
	// writes never miss, and are refused at maxmemory (their commands are
	// flagged denyoom).
	rawWrites = []string{"set", "set_ttl", "set_ttl px", "incr", "lpush", "rpush", "hset", "hincrby", "sadd", "zadd", "zincrby"}
	// These do not fail on a key of another type: SET overwrites it, MGET
	// reads it as nil, DEL deletes it.
	rawAnyType = map[string]result.Outcome{"set": result.OK, "set_ttl": result.OK, "set_ttl px": result.OK, "mget": result.Miss, "del": result.OK}
)

// TestRawOpsMatchGoRedis sends every op of the registry on both engines
// by go-redis (Issue, Outcome) and by the raw path (AppendRaw,
// RawOutcome) in four states of its key: holding its data (a hit),
// missing (a miss), holding another type (WRONGTYPE) and with the server
// out of memory (OOM, maxmemory 1 byte, noeviction). Both paths must give
// the same outcome and class, the ones expected of the state, and the
// raw path must write the very bytes go-redis writes.
func TestRawOpsMatchGoRedis(t *testing.T) {
	t.Parallel()
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			admin := srv.Client()
			goRedis, written := recordingClient(t, srv.Addr)
			raw := rawConn(t, srv.Addr)
			ctx := context.Background()
			for _, tc := range rawCases(t) {
				t.Run(tc.name, func(t *testing.T) {
					w := &workload.Workload{
						Name: tc.name, Ops: []workload.Weighted{{Op: tc.op, Weight: 1}},
						Keys:      workload.Keys{Prefix: "raw:", Count: 1},
						Values:    workload.Values{Min: 16, Max: 16},
						Structure: rawStructure(tc.kind), Pipeline: 1, Seed: 3,
					}
					rops := workload.RawOps(w)
					if rops == nil {
						t.Fatalf("op %s does not implement RawOp", tc.name)
					}
					var req workload.Request
					newStream(t, w).Next(&req)
					args := &req.Cmds[0].Args
					cmd, replies := rops[0].AppendRaw(nil, args)

					states := []struct {
						name    string
						setup   func() error
						outcome result.Outcome
						class   result.Class
					}{
						{"hit", func() error { return w.Preload(ctx, admin, nil) }, result.OK, result.ClassNone},
						{"miss", func() error { return nil }, result.Miss, result.ClassNone},
						{"wrongtype", func() error { return wrongType(ctx, admin, tc.kind, args) }, result.Error, result.ClassWrongType},
						{"oom", func() error {
							if err := w.Preload(ctx, admin, nil); err != nil {
								return err
							}
							return admin.ConfigSet(ctx, "maxmemory", "1").Err()
						}, result.OK, result.ClassNone},
					}
					write := slices.Contains(rawWrites, tc.name)
					for _, st := range states {
						switch {
						case st.name == "miss" && write:
							st.outcome = result.OK
						case st.name == "wrongtype":
							if o, ok := rawAnyType[tc.name]; ok {
								st.outcome, st.class = o, result.ClassNone
							}
						case st.name == "oom" && write:
							st.outcome, st.class = result.Error, result.ClassOOM
						}
						run := func(send func() (result.Outcome, result.Class)) (result.Outcome, result.Class) {
							t.Helper()
							if err := admin.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
								t.Fatal(err)
							}
							if err := admin.FlushAll(ctx).Err(); err != nil {
								t.Fatal(err)
							}
							if err := st.setup(); err != nil {
								t.Fatalf("%s: setup: %v", st.name, err)
							}
							defer admin.ConfigSet(ctx, "maxmemory", "0")
							return send()
						}
						goOutcome, goClass := run(func() (result.Outcome, result.Class) {
							return workload.Outcome(tc.op, tc.op.Issue(ctx, goRedis, args))
						})
						sent := written.take()
						rawOutcome, rawClass := run(func() (result.Outcome, result.Class) {
							return rawIssue(t, raw, rops[0], cmd, replies)
						})
						if rawOutcome != goOutcome || rawClass != goClass {
							t.Errorf("%s: raw %v %v, go-redis %v %v", st.name, rawOutcome, rawClass, goOutcome, goClass)
						}
						if goOutcome != st.outcome || goClass != st.class {
							t.Errorf("%s: go-redis %v %v, want %v %v (the state is not what it should be)", st.name, goOutcome, goClass, st.outcome, st.class)
						}
						if !bytes.Equal(cmd, sent) {
							t.Errorf("%s: raw command\n%q\ngo-redis wrote\n%q", st.name, cmd, sent)
						}
					}
				})
			}
		})
	}
}

// wrongType makes the keys a command names hold the wrong type: a list
// for the kv ops, a string for the others.
func wrongType(ctx context.Context, c *redis.Client, k workload.Kind, a *workload.Args) error {
	keys := slices.Clone(a.Keys)
	if a.Key != "" {
		keys = append(keys, a.Key)
	}
	for _, key := range keys {
		var err error
		if k == workload.KindKV {
			err = c.RPush(ctx, key, "x").Err()
		} else {
			err = c.Set(ctx, key, "x", 0).Err()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// TestRawReplayMatchesGoRedis replays a trace by go-redis and by the raw
// path on both engines, from an empty server and again out of memory: the
// same bytes and the same outcome and class for every command. The trace
// has hits, misses, a WRONGTYPE, an error of other class and nested
// replies.
func TestRawReplayMatchesGoRedis(t *testing.T) {
	t.Parallel()
	path := writeTrace(t,
		"0,GET,k1",
		"0,SET,k1,20",
		"0,GET,k1",
		"0,SET,k2,5,EX,30",
		"0,MGET,k1,nokey,k2",
		"0,INCR,k1",
		"0,LPUSH,l1,12",
		"0,GET,l1",
		"0,LRANGE,l1,0,-1",
		"0,HSET,h1,f,3",
		"0,HGETALL,h1",
		"0,HGET,h1,nofield",
		"0,ZADD,z1,1,m",
		"0,ZRANGE,z1,0,-1,WITHSCORES",
		"0,SCAN,0",
		"0,DEL,k1",
		"0,EXISTS,k1",
	)
	w := replayWorkload(t, path, trace.Ecbench, false, 64)
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, e)
			admin := srv.Client()
			goRedis, written := recordingClient(t, srv.Addr)
			raw := rawConn(t, srv.Addr)
			ctx := context.Background()
			rops := workload.RawOps(w)
			if rops == nil {
				t.Fatal("the replay's ops do not implement RawOp")
			}
			for _, oom := range []bool{false, true} {
				type outcome struct {
					o result.Outcome
					c result.Class
				}
				var byGoRedis, byRaw []outcome
				for _, viaRaw := range []bool{false, true} {
					if err := admin.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
						t.Fatal(err)
					}
					if err := admin.FlushAll(ctx).Err(); err != nil {
						t.Fatal(err)
					}
					if oom {
						if err := admin.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
							t.Fatal(err)
						}
					}
					s := newStream(t, w)
					var req workload.Request
					for s.Next(&req); len(req.Cmds) > 0; s.Next(&req) {
						c := &req.Cmds[0]
						cmd, replies := rops[c.Op].AppendRaw(nil, &c.Args)
						if !viaRaw {
							o, cl := workload.Outcome(w.Ops[c.Op].Op, w.Ops[c.Op].Op.Issue(ctx, goRedis, &c.Args))
							byGoRedis = append(byGoRedis, outcome{o, cl})
							if sent := written.take(); !bytes.Equal(cmd, sent) {
								t.Errorf("%v: raw command\n%q\ngo-redis wrote\n%q", c.Args.Keys, cmd, sent)
							}
							continue
						}
						o, cl := rawIssue(t, raw, rops[c.Op], cmd, replies)
						byRaw = append(byRaw, outcome{o, cl})
					}
				}
				_ = admin.ConfigSet(ctx, "maxmemory", "0")
				if !slices.Equal(byGoRedis, byRaw) {
					t.Errorf("oom %v: outcomes\nraw      %v\ngo-redis %v", oom, byRaw, byGoRedis)
				}
				seen := map[string]bool{}
				for _, o := range byGoRedis {
					seen[fmt.Sprint(o.o, o.c)] = true
				}
				t.Logf("oom %v: outcomes seen %v", oom, seen)
			}
		})
	}
}

// TestRawOpsCoverTheRegistry checks that a workload of every op of every
// kind gets raw ops, and that a workload with an op of its own does not.
func TestRawOpsCoverTheRegistry(t *testing.T) {
	t.Parallel()
	for _, tc := range rawCases(t) {
		w := &workload.Workload{Ops: []workload.Weighted{{Op: tc.op, Weight: 1}}}
		rops := workload.RawOps(w)
		if rops == nil {
			t.Errorf("op %s has no raw side", tc.name)
			continue
		}
		a := &workload.Args{Key: "k", Keys: []string{"k"}, Members: []string{"f"}, Member: "m", Value: []byte("v")}
		b, n := rops[0].AppendRaw(nil, a)
		if len(b) == 0 || n < 1 {
			t.Errorf("op %s writes %q, %d replies", tc.name, b, n)
		}
		// The op itself, unresolved, writes the same.
		direct, ok := tc.op.(workload.RawOp)
		if !ok {
			t.Errorf("op %s is not a RawOp itself", tc.name)
			continue
		}
		if b2, n2 := direct.AppendRaw(nil, a); !bytes.Equal(b, b2) || n != n2 {
			t.Errorf("op %s: RawOps writes %q (%d), the op %q (%d)", tc.name, b, n, b2, n2)
		}
		for _, r := range []resp.Reply{{Kind: resp.KindInt}, {Kind: resp.KindArray, AllNil: true}, {Kind: resp.KindBulk, Len: 1}} {
			if rops[0].RawMissed(&r) != direct.RawMissed(&r) {
				t.Errorf("op %s: RawMissed(%+v) differs between RawOps and the op", tc.name, r)
			}
		}
	}
	w := &workload.Workload{Ops: []workload.Weighted{{Op: workload.Get{}, Weight: 1}, {Op: genCapture{}, Weight: 1}}}
	if rops := workload.RawOps(w); rops != nil {
		t.Errorf("RawOps of a workload with a foreign op = %v, want nil", rops)
	}
}
