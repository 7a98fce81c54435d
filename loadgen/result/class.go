package result

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// Class is why a request failed: a fixed, bounded set usable as a label value.
type Class uint8

// The error classes. Server replies are classified by their error prefix,
// transport failures by the underlying errno or timeout.
const (
	ClassNone        Class = iota // not an error
	ClassTimeout                  // dial, read or write deadline passed
	ClassConnRefused              // nothing listening (ECONNREFUSED)
	ClassConnReset                // the connection broke mid-request (ECONNRESET, EPIPE, EOF)
	ClassPoolTimeout              // no free connection in the client pool in time
	ClassMoved                    // MOVED redirection that was not followed
	ClassAsk                      // ASK redirection that was not followed
	ClassReadonly                 // READONLY: a write reached a replica
	ClassLoading                  // LOADING: the server is loading its dataset
	ClassOOM                      // OOM: maxmemory reached
	ClassAuth                     // NOAUTH, WRONGPASS or NOPERM
	ClassClusterDown              // CLUSTERDOWN
	ClassTryAgain                 // TRYAGAIN: a multi-key op during resharding
	ClassCrossSlot                // CROSSSLOT: keys in different hash slots
	ClassWrongType                // WRONGTYPE: the key holds another type
	ClassBusy                     // BUSY: a script or function is running
	ClassMasterDown               // MASTERDOWN: replica lost its primary
	ClassCanceled                 // ecbench itself cancelled the request or closed the client (shutdown)
	ClassOther                    // anything else
	numClasses
)

var classNames = [numClasses]string{
	"", "timeout", "conn_refused", "conn_reset", "pool_timeout", "moved", "ask",
	"readonly", "loading", "oom", "auth", "cluster_down", "tryagain", "crossslot",
	"wrongtype", "busy", "masterdown", "canceled", "other",
}

// Classes lists every error class (not ClassNone), in label order.
var Classes = func() []Class {
	cs := make([]Class, 0, numClasses-1)
	for c := ClassTimeout; c < numClasses; c++ {
		cs = append(cs, c)
	}
	return cs
}()

// String returns the class's label value.
func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "other"
}

// replyPrefixes maps the first word of a server error reply to its class.
var replyPrefixes = map[string]Class{
	"MOVED":       ClassMoved,
	"ASK":         ClassAsk,
	"READONLY":    ClassReadonly,
	"LOADING":     ClassLoading,
	"OOM":         ClassOOM,
	"NOAUTH":      ClassAuth,
	"WRONGPASS":   ClassAuth,
	"NOPERM":      ClassAuth,
	"CLUSTERDOWN": ClassClusterDown,
	"TRYAGAIN":    ClassTryAgain,
	"CROSSSLOT":   ClassCrossSlot,
	"WRONGTYPE":   ClassWrongType,
	"BUSY":        ClassBusy,
	"MASTERDOWN":  ClassMasterDown,
}

// Classify returns the class of a request error. It returns ClassNone for nil
// and for redis.Nil, which is a miss, not a failure.
func Classify(err error) Class {
	if err == nil || errors.Is(err, redis.Nil) {
		return ClassNone
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		msg := reply.Error()
		word, _, _ := strings.Cut(msg, " ")
		if c, ok := replyPrefixes[word]; ok {
			return c
		}
		// go-redis wraps some replies (e.g. "ERR max number of clients reached")
		// and AUTH failures come back as ERR on old servers.
		if strings.Contains(msg, "invalid password") || strings.Contains(msg, "invalid username-password") {
			return ClassAuth
		}
		return ClassOther
	}
	switch {
	case errors.Is(err, redis.ErrPoolTimeout):
		return ClassPoolTimeout
	case errors.Is(err, context.Canceled),
		// ecbench closed the client (shutdown): a request in flight finds its
		// socket closed under it, a later one the client closed. Neither is
		// the server's doing, so neither is conn_reset.
		errors.Is(err, redis.ErrClosed), errors.Is(err, net.ErrClosed):
		return ClassCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassConnRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClassConnReset
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ClassTimeout
	}
	return ClassOther
}
