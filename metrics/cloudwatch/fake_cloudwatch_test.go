package cloudwatch

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// The CloudWatch half of fakeAWS: Smithy RPC v2 CBOR.

func (f *fakeAWS) serveCloudWatch(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	f.checkSigned(r, "monitoring")
	for h, want := range map[string]string{
		"Smithy-Protocol":   "rpc-v2-cbor",
		"Content-Type":      "application/cbor",
		"Accept":            "application/cbor",
		"X-Amzn-Query-Mode": "true",
	} {
		if got := r.Header.Get(h); got != want {
			f.t.Errorf("fake: CloudWatch header %s = %q, want %q", h, got, want)
		}
	}
	if op != "GetMetricData" {
		f.t.Errorf("fake: unexpected CloudWatch operation %q", op)
		return
	}
	req, err := decodeGetMetricData(body)
	if err != nil {
		f.t.Errorf("fake: GetMetricData request: %v", err)
		cwError(w, &fakeErr{status: 400, code: "com.amazonaws.cloudwatch#InvalidParameterValueException"})
		return
	}
	f.mu.Lock()
	f.cwCalls = append(f.cwCalls, req)
	n := len(f.cwCalls)
	inject, data, pageSize, ascending, hold, same := f.cwErr, f.data, f.pageSize, f.ascending, f.hold, f.sameToken
	f.mu.Unlock()
	if hold != nil {
		hold(r)
	}
	if inject != nil {
		if e := inject(n, req); e != nil {
			cwError(w, e)
			return
		}
	}
	out := answerGetMetricData(req, data, pageSize, ascending)
	if same {
		out["NextToken"] = cbor.String("again")
	}
	writeCBOR(w, http.StatusOK, out)
}

// decodeGetMetricData decodes a GetMetricData request body strictly: every
// field the poller sends, with the CBOR types the protocol prescribes.
func decodeGetMetricData(body []byte) (gmdRequest, error) {
	var req gmdRequest
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
	if req.start, err = epoch(m["StartTime"]); err != nil {
		return req, fmt.Errorf("StartTime: %w", err)
	}
	if req.end, err = epoch(m["EndTime"]); err != nil {
		return req, fmt.Errorf("EndTime: %w", err)
	}
	req.scanBy, _ = str(m["ScanBy"])
	if _, present := m["NextToken"]; present {
		if req.token, err = str(m["NextToken"]); err != nil {
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
		req.queries = append(req.queries, q)
	}
	return req, nil
}

func decodeQuery(v cbor.Value) (fakeQuery, error) {
	var q fakeQuery
	m, ok := v.(cbor.Map)
	if !ok {
		return q, fmt.Errorf("query is %T", v)
	}
	var err error
	if q.id, err = str(m["Id"]); err != nil {
		return q, fmt.Errorf("Id: %w", err)
	}
	ms, ok := m["MetricStat"].(cbor.Map)
	if !ok {
		return q, fmt.Errorf("MetricStat is %T", m["MetricStat"])
	}
	if q.stat, err = str(ms["Stat"]); err != nil {
		return q, fmt.Errorf("Stat: %w", err)
	}
	period, ok := ms["Period"].(cbor.Uint)
	if !ok {
		return q, fmt.Errorf("Period is %T, want a CBOR uint", ms["Period"])
	}
	q.period = int64(period)
	metric, ok := ms["Metric"].(cbor.Map)
	if !ok {
		return q, fmt.Errorf("Metric is %T", ms["Metric"])
	}
	if q.namespace, err = str(metric["Namespace"]); err != nil {
		return q, fmt.Errorf("Namespace: %w", err)
	}
	if q.metric, err = str(metric["MetricName"]); err != nil {
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
		q.dims = append(q.dims, name+"="+value)
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

// answerGetMetricData answers req from data. A page holds pageSize
// datapoints (0: all). A query whose datapoints span pages appears on each,
// with StatusCode PartialData on all but the last; a query without
// datapoints appears on the first page only. The NextToken is the offset
// into the datapoints of all queries, in query order.
func answerGetMetricData(req gmdRequest, data func(fakeQuery, time.Time, time.Time) fakeSeries, pageSize int, ascending bool) cbor.Map {
	offset := 0
	if req.token != "" {
		offset, _ = strconv.Atoi(strings.TrimPrefix(req.token, "offset-"))
	}
	pageEnd := math.MaxInt
	if pageSize > 0 {
		pageEnd = offset + pageSize
	}
	results := cbor.List{}
	pos := 0
	for _, q := range req.queries {
		var s fakeSeries
		if data != nil {
			s = data(q, req.start, req.end)
		}
		if s.omit {
			continue
		}
		var pts []datapoint
		for _, p := range s.points { // CloudWatch answers [start, end)
			if !p.at.Before(req.start) && p.at.Before(req.end) {
				pts = append(pts, p)
			}
		}
		slices.SortFunc(pts, func(a, b datapoint) int { return b.at.Compare(a.at) })
		if ascending || req.scanBy == "TimestampAscending" {
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
		if s.status != "" {
			status = s.status
		}
		ts, vs := cbor.List{}, cbor.List{}
		for _, p := range pts[lo-first : hi-first] {
			ts = append(ts, epochValue(p.at))
			vs = append(vs, cbor.Float64(p.value))
		}
		results = append(results, cbor.Map{
			"Id": cbor.String(q.id), "Label": cbor.String(q.metric),
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

func cwError(w http.ResponseWriter, e *fakeErr) {
	if e.hangup {
		hangup(w)
		return
	}
	if e.queryError != "" {
		w.Header().Set("X-Amzn-Query-Error", e.queryError)
	}
	writeCBOR(w, e.status, cbor.Map{"__type": cbor.String(e.code), "message": cbor.String("injected by the test")})
}
