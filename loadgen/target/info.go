package target

import (
	"net"
	"strconv"
	"strings"
	"time"

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

// The states NodeStatus.MasterLink reports, as INFO does.
const (
	LinkUp   = "up"
	LinkDown = "down"
)

// InfoFields is an INFO reply (or part of one) as field → value. The
// "# Section" headers are left out; a field that appears twice keeps its
// first value.
type InfoFields map[string]string

// ParseInfoFields reads an INFO reply: lines of "field:value", "# Section"
// headers, CRLF or LF line ends.
func ParseInfoFields(s string) InfoFields {
	f := make(InfoFields, 64)
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
	return f
}

// ParseInfo reads the server and replication sections of an INFO reply
// (lines of "field:value", "# Section" headers, CRLF or LF line ends).
//
// Valkey reports server_name:valkey and valkey_version, and keeps
// redis_version (7.2.4 on Valkey 8) only for client compatibility, so
// valkey_version wins. Valkey 8 renamed redis_mode to server_mode; either is
// read. Redis OSS reports redis_version and no server_name.
func ParseInfo(s string) Info { return ParseInfoFields(s).Info() }

// Info reads the target's identity from the fields of INFO server and INFO
// replication (see ParseInfo).
func (f InfoFields) Info() Info {
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
	in.Role = role(f["role"])
	return in
}

func role(s string) string {
	switch s {
	case "master":
		return RolePrimary
	case "slave":
		return RoleReplica
	}
	return ""
}

// NodeStatus is what INFO server and INFO replication say about one node's
// process and its replication, beyond Info: what the monitor compares from
// one poll to the next to notice a restart, a role change or a broken link
// to the primary.
type NodeStatus struct {
	RunID  string        // a random id the server draws at every start
	Uptime time.Duration // since the server started, in whole seconds
	Role   string        // RolePrimary, RoleReplica or ""
	// MasterLink is a replica's link to its primary, LinkUp or LinkDown;
	// "" on a primary.
	MasterLink string
	Master     string // a replica's primary, host:port; "" on a primary
}

// NodeStatus reads a node's status from the fields of INFO server and INFO
// replication.
func (f InfoFields) NodeStatus() NodeStatus {
	s := NodeStatus{RunID: f["run_id"], Role: role(f["role"])}
	if up, err := strconv.ParseInt(f["uptime_in_seconds"], 10, 64); err == nil && up >= 0 {
		s.Uptime = time.Duration(up) * time.Second
	}
	if s.Role == RoleReplica {
		s.MasterLink = f["master_link_status"]
		if h, p := f["master_host"], f["master_port"]; h != "" {
			s.Master = net.JoinHostPort(h, p)
		}
	}
	return s
}

// Restarted reports whether the node went from prev to s by restarting: its
// run_id changed, or its uptime went down. Without a run_id on either side
// (no earlier poll) it did not.
func (s NodeStatus) Restarted(prev NodeStatus) bool {
	if prev.RunID == "" || s.RunID == "" {
		return false
	}
	return s.RunID != prev.RunID || s.Uptime < prev.Uptime
}
