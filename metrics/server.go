package metrics

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxScrapesInFlight bounds concurrent /metrics requests; more get a 503.
const maxScrapesInFlight = 8

// Server serves /metrics, /healthz and /readyz.
type Server struct {
	addr string
	srv  *http.Server

	mu   sync.Mutex
	ln   net.Listener
	done chan struct{} // closed when Serve returns
}

// NewServer returns a server for addr (host:port) that exposes g. ready
// decides /readyz: nil means ready; a nil ready func is always ready.
func NewServer(addr string, g prometheus.Gatherer, ready func() error) *Server {
	if ready == nil {
		ready = func() error { return nil }
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog: stdLogger{},
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
	return &Server{
		addr: addr,
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          log.Default(),
		},
	}
}

// stdLogger sends promhttp's errors to the standard library's default logger,
// which cmd may redirect to its own logger.
type stdLogger struct{}

func (stdLogger) Println(v ...any) { log.Println(append([]any{"metrics:"}, v...)...) }

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
	s.ln = ln
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("metrics: serve %s: %v", ln.Addr(), err)
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
// ctx is done, and returns once the serving goroutine has exited.
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
	return err
}
