package workload_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/runner"
	"github.com/ecbench/ecbench/loadgen/schedule"
	"github.com/ecbench/ecbench/loadgen/trace"
	"github.com/ecbench/ecbench/loadgen/workload"
)

const replayPrefix = "pfx:"

// described writes a record as the server will have seen it from a
// replay under replayPrefix: keys prefixed, values by their size.
func described(rec *trace.Record, prefix string) string {
	var b strings.Builder
	b.WriteString(rec.Command.Name())
	for _, a := range rec.Args {
		switch a.Role {
		case trace.Key:
			b.WriteString(" " + strconv.Quote(prefix+string(a.Text)))
		case trace.Literal:
			b.WriteString(" " + strconv.Quote(string(a.Text)))
		default:
			fmt.Fprintf(&b, " <%d>", a.Size)
		}
	}
	return b.String()
}

// traceCommands reads a trace: its commands as described (with prefix),
// and their number by command name.
func traceCommands(t *testing.T, src trace.Source, prefix string) ([]string, map[string]int64) {
	t.Helper()
	f, err := src.Open(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	counts := map[string]int64{}
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			return out, counts
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, described(rec, prefix))
		counts[rec.Command.Name()]++
	}
}

// monitor captures what a server runs, as MONITOR prints it. Its stop
// function sends marker from another connection and returns the capture
// once the marker came through, so nothing the server ran before is lost.
func monitor(t *testing.T, s *servertest.Server) (stop func() string) {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	if l, err := br.ReadString('\n'); err != nil || l != "+OK\r\n" {
		t.Fatalf("MONITOR: %q, %v", l, err)
	}
	const marker = "ecbench-monitor-end"
	var (
		b    strings.Builder
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			l, err := br.ReadString('\n')
			if err != nil || strings.Contains(l, marker) {
				return
			}
			b.WriteString(strings.TrimSuffix(strings.TrimPrefix(l, "+"), "\r\n") + "\n")
		}
	}()
	return func() string {
		defer conn.Close()
		if err := s.Client().Echo(context.Background(), marker).Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the MONITOR capture never saw its end marker")
		}
		return b.String()
	}
}

// commandStats returns the calls per command of a server's commandstats.
func commandStats(t *testing.T, c *redis.Client) map[string]int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int64{}
	for _, line := range strings.Split(info, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ",")
		calls[name], _ = strconv.ParseInt(n, 10, 64)
	}
	return calls
}

// serverKeys returns the keys of a server's database 0, sorted.
func serverKeys(t *testing.T, c *redis.Client) []string {
	t.Helper()
	var keys []string
	iter := c.Scan(context.Background(), 0, "*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// replayBoth replays w on each server at once from one time zero, as the
// daemon runs a workload's runners, at speed times the trace's timing.
// Each runner stops after requests; recs, if given, take each runner's
// results.
func replayBoth(t *testing.T, w *workload.Workload, src trace.Source, speed float64, requests int64, servers []*servertest.Server, recs ...result.Recorder) []*runner.Runner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now().Add(100 * time.Millisecond)
	var runners []*runner.Runner
	for i, s := range servers {
		var rec result.Recorder
		if i < len(recs) {
			rec = recs[i]
		}
		r, err := runner.New(runner.Config{
			Client: s.Client(), Workload: w, Schedule: schedule.NewRecorded(src, speed, false),
			MaxInFlight: 1000, Drain: 5 * time.Second, Requests: requests, Start: start, Recorder: rec,
		})
		if err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() { r.Run(ctx) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("the replay did not finish in time")
	}
	return runners
}

// outcomes counts results by outcome and class.
type outcomes struct {
	mu sync.Mutex
	n  map[string]int64
}

func (o *outcomes) Record(r result.Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int64{}
	}
	o.n[fmt.Sprint(r.Outcome)]++
}

// TestReplayAgainstServers replays each sample trace against Redis and
// Valkey at once, at eight times its recorded pace. Each server's
// commandstats count exactly the trace's commands by name, and nothing
// the trace does not hold (the skipped commands are not sent); MONITOR
// shows each server running the trace's commands, keys under the prefix
// and values at their recorded sizes.
func TestReplayAgainstServers(t *testing.T) {
	t.Parallel()
	samples := []struct {
		file   string
		format trace.Format
	}{{"sample.monitor", trace.Monitor}, {"sample.twitter.csv", trace.Twitter}, {"sample.ecbench.csv", trace.Ecbench}, {"sample.jsonl", trace.JSONL}}
	for _, sample := range samples {
		t.Run(sample.file, func(t *testing.T) {
			t.Parallel()
			src := trace.Source{Path: filepath.Join("..", "trace", "testdata", sample.file), Format: sample.format}
			want, counts := traceCommands(t, src, replayPrefix)
			slices.Sort(want)
			w := replayWorkload(t, src.Path, src.Format, false, 1<<20)
			servers := []*servertest.Server{servertest.Start(t, servertest.Redis), servertest.Start(t, servertest.Valkey)}
			var stops []func() string
			for _, s := range servers {
				if err := s.Client().ConfigResetStat(context.Background()).Err(); err != nil {
					t.Fatal(err)
				}
				stops = append(stops, monitor(t, s))
			}
			var results [2]outcomes
			replayBoth(t, w, src, 8, int64(len(want)), servers, &results[0], &results[1])

			var keys [][]string
			for i, s := range servers {
				captured := stops[i]()
				seen, _ := traceCommands(t, captureSource(t, captured), "")
				slices.Sort(seen)
				if !slices.Equal(seen, want) {
					t.Errorf("%s ran %d commands of the replay, not the trace's %d (first difference %s)", s.Engine, len(seen), len(want), firstDifference(seen, want))
				}
				calls := commandStats(t, s.Client())
				for name, n := range counts {
					if calls[name] != n {
						t.Errorf("%s: commandstats %s calls=%d, want the trace's %d", s.Engine, name, calls[name], n)
					}
				}
				for name, n := range calls {
					if _, inTrace := counts[name]; !inTrace && trace.LookupCommand(name) != nil {
						t.Errorf("%s: commandstats %s calls=%d, which the trace does not hold", s.Engine, name, n)
					}
				}
				if n := results[i].n["ok"] + results[i].n["miss"]; n != int64(len(want)) {
					t.Errorf("%s: outcomes %v, want %d answered", s.Engine, results[i].n, len(want))
				}
				keys = append(keys, serverKeys(t, s.Client()))
			}
			// The keys need not end the same: requests a fraction of a
			// millisecond apart go on different connections and may reach
			// a server in either order, as the recorded clients' did.
			for i, ks := range keys {
				if len(ks) == 0 || !strings.HasPrefix(ks[0], replayPrefix) || !strings.HasPrefix(ks[len(ks)-1], replayPrefix) {
					t.Errorf("%s holds %d keys, from %q to %q: want keys, all under the prefix", servers[i].Engine, len(ks), ks[0], ks[len(ks)-1])
				}
			}
			if s := workload.ReplayOf(w).Stats(); s.Commands != int64(len(want)) || s.Malformed != 0 {
				t.Errorf("stats %v: want %d commands, none malformed", s, len(want))
			}
		})
	}
}

// captureSource writes a MONITOR capture to a file for a Reader.
func captureSource(t *testing.T, captured string) trace.Source {
	t.Helper()
	return trace.Source{Path: writeTrace(t, captured), Format: trace.Monitor}
}

func firstDifference(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q against %q", a[i], b[i])
		}
	}
	return "in length"
}

