package metrics

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// maxScrapesInFlight bounds concurrent /metrics requests; more get a 503.
const maxScrapesInFlight = 8

// The server's limits. Its clients are a Prometheus or two and a health
// checker, so these only bound what a misbehaving or hostile client can
// hold: without them, 20,000 idle keep-alive connections used up the
// process's file descriptors and no scrape got through.
const (
	// readHeaderTimeout closes a connection that has not sent a whole
	// request header in time (slowloris).
	readHeaderTimeout = 5 * time.Second
	// writeTimeout cuts off a client that does not read its answer; a scrape
	// slower than a minute has failed on the Prometheus side long before.
	writeTimeout = time.Minute
	// idleTimeout closes keep-alive connections with no request. It is longer
	// than the usual 15–30 s scrape interval, so that Prometheus keeps its
	// connection between scrapes.
	idleTimeout = 90 * time.Second
	// maxHeaderBytes is far above any scraper's request and far below
	// net/http's 1 MiB default.
	maxHeaderBytes = 16 << 10
	// maxConns is the cap on open connections (see connCap).
	maxConns = 256
)

// Error logs of the server are rate-limited: one aborted scrape makes the
// /metrics handler log one "broken pipe" per metric family (about 60), and
// a client flood makes net/http log an accept error every few milliseconds.
const (
	errorLogBurst  = 5           // lines per source and window
	errorLogWindow = time.Minute // then one line with the count of the rest
)

// Server serves /metrics, /healthz and /readyz, within bounds: at most
// maxConns connections (the longest idle one is closed for a new one),
// idle keep-alive connections closed after idleTimeout, request headers
// within readHeaderTimeout and maxHeaderBytes, at most maxScrapesInFlight
// scrapes at once, and its error logs rate-limited.
type Server struct {
	addr string
	srv  *http.Server

	// Limits, set by NewServer; tests lower them before Start.
	maxConns    int
	idleTimeout time.Duration
	readHeader  time.Duration

	log       *zap.Logger // nil: the standard library's log
	httpErrs  *errorLog   // net/http's own errors (accept failures, TLS, panics)
	scrapeErr *errorLog   // the /metrics handler's errors
	connErrs  *errorLog   // connections closed or refused at the cap

	mu   sync.Mutex
	ln   *connCap
	done chan struct{} // closed when Serve returns
}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithLogger sends the server's errors (net/http's, the /metrics handler's
// and the connection cap's) to log as structured entries, rate-limited.
// Without it they go, rate-limited too, to the standard library's log
// package.
func WithLogger(log *zap.Logger) ServerOption {
	return func(s *Server) { s.log = log }
}

// NewServer returns a server for addr (host:port) that exposes g. ready
// decides /readyz: nil means ready; a nil ready func is always ready.
func NewServer(addr string, g prometheus.Gatherer, ready func() error, opts ...ServerOption) *Server {
	if ready == nil {
		ready = func() error { return nil }
	}
	s := &Server{addr: addr, maxConns: maxConns, idleTimeout: idleTimeout, readHeader: readHeaderTimeout}
	for _, o := range opts {
		o(s)
	}
	s.httpErrs = s.newErrorLog("net/http")
	s.scrapeErr = s.newErrorLog("scrape")
	s.connErrs = s.newErrorLog("connections")
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog: s.scrapeErr,
		// A failing collector should cost its own series, not the whole
		// scrape that the dashboards depend on; the error is still logged.
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: maxScrapesInFlight,
		EnableOpenMetrics:   true,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ready"))
	})
	s.srv = &http.Server{
		Handler:        mux,
		WriteTimeout:   writeTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		// net/http writes each error as one line through this logger.
		ErrorLog: log.New(s.httpErrs, "", 0),
	}
	return s
}

// newErrorLog returns the rate-limited error log of one source.
func (s *Server) newErrorLog(source string) *errorLog {
	if s.log != nil {
		l := s.log.Named("metrics-server")
		return &errorLog{
			emit: func(line string) {
				l.Warn("metrics server error", zap.String("source", source), zap.String("error", line))
			},
			suppressed: func(n int, window time.Duration) {
				l.Warn(fmt.Sprintf("suppressed %d similar errors", n), zap.String("source", source),
					zap.Int("suppressed", n), zap.Duration("window", window))
			},
		}
	}
	return &errorLog{
		emit: func(line string) { log.Printf("metrics: %s: %s", source, line) },
		suppressed: func(n int, window time.Duration) {
			log.Printf("metrics: %s: suppressed %d similar errors in %v", source, n, window)
		},
	}
}

// Start listens on the server's address, so that a bad or busy address is an
// error here, and then serves in a goroutine until Shutdown.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("metrics: server already started")
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("metrics: listen: %w", err)
	}
	s.ln = newConnCap(ln, s.maxConns, s.connErrs)
	s.srv.ConnState = s.ln.track
	s.srv.IdleTimeout = s.idleTimeout
	s.srv.ReadHeaderTimeout = s.readHeader
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.httpErrs.Println("serve", ln.Addr(), err)
		}
	}()
	return nil
}

// Addr returns the address the server listens on (useful with port 0), or ""
// before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops accepting connections, waits for in-flight requests until
// ctx is done, and returns once the serving goroutine has exited. The error
// logs' pending counts of suppressed lines are written then.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		// In-flight requests outlived ctx: cut them off so Serve returns.
		err = errors.Join(err, s.srv.Close())
	}
	<-done
	for _, l := range []*errorLog{s.httpErrs, s.scrapeErr, s.connErrs} {
		l.flush()
	}
	return err
}

