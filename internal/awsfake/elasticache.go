package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The ElastiCache half of the fake: the AWS Query protocol.

// ReplicationGroup is a replication group as DescribeReplicationGroups and
// TestFailover show it.
type ReplicationGroup struct {
	ID                 string
	Engine             string // "redis" or "valkey"; "": no <Engine> element
	NodeGroups         []NodeGroup
	MemberClustersOnly bool // list MemberClusters only, no NodeGroups
	// ConfigurationEndpoint is a cluster-mode enabled group's endpoint; it
	// also sets <ClusterEnabled>. Zero: none (cluster mode disabled).
	ConfigurationEndpoint Endpoint
	TransitEncryption     bool // <TransitEncryptionEnabled>true; false: the element is left out
	AuthToken             bool // <AuthTokenEnabled>true; false: the element is left out
}

// Endpoint is an address and port as ElastiCache answers them; the zero
// Endpoint is left out of the answer.
type Endpoint struct {
	Address string
	Port    int
}

// NodeGroup is a shard: a primary and its replicas.
type NodeGroup struct {
	ID      string // such as "0001"
	Members []Member
	Primary int // the index in Members of the primary; the others are replicas
	// PrimaryEndpoint is the node group's <PrimaryEndpoint> (cluster mode
	// disabled: the group's primary endpoint). Zero: none.
	PrimaryEndpoint Endpoint
}

// Member is a node of a node group.
type Member struct {
	CacheCluster string // the CacheClusterId, such as "rg-001" or "rg-0001-001"
	Node         string // the CacheNodeId, such as "0001"
}

// CacheCluster is a cache cluster as DescribeCacheClusters shows it.
type CacheCluster struct {
	ID     string
	Engine string
	Nodes  []string // CacheNodeIds
	// Endpoints are the nodes' endpoints, by index in Nodes; missing or
	// zero: the node has no <Endpoint>.
	Endpoints []Endpoint
	// ReplicationGroup is the group the cluster is a member of; "": none.
	ReplicationGroup  string
	TransitEncryption bool // as in ReplicationGroup
	AuthToken         bool
}

// SetReplicationGroup adds g, or replaces the group with its ID.
func (s *Server) SetReplicationGroup(g ReplicationGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[g.ID] = g.clone()
}

// RemoveReplicationGroup deletes a group: it is not found from now on.
func (s *Server) RemoveReplicationGroup(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, id)
	delete(s.raw, id)
}

// ReplicationGroup returns the group with id as it is now (after any
// TestFailover).
func (s *Server) ReplicationGroup(id string) (ReplicationGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	return g.clone(), ok
}

// SetReplicationGroupXML makes DescribeReplicationGroups for id answer the
// verbatim body answer (such as one recorded from AWS). It takes precedence
// over SetReplicationGroup; TestFailover does not see such a group.
func (s *Server) SetReplicationGroupXML(id string, answer []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw[id] = slices.Clone(answer)
}

// SetCacheCluster adds c, or replaces the cluster with its ID.
func (s *Server) SetCacheCluster(c CacheCluster) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Nodes = slices.Clone(c.Nodes)
	c.Endpoints = slices.Clone(c.Endpoints)
	s.clusters[c.ID] = c
}

// FailElastiCache makes fn decide, for every ElastiCache request, whether
// to answer with an error instead; nil: never. The request is recorded
// either way.
func (s *Server) FailElastiCache(fn func(action string) *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ecErr = fn
}

// OnTestFailover makes a successful TestFailover call fn with the group and
// node group ids, after the fake promoted the next replica and before it
// answers (fn can promote a real replica; start a goroutine in fn for a
// failover that lags the answer). nil: none.
func (s *Server) OnTestFailover(fn func(replicationGroup, nodeGroup string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onFailover = fn
}

// ElastiCacheCalls returns the form parameters of the ElastiCache requests
// received so far whose Action is action ("": all), failed ones included.
func (s *Server) ElastiCacheCalls(action string) []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []url.Values
	for _, form := range s.ecCalls {
		if action == "" || form.Get("Action") == action {
			out = append(out, form)
		}
	}
	return out
}

func (g ReplicationGroup) clone() ReplicationGroup {
	g.NodeGroups = slices.Clone(g.NodeGroups)
	for i := range g.NodeGroups {
		g.NodeGroups[i].Members = slices.Clone(g.NodeGroups[i].Members)
	}
	return g
}

