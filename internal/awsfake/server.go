package awsfake

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// The only credentials and region the fake accepts: every request must be
// signed with them.
const (
	Region          = "us-east-1"
	AccessKeyID     = "AKIDTEST"
	SecretAccessKey = "SECRET"
)

// Server is a fake CloudWatch and ElastiCache endpoint on a loopback port.
// Its methods are safe for concurrent use; state set with them applies to
// the requests that arrive afterwards.
type Server struct {
	t        testing.TB
	srv      *httptest.Server
	noConfig string       // a path that does not exist: no shared AWS config
	requests atomic.Int64 // every HTTP request received

	mu sync.Mutex
	// ElastiCache state.
	groups     map[string]ReplicationGroup
	clusters   map[string]CacheCluster
	raw        map[string][]byte // replication group id -> verbatim XML answer
	ecErr      func(action string) *Error
	onFailover func(replicationGroup, nodeGroup string)
	ecCalls    []url.Values
	// CloudWatch state.
	data    DataFunc
	values  map[valueKey]float64 // SetValue's table, used when data is nil
	paging  Paging
	cwErr   func(call int, req MetricDataRequest) *Error
	hold    func(r *http.Request) // called before answering GetMetricData
	cwCalls []MetricDataRequest   // every GetMetricData request, pages included
}

// Error is an error answer. Status and Code are the HTTP status and the
// error code (CloudWatch's __type, ElastiCache's <Code>).
type Error struct {
	Status     int
	Code       string
	Message    string // default "injected by the test"
	QueryError string // the X-Amzn-Query-Error header ("Code;Sender"); CloudWatch only
	Hangup     bool   // close the connection without an answer instead
}

// New starts a fake on a free loopback port; it stops when the test ends.
// Protocol violations fail t.
func New(t testing.TB) *Server {
	s := &Server{
		t:        t,
		noConfig: filepath.Join(t.TempDir(), "no-such-aws-config"),
		groups:   map[string]ReplicationGroup{},
		clusters: map[string]CacheCluster{},
		raw:      map[string][]byte{},
		values:   map[valueKey]float64{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL of the fake, such as http://127.0.0.1:41234: the
// BaseEndpoint of both services.
func (s *Server) URL() string { return s.srv.URL }

// Requests returns the number of HTTP requests received so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Clients returns real SDK clients pointed at the fake, with static
// credentials, Region and no SDK retries (so every injected error reaches the
// caller). Their idle connections are closed when t ends.
func (s *Server) Clients(t testing.TB) (*cloudwatch.Client, *elasticache.Client) {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	cfg := aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		HTTPClient:       &http.Client{Transport: tr},
		RetryMaxAttempts: 1,
	}
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(s.URL()) })
	ec := elasticache.NewFromConfig(cfg, func(o *elasticache.Options) { o.BaseEndpoint = aws.String(s.URL()) })
	return cw, ec
}

// Env returns the environment, as KEY=value entries for exec.Cmd.Env, that
// points a process using aws-sdk-go-v2's config.LoadDefaultConfig at the
// fake with the credentials and region it accepts, and with no SDK retries.
// Append it to the parent's environment (exec.Cmd keeps the last value of a
// key): it also clears or overrides what could lead the SDK elsewhere (a
// session token, a profile, the shared config files, the EC2 instance
// metadata, the parent's per-service endpoints); the SDK takes an empty value
// for unset. AWS_ENDPOINT_URL alone would do for both services, as would the
// two per-service variables alone (TestEnv checks all three ways).
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL(),
		"AWS_ENDPOINT_URL_CLOUDWATCH=" + s.URL(),
		"AWS_ENDPOINT_URL_ELASTICACHE=" + s.URL(),
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=",
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + Region,
		"AWS_PROFILE=",
		"AWS_DEFAULT_PROFILE=",
		"AWS_CONFIG_FILE=" + s.noConfig,
		"AWS_SHARED_CREDENTIALS_FILE=" + s.noConfig,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// A client that gave up mid-request (its context was cancelled at
		// the end of a test, or a poll was abandoned) closes the
		// connection under the read: not a protocol error of the client.
		if errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) || r.Context().Err() != nil {
			return // the test may have ended: nothing to report to
		}
		s.t.Errorf("awsfake: read body: %v", err)
		return
	}
	op, isCW := strings.CutPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/")
	switch {
	case r.Method == http.MethodPost && isCW:
		if !s.checkSigned(r, body, "monitoring") {
			cwError(w, &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "awsfake: bad signature"})
			return
		}
		s.serveCloudWatch(w, r, op, body)
	case r.Method == http.MethodPost && r.URL.Path == "/":
		if !s.checkSigned(r, body, "elasticache") {
			ecError(w, &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "awsfake: bad signature"})
			return
		}
		s.serveElastiCache(w, r, body)
	default:
		s.t.Errorf("awsfake: unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "unexpected", http.StatusNotFound)
	}
}

// checkSigned checks r's SigV4 signature for service, and fails the test if
// it is wrong.
func (s *Server) checkSigned(r *http.Request, body []byte, service string) bool {
	if err := verifySigV4(r, body, service); err != nil {
		s.t.Errorf("awsfake: %s request %s: %v", service, r.URL.Path, err)
		return false
	}
	return true
}

// message is the error message of e.
func (e *Error) message() string {
	if e.Message == "" {
		return "injected by the test"
	}
	return e.Message
}

// hangup closes the connection without an answer.
func hangup(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
