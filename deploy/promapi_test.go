package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// promAPI is a small client of Prometheus' HTTP API, plain HTTP and JSON.
// (client_golang's api/prometheus/v1 would pull in json-iterator, which the
// module does not otherwise need.)
type promAPI struct {
	base string // http://host:port
	http *http.Client
}

// call POSTs form to path (as Grafana's datasource does with httpMethod
// POST, or GETs when form is nil) and decodes the data of a success envelope
// into out.
func (p promAPI) call(ctx context.Context, path string, form url.Values, out any) error {
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, env.ErrorType, env.Error)
	}
	return json.Unmarshal(env.Data, out)
}

func promTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// query runs an instant query at ts.
func (p promAPI) query(ctx context.Context, expr string, ts time.Time) (model.Vector, error) {
	var d queryData
	if err := p.call(ctx, "/api/v1/query", url.Values{"query": {expr}, "time": {promTime(ts)}}, &d); err != nil {
		return nil, err
	}
	if d.ResultType != "vector" {
		return nil, fmt.Errorf("instant query returned a %s, want a vector", d.ResultType)
	}
	var v model.Vector
	return v, json.Unmarshal(d.Result, &v)
}

// queryRange runs a range query over [start, end].
func (p promAPI) queryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	var d queryData
	form := url.Values{"query": {expr}, "start": {promTime(start)}, "end": {promTime(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}
	if err := p.call(ctx, "/api/v1/query_range", form, &d); err != nil {
		return nil, err
	}
	if d.ResultType != "matrix" {
		return nil, fmt.Errorf("range query returned a %s, want a matrix", d.ResultType)
	}
	var m model.Matrix
	return m, json.Unmarshal(d.Result, &m)
}

// labelValues returns the values of label on series matching match (if
// set) within [start, end]: what Grafana's label_values(match, label) asks.
func (p promAPI) labelValues(ctx context.Context, label, match string, start, end time.Time) ([]string, error) {
	q := url.Values{"start": {promTime(start)}, "end": {promTime(end)}}
	if match != "" {
		q.Set("match[]", match)
	}
	var vals []string
	err := p.call(ctx, "/api/v1/label/"+url.PathEscape(label)+"/values?"+q.Encode(), nil, &vals)
	return vals, err
}

type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Type      string `json:"type"` // recording or alerting
			Name      string `json:"name"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
		} `json:"rules"`
	} `json:"groups"`
}

func (p promAPI) rules(ctx context.Context) (ruleGroups, error) {
	var r ruleGroups
	return r, p.call(ctx, "/api/v1/rules", nil, &r)
}

type activeAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

func (p promAPI) alerts(ctx context.Context) ([]activeAlert, error) {
	var r struct {
		Alerts []activeAlert `json:"alerts"`
	}
	return r.Alerts, p.call(ctx, "/api/v1/alerts", nil, &r)
}

type scrapeTarget struct {
	ScrapeURL string `json:"scrapeUrl"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

func (p promAPI) targets(ctx context.Context) ([]scrapeTarget, error) {
	var r struct {
		Active []scrapeTarget `json:"activeTargets"`
	}
	return r.Active, p.call(ctx, "/api/v1/targets", nil, &r)
}