// TestReplayMalformedLines replays a trace with broken lines and
// commands a replay does not send against a real server: the rest is
// sent, and the broken lines are reported by number, the first five and
// then a count.
func TestReplayMalformedLines(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := (trace.Synth{Seed: 11, Requests: 400, Keys: 20, Rate: 2000, Sizes: []int{10}, Skipped: 0.1, Malformed: 0.05}).Write(&b, trace.Monitor); err != nil {
		t.Fatal(err)
	}
	src := trace.Source{Path: writeTrace(t, b.String()), Format: trace.Monitor}
	var counts trace.Counts
	f, _ := src.Open(&counts)
	commands := int64(0)
	for _, err := f.Next(); err == nil; _, err = f.Next() {
		commands++
	}
	_ = f.Close()
	if counts.MalformedLines <= trace.MaxReported {
		t.Fatalf("only %d malformed lines: the test needs more", counts.MalformedLines)
	}
	w := replayWorkload(t, src.Path, src.Format, false, 1<<20)
	s := servertest.Start(t, servertest.Valkey)
	var res outcomes
	replayBoth(t, w, src, 4, commands, []*servertest.Server{s}, &res)
	stats := workload.ReplayOf(w).Stats()
	if stats.Malformed != counts.MalformedLines || !slices.Equal(stats.FirstMalformed, counts.FirstMalformed) || stats.Commands != commands {
		t.Errorf("stats %v; want %d commands, %d malformed lines, the first %v", stats, commands, counts.MalformedLines, counts.FirstMalformed)
	}
	if n := res.n["ok"] + res.n["miss"]; n != commands {
		t.Errorf("outcomes %v, want %d answered", res.n, commands)
	}
	wantText := fmt.Sprintf("%d malformed lines (%s; and %d more)", counts.MalformedLines, counts.FirstMalformed[0], counts.MalformedLines-trace.MaxReported)
	if !strings.Contains(stats.String(), strings.SplitN(wantText, ";", 2)[0]) || !strings.Contains(stats.String(), fmt.Sprintf("; and %d more)", counts.MalformedLines-trace.MaxReported)) {
		t.Errorf("stats say %q; want %q", stats.String(), wantText)
	}
	t.Log(stats)
}

// sends records when each request was meant to go and went.
type sends struct {
	mu             sync.Mutex
	intended, sent []time.Time
}

func (s *sends) Record(r result.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.intended = append(s.intended, r.Intended)
	s.sent = append(s.sent, r.Sent)
}

