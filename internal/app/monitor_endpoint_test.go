package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecbench/ecbench/internal/awsfake"
	"github.com/ecbench/ecbench/loadgen/engine"
	"github.com/ecbench/ecbench/loadgen/probe"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/target"
)

// TestFindEndpoint looks cluster ids up through the real SDK client and the
// fake ElastiCache endpoint.
func TestFindEndpoint(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	members := []awsfake.Member{{CacheCluster: "rg-001", Node: "0001"}, {CacheCluster: "rg-002", Node: "0001"}}
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg", Engine: "redis", TransitEncryption: true, AuthToken: true,
		NodeGroups: []awsfake.NodeGroup{{ID: "0001", Members: members,
			PrimaryEndpoint: awsfake.Endpoint{Address: "master.rg.abc123.apne1.cache.amazonaws.com", Port: 6379}}}})
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg-cluster", Engine: "valkey",
		ConfigurationEndpoint: awsfake.Endpoint{Address: "clustercfg.rg-cluster.abc123.apne1.cache.amazonaws.com", Port: 6380},
		NodeGroups:            []awsfake.NodeGroup{{ID: "0001", Members: []awsfake.Member{{CacheCluster: "rg-cluster-0001-001", Node: "0001"}}}}})
	fake.SetReplicationGroup(awsfake.ReplicationGroup{ID: "rg-creating", NodeGroups: []awsfake.NodeGroup{{ID: "0001"}}})
	fake.SetCacheCluster(awsfake.CacheCluster{ID: "rg-002", Engine: "redis", Nodes: []string{"0001"}, ReplicationGroup: "rg",
		Endpoints: []awsfake.Endpoint{{Address: "rg-002.abc123.0001.apne1.cache.amazonaws.com", Port: 6379}}})
	fake.SetCacheCluster(awsfake.CacheCluster{ID: "single", Engine: "valkey", Nodes: []string{"0001"},
		Endpoints: []awsfake.Endpoint{{Address: "single.abc123.0001.apne1.cache.amazonaws.com", Port: 6379}}})
	_, ec := fake.Clients(t)

	tests := []struct {
		id      string
		want    Endpoint
		wantErr string
	}{
		{id: "rg", want: Endpoint{Host: "master.rg.abc123.apne1.cache.amazonaws.com", Port: 6379, TLS: true, Auth: true, Engine: "redis", ReplicationGroup: "rg"}},
		{id: "rg-cluster", want: Endpoint{Host: "clustercfg.rg-cluster.abc123.apne1.cache.amazonaws.com", Port: 6380, Cluster: true, Engine: "valkey", ReplicationGroup: "rg-cluster"}},
		// A member cluster: its group's primary endpoint, which follows
		// failovers, not its own node's.
		{id: "rg-002", want: Endpoint{Host: "master.rg.abc123.apne1.cache.amazonaws.com", Port: 6379, TLS: true, Auth: true, Engine: "redis", ReplicationGroup: "rg"}},
		{id: "single", want: Endpoint{Host: "single.abc123.0001.apne1.cache.amazonaws.com", Port: 6379, Engine: "valkey", CacheCluster: "single"}},
		{id: "nope", wantErr: `"nope": no replication group or cache cluster with this id`},
		{id: "rg-creating", wantErr: `replication group "rg-creating" has no primary or configuration endpoint yet (status "available")`},
		{id: "", wantErr: "cluster id: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			got, err := FindEndpoint(t.Context(), ec, tt.id)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FindEndpoint(%q) = %+v, %v; want %+v", tt.id, got, err, tt.want)
			}
		})
	}
	if _, err := FindEndpoint(t.Context(), ec, "nope"); !errors.Is(err, ErrClusterNotFound) {
		t.Errorf("not found: %v does not wrap ErrClusterNotFound", err)
	}
}

