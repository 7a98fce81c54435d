package result_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
)

// TestClassifyTLS provokes, from real servers of both engines, the TLS
// failures that were class other: a certificate the client does not trust
// or that is for another name, and the server's alert when it wants a
// client certificate. The server's refusal at its client limit
// (max_clients) is read from the connection by package target, and tested
// there (TestMaxClients): go-redis alone mostly sees only the broken pipe
// after it.
func TestClassifyTLS(t *testing.T) {
	t.Parallel()
	files := servertest.NewTLSFiles(t, "cache.ecbench.test")
	tests := []struct {
		name    string
		want    result.Class
		provoke func(t *testing.T, e servertest.Engine) error
	}{
		{"x509: unknown authority", result.ClassTLS, func(t *testing.T, e servertest.Engine) error {
			s := servertest.StartTLS(t, e, files)
			return tlsClient(t, s.TLSAddr, &tls.Config{MinVersion: tls.VersionTLS12}).Ping(ctx(t)).Err()
		}},
		{"x509: certificate for another name", result.ClassTLS, func(t *testing.T, e servertest.Engine) error {
			s := servertest.StartTLS(t, e, files)
			cfg := files.ClientConfig(t)
			cfg.ServerName = "other.ecbench.test"
			return tlsClient(t, s.TLSAddr, cfg).Ping(ctx(t)).Err()
		}},
		{"alert: client certificate required", result.ClassTLS, func(t *testing.T, e servertest.Engine) error {
			s := servertest.StartTLS(t, e, files, "tls-auth-clients", "yes")
			return tlsClient(t, s.TLSAddr, files.ClientConfig(t)).Ping(ctx(t)).Err()
		}},
		{"a trusted certificate is no error", result.ClassNone, func(t *testing.T, e servertest.Engine) error {
			s := servertest.StartTLS(t, e, files)
			return tlsClient(t, s.TLSAddr, files.ClientConfig(t)).Ping(ctx(t)).Err()
		}},
	}
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					check(t, tt.want, tt.provoke(t, e))
				})
			}
		})
	}
}

func tlsClient(t *testing.T, addr string, cfg *tls.Config) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, MaxRetries: -1, DialTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestClassifyMarkedErrors: the marks package target puts on what it reads
// from a connection decide the class over what they wrap.
func TestClassifyMarkedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want result.Class
	}{
		{"a refusal read back under a broken pipe", fmt.Errorf("%w (%w)", result.ErrMaxClients, syscall.EPIPE), result.ClassMaxClients},
		{"a refusal under EOF", fmt.Errorf("%w (%w)", result.ErrMaxClients, io.EOF), result.ClassMaxClients},
		{"a broken pipe alone", fmt.Errorf("write: %w", syscall.EPIPE), result.ClassConnReset},
		{"a handshake cut short", fmt.Errorf("%w: %w", result.ErrTLSHandshake, io.EOF), result.ClassTLS},
		{"a handshake reset", fmt.Errorf("%w: %w", result.ErrTLSHandshake, syscall.ECONNRESET), result.ClassTLS},
		{"a handshake that timed out", fmt.Errorf("%w: %w", result.ErrTLSHandshake, os.ErrDeadlineExceeded), result.ClassTimeout},
		{"a TLS record from a server that is not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, result.ClassTLS},
		{"a TLS alert", fmt.Errorf("dial: %w", tls.AlertError(40)), result.ClassTLS},
		{"an error that only says tls", errors.New("tls: something"), result.ClassOther},
	}
	for _, tt := range tests {
		if got := result.Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	for c, want := range map[result.Class]string{result.ClassTLS: "tls", result.ClassMaxClients: "max_clients"} {
		if c.String() != want {
			t.Errorf("class %d is %q, want %q", c, c.String(), want)
		}
	}
}
