package metrics

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logBuffer is a zap JSON logger's output, safe to read while it writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the lines written so far, each checked to be one JSON object.
func (l *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		out = append(out, m)
	}
	return out
}

func jsonLogger(w io.Writer) *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zap.DebugLevel))
}

// startWith starts a server for g on a free port after letting adjust
// lower its limits, and shuts it down when the test ends.
func startWith(t *testing.T, g prometheus.Gatherer, adjust func(*Server), opts ...ServerOption) *Server {
	t.Helper()
	s := NewServer("127.0.0.1:0", g, nil, opts...)
	if adjust != nil {
		adjust(s)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestErrorLogRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		lines         int
		wantEmitted   int
		wantSuppessed []int // the counts reported, in order
	}{
		{"within the burst", errorLogBurst, errorLogBurst, nil},
		{"one over", errorLogBurst + 1, errorLogBurst, []int{1}},
		{"an aborted scrape", 58, errorLogBurst, []int{58 - errorLogBurst}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var emitted int
			var suppressed []int
			l := &errorLog{
				emit:       func(string) { emitted++ },
				suppressed: func(n int, _ time.Duration) { suppressed = append(suppressed, n) },
			}
			for i := range tt.lines {
				l.Println("error encoding and sending metric family:", i)
			}
			l.flush()
			if emitted != tt.wantEmitted || fmt.Sprint(suppressed) != fmt.Sprint(tt.wantSuppessed) {
				t.Errorf("emitted %d, suppressed %v; want %d, %v", emitted, suppressed, tt.wantEmitted, tt.wantSuppessed)
			}
		})
	}
}

// TestErrorLogWindow: after the window, the count of what it suppressed is
// reported by itself, and the next window passes a burst again.
func TestErrorLogWindow(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var emitted, suppressed []string
	l := &errorLog{
		window: 100 * time.Millisecond,
		emit:   func(s string) { mu.Lock(); emitted = append(emitted, s); mu.Unlock() },
		suppressed: func(n int, _ time.Duration) {
			mu.Lock()
			suppressed = append(suppressed, fmt.Sprint(n))
			mu.Unlock()
		},
	}
	for range 3 * errorLogBurst {
		_, _ = l.Write([]byte("http: Accept error: accept tcp: too many open files; retrying in 5ms\n"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(suppressed)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 2 {
		_, _ = l.Write([]byte("later\n"))
	}
	l.flush()
	mu.Lock()
	defer mu.Unlock()
	if len(emitted) != errorLogBurst+2 || emitted[0] != "http: Accept error: accept tcp: too many open files; retrying in 5ms" || emitted[errorLogBurst] != "later" {
		t.Errorf("emitted %q", emitted)
	}
	if want := []string{fmt.Sprint(2 * errorLogBurst)}; fmt.Sprint(suppressed) != fmt.Sprint(want) {
		t.Errorf("suppressed %v, want %v (reported by the window's timer, none at the final flush)", suppressed, want)
	}
}

// TestAbortedScrapeLogsFewJSONLines: a scraper that goes away before the
// answer makes the handler fail on every metric family; the log gets a few
// JSON lines, the last one counting the rest, and nothing in plain text.
func TestAbortedScrapeLogsFewJSONLines(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	for i := range 100 {
		reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{
			Name: fmt.Sprintf("ecbench_test_family_%03d", i),
			Help: "A family of its own, so that the answer is many writes: " + strings.Repeat("x", 200),
		}))
	}
	gathering := make(chan struct{}, 1)
	release := make(chan struct{})
	g := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		gathering <- struct{}{}
		<-release
		return reg.Gather()
	})
	var out logBuffer
	s := NewServer("127.0.0.1:0", g, nil, WithLogger(jsonLogger(&out)))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}

	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-gathering
	// Linger 0: the close resets the connection, so the server's writes fail.
	_ = c.(*net.TCPConn).SetLinger(0)
	_ = c.Close()
	time.Sleep(50 * time.Millisecond) // the reset reaches the server
	close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil { // waits for the handler; reports the count
		t.Fatal(err)
	}
	lines := out.lines(t)
	if len(lines) > errorLogBurst+1 {
		t.Errorf("%d log lines, want at most %d", len(lines), errorLogBurst+1)
	}
	last := lines[len(lines)-1]
	n, _ := last["suppressed"].(float64)
	if n < 50 || last["msg"] != fmt.Sprintf("suppressed %d similar errors", int(n)) || last["source"] != "scrape" {
		t.Errorf("last line %v, want the count of about 95 suppressed scrape errors", last)
	}
	for _, l := range lines[:len(lines)-1] {
		if e, _ := l["error"].(string); l["msg"] != "metrics server error" || !strings.Contains(e, "error encoding and sending metric family") {
			t.Errorf("line %v", l)
		}
	}
}

// TestServerErrorLogIsZap: what net/http writes to its ErrorLog (here an
// accept error, as when the process runs out of file descriptors) becomes
// structured zap entries.
func TestServerErrorLogIsZap(t *testing.T) {
	t.Parallel()
	var out logBuffer
	s := NewServer("127.0.0.1:0", NewRegistry(), nil, WithLogger(jsonLogger(&out)))
	for range 1000 {
		s.srv.ErrorLog.Printf("http: Accept error: %v; retrying in %v", syscall.EMFILE, 5*time.Millisecond)
	}
	_ = s.Shutdown(context.Background()) // not started: flushes nothing
	s.httpErrs.flush()
	lines := out.lines(t)
	if len(lines) != errorLogBurst+1 {
		t.Fatalf("%d lines, want %d", len(lines), errorLogBurst+1)
	}
	if l := lines[0]; l["msg"] != "metrics server error" || l["source"] != "net/http" || l["logger"] != "metrics-server" ||
		l["error"] != "http: Accept error: too many open files; retrying in 5ms" || l["level"] != "warn" {
		t.Errorf("first line %v", l)
	}
	if l := lines[errorLogBurst]; l["msg"] != fmt.Sprintf("suppressed %d similar errors", 1000-errorLogBurst) {
		t.Errorf("last line %v", l)
	}
}