func (s *Server) serveElastiCache(w http.ResponseWriter, r *http.Request, body []byte) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		s.t.Errorf("awsfake: ElastiCache Content-Type %q", ct)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.t.Errorf("awsfake: ElastiCache form: %v", err)
		ecError(w, &Error{Status: 400, Code: "MalformedQueryString"})
		return
	}
	if v := form.Get("Version"); v != "2015-02-02" {
		s.t.Errorf("awsfake: ElastiCache Version %q", v)
	}
	action := form.Get("Action")
	s.mu.Lock()
	s.ecCalls = append(s.ecCalls, form)
	inject := s.ecErr
	s.mu.Unlock()
	if inject != nil {
		if e := inject(action); e != nil {
			ecError(w, e)
			return
		}
	}
	switch action {
	case "DescribeReplicationGroups":
		s.describeReplicationGroups(w, form)
	case "DescribeCacheClusters":
		s.describeCacheClusters(w, form)
	case "TestFailover":
		s.testFailover(w, form)
	default:
		s.t.Errorf("awsfake: unexpected ElastiCache action %q", action)
		ecError(w, &Error{Status: 400, Code: "InvalidAction"})
	}
}

func (s *Server) describeReplicationGroups(w http.ResponseWriter, form url.Values) {
	id := form.Get("ReplicationGroupId")
	s.mu.Lock()
	raw, isRaw := s.raw[id]
	g, ok := s.groups[id]
	g = g.clone()
	s.mu.Unlock()
	if isRaw {
		writeXML(w, raw)
		return
	}
	if !ok {
		ecError(w, &Error{Status: 404, Code: "ReplicationGroupNotFoundFault", Message: "Replication group " + id + " not found."})
		return
	}
	writeXML(w, wrapXML("DescribeReplicationGroups", struct {
		XMLName xml.Name              `xml:"ReplicationGroups"`
		Groups  []xmlReplicationGroup `xml:"ReplicationGroup"`
	}{Groups: []xmlReplicationGroup{g.xml()}}))
}

func (s *Server) describeCacheClusters(w http.ResponseWriter, form url.Values) {
	id := form.Get("CacheClusterId")
	if form.Get("ShowCacheNodeInfo") != "true" {
		s.t.Errorf("awsfake: DescribeCacheClusters without ShowCacheNodeInfo=true: %v", form)
	}
	s.mu.Lock()
	c, ok := s.clusters[id]
	s.mu.Unlock()
	if !ok {
		ecError(w, &Error{Status: 404, Code: "CacheClusterNotFound", Message: "CacheCluster not found: " + id})
		return
	}
	writeXML(w, cacheClusterXML(c))
}

// testFailover answers with the group as it was when the call arrived, and
// promotes the node group's next member for later calls.
func (s *Server) testFailover(w http.ResponseWriter, form url.Values) {
	rgID, ngID := form.Get("ReplicationGroupId"), form.Get("NodeGroupId")
	if rgID == "" || ngID == "" {
		s.t.Errorf("awsfake: TestFailover without ReplicationGroupId or NodeGroupId: %v", form)
		ecError(w, &Error{Status: 400, Code: "InvalidParameterValue"})
		return
	}
	s.mu.Lock()
	g, ok := s.groups[rgID]
	var answer ReplicationGroup
	ng := -1
	if ok {
		answer = g.clone()
		ng = slices.IndexFunc(g.NodeGroups, func(n NodeGroup) bool { return n.ID == ngID })
	}
	canFail := ng >= 0 && len(g.NodeGroups[ng].Members) > 1
	if canFail {
		n := &g.NodeGroups[ng]
		n.Primary = (n.Primary + 1) % len(n.Members)
	}
	hook := s.onFailover
	s.mu.Unlock()
	switch {
	case !ok:
		ecError(w, &Error{Status: 404, Code: "ReplicationGroupNotFoundFault", Message: "Replication group " + rgID + " not found."})
		return
	case ng < 0:
		ecError(w, &Error{Status: 404, Code: "NodeGroupNotFoundFault", Message: "Node group " + ngID + " not found in " + rgID + "."})
		return
	case !canFail:
		// A node group without a replica has automatic failover disabled.
		ecError(w, &Error{Status: 400, Code: "InvalidReplicationGroupState", Message: "Node group " + ngID + " of " + rgID + " has no replica to fail over to."})
		return
	}
	if hook != nil {
		hook(rgID, ngID)
	}
	writeXML(w, wrapXML("TestFailover", answer.xml()))
}

const ecNamespace = "http://elasticache.amazonaws.com/doc/2015-02-02/"

type xmlReplicationGroup struct {
	XMLName               xml.Name       `xml:"ReplicationGroup"`
	ID                    string         `xml:"ReplicationGroupId"`
	Status                string         `xml:"Status"`
	Engine                string         `xml:"Engine,omitempty"`
	MemberClusters        []string       `xml:"MemberClusters>ClusterId"`
	NodeGroups            []xmlNodeGroup `xml:"NodeGroups>NodeGroup"`
	AutomaticFailover     string         `xml:"AutomaticFailover"`
	ConfigurationEndpoint *xmlEndpoint   `xml:"ConfigurationEndpoint,omitempty"`
	ClusterEnabled        bool           `xml:"ClusterEnabled,omitempty"`
	TransitEncryption     bool           `xml:"TransitEncryptionEnabled,omitempty"`
	AuthToken             bool           `xml:"AuthTokenEnabled,omitempty"`
}