// TestFindEndpointAWSError: a failed call is an error of its own, not "not
// found".
func TestFindEndpointAWSError(t *testing.T) {
	t.Parallel()
	fake := awsfake.New(t)
	fake.FailElastiCache(func(string) *awsfake.Error {
		return &awsfake.Error{Status: 403, Code: "AccessDenied", Message: "not allowed"}
	})
	_, ec := fake.Clients(t)
	_, err := FindEndpoint(t.Context(), ec, "rg")
	if err == nil || errors.Is(err, ErrClusterNotFound) || !strings.HasPrefix(err.Error(), `describe replication group "rg": `) ||
		!strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("error %v", err)
	}
}

func TestMonitorSummaryText(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 24, 20, 15, 0, 0, time.UTC)
	outage := func(at, d time.Duration, failed int) probe.Outage {
		return probe.Outage{Start: start.Add(at), End: start.Add(at + d), Duration: d,
			FirstClass: result.ClassConnRefused, LastClass: result.ClassLoading, Failed: failed}
	}
	redis := target.Info{Engine: engine.Redis, Version: "7.1.0", Mode: "standalone", Role: "primary"}
	valkey := target.Info{Engine: engine.Valkey, Version: "8.0.1", Mode: "standalone", Role: "primary"}
	base := MonitorSummary{Endpoint: "rg (standalone master.rg:6379 tls password)", Dir: "monitor-x",
		Start: start, End: start.Add(time.Hour), Probes: 36000, ProbesOK: 35950}
	tests := []struct {
		name string
		edit func(*MonitorSummary)
		want string
	}{
		{"a migration", func(s *MonitorSummary) {
			s.Outages = []probe.Outage{outage(10*time.Minute, 2315*time.Millisecond, 23), outage(20*time.Minute, 2700*time.Millisecond, 27)}
			s.Integrity, s.Verified, s.Lost = true, 35000, 31
			s.Detected, s.Before, s.After, s.Changes = true, redis, valkey, 1
			s.CloudWatch, s.CloudWatchPoints = true, 1020
		}, `monitored rg (standalone master.rg:6379 tls password) for 1h0m0s, 2026-11-24T20:15:00.000Z to 2026-11-24T21:15:00.000Z
outages: 2, unavailable 5.015 s in all; 99.86% of 36000 probes succeeded
  2026-11-24T20:25:00.000Z to 2026-11-24T20:25:02.315Z  2.315 s  conn_refused, last loading, 23 failed probes
  2026-11-24T20:35:00.000Z to 2026-11-24T20:35:02.700Z  2.700 s  conn_refused, last loading, 27 failed probes
lost writes: 31 (stale 0, corrupted 0); 35000 verified, 0 unchecked
engine: redis 7.1.0 → valkey 8.0.1
role: primary; 1 changes of engine, version, mode or role
cloudwatch: 1020 datapoints
files: monitor-x
`},
		{"down at the stop, never detected", func(s *MonitorSummary) {
			s.Outages, s.Ongoing = []probe.Outage{outage(59*time.Minute, time.Minute, 600)}, true
		}, `monitored rg (standalone master.rg:6379 tls password) for 1h0m0s, 2026-11-24T20:15:00.000Z to 2026-11-24T21:15:00.000Z
outages: 1, unavailable 60.000 s in all; 99.86% of 36000 probes succeeded
  2026-11-24T21:14:00.000Z to the stop (still down)  60.000 s  conn_refused, last loading, 600 failed probes
lost writes: not checked (no integrity probe)
engine: unknown (INFO never answered)
files: monitor-x
`},
		{"quiet, a failover", func(s *MonitorSummary) {
			s.Integrity, s.Verified = true, 36000
			replica := valkey
			replica.Role = "replica"
			s.Detected, s.Before, s.After, s.Changes = true, valkey, replica, 1
		}, `monitored rg (standalone master.rg:6379 tls password) for 1h0m0s, 2026-11-24T20:15:00.000Z to 2026-11-24T21:15:00.000Z
outages: none; 99.86% of 36000 probes succeeded
lost writes: 0 (stale 0, corrupted 0); 36000 verified, 0 unchecked
engine: valkey 8.0.1, unchanged
role: primary → replica; 1 changes of engine, version, mode or role
files: monitor-x
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := base
			tt.edit(&s)
			var b strings.Builder
			if err := s.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