// TestServerLimits: each limit closes or refuses what it bounds.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	s := startWith(t, NewRegistry(), func(s *Server) {
		s.idleTimeout = 200 * time.Millisecond
		s.readHeader = 200 * time.Millisecond
	})
	tests := []struct {
		name string
		send string // what the client sends before it waits
		// wantStatus is the answer's status, 0 for none; the server must then
		// close the connection well before the client's 5 s deadline (the
		// limits are 200 ms; a loaded CI host adds about a second).
		wantStatus int
	}{
		{"idle keep-alive connection closed", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusOK},
		{"silent connection closed", "", 0},
		{"half a header closed", "GET /healthz HTTP/1.1\r\nHost: x\r\n", 0},
		{"header too large refused", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2*maxHeaderBytes) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_ = c.SetReadDeadline(start.Add(5 * time.Second))
			r := bufio.NewReader(c)
			if tt.wantStatus != 0 {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
				}
			}
			if n, err := r.Read(make([]byte, 1)); err == nil || n != 0 {
				t.Fatalf("read %d bytes, %v; want the server to close the connection", n, err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("closed after %v, want within 3 s of a 200 ms limit", took)
			}
		})
	}
}

// holdIdle opens n connections to addr, each making one keep-alive request
// when request is true (then idle between requests, as a scraper's
// connection is) or sending nothing. They are closed when the test ends.
func holdIdle(t *testing.T, addr string, n int, request bool) {
	t.Helper()
	conns := make([]net.Conn, n)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	})
	const workers = 16
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
				conns[i] = c
				if !request {
					continue
				}
				if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					errs <- err
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					// Evicted before its answer by the later connections:
					// a scraper would reconnect.
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// scrapeWithin fetches /metrics on a new connection and fails unless it
// succeeds within d.
func scrapeWithin(t *testing.T, s *Server, d time.Duration) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: d}
	start := time.Now()
	resp, err := c.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v after %v", err, time.Since(start))
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ecbench_build_info") {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	if took := time.Since(start); took > d {
		t.Errorf("scrape took %v, want within %v", took, d)
	}
}

// TestConnCapKeepsScrapesGoing: with the cap's worth of idle keep-alive
// connections and many silent ones on top, a scrape on a new connection
// still succeeds at once, and the server never holds more than the cap.
func TestConnCapKeepsScrapesGoing(t *testing.T) {
	t.Parallel()
	reg, _ := newTestMetrics(t)
	const limit = 16
	var out logBuffer
	s := startWith(t, reg, func(s *Server) { s.maxConns = limit }, WithLogger(jsonLogger(&out)))
	holdIdle(t, s.Addr(), limit, true)
	holdIdle(t, s.Addr(), 10*limit, false)
	scrapeWithin(t, s, time.Second)
	if now, peak := s.ln.open(); peak > limit || now > limit {
		t.Errorf("open connections: %d now, %d at most; want at most %d", now, peak, limit)
	}
	lines := out.lines(t)
	if len(lines) == 0 || lines[0]["source"] != "connections" || len(lines) > errorLogBurst {
		t.Errorf("log: %v; want at most %d lines about closed connections", lines, errorLogBurst)
	}
}

// TestManyIdleConnectionsDoNotStopScrapes is the field report's case:
// 20,000 idle keep-alive connections (fewer only if the file descriptor
// limit cannot be raised for them) at the default cap; a scrape on a new
// connection still succeeds within a second.
func TestManyIdleConnectionsDoNotStopScrapes(t *testing.T) {
	t.Parallel()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// The test holds the client ends, the server at most maxConns, and the
	// other tests of the package need some room: raise the limit to make
	// that room for 20,000 if the process may (root may raise the hard
	// limit too), else use what there is.
	const want = 20000 + maxConns + 512
	for _, raised := range []syscall.Rlimit{{Cur: max(want, lim.Max), Max: max(want, lim.Max)}, {Cur: lim.Max, Max: lim.Max}} {
		if raised.Cur <= lim.Cur {
			break
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			lim = raised
			break
		}
	}
	n := min(20000, int(lim.Cur)-maxConns-512)
	if n < 4*maxConns {
		t.Fatalf("RLIMIT_NOFILE %d leaves room for only %d connections; want at least %d", lim.Cur, n, 4*maxConns)
	}
	reg, _ := newTestMetrics(t)
	s := startWith(t, reg, nil, WithLogger(zap.NewNop()))
	start := time.Now()
	holdIdle(t, s.Addr(), n, true)
	t.Logf("%d idle keep-alive connections opened in %v", n, time.Since(start).Round(time.Millisecond))
	scrapeWithin(t, s, time.Second)
	if now, peak := s.ln.open(); peak > maxConns || now > maxConns {
		t.Errorf("open connections: %d now, %d at most; want at most %d", now, peak, maxConns)
	}
}
