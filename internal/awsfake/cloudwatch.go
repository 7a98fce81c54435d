package awsfake

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// The CloudWatch half of the fake: GetMetricData over Smithy RPC v2 CBOR.

// MetricDataRequest is a decoded GetMetricData request.
type MetricDataRequest struct {
	Start, End time.Time
	NextToken  string
	ScanBy     string
	Queries    []Query
}

// Query is one MetricDataQuery with a MetricStat.
type Query struct {
	ID, Namespace, Metric, Stat string
	Dims                        []string // "Name=Value" in request order
	Period                      int64    // seconds
}

// Dim returns the value of a dimension, "" if it is absent.
func (q Query) Dim(name string) string {
	for _, d := range q.Dims {
		if n, v, _ := strings.Cut(d, "="); n == name {
			return v
		}
	}
	return ""
}

// Series is the fake's answer for one query.
type Series struct {
	Points []Datapoint // any order; those outside the request's [start, end) are left out
	Status string      // overrides the StatusCode Complete (or PartialData on all but a query's last page)
	Omit   bool        // leave the query out of the answer
}

// Datapoint is one timestamped value.
type Datapoint struct {
	At    time.Time
	Value float64
}

// DataFunc answers a query for the window [start, end) of its request.
type DataFunc func(q Query, start, end time.Time) Series

// Paging shapes GetMetricData answers.
type Paging struct {
	PageSize    int  // datapoints per page; 0: all on one page
	OldestFirst bool // ignore ScanBy and answer oldest first
	RepeatToken bool // answer every page with the NextToken "again", like a broken server
}

// SetMetricData makes fn answer every query; nil returns to SetValue's
// table.
func (s *Server) SetMetricData(fn DataFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = fn
}

type valueKey struct{ cluster, metric, stat string }

// SetValue publishes v for metric and stat of a node's cache cluster (the
// CacheClusterId dimension, whatever the CacheNodeId) or of a serverless
// cache (the clusterId dimension), as the only datapoint, two periods before
// the end of each query window (CloudWatch's usual delay). Queries with no
// value set are answered Complete with no datapoints. SetMetricData
// overrides this table.
func (s *Server) SetValue(cluster, metric, stat string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[valueKey{cluster, metric, stat}] = v
}

// SetPaging sets how answers are paged and ordered.
func (s *Server) SetPaging(p Paging) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paging = p
}

// BeforeMetricData makes every GetMetricData request call fn before it is
// answered (fn may block, such as until r's context is done); nil: none.
func (s *Server) BeforeMetricData(fn func(r *http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = fn
}

// FailGetMetricData makes fn decide, for every GetMetricData request (call
// counts them from 1, pages included), whether to answer with an error
// instead; nil: never.
func (s *Server) FailGetMetricData(fn func(call int, req MetricDataRequest) *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cwErr = fn
}

// MetricDataCalls returns the GetMetricData requests received so far, every
// page and failed call included.
func (s *Server) MetricDataCalls() []MetricDataRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cwCalls)
}

func (s *Server) serveCloudWatch(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	for h, want := range map[string]string{
		"Smithy-Protocol":   "rpc-v2-cbor",
		"Content-Type":      "application/cbor",
		"Accept":            "application/cbor",
		"X-Amzn-Query-Mode": "true",
	} {
		if got := r.Header.Get(h); got != want {
			s.t.Errorf("awsfake: CloudWatch header %s = %q, want %q", h, got, want)
		}
	}
	if op != "GetMetricData" {
		s.t.Errorf("awsfake: unexpected CloudWatch operation %q", op)
		cwError(w, &Error{Status: 400, Code: "com.amazonaws.cloudwatch#InvalidAction"})
		return
	}
	req, err := decodeGetMetricData(body)
	if err != nil {
		s.t.Errorf("awsfake: GetMetricData request: %v", err)
		cwError(w, &Error{Status: 400, Code: "com.amazonaws.cloudwatch#InvalidParameterValueException"})
		return
	}
	s.mu.Lock()
	s.cwCalls = append(s.cwCalls, req)
	n := len(s.cwCalls)
	inject, data, paging, hold := s.cwErr, s.data, s.paging, s.hold
	if data == nil {
		data = tableData(maps.Clone(s.values))
	}
	s.mu.Unlock()
	if hold != nil {
		hold(r)
	}
	if inject != nil {
		if e := inject(n, req); e != nil {
			cwError(w, e)
			return
		}
	}
	out := answerGetMetricData(req, data, paging)
	if paging.RepeatToken {
		out["NextToken"] = cbor.String("again")
	}
	writeCBOR(w, http.StatusOK, out)
}