// connCap is a listener that holds at most max connections open. When a
// connection arrives at the cap, the one that has been idle longest (a
// keep-alive connection between requests, or one that has not sent a
// request yet) is closed to make room, so a client holding thousands of
// idle connections cannot lock out the next scrape, as a listener that
// stops accepting at the cap (x/net's netutil.LimitListener) would until
// the idle timeout. Only when every connection is busy with a request is
// the new one closed instead. The server's ConnState hook (track) tells it
// which connections are idle.
type connCap struct {
	net.Listener
	max  int
	errs *errorLog

	mu    sync.Mutex
	conns map[*capConn]struct{}
	peak  int // the most connections open at once, for tests
}

// capConn is a connection counted by a connCap.
type capConn struct {
	net.Conn
	cap  *connCap
	once sync.Once
	// Guarded by cap.mu.
	idle  bool      // between requests, or no request yet
	since time.Time // when it last became idle
}

func newConnCap(ln net.Listener, max int, errs *errorLog) *connCap {
	return &connCap{Listener: ln, max: max, errs: errs, conns: map[*capConn]struct{}{}}
}

// Accept implements net.Listener.
func (l *connCap) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		cc := &capConn{Conn: c, cap: l, idle: true, since: time.Now()}
		l.mu.Lock()
		var evict *capConn
		if len(l.conns) >= l.max {
			evict = l.longestIdle()
			if evict != nil {
				delete(l.conns, evict)
			}
		}
		full := len(l.conns) >= l.max
		if !full {
			l.conns[cc] = struct{}{}
			l.peak = max(l.peak, len(l.conns))
		}
		l.mu.Unlock()
		if evict != nil {
			_ = evict.Close()
			l.errs.Println(fmt.Sprintf("%d connections open (the cap): closed the longest idle one", l.max))
		}
		if full {
			_ = c.Close()
			l.errs.Println(fmt.Sprintf("%d connections open (the cap), all busy: closed a new one", l.max))
			continue
		}
		return cc, nil
	}
}

// longestIdle returns the connection idle for the longest time, or nil if
// every connection is serving a request. l.mu is held.
func (l *connCap) longestIdle() *capConn {
	var oldest *capConn
	for c := range l.conns {
		if c.idle && (oldest == nil || c.since.Before(oldest.since)) {
			oldest = c
		}
	}
	return oldest
}

// track is the server's ConnState hook.
func (l *connCap) track(c net.Conn, state http.ConnState) {
	cc, ok := c.(*capConn)
	if !ok {
		return
	}
	switch state {
	case http.StateClosed, http.StateHijacked:
		l.remove(cc)
	case http.StateActive:
		l.mu.Lock()
		cc.idle = false
		l.mu.Unlock()
	case http.StateIdle:
		l.mu.Lock()
		cc.idle, cc.since = true, time.Now()
		l.mu.Unlock()
	}
}

func (l *connCap) remove(c *capConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// open returns the number of connections open now and at most so far.
func (l *connCap) open() (now, peak int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns), l.peak
}

// Close implements net.Conn: it closes the connection once and stops
// counting it.
func (c *capConn) Close() error {
	err := net.ErrClosed
	c.once.Do(func() {
		c.cap.remove(c)
		err = c.Conn.Close()
	})
	return err
}

// errorLog passes on at most errorLogBurst lines per errorLogWindow, counts
// the rest and reports the count when the window ends (or at flush). It is
// both a promhttp.Logger and, as an io.Writer, the output of net/http's
// *log.Logger, which writes one line per call.
type errorLog struct {
	emit       func(line string)
	suppressed func(n int, window time.Duration)
	window     time.Duration // 0: errorLogWindow

	mu      sync.Mutex
	started time.Time // the window's start; zero: no window open
	lines   int       // lines in the window
	dropped int       // of which suppressed
	timer   *time.Timer
}

var _ promhttp.Logger = (*errorLog)(nil)

// Println implements promhttp.Logger.
func (l *errorLog) Println(v ...any) { l.line(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

// Write takes one line from a *log.Logger.
func (l *errorLog) Write(p []byte) (int, error) {
	l.line(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func (l *errorLog) line(s string) {
	l.mu.Lock()
	now := time.Now()
	var ended int // suppressed in a window that has ended without its timer having fired yet
	var endedWindow time.Duration
	if !l.started.IsZero() && now.Sub(l.started) >= l.length() {
		ended, endedWindow = l.closeWindow()
	}
	if l.started.IsZero() {
		l.started = now
	}
	l.lines++
	suppress := l.lines > errorLogBurst
	if suppress {
		l.dropped++
		if l.timer == nil {
			// Report the count when the window ends, even if no line follows.
			l.timer = time.AfterFunc(l.length()-now.Sub(l.started), l.flush)
		}
	}
	l.mu.Unlock()
	if ended > 0 {
		l.suppressed(ended, endedWindow)
	}
	if !suppress {
		l.emit(s)
	}
}

func (l *errorLog) length() time.Duration {
	if l.window > 0 {
		return l.window
	}
	return errorLogWindow
}

// closeWindow ends the window and returns how many lines it suppressed and
// how long it lasted. l.mu is held.
func (l *errorLog) closeWindow() (int, time.Duration) {
	n, window := l.dropped, time.Since(l.started).Round(time.Second)
	l.dropped, l.started, l.lines = 0, time.Time{}, 0
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	return n, window
}

// flush reports the lines suppressed so far and closes the window.
func (l *errorLog) flush() {
	l.mu.Lock()
	n, window := l.closeWindow()
	l.mu.Unlock()
	if n > 0 {
		l.suppressed(n, window)
	}
}
