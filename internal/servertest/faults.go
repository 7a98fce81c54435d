package servertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RestartAs stops the server if it is running and starts engine in its place,
// on the same port and in the same directory, with the same directives: an
// in-place engine migration behind an unchanged endpoint.
func (s *Server) RestartAs(engine Engine) {
	s.t.Helper()
	s.kill()
	s.Engine = engine
	s.Restart()
}

// Netns is a network namespace joined to the host's by a veth pair: a server
// started in it is reachable from the test at NSIP over a link the test can
// cut (Partition) and restore (Heal).
type Netns struct {
	Name    string // the namespace, as `ip netns` knows it
	HostIP  string // the host end's address
	NSIP    string // the namespace end's address
	hostDev string
	nsDev   string
	t       testing.TB
}

// NewNetns creates a namespace and a veth pair between it and the host, with
// a /30 from 10.213.0.0/16 on them, and removes both when the test ends. It
// returns an error, without failing the test, when the machine does not allow
// it (no root or no CAP_NET_ADMIN), so that the caller can skip with the
// reason.
func NewNetns(t testing.TB) (*Netns, error) {
	t.Helper()
	var rnd [3]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	id := hex.EncodeToString(rnd[:])
	n := &Netns{
		Name:    "ecbt" + id,
		hostDev: "ecbt" + id + "h", // at most 15 bytes: IFNAMSIZ
		nsDev:   "ecbt" + id + "n",
		t:       t,
	}
	// A /30 whose host and namespace ends are .1 and .2 of a random block.
	third, fourth := int(rnd[0]), int(rnd[1]&^3)
	n.HostIP = fmt.Sprintf("10.213.%d.%d", third, fourth+1)
	n.NSIP = fmt.Sprintf("10.213.%d.%d", third, fourth+2)

	if out, err := exec.Command("ip", "netns", "add", n.Name).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ip netns add %s: %v: %s", n.Name, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		// Deleting the namespace takes its veth end, and with it the pair.
		_ = exec.Command("ip", "netns", "delete", n.Name).Run()
		_ = exec.Command("ip", "link", "delete", n.hostDev).Run()
	})
	steps := [][]string{
		{"ip", "link", "add", n.hostDev, "type", "veth", "peer", "name", n.nsDev},
		{"ip", "link", "set", n.nsDev, "netns", n.Name},
		{"ip", "addr", "add", n.HostIP + "/30", "dev", n.hostDev},
		{"ip", "link", "set", n.hostDev, "up"},
		{"ip", "netns", "exec", n.Name, "ip", "addr", "add", n.NSIP + "/30", "dev", n.nsDev},
		{"ip", "netns", "exec", n.Name, "ip", "link", "set", n.nsDev, "up"},
		{"ip", "netns", "exec", n.Name, "ip", "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: %v: %s", strings.Join(s, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return n, nil
}

// Start launches engine inside the namespace, listening on NSIP:6379, like
// Start does on loopback, and stops it when the test ends (before the
// namespace is removed).
func (n *Netns) Start(engine Engine, directives ...string) *Server {
	t := n.t
	t.Helper()
	bin, err := exec.LookPath(Binary(engine))
	if err != nil {
		t.Fatalf("%s not found on PATH: %v", Binary(engine), err)
	}
	s := &Server{Engine: engine, Dir: t.TempDir(), t: t, Port: 6379}
	s.Addr = net.JoinHostPort(n.NSIP, strconv.Itoa(s.Port))
	s.args = append([]string{
		"--bind", n.NSIP,
		"--dir", s.Dir,
		"--save", "",
		"--appendonly", "no",
		"--protected-mode", "no",
		"--logfile", "server.log",
	}, prefixDirectives(directives)...)
	argv := append([]string{"netns", "exec", n.Name, bin, "--port", strconv.Itoa(s.Port)}, s.args...)
	if err := s.launchCommand("ip", argv); err != nil {
		t.Fatalf("start %s in %s: %v", Binary(engine), n.Name, err)
	}
	t.Cleanup(s.Stop)
	return s
}

// launchCommand is launch for an arbitrary command line (ip netns exec
// replaces itself with the server, so the process group is the server's).
func (s *Server) launchCommand(name string, argv []string) error {
	cmd := exec.Command(name, argv...)
	cmd.Dir = s.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("%s exited at start: %s", Binary(s.Engine), s.logTail())
		default:
		}
		if s.ping() == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill()
	return fmt.Errorf("%s did not answer PING within 10s: %s", Binary(s.Engine), s.logTail())
}

// Partition cuts the link: the namespace's end goes down, so the host's end
// loses its carrier and silently drops what is sent (no reset, no
// unreachable error), like a network partition.
func (n *Netns) Partition() { n.link("down") }

// Heal restores the link.
func (n *Netns) Heal() { n.link("up") }

func (n *Netns) link(state string) {
	n.t.Helper()
	out, err := exec.Command("ip", "netns", "exec", n.Name, "ip", "link", "set", n.nsDev, state).CombinedOutput()
	if err != nil {
		n.t.Fatalf("ip link set %s %s in %s: %v: %s", n.nsDev, state, n.Name, err, out)
	}
}

// AddClusterReplica starts a node of primary's engine with cluster mode on,
// joins it to primary's cluster and makes it primary's replica, and waits
// until its replication link is up and the primary lists it in CLUSTER
// SLOTS, which is where clients learn of it (it lowers the primary's
// repl-diskless-sync-delay and repl-ping-replica-period for that). directives
// are passed to the node; it stops when the test ends.
func AddClusterReplica(t testing.TB, primary *Server, directives ...string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc := primary.Client()
	busPort, err := pc.ConfigGet(ctx, "cluster-port").Result()
	if err != nil {
		t.Fatalf("%s CONFIG GET cluster-port: %v", primary.Addr, err)
	}
	// A full sync at once, not after Redis 7's default 5s wait for more
	// replicas; and a replication offset that moves every second even
	// without writes: CLUSTER SLOTS lists a replica only once the primary has
	// heard of an offset above 0 from it, which with the default
	// repl-ping-replica-period of 10s takes up to 10s.
	for _, kv := range [][2]string{{"repl-diskless-sync-delay", "0"}, {"repl-ping-replica-period", "1"}} {
		if err := pc.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("%s CONFIG SET %s: %v", primary.Addr, kv[0], err)
		}
	}
	primaryBus := busPort["cluster-port"]
	if primaryBus == "" || primaryBus == "0" {
		primaryBus = strconv.Itoa(primary.Port + 10000)
	}
	ds := append([]string{
		"cluster-enabled", "yes",
		"cluster-config-file", "nodes.conf",
		"cluster-node-timeout", "5000",
		"cluster-port", strconv.Itoa(FreePort(t)),
	}, directives...)
	r := Start(t, primary.Engine, ds...)
	rc := r.Client()
	if err := rc.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", primary.Port, primaryBus).Err(); err != nil {
		t.Fatalf("CLUSTER MEET %s: %v", primary.Addr, err)
	}
	id := primary.NodeID(ctx)
	// REPLICATE needs the node to know the primary first.
	for {
		err := rc.Do(ctx, "CLUSTER", "REPLICATE", id).Err()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s CLUSTER REPLICATE %s: %v", r.Addr, id, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Up on the replica's side, and known as a replica on the primary's, so
	// that its CLUSTER SLOTS (what clients load) lists it.
	for {
		info, err := rc.Info(ctx, "replication").Result()
		listed := false
		if err == nil {
			var slots []redis.ClusterSlot
			slots, err = pc.ClusterSlots(ctx).Result()
			for _, s := range slots {
				for _, n := range s.Nodes {
					listed = listed || n.Addr == r.Addr
				}
			}
		}
		if err == nil && strings.Contains(info, "master_link_status:up") && listed {
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: replication link to %s not up within 30s: %v %s", r.Addr, primary.Addr, err, info)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Freeze stops the server's process (SIGSTOP) until Thaw: unlike a CLIENT
// PAUSE, it stops everything, as a stalled host or a long fork would. The
// kernel still accepts connections and buffers what clients send, so
// clients see no error, only silence. Kill, and so the test's cleanup,
// works on a frozen server.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a server stopped by Freeze (SIGCONT).
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

// FreezeFor freezes the server for d and returns when it has been thawed.
func (s *Server) FreezeFor(d time.Duration) {
	s.Freeze()
	defer s.Thaw()
	time.Sleep(d)
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		s.t.Fatalf("%s on %s: not running", Binary(s.Engine), s.Addr)
	}
	if err := syscall.Kill(-s.cmd.Process.Pid, sig); err != nil {
		s.t.Fatalf("signal %v to %s: %v", sig, Binary(s.Engine), err)
	}
}