// tableData answers from SetValue's table.
func tableData(values map[valueKey]float64) DataFunc {
	return func(q Query, _, end time.Time) Series {
		cluster := q.Dim("CacheClusterId")
		if cluster == "" {
			cluster = q.Dim("clusterId")
		}
		v, ok := values[valueKey{cluster, q.Metric, q.Stat}]
		if !ok {
			return Series{}
		}
		return Series{Points: []Datapoint{{At: end.Add(-2 * time.Duration(q.Period) * time.Second), Value: v}}}
	}
}

// decodeGetMetricData decodes a GetMetricData request body strictly: every
// field the poller sends, with the CBOR types the protocol prescribes.
func decodeGetMetricData(body []byte) (MetricDataRequest, error) {
	var req MetricDataRequest
	v, err := cbor.Decode(body)
	if err != nil {
		return req, err
	}
	m, ok := v.(cbor.Map)
	if !ok {
		return req, fmt.Errorf("body is %T, want a map", v)
	}
	for k := range m {
		if !slices.Contains([]string{"StartTime", "EndTime", "MetricDataQueries", "ScanBy", "NextToken"}, k) {
			return req, fmt.Errorf("unexpected field %q", k)
		}
	}
	if req.Start, err = epoch(m["StartTime"]); err != nil {
		return req, fmt.Errorf("StartTime: %w", err)
	}
	if req.End, err = epoch(m["EndTime"]); err != nil {
		return req, fmt.Errorf("EndTime: %w", err)
	}
	if _, present := m["ScanBy"]; present {
		if req.ScanBy, err = str(m["ScanBy"]); err != nil {
			return req, fmt.Errorf("ScanBy: %w", err)
		}
	}
	if _, present := m["NextToken"]; present {
		if req.NextToken, err = str(m["NextToken"]); err != nil {
			return req, fmt.Errorf("NextToken: %w", err)
		}
	}
	qs, ok := m["MetricDataQueries"].(cbor.List)
	if !ok {
		return req, fmt.Errorf("MetricDataQueries is %T, want a list", m["MetricDataQueries"])
	}
	for i, qv := range qs {
		q, err := decodeQuery(qv)
		if err != nil {
			return req, fmt.Errorf("MetricDataQueries[%d]: %w", i, err)
		}
		req.Queries = append(req.Queries, q)
	}
	return req, nil
}

func decodeQuery(v cbor.Value) (Query, error) {
	var q Query
	m, ok := v.(cbor.Map)
	if !ok {
		return q, fmt.Errorf("query is %T", v)
	}
	var err error
	if q.ID, err = str(m["Id"]); err != nil {
		return q, fmt.Errorf("Id: %w", err)
	}
	ms, ok := m["MetricStat"].(cbor.Map)
	if !ok {
		return q, fmt.Errorf("MetricStat is %T", m["MetricStat"])
	}
	if q.Stat, err = str(ms["Stat"]); err != nil {
		return q, fmt.Errorf("Stat: %w", err)
	}
	period, ok := ms["Period"].(cbor.Uint)
	if !ok {
		return q, fmt.Errorf("Period is %T, want a CBOR uint", ms["Period"])
	}
	q.Period = int64(period)
	metric, ok := ms["Metric"].(cbor.Map)
	if !ok {
		return q, fmt.Errorf("Metric is %T", ms["Metric"])
	}
	if q.Namespace, err = str(metric["Namespace"]); err != nil {
		return q, fmt.Errorf("Namespace: %w", err)
	}
	if q.Metric, err = str(metric["MetricName"]); err != nil {
		return q, fmt.Errorf("MetricName: %w", err)
	}
	dims, ok := metric["Dimensions"].(cbor.List)
	if !ok {
		return q, fmt.Errorf("Dimensions is %T", metric["Dimensions"])
	}
	for _, dv := range dims {
		d, ok := dv.(cbor.Map)
		if !ok {
			return q, fmt.Errorf("dimension is %T", dv)
		}
		name, err1 := str(d["Name"])
		value, err2 := str(d["Value"])
		if err1 != nil || err2 != nil {
			return q, fmt.Errorf("dimension %v", d)
		}
		q.Dims = append(q.Dims, name+"="+value)
	}
	return q, nil
}

