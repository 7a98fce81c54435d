package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// client does not keep connections alive, so no transport goroutine outlives
// a test (goleak).
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func startServer(t *testing.T, ready func() error) *Server {
	t.Helper()
	reg, _ := newTestMetrics(t)
	s := NewServer("127.0.0.1:0", reg, ready)
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

// get fetches path from s with the given Accept header ("" for none).
func get(t *testing.T, s *Server, path, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+s.Addr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestServerHealth(t *testing.T) {
	t.Parallel()
	var notReady atomic.Pointer[error]
	errNoTarget := errors.New("no target has answered yet")
	notReady.Store(&errNoTarget)
	s := startServer(t, func() error {
		if p := notReady.Load(); p != nil {
			return *p
		}
		return nil
	})

	steps := []struct {
		name       string
		path       string
		makeReady  bool
		wantStatus int
		wantBody   string
	}{
		{"healthz", "/healthz", false, http.StatusOK, "ok"},
		{"readyz before ready", "/readyz", false, http.StatusServiceUnavailable, "no target has answered yet\n"},
		{"healthz while not ready", "/healthz", false, http.StatusOK, "ok"},
		{"readyz after ready", "/readyz", true, http.StatusOK, "ready"},
	}
	for _, st := range steps { // sequential: the steps share the readiness state
		if st.makeReady {
			notReady.Store(nil)
		}
		resp, body := get(t, s, st.path, "")
		if resp.StatusCode != st.wantStatus || body != st.wantBody {
			t.Errorf("%s: GET %s = %d %q, want %d %q", st.name, st.path, resp.StatusCode, body, st.wantStatus, st.wantBody)
		}
	}
}

func TestServerNilReadyIsReady(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	if resp, body := get(t, s, "/readyz", ""); resp.StatusCode != http.StatusOK || body != "ready" {
		t.Errorf("GET /readyz = %d %q, want 200 \"ready\"", resp.StatusCode, body)
	}
}

func TestServerMetricsContentType(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	tests := []struct {
		name, accept, wantType, wantBody string
	}{
		{"text", "", "text/plain; version=0.0.4", "# TYPE ecbench_build_info gauge"},
		{"openmetrics", "application/openmetrics-text; version=1.0.0", "application/openmetrics-text; version=1.0.0", "# EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := get(t, s, "/metrics", tt.accept)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want %q...", ct, tt.wantType)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body lacks %q", tt.wantBody)
			}
		})
	}
}

func TestServerStartErrors(t *testing.T) {
	t.Parallel()
	busy := startServer(t, nil)
	tests := []struct{ name, addr string }{
		{"busy port", busy.Addr()},
		{"bad port", "127.0.0.1:notaport"},
		{"bad host", "256.0.0.1:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewServer(tt.addr, NewRegistry(), nil)
			if err := s.Start(); err == nil {
				_ = s.Shutdown(context.Background())
				t.Fatalf("Start on %s: no error", tt.addr)
			}
			if s.Addr() != "" {
				t.Errorf("Addr after a failed Start = %q, want \"\"", s.Addr())
			}
			if err := s.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown after a failed Start: %v", err)
			}
		})
	}
}

func TestServerShutdown(t *testing.T) {
	t.Parallel()
	s := NewServer("127.0.0.1:0", NewRegistry(), nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Error("second Start: no error")
	}
	addr := s.Addr()
	if resp, _ := get(t, s, "/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("server still answers after Shutdown")
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}
