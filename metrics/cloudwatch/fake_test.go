package cloudwatch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// fakeAWS is an HTTP server that speaks the two wire protocols the pinned
// SDK uses, so tests drive the real SDK clients:
//
//   - CloudWatch (service/cloudwatch v1.75.6): Smithy RPC v2 CBOR.
//     POST /service/GraniteServiceVersion20100801/operation/GetMetricData,
//     headers Smithy-Protocol: rpc-v2-cbor, Content-Type and Accept
//     application/cbor, X-Amzn-Query-Mode: true (CloudWatch is
//     awsQueryCompatible). Timestamps are CBOR tag 1 over float64 epoch
//     seconds. Errors are non-2xx with a CBOR map {__type, message}; the
//     X-Amzn-Query-Error header ("Code;Sender") overrides the code.
//   - ElastiCache (service/elasticache v1.64.5): AWS Query. POST / with a
//     form body (Action, Version=2015-02-02, parameters); XML answers
//     <ActionResponse><ActionResult>…; errors <ErrorResponse><Error><Code>.
type fakeAWS struct {
	t        *testing.T
	srv      *httptest.Server
	requests atomic.Int64 // every HTTP request received

	mu sync.Mutex
	// ElastiCache state.
	groups   map[string]fakeGroup
	clusters map[string]fakeCluster
	raw      map[string]string // replication group id -> verbatim XML answer file
	ecErr    func(action string) *fakeErr
	ecCalls  []url.Values
	// CloudWatch state.
	data      func(q fakeQuery, start, end time.Time) fakeSeries
	pageSize  int  // datapoints per page; 0: all in one page
	ascending bool // ignore ScanBy and answer oldest first
	cwErr     func(call int, req gmdRequest) *fakeErr
	hold      func(r *http.Request) // called before answering GetMetricData
	sameToken bool                  // answer every page with the NextToken "again"
	cwCalls   []gmdRequest          // every GetMetricData request, pages included
}

type fakeGroup struct {
	engine     string
	nodes      []Node
	onlyMember bool // list MemberClusters only, no NodeGroupMembers
}

type fakeCluster struct {
	engine string
	nodes  []string
}

// fakeSeries is the fake's answer for one query.
type fakeSeries struct {
	points []datapoint // any order
	status string      // overrides Complete/PartialData
	omit   bool        // leave the query out of the answer
}

type datapoint struct {
	at    time.Time
	value float64
}

// fakeErr is an error answer. hangup closes the connection instead.
type fakeErr struct {
	status     int
	code       string // __type or <Code>
	queryError string // X-Amzn-Query-Error (CloudWatch only)
	hangup     bool
}

// gmdRequest is a decoded GetMetricData request.
type gmdRequest struct {
	start, end time.Time
	token      string
	scanBy     string
	queries    []fakeQuery
}

type fakeQuery struct {
	id, namespace, metric, stat string
	dims                        []string // "Name=Value" in request order
	period                      int64
}

// dim returns the value of a dimension.
func (q fakeQuery) dim(name string) string {
	for _, d := range q.dims {
		if n, v, _ := strings.Cut(d, "="); n == name {
			return v
		}
	}
	return ""
}

func newFakeAWS(t *testing.T) *fakeAWS {
	f := &fakeAWS{t: t, groups: map[string]fakeGroup{}, clusters: map[string]fakeCluster{}, raw: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// clients returns the real SDK clients pointed at the fake, with static
// credentials and no SDK retries (the poller's own handling is under test).
func (f *fakeAWS) clients(t *testing.T) (*cloudwatch.Client, *elasticache.Client) {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", ""),
		HTTPClient:       &http.Client{Transport: tr},
		RetryMaxAttempts: 1,
	}
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(f.srv.URL) })
	ec := elasticache.NewFromConfig(cfg, func(o *elasticache.Options) { o.BaseEndpoint = aws.String(f.srv.URL) })
	return cw, ec
}

func (f *fakeAWS) set(fn func(f *fakeAWS)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// calls returns the GetMetricData requests received so far.
func (f *fakeAWS) calls() []gmdRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cwCalls)
}

func (f *fakeAWS) describeCalls() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ecCalls)
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: read body: %v", err)
		return
	}
	const cwPrefix = "/service/GraniteServiceVersion20100801/operation/"
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, cwPrefix):
		f.serveCloudWatch(w, r, strings.TrimPrefix(r.URL.Path, cwPrefix), body)
	case r.Method == http.MethodPost && r.URL.Path == "/":
		f.serveElastiCache(w, r, body)
	default:
		f.t.Errorf("fake: unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "unexpected", http.StatusNotFound)
	}
}

// checkSigned checks the SigV4 credential scope for service.
func (f *fakeAWS) checkSigned(r *http.Request, service string) {
	auth := r.Header.Get("Authorization")
	want := "/us-east-1/" + service + "/aws4_request"
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, want) {
		f.t.Errorf("fake: %s request not signed for %s: Authorization %q", service, want, auth)
	}
}

// hangup closes the connection without an answer.
func hangup(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
