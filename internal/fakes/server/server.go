// Package server serves a fakes.Account over AWS's wire protocols on a
// loopback HTTP endpoint, so that real SDK clients (iam, sts,
// cognitoidentity, s3) and the console sign-in endpoint reach the same
// in-memory account the in-process fakes use:
//
//   - IAM and STS: the AWS query protocol (form-encoded POST, Action and
//     Version; XML responses and XML error bodies);
//   - Cognito Identity: JSON 1.1 (X-Amz-Target AWSCognitoIdentityService.Op);
//   - S3: REST-XML, path-style (/bucket/key);
//   - the sign-in endpoint: /federation and /oauth, as fakes.SignIn serves them.
//
// Requests are authenticated as AWS does: SigV4 verified against the access
// keys the account issued (IAM users' keys, the account's root key, and STS
// session credentials with their token); the operations AWS leaves unsigned
// stay unsigned. One codec per protocol decodes requests into the SDK's own
// input structs and encodes the SDK's output structs by reflection, then
// calls the in-process fake, so faults, latency and call counters behave the
// same both ways.
//
// iamkittest.NewServer is the public door to this package.
package server

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/iamkit/iamkit/internal/fakes"
)

// Server serves one fakes.Account over AWS's wire protocols. It is an
// http.Handler; Start also listens on a loopback address.
type Server struct {
	acct  *fakes.Account
	proto protoState // the protocol handlers' state (signin.go)
	// TODO(server core): listener, URL, root credentials, sign-in handler.
}

// New returns a Server for acct that is not listening: use it as an
// http.Handler, or call Start.
func New(acct *fakes.Account) *Server {
	return &Server{acct: acct}
}

// Account returns the account the server serves.
func (s *Server) Account() *fakes.Account { return s.acct }

// ServeHTTP routes one request to its protocol (query, JSON 1.1, REST-XML,
// sign-in), after authenticating it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// TODO(server core): router; see serveCognito, serveS3, signin.
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// URL returns the base URL, http://127.0.0.1:PORT (never localhost, so that
// S3 requests stay path-style).
func (s *Server) URL() string { return "" } // TODO(server core)

// Config returns an aws.Config that makes iam.NewFromConfig and the STS,
// Cognito Identity and S3 clients reach the server unchanged: region,
// credentials the account issued, base endpoint, a retryer with short backoff.
func (s *Server) Config() aws.Config { return aws.Config{} } // TODO(server core)
