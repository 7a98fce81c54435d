package result

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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
	// ClassBackoff: never sent. Dials to the server's address were failing
	// and the client refused the request without dialling again
	// (ErrDialBackoff), so it says nothing about the server but that it was
	// still unreachable a moment before.
	ClassBackoff
	// ClassTLS: the TLS handshake failed: the server's certificate was not
	// trusted or not for its name (x509), or the server sent a TLS alert
	// (it wants a client certificate, no common version or cipher), or it
	// did not speak TLS.
	ClassTLS
	// ClassMaxClients: the server refused the connection at its maxclients
	// limit ("ERR max number of clients reached"), as an error reply or by
	// closing the connection right after writing it (ErrMaxClients).
	ClassMaxClients
	numClasses
)

var classNames = [numClasses]string{
	"", "timeout", "conn_refused", "conn_reset", "pool_timeout", "moved", "ask",
	"readonly", "loading", "oom", "auth", "cluster_down", "tryagain", "crossslot",
	"wrongtype", "busy", "masterdown", "canceled", "other", "backoff",
	"tls", "max_clients",
}

// ErrDialBackoff is the error of a request that a client refused without
// sending it, because dials to the server were failing and the client was
// waiting before it dials again (package target's dialer). Its class is
// ClassBackoff.
var ErrDialBackoff = errors.New("not sent: dialling the server is backing off after failed dials")

// ErrMaxClients is the error of a request on a connection that the server
// refused at its client limit and closed before the request could read the
// refusal as its reply (package target reads it from the connection). Its
// class is ClassMaxClients.
var ErrMaxClients = errors.New("the server refused the connection: " + maxClientsReply)

// ErrTLSHandshake marks the error of a TLS handshake that failed (package
// target wraps it): class tls, whatever the handshake met. A server that
// cut the handshake short gives a bare EOF, which without the mark would
// be conn_reset; Redis and Valkey do so at maxclients over TLS, without a
// word. Only a handshake that timed out stays a timeout.
var ErrTLSHandshake = errors.New("tls handshake")

// maxClientsReply is what Redis and Valkey write to a connection they
// refuse at maxclients, after "ERR ".
const maxClientsReply = "max number of clients reached"

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
		// Some replies are ERR with words of their own: the client limit,
		// and AUTH failures on old servers.
		if strings.Contains(msg, maxClientsReply) {
			return ClassMaxClients
		}
		if strings.Contains(msg, "invalid password") || strings.Contains(msg, "invalid username-password") {
			return ClassAuth
		}
		return ClassOther
	}
	switch {
	case errors.Is(err, ErrDialBackoff):
		// First: it is no refused connection, whatever the last dial said.
		return ClassBackoff
	case errors.Is(err, ErrMaxClients):
		// Before conn_reset: the broken pipe it wraps is the refusal's.
		return ClassMaxClients
	case isTLS(err):
		return ClassTLS
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
	case errors.Is(err, ErrTLSHandshake):
		return ClassTLS
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

// isTLS reports whether err is a failed TLS handshake: a certificate that
// does not verify (x509, crypto/tls's CertificateVerificationError), an
// alert from the server (crypto/tls reports those as a *net.OpError of Op
// "remote error": "remote error: tls: certificate required"), or a reply
// that is not TLS at all. A handshake that timed out stays a timeout.
func isTLS(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		alert   tls.AlertError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		roots   x509.SystemRootsError
		op      *net.OpError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid), errors.As(err, &roots):
		return true
	case errors.As(err, &op) && op.Op == "remote error":
		return true
	}
	return false
}
