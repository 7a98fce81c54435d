package cloudwatch

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
)

// The ElastiCache half of fakeAWS: the AWS Query protocol.

func (f *fakeAWS) serveElastiCache(w http.ResponseWriter, r *http.Request, body []byte) {
	f.checkSigned(r, "elasticache")
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("fake: ElastiCache Content-Type %q", ct)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		f.t.Errorf("fake: ElastiCache form: %v", err)
		return
	}
	if v := form.Get("Version"); v != "2015-02-02" {
		f.t.Errorf("fake: ElastiCache Version %q", v)
	}
	action := form.Get("Action")
	f.mu.Lock()
	f.ecCalls = append(f.ecCalls, form)
	inject := f.ecErr
	groups, clusters, raw := f.groups, f.clusters, f.raw
	f.mu.Unlock()
	if inject != nil {
		if e := inject(action); e != nil {
			ecError(w, e)
			return
		}
	}
	switch action {
	case "DescribeReplicationGroups":
		id := form.Get("ReplicationGroupId")
		if file, ok := raw[id]; ok {
			b, err := os.ReadFile(file)
			if err != nil {
				f.t.Error(err)
			}
			writeXML(w, b)
			return
		}
		g, ok := groups[id]
		if !ok {
			ecError(w, &fakeErr{status: 404, code: "ReplicationGroupNotFoundFault"})
			return
		}
		writeXML(w, replicationGroupXML(id, g))
	case "DescribeCacheClusters":
		id := form.Get("CacheClusterId")
		if form.Get("ShowCacheNodeInfo") != "true" {
			f.t.Errorf("fake: DescribeCacheClusters without ShowCacheNodeInfo=true: %v", form)
		}
		c, ok := clusters[id]
		if !ok {
			ecError(w, &fakeErr{status: 404, code: "CacheClusterNotFound"})
			return
		}
		writeXML(w, cacheClusterXML(id, c))
	default:
		f.t.Errorf("fake: unexpected ElastiCache action %q", action)
		ecError(w, &fakeErr{status: 400, code: "InvalidAction"})
	}
}

const ecNamespace = "http://elasticache.amazonaws.com/doc/2015-02-02/"

type xmlNodeGroupMember struct {
	CacheClusterID string `xml:"CacheClusterId"`
	CacheNodeID    string `xml:"CacheNodeId"`
	CurrentRole    string `xml:"CurrentRole,omitempty"`
	AZ             string `xml:"PreferredAvailabilityZone"`
}

type xmlReplicationGroup struct {
	ID             string         `xml:"ReplicationGroupId"`
	Status         string         `xml:"Status"`
	Engine         string         `xml:"Engine,omitempty"`
	MemberClusters []string       `xml:"MemberClusters>ClusterId"`
	NodeGroups     []xmlNodeGroup `xml:"NodeGroups>NodeGroup"`
}

type xmlNodeGroup struct {
	ID      string               `xml:"NodeGroupId"`
	Status  string               `xml:"Status"`
	Members []xmlNodeGroupMember `xml:"NodeGroupMembers>NodeGroupMember"`
}

func replicationGroupXML(id string, g fakeGroup) []byte {
	rg := xmlReplicationGroup{ID: id, Status: "available", Engine: g.engine}
	for _, n := range g.nodes {
		rg.MemberClusters = append(rg.MemberClusters, n.CacheCluster)
	}
	if !g.onlyMember {
		rg.NodeGroups = make([]xmlNodeGroup, 1)
		rg.NodeGroups[0].ID, rg.NodeGroups[0].Status = "0001", "available"
		for i, n := range g.nodes {
			role := "replica"
			if i == 0 {
				role = "primary"
			}
			rg.NodeGroups[0].Members = append(rg.NodeGroups[0].Members,
				xmlNodeGroupMember{CacheClusterID: n.CacheCluster, CacheNodeID: n.Node, CurrentRole: role, AZ: "us-east-1a"})
		}
	}
	return wrapXML("DescribeReplicationGroups", struct {
		XMLName xml.Name              `xml:"ReplicationGroups"`
		Groups  []xmlReplicationGroup `xml:"ReplicationGroup"`
	}{Groups: []xmlReplicationGroup{rg}})
}

func cacheClusterXML(id string, c fakeCluster) []byte {
	type node struct {
		ID     string `xml:"CacheNodeId"`
		Status string `xml:"CacheNodeStatus"`
	}
	cc := struct {
		ID     string `xml:"CacheClusterId"`
		Status string `xml:"CacheClusterStatus"`
		Engine string `xml:"Engine"`
		Num    int    `xml:"NumCacheNodes"`
		Nodes  []node `xml:"CacheNodes>CacheNode"`
	}{ID: id, Status: "available", Engine: c.engine, Num: len(c.nodes)}
	for _, n := range c.nodes {
		cc.Nodes = append(cc.Nodes, node{ID: n, Status: "available"})
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

func writeXML(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(b)
}

func ecError(w http.ResponseWriter, e *fakeErr) {
	if e.hangup {
		hangup(w)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>injected by the test</Message>
  </Error>
  <RequestId>7c1d9a0e-5b3f-4e21-8f0a-6d2e4b9c3a10</RequestId>
</ErrorResponse>
`, ecNamespace, e.code)
}
