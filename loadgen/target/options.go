package target

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Mode is how a target is addressed.
type Mode string

// The modes.
const (
	Standalone Mode = "standalone" // one endpoint (a primary, a replica, or an ElastiCache primary endpoint)
	Cluster    Mode = "cluster"    // Redis Cluster protocol: the client follows MOVED/ASK
)

// Sentinel errors.
var (
	// ErrInvalidOptions is wrapped by every Options validation problem.
	ErrInvalidOptions = errors.New("invalid target options")
	// ErrTLSCA is wrapped when the TLS CA file cannot be used.
	ErrTLSCA = errors.New("tls ca file")
	// ErrNoPrimary is returned by Detect on a cluster with no primaries known.
	ErrNoPrimary = errors.New("no cluster primary answered")
)

// TLS is how to secure the connection. The zero value is plain TCP.
type TLS struct {
	Enabled bool
	// CAFile is a PEM bundle of CAs to trust instead of the system roots
	// (ElastiCache's certificates chain to public roots, so usually empty).
	CAFile string
	// ServerName overrides the name verified in the server's certificate.
	// Empty verifies each node's own host name, which is what cluster mode
	// needs: every node is dialled by its own address.
	ServerName string
	// InsecureSkipVerify accepts any certificate. For tests and debugging
	// only: it allows a man in the middle.
	InsecureSkipVerify bool
}

// Options describe one target.
type Options struct {
	Name           string        // a bounded label value, e.g. "redis" or "valkey"
	Addrs          []string      // host:port; standalone takes exactly one, cluster takes seeds
	Mode           Mode          // "" means Standalone
	DeclaredEngine engine.Engine // "", Redis or Valkey: what the configuration claims
	TLS            TLS
	Username       string
	Password       string // never appears in any error, event or String()
	DB             int    // standalone only
	PoolSize       int    // connections per node; 0 = go-redis default (10 per GOMAXPROCS)
	// Protocol is the RESP version, 2 or 3; 0 means 2. RESP2 is what
	// valkey-benchmark and memtier_benchmark speak, and it is cheaper for the
	// client: go-redis peeks for RESP3 push notifications around every
	// command, which ecbench never subscribes to (about 15% of a client CPU
	// at pipeline 1, see docs/performance.md).
	Protocol int

	// Zero means go-redis's default (5s dial, 3s read, write = read).
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// InfoInterval is how often Monitor reads INFO (role, run_id, master
	// link, and the sections WatchInfo adds); 0 means DefaultInfoInterval.
	InfoInterval time.Duration
}

// String describes the options without the password.
func (o Options) String() string { return o.describe(o.Password != "") }

func (o Options) describe(hasPassword bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s %s", o.Name, o.mode(), strings.Join(o.Addrs, ","))
	if o.TLS.Enabled {
		b.WriteString(" tls")
	}
	if o.Username != "" {
		fmt.Fprintf(&b, " user %s", o.Username)
	}
	if hasPassword {
		b.WriteString(" password set")
	}
	b.WriteString(")")
	return b.String()
}

// GoString keeps %#v from printing the password too.
func (o Options) GoString() string { return "target.Options{" + o.String() + "}" }

func (o Options) protocol() int {
	if o.Protocol == 0 {
		return 2
	}
	return o.Protocol
}

func (o Options) infoInterval() time.Duration {
	if o.InfoInterval <= 0 {
		return DefaultInfoInterval
	}
	return o.InfoInterval
}

func (o Options) mode() Mode {
	if o.Mode == "" {
		return Standalone
	}
	return o.Mode
}

// validate returns every problem at once, each wrapping ErrInvalidOptions.
func (o Options) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: target %q: %s: %s", ErrInvalidOptions, o.Name, field, fmt.Sprintf(format, args...)))
	}
	if o.Name == "" {
		bad("name", "must not be empty")
	}
	switch o.mode() {
	case Standalone:
		if len(o.Addrs) != 1 {
			bad("addrs", "standalone mode takes exactly one address, got %d", len(o.Addrs))
		}
	case Cluster:
		if len(o.Addrs) == 0 {
			bad("addrs", "cluster mode takes at least one seed address, got none")
		}
		if o.DB != 0 {
			bad("db", "must be 0 in cluster mode, got %d", o.DB)
		}
	default:
		bad("mode", "must be %q or %q, got %q", Standalone, Cluster, o.Mode)
	}
	for i, a := range o.Addrs {
		if a == "" {
			bad(fmt.Sprintf("addrs[%d]", i), "must not be empty")
		}
	}
	switch o.DeclaredEngine {
	case "", engine.Redis, engine.Valkey:
	default:
		bad("declared_engine", "must be empty, %q or %q, got %q", engine.Redis, engine.Valkey, o.DeclaredEngine)
	}
	if o.DB < 0 {
		bad("db", "must be >= 0, got %d", o.DB)
	}
	if o.Protocol != 0 && o.Protocol != 2 && o.Protocol != 3 {
		bad("protocol", "must be 2 or 3, got %d", o.Protocol)
	}
	if o.PoolSize < 0 {
		bad("pool_size", "must be >= 0, got %d", o.PoolSize)
	}
	if o.InfoInterval < 0 {
		bad("info_interval", "must be >= 0 (0: %v), got %v", DefaultInfoInterval, o.InfoInterval)
	}
	return errors.Join(errs...)
}

// Config builds the client TLS configuration, or nil when TLS is off: TLS
// 1.2 at least, the system roots or CAFile's. A CA file problem names the
// file, never its contents. Every client of a target (and the profiler's)
// is built with it.
func (t TLS) Config() (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // opt-in, documented as unsafe
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTLSCA, err) // *PathError names the file
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w %s: no PEM certificate found", ErrTLSCA, t.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
