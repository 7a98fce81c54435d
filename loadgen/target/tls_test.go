package target_test

import (
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

func TestTLS(t *testing.T) {
	t.Parallel()
	files := servertest.NewTLSFiles(t, "cache.ecbench.test")
	for _, e := range servertest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			s := servertest.StartTLS(t, e, files)
			tests := []struct {
				name    string
				tls     target.TLS
				wantErr func(error) bool // nil: must succeed
				class   result.Class     // the error's class
			}{
				{"CA file, name from address", target.TLS{Enabled: true, CAFile: files.CAFile}, nil, 0},
				{"CA file, server name override", target.TLS{Enabled: true, CAFile: files.CAFile, ServerName: "cache.ecbench.test"}, nil, 0},
				{"insecure without CA", target.TLS{Enabled: true, InsecureSkipVerify: true}, nil, 0},
				{"wrong server name", target.TLS{Enabled: true, CAFile: files.CAFile, ServerName: "other.ecbench.test"},
					func(err error) bool {
						var he x509.HostnameError
						return errors.As(err, &he)
					}, result.ClassTLS},
				{"system roots do not know the test CA", target.TLS{Enabled: true},
					func(err error) bool {
						var ue x509.UnknownAuthorityError
						return errors.As(err, &ue)
					}, result.ClassTLS},
				// The plain port takes the ClientHello for a command still being
				// typed and never answers: proof the client really speaks TLS.
				{"TLS to the plain port", target.TLS{Enabled: true, CAFile: files.CAFile},
					func(err error) bool { return err != nil }, result.ClassTimeout},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					addr := s.TLSAddr
					if strings.HasPrefix(tt.name, "TLS to the plain port") {
						addr = s.Addr
					}
					tg := newTarget(t, target.Options{Name: "tls", Addrs: []string{addr}, TLS: tt.tls, DialTimeout: 500 * time.Millisecond})
					in, err := tg.Detect(testCtx(t, 5*time.Second))
					if tt.wantErr == nil {
						if err != nil {
							t.Fatalf("Detect over TLS: %v", err)
						}
						if in.Engine != e {
							t.Errorf("engine %q, want %q", in.Engine, e)
						}
						return
					}
					if err == nil || !tt.wantErr(err) {
						t.Fatalf("Detect error %v, not the one expected", err)
					}
					if c := result.Classify(err); c != tt.class {
						t.Errorf("class %v, want %v (err %v)", c, tt.class, err)
					}
				})
			}
		})
	}
}

func TestTLSCAFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const secretish = "MIIBdoNotPrintMe"
	notPEM := filepath.Join(dir, "not-pem.crt")
	if err := os.WriteFile(notPEM, []byte("this is not a certificate "+secretish+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.crt")

	tests := []struct {
		name   string
		caFile string
		is     error
	}{
		{"missing file", missing, fs.ErrNotExist},
		{"no PEM block", notPEM, target.ErrTLSCA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := target.New(target.Options{Name: "tls", Addrs: []string{"127.0.0.1:1"}, TLS: target.TLS{Enabled: true, CAFile: tt.caFile}})
			if err == nil {
				t.Fatal("New accepted a bad CA file")
			}
			if !errors.Is(err, tt.is) || !errors.Is(err, target.ErrTLSCA) {
				t.Errorf("error %q is not %v and ErrTLSCA", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.caFile) {
				t.Errorf("error %q does not name the file %s", err, tt.caFile)
			}
			if strings.Contains(err.Error(), secretish) {
				t.Errorf("error %q shows the file's contents", err)
			}
		})
	}

	// A CA file is read only when TLS is on.
	tg, err := target.New(target.Options{Name: "plain", Addrs: []string{"127.0.0.1:1"}, TLS: target.TLS{CAFile: missing}})
	if err != nil {
		t.Fatalf("TLS off with a missing CA file: %v", err)
	}
	_ = tg.Close()
}
