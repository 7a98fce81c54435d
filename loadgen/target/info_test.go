package target_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ecbench/ecbench/loadgen/target"
)

// The testdata files are INFO server and INFO replication replies captured
// from redis-server 7.0.15 and valkey-server 8.0.1 (CRLF line ends as sent).
func TestParseInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want target.Info
	}{
		{"info-redis-primary.txt", target.Info{Engine: "redis", Version: "7.0.15", Mode: "standalone", Role: "primary"}},
		{"info-redis-replica.txt", target.Info{Engine: "redis", Version: "7.0.15", Mode: "standalone", Role: "replica"}},
		{"info-redis-cluster.txt", target.Info{Engine: "redis", Version: "7.0.15", Mode: "cluster", Role: "primary"}},
		{"info-redis-sentinel.txt", target.Info{Engine: "redis", Version: "7.0.15", Mode: "sentinel"}},
		// Valkey 8 also says redis_version:7.2.4 and server_mode instead of redis_mode.
		{"info-valkey-primary.txt", target.Info{Engine: "valkey", Version: "8.0.1", Mode: "standalone", Role: "primary"}},
		{"info-valkey-replica.txt", target.Info{Engine: "valkey", Version: "8.0.1", Mode: "standalone", Role: "replica"}},
		{"info-valkey-cluster.txt", target.Info{Engine: "valkey", Version: "8.0.1", Mode: "cluster", Role: "primary"}},
		{"info-valkey-sentinel.txt", target.Info{Engine: "valkey", Version: "8.0.1", Mode: "sentinel"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := target.ParseInfo(string(b)); got != tt.want {
				t.Errorf("ParseInfo = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseInfoEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     target.Info
	}{
		{"empty", "", target.Info{Engine: "unknown"}},
		{"LF line ends", "# Server\nredis_version:6.2.14\nredis_mode:standalone\n\n# Replication\nrole:master\n",
			target.Info{Engine: "redis", Version: "6.2.14", Mode: "standalone", Role: "primary"}},
		// Valkey 7.2 named itself but had no valkey_version yet.
		{"valkey 7.2 without valkey_version", "redis_version:7.2.4\r\nserver_name:valkey\r\nredis_mode:standalone\r\n",
			target.Info{Engine: "valkey", Version: "7.2.4", Mode: "standalone"}},
		{"value with colons", "redis_version:7.0.15\r\nexecutable:/a:b\r\nrole:slave\r\n",
			target.Info{Engine: "redis", Version: "7.0.15", Role: "replica"}},
		{"unknown role", "redis_version:7.0.15\r\nrole:sentinel\r\n", target.Info{Engine: "redis", Version: "7.0.15"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := target.ParseInfo(tt.in); got != tt.want {
				t.Errorf("ParseInfo = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseInfo(f *testing.F) {
	for _, name := range []string{"info-redis-primary.txt", "info-valkey-replica.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := target.ParseInfo(s)
		switch in.Engine {
		case "redis", "valkey", "unknown":
		default:
			t.Fatalf("engine %q outside the fixed set", in.Engine)
		}
		switch in.Role {
		case "", "primary", "replica":
		default:
			t.Fatalf("role %q outside the fixed set", in.Role)
		}
	})
}