// quantile is the q-quantile of sorted d (nearest rank).
func quantile(d []time.Duration, q float64) time.Duration {
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// TestReplayTiming replays a trace with known gaps (1 ms, 10 ms and 50 ms
// in a fixed pattern) at twice its speed against Redis and Valkey at once.
// Every request's intended start is its recorded time halved, to the
// nanosecond: latency is measured from there (no coordinated omission).
// The requests went at those times give or take the generator's schedule
// lag: the moments by which a tenth, half and nine tenths of them had gone
// are the trace's. The lag is the generator's own, so a host too busy to
// run it on time (a CI host running every package's tests under the race
// detector) fails a run: the replay is tried up to three times, and the
// figures of each are logged.
func TestReplayTiming(t *testing.T) {
	gaps := []time.Duration{1, 1, 1, 10, 1, 1, 1, 50, 1, 10}
	for i := range gaps {
		gaps[i] *= time.Millisecond
	}
	var b strings.Builder
	if err := (trace.Synth{Seed: 12, Requests: 400, Keys: 50, Gaps: gaps, Sizes: []int{100}}).Write(&b, trace.Ecbench); err != nil {
		t.Fatal(err)
	}
	src := trace.Source{Path: writeTrace(t, b.String()), Format: trace.Ecbench}
	const speed = 2
	due := schedule.NewRecorded(src, speed, false)
	var want []time.Duration
	for n := int64(0); ; n++ {
		at, ok := due.Due(n)
		if !ok {
			break
		}
		want = append(want, at)
	}
	servers := []*servertest.Server{servertest.Start(t, servertest.Redis), servertest.Start(t, servertest.Valkey)}
	var problems []string
	for attempt := 1; attempt <= 3; attempt++ {
		w := replayWorkload(t, src.Path, src.Format, false, 1<<20)
		var got [2]sends
		replayBoth(t, w, src, speed, int64(len(want)), servers, &got[0], &got[1])
		problems = nil
		for i, s := range servers {
			problems = append(problems, timing(t, s.Engine, &got[i], want, speed)...)
		}
		if len(problems) == 0 {
			return
		}
		t.Logf("attempt %d: %s", attempt, strings.Join(problems, "; "))
	}
	t.Error(strings.Join(problems, "\n"))
}

// timing checks one runner's sends against the due times want; it fails
// t on what the schedule decides and returns what the host's pace missed.
func timing(t *testing.T, engine servertest.Engine, g *sends, want []time.Duration, speed int) []string {
	t.Helper()
	if len(g.intended) != len(want) {
		t.Fatalf("%s: %d results, want %d", engine, len(g.intended), len(want))
	}
	order := make([]int, len(g.intended))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return g.intended[a].Compare(g.intended[b]) })
	start := g.intended[order[0]]
	var lags, sentAt, sentGaps, wantGaps []time.Duration
	for k, j := range order {
		if at := g.intended[j].Sub(start); at != want[k] {
			t.Fatalf("%s: request %d intended at %v, want the recorded time / %d = %v", engine, k, at, speed, want[k])
		}
		lags = append(lags, g.sent[j].Sub(g.intended[j]))
		sentAt = append(sentAt, g.sent[j].Sub(start))
		if k > 0 {
			sentGaps = append(sentGaps, g.sent[j].Sub(g.sent[order[k-1]]))
			wantGaps = append(wantGaps, want[k]-want[k-1])
		}
	}
	slices.Sort(lags)
	slices.Sort(sentAt)
	slices.Sort(sentGaps)
	slices.Sort(wantGaps)
	var report []string
	for _, q := range []float64{0.25, 0.5, 0.75, 0.9, 0.99} {
		report = append(report, fmt.Sprintf("p%g %v/%v", q*100, quantile(sentGaps, q).Round(10*time.Microsecond), quantile(wantGaps, q)))
	}
	t.Logf("%s: schedule lag p50 %v p99 %v max %v; gaps between sends, sent/recorded÷%d: %s", engine,
		quantile(lags, 0.5).Round(time.Microsecond), quantile(lags, 0.99).Round(time.Microsecond), lags[len(lags)-1].Round(time.Microsecond),
		speed, strings.Join(report, ", "))
	var problems []string
	if p50, p99 := quantile(lags, 0.5), quantile(lags, 0.99); p50 > 20*time.Millisecond || p99 > 200*time.Millisecond {
		problems = append(problems, fmt.Sprintf("%s: schedule lag p50 %v, p99 %v: want at most 20 ms and 200 ms", engine, p50, p99))
	}
	for _, q := range []float64{0.1, 0.5, 0.9} {
		k := int(q * float64(len(want)))
		if d := sentAt[k] - want[k]; d < -time.Millisecond || d > 100*time.Millisecond {
			problems = append(problems, fmt.Sprintf("%s: %g%% of the requests had gone by %v, want the trace's %v (+100 ms at most)", engine, q*100, sentAt[k], want[k]))
		}
	}
	return problems
}
