package cloudwatch

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Error reasons: the values of the reason label of
// ecbench_cloudwatch_errors_total. A fixed set, never an error message.
const (
	reasonThrottled    = "throttled"     // the API's rate limit (after the SDK's own retries)
	reasonAccessDenied = "access_denied" // IAM or credentials
	reasonNotFound     = "not_found"     // the replication group or cache cluster does not exist
	reasonInvalid      = "invalid"       // the request was rejected as malformed
	reasonNetwork      = "network"       // no response: connection failure or timeout
	reasonServer       = "server"        // AWS answered with a server fault
	reasonOther        = "other"
)

var reasons = []string{reasonThrottled, reasonAccessDenied, reasonNotFound, reasonInvalid, reasonNetwork, reasonServer, reasonOther}

// codeReasons classifies the API error codes that the prefix rules in
// classify would get wrong or miss.
var codeReasons = map[string]string{
	"AccessDenied":                reasonAccessDenied,
	"AccessDeniedException":       reasonAccessDenied,
	"AuthFailure":                 reasonAccessDenied,
	"ExpiredToken":                reasonAccessDenied,
	"ExpiredTokenException":       reasonAccessDenied,
	"IncompleteSignature":         reasonAccessDenied,
	"InvalidClientTokenId":        reasonAccessDenied,
	"InvalidSignatureException":   reasonAccessDenied,
	"MissingAuthenticationToken":  reasonAccessDenied,
	"NotAuthorized":               reasonAccessDenied,
	"OptInRequired":               reasonAccessDenied,
	"SignatureDoesNotMatch":       reasonAccessDenied,
	"UnauthorizedOperation":       reasonAccessDenied,
	"UnrecognizedClientException": reasonAccessDenied,
	"InternalFailure":             reasonServer,
	"InternalServiceFault":        reasonServer,
	"InternalServiceError":        reasonServer,
	"ServiceUnavailable":          reasonServer,
	"ValidationError":             reasonInvalid,
	"ValidationException":         reasonInvalid,
}

var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

// classify maps an error from an SDK call to a reason.
func classify(err error) string {
	if errors.Is(err, errNotFound) {
		return reasonNotFound
	}
	if throttles.IsErrorThrottle(err) == aws.TrueTernary {
		return reasonThrottled
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if r, ok := codeReasons[code]; ok {
			return r
		}
		switch {
		case strings.Contains(code, "NotFound"): // ReplicationGroupNotFoundFault, CacheClusterNotFound
			return reasonNotFound
		case strings.HasPrefix(code, "Invalid"), strings.HasPrefix(code, "Missing"):
			return reasonInvalid
		case ae.ErrorFault() == smithy.FaultServer:
			return reasonServer
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch sc := re.HTTPStatusCode(); {
		case sc == 429:
			return reasonThrottled
		case sc == 401 || sc == 403:
			return reasonAccessDenied
		case sc == 404:
			return reasonNotFound
		case sc >= 500:
			return reasonServer
		case sc >= 400:
			return reasonInvalid
		}
	}
	var se *smithyhttp.RequestSendError
	var ne net.Error
	if errors.As(err, &se) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return reasonNetwork
	}
	return reasonOther
}
