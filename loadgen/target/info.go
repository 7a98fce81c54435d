package target

import (
	"strings"

	"github.com/ecbench/ecbench/loadgen/engine"
)

// Info is what a target says about itself in INFO.
type Info struct {
	Engine  engine.Engine // Redis or Valkey (Unknown if INFO names neither)
	Version string        // the engine's own version, e.g. "8.0.1" for Valkey 8.0.1
	Mode    string        // "standalone", "cluster" or "sentinel"
	Role    string        // "primary" or "replica"; "" when INFO has no replication section (sentinel)
}

// The roles Info.Role reports.
const (
	RolePrimary = "primary"
	RoleReplica = "replica"
)

// ParseInfo reads the server and replication sections of an INFO reply
// (lines of "field:value", "# Section" headers, CRLF or LF line ends).
//
// Valkey reports server_name:valkey and valkey_version, and keeps
// redis_version (7.2.4 on Valkey 8) only for client compatibility, so
// valkey_version wins. Valkey 8 renamed redis_mode to server_mode; either is
// read. Redis OSS reports redis_version and no server_name.
func ParseInfo(s string) Info {
	f := make(map[string]string, 16)
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			if _, seen := f[k]; !seen { // first occurrence wins, like a section-ordered read
				f[k] = v
			}
		}
	}

	var in Info
	switch {
	case f["server_name"] == string(engine.Valkey) || f["valkey_version"] != "":
		in.Engine, in.Version = engine.Valkey, f["valkey_version"]
		if in.Version == "" { // Valkey 7.2 has server_name but only redis_version
			in.Version = f["redis_version"]
		}
	case f["redis_version"] != "":
		in.Engine, in.Version = engine.Redis, f["redis_version"]
	default:
		in.Engine = engine.Unknown
	}

	in.Mode = f["server_mode"]
	if in.Mode == "" {
		in.Mode = f["redis_mode"]
	}

	switch f["role"] {
	case "master":
		in.Role = RolePrimary
	case "slave":
		in.Role = RoleReplica
	}
	return in
}
