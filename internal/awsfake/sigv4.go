package awsfake

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// verifySigV4 checks that r carries a SigV4 Authorization header made with
// AccessKeyID/SecretAccessKey for Region and service (the signing name:
// "monitoring" for CloudWatch, "elasticache"), by signing the same request
// again with the SDK's own signer: the same method, URI, signed headers,
// body and signing time must give the same signature.
func verifySigV4(r *http.Request, body []byte, service string) error {
	auth := r.Header.Get("Authorization")
	algorithm, fields, ok := strings.Cut(auth, " ")
	if !ok || algorithm != "AWS4-HMAC-SHA256" {
		return fmt.Errorf("not signed with AWS4-HMAC-SHA256: Authorization %q", auth)
	}
	var credential, signedHeaders string
	for f := range strings.SplitSeq(fields, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		}
	}
	date := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		return fmt.Errorf("X-Amz-Date %q: %w", date, err)
	}
	if want := AccessKeyID + "/" + date[:8] + "/" + Region + "/" + service + "/aws4_request"; credential != want {
		return fmt.Errorf("credential scope %q, want %q", credential, want)
	}
	if r.Header.Get("X-Amz-Security-Token") != "" {
		return errors.New("signed with a session token; the fake's credentials have none")
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return fmt.Errorf("X-Amz-Content-Sha256 %s does not match the body's %s", h, payloadHash)
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return err
	}
	again.Host = r.Host
	names := strings.Split(signedHeaders, ";")
	if !slices.Contains(names, "host") {
		return fmt.Errorf("host is not signed: SignedHeaders %q", signedHeaders)
	}
	for _, name := range names {
		switch name {
		case "host":
		case "content-length":
			again.ContentLength = r.ContentLength
		default:
			vs := r.Header.Values(name)
			if len(vs) == 0 {
				return fmt.Errorf("signed header %s is missing", name)
			}
			again.Header[http.CanonicalHeaderKey(name)] = vs
		}
	}
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, again, payloadHash, service, Region, signedAt); err != nil {
		return err
	}
	if want := again.Header.Get("Authorization"); auth != want {
		return fmt.Errorf("signature does not match:\n got  %s\n want %s", auth, want)
	}
	return nil
}
