package target_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/target"
)

func TestNewValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    target.Options
		want []string // each problem's exact text, in order
	}{
		{"no name, no address", target.Options{},
			[]string{
				`invalid target options: target "": name: must not be empty`,
				`invalid target options: target "": addrs: standalone mode takes exactly one address, got 0`,
			}},
		{"two standalone addresses", target.Options{Name: "a", Addrs: []string{"h:1", "h:2"}},
			[]string{`invalid target options: target "a": addrs: standalone mode takes exactly one address, got 2`}},
		{"cluster without seeds, with a db", target.Options{Name: "c", Mode: target.Cluster, DB: 2},
			[]string{
				`invalid target options: target "c": addrs: cluster mode takes at least one seed address, got none`,
				`invalid target options: target "c": db: must be 0 in cluster mode, got 2`,
			}},
		{"bad mode, engine, pool size, empty address", target.Options{Name: "x", Mode: "sentinel", Addrs: []string{""}, DeclaredEngine: "keydb", PoolSize: -1, DB: -1, Protocol: 1},
			[]string{
				`invalid target options: target "x": mode: must be "standalone" or "cluster", got "sentinel"`,
				`invalid target options: target "x": addrs[0]: must not be empty`,
				`invalid target options: target "x": declared_engine: must be empty, "redis" or "valkey", got "keydb"`,
				`invalid target options: target "x": db: must be >= 0, got -1`,
				`invalid target options: target "x": protocol: must be 2 or 3, got 1`,
				`invalid target options: target "x": pool_size: must be >= 0, got -1`,
			}},
		{"negative info interval", target.Options{Name: "i", Addrs: []string{"h:1"}, InfoInterval: -time.Second},
			[]string{`invalid target options: target "i": info_interval: must be >= 0 (0: 5s), got -1s`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tg, err := target.New(tt.o)
			if err == nil {
				_ = tg.Close()
				t.Fatal("New accepted invalid options")
			}
			if !errors.Is(err, target.ErrInvalidOptions) {
				t.Errorf("error does not wrap ErrInvalidOptions: %v", err)
			}
			if got := strings.Split(err.Error(), "\n"); !equal(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNewClientKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode target.Mode
		want string
	}{
		{"", "*redis.Client"},
		{target.Standalone, "*redis.Client"},
		{target.Cluster, "*redis.ClusterClient"},
	}
	for _, tt := range tests {
		tg, err := target.New(target.Options{Name: "k", Mode: tt.mode, Addrs: []string{"127.0.0.1:1"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", tg.Client()); got != tt.want {
			t.Errorf("mode %q: client %s, want %s", tt.mode, got, tt.want)
		}
		if c, ok := tg.Client().(*redis.Client); ok && c.Options().MaxRetries != 0 {
			// go-redis turns the -1 we pass into 0 retries.
			t.Errorf("standalone MaxRetries = %d, want 0 (no retries)", c.Options().MaxRetries)
		}
		if tg.Name() != "k" || tg.Up() || tg.Ready() {
			t.Errorf("fresh target: Name=%q Up=%v Ready=%v", tg.Name(), tg.Up(), tg.Ready())
		}
		_ = tg.Close()
	}
}

func TestOptionsStringHidesPassword(t *testing.T) {
	t.Parallel()
	o := target.Options{
		Name: "ec", Addrs: []string{"cache.example:6379"}, Mode: target.Cluster,
		TLS: target.TLS{Enabled: true}, Username: "app", Password: rightPassword,
	}
	const want = "ec (cluster cache.example:6379 tls user app password set)"
	if got := o.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		noSecret(t, format, fmt.Sprintf(format, o))
		noSecret(t, format+" of a pointer", fmt.Sprintf(format, &o))
	}
	tg, err := target.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if got := tg.String(); got != want {
		t.Errorf("Target.String() = %q, want %q", got, want)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		noSecret(t, format+" of a Target", fmt.Sprintf(format, tg))
	}
}