type xmlNodeGroup struct {
	ID              string               `xml:"NodeGroupId"`
	Status          string               `xml:"Status"`
	PrimaryEndpoint *xmlEndpoint         `xml:"PrimaryEndpoint,omitempty"`
	Members         []xmlNodeGroupMember `xml:"NodeGroupMembers>NodeGroupMember"`
}

type xmlEndpoint struct {
	Address string `xml:"Address"`
	Port    int    `xml:"Port"`
}

// xml returns e as an element, or nil (left out) for the zero Endpoint.
func (e Endpoint) xml() *xmlEndpoint {
	if e == (Endpoint{}) {
		return nil
	}
	return &xmlEndpoint{Address: e.Address, Port: e.Port}
}

type xmlNodeGroupMember struct {
	CacheClusterID string `xml:"CacheClusterId"`
	CacheNodeID    string `xml:"CacheNodeId"`
	CurrentRole    string `xml:"CurrentRole,omitempty"`
	AZ             string `xml:"PreferredAvailabilityZone"`
}

func (g ReplicationGroup) xml() xmlReplicationGroup {
	rg := xmlReplicationGroup{ID: g.ID, Status: "available", Engine: g.Engine, AutomaticFailover: "enabled",
		ConfigurationEndpoint: g.ConfigurationEndpoint.xml(), ClusterEnabled: g.ConfigurationEndpoint != Endpoint{},
		TransitEncryption: g.TransitEncryption, AuthToken: g.AuthToken}
	for _, ng := range g.NodeGroups {
		if len(ng.Members) < 2 {
			rg.AutomaticFailover = "disabled"
		}
		x := xmlNodeGroup{ID: ng.ID, Status: "available", PrimaryEndpoint: ng.PrimaryEndpoint.xml()}
		for i, m := range ng.Members {
			rg.MemberClusters = append(rg.MemberClusters, m.CacheCluster)
			role := "replica"
			if i == ng.Primary {
				role = "primary"
			}
			az := []string{"us-east-1a", "us-east-1b", "us-east-1c"}[i%3]
			x.Members = append(x.Members, xmlNodeGroupMember{CacheClusterID: m.CacheCluster, CacheNodeID: m.Node, CurrentRole: role, AZ: az})
		}
		if !g.MemberClustersOnly {
			rg.NodeGroups = append(rg.NodeGroups, x)
		}
	}
	return rg
}

func cacheClusterXML(c CacheCluster) []byte {
	type node struct {
		ID       string       `xml:"CacheNodeId"`
		Status   string       `xml:"CacheNodeStatus"`
		Endpoint *xmlEndpoint `xml:"Endpoint,omitempty"`
	}
	cc := struct {
		ID                string `xml:"CacheClusterId"`
		Status            string `xml:"CacheClusterStatus"`
		Engine            string `xml:"Engine"`
		Num               int    `xml:"NumCacheNodes"`
		Nodes             []node `xml:"CacheNodes>CacheNode"`
		ReplicationGroup  string `xml:"ReplicationGroupId,omitempty"`
		TransitEncryption bool   `xml:"TransitEncryptionEnabled,omitempty"`
		AuthToken         bool   `xml:"AuthTokenEnabled,omitempty"`
	}{ID: c.ID, Status: "available", Engine: c.Engine, Num: len(c.Nodes),
		ReplicationGroup: c.ReplicationGroup, TransitEncryption: c.TransitEncryption, AuthToken: c.AuthToken}
	for i, n := range c.Nodes {
		x := node{ID: n, Status: "available"}
		if i < len(c.Endpoints) {
			x.Endpoint = c.Endpoints[i].xml()
		}
		cc.Nodes = append(cc.Nodes, x)
	}
	return wrapXML("DescribeCacheClusters", struct {
		XMLName  xml.Name `xml:"CacheClusters"`
		Clusters []any    `xml:"CacheCluster"`
	}{Clusters: []any{cc}})
}

// wrapXML returns an AWS Query answer for action holding result.
func wrapXML(action string, result any) []byte {
	inner, err := xml.MarshalIndent(result, "    ", "  ")
	if err != nil {
		panic(err)
	}
	return fmt.Appendf(nil, `<%sResponse xmlns="%s">
  <%sResult>
    %s
  </%sResult>
  <ResponseMetadata>
    <RequestId>0f3bd2e5-8a2c-4c7e-9d61-2b6c1f0e7a11</RequestId>
  </ResponseMetadata>
</%sResponse>
`, action, ecNamespace, action, inner, action, action)
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeXML(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(b)
}

func ecError(w http.ResponseWriter, e *Error) {
	if e.Hangup {
		hangup(w)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>7c1d9a0e-5b3f-4e21-8f0a-6d2e4b9c3a10</RequestId>
</ErrorResponse>
`, ecNamespace, e.Code, xmlEscape(e.message()))
}