func str(v cbor.Value) (string, error) {
	s, ok := v.(cbor.String)
	if !ok {
		return "", fmt.Errorf("%T, want a text string", v)
	}
	return string(s), nil
}

// epoch decodes a timestamp as rpcv2Cbor sends it: tag 1 over a float64.
func epoch(v cbor.Value) (time.Time, error) {
	tag, ok := v.(*cbor.Tag)
	if !ok || tag.ID != 1 {
		return time.Time{}, fmt.Errorf("%#v, want tag 1", v)
	}
	if _, ok := tag.Value.(cbor.Float64); !ok {
		return time.Time{}, fmt.Errorf("tag 1 over %T, want float64", tag.Value)
	}
	return cbor.AsTime(tag)
}

func epochValue(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1e3)}
}

// answerGetMetricData answers req from data. A page holds p.PageSize
// datapoints (0: all). A query whose datapoints span pages appears on each,
// with StatusCode PartialData on all but the last; a query without
// datapoints appears on the first page only. The NextToken is the offset
// into the datapoints of all queries, in query order.
func answerGetMetricData(req MetricDataRequest, data DataFunc, p Paging) cbor.Map {
	offset := 0
	if req.NextToken != "" {
		offset, _ = strconv.Atoi(strings.TrimPrefix(req.NextToken, "offset-"))
	}
	pageEnd := math.MaxInt
	if p.PageSize > 0 {
		pageEnd = offset + p.PageSize
	}
	results := cbor.List{}
	pos := 0
	for _, q := range req.Queries {
		s := data(q, req.Start, req.End)
		if s.Omit {
			continue
		}
		var pts []Datapoint
		for _, pt := range s.Points { // CloudWatch answers [start, end)
			if !pt.At.Before(req.Start) && pt.At.Before(req.End) {
				pts = append(pts, pt)
			}
		}
		slices.SortFunc(pts, func(a, b Datapoint) int { return b.At.Compare(a.At) })
		if p.OldestFirst || req.ScanBy == "TimestampAscending" {
			slices.Reverse(pts)
		}
		first, last := pos, pos+len(pts)
		pos = last
		lo, hi := first, first
		if len(pts) == 0 {
			if offset != 0 {
				continue
			}
		} else if lo, hi = max(first, offset), min(last, pageEnd); lo >= hi {
			continue
		}
		status := "Complete"
		if last > pageEnd {
			status = "PartialData"
		}
		if s.Status != "" {
			status = s.Status
		}
		ts, vs := cbor.List{}, cbor.List{}
		for _, pt := range pts[lo-first : hi-first] {
			ts = append(ts, epochValue(pt.At))
			vs = append(vs, cbor.Float64(pt.Value))
		}
		results = append(results, cbor.Map{
			"Id": cbor.String(q.ID), "Label": cbor.String(q.Metric),
			"StatusCode": cbor.String(status), "Timestamps": ts, "Values": vs,
		})
	}
	out := cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}
	if pageEnd < pos {
		out["NextToken"] = cbor.String("offset-" + strconv.Itoa(pageEnd))
	}
	return out
}

func writeCBOR(w http.ResponseWriter, status int, v cbor.Value) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(v))
}

func cwError(w http.ResponseWriter, e *Error) {
	if e.Hangup {
		hangup(w)
		return
	}
	if e.QueryError != "" {
		w.Header().Set("X-Amzn-Query-Error", e.QueryError)
	}
	writeCBOR(w, e.Status, cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.message())})
}
