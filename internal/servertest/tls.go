package servertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TLSFiles are PEM files of a throwaway CA and a server certificate it signed.
type TLSFiles struct {
	CAFile   string // the CA certificate
	CertFile string // the server certificate
	KeyFile  string // the server's private key (PKCS #8)
	// ServerNames are the DNS names in the server certificate, besides the
	// 127.0.0.1 and ::1 IP addresses it always holds.
	ServerNames []string
}

// NewTLSFiles writes a fresh CA and a server certificate for 127.0.0.1, ::1,
// "localhost" and dnsNames into a temporary directory of the test.
func NewTLSFiles(t testing.TB, dnsNames ...string) TLSFiles {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()

	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ecbench test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("create CA certificate: %v", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatalf("parse CA certificate: %v", err)
	}

	names := append([]string{"localhost"}, dnsNames...)
	srvKey := newKey(t)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("create server certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatalf("marshal server key: %v", err)
	}

	f := TLSFiles{
		CAFile:      filepath.Join(dir, "ca.crt"),
		CertFile:    filepath.Join(dir, "server.crt"),
		KeyFile:     filepath.Join(dir, "server.key"),
		ServerNames: names,
	}
	writePEM(t, f.CAFile, "CERTIFICATE", caDER)
	writePEM(t, f.CertFile, "CERTIFICATE", srvDER)
	writePEM(t, f.KeyFile, "PRIVATE KEY", keyDER)
	return f
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return k
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// ClientConfig returns a TLS client config that trusts the CA, for tests
// that talk to a TLS server directly.
func (f TLSFiles) ClientConfig(t testing.TB) *tls.Config {
	t.Helper()
	b, err := os.ReadFile(f.CAFile)
	if err != nil {
		t.Fatalf("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", f.CAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// TLSServer is a server that also accepts TLS connections.
type TLSServer struct {
	*Server
	TLSAddr string // 127.0.0.1:tls-port
	TLSPort int
	Files   TLSFiles
}

// StartTLS starts engine with a TLS listener (tls-port) using files, without
// client-certificate authentication, plus the given directives.
//
// The plain port stays open beside the TLS one so that Start's readiness
// check, Client, Kill and Restart keep working unchanged; tests that exercise
// TLS connect to TLSAddr.
func StartTLS(t testing.TB, engine Engine, files TLSFiles, directives ...string) *TLSServer {
	t.Helper()
	port := FreePort(t)
	ds := append([]string{
		"tls-port", strconv.Itoa(port),
		"tls-cert-file", files.CertFile,
		"tls-key-file", files.KeyFile,
		"tls-ca-cert-file", files.CAFile,
		"tls-auth-clients", "no",
	}, directives...)
	s := Start(t, engine, ds...)
	return &TLSServer{
		Server:  s,
		TLSAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		TLSPort: port,
		Files:   files,
	}
}
