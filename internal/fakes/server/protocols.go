package server

import (
	"net/http"

	"github.com/iamkit/iamkit/internal/fakes"
)

// caller is who signed a request, as authenticate found them; nil for the
// operations AWS leaves unsigned.
type caller struct {
	AccessKeyID string
	// UserName is the IAM user that owns a long-term key; "" for the
	// account's root key and for STS session credentials.
	UserName string
	// Root is set for the account root's key.
	Root bool
	// Session is set for STS session credentials (its ARN is the
	// assumed-role, federated-user, or user ARN the session acts as).
	Session *fakes.Issued
}

// servedByOthers tells, per signing name ("cognito-identity", "s3"), whether
// an operation of a protocol this file does not implement is served over the
// wire; the files implementing those protocols fill it (in an init function,
// once: it is never written afterwards). Server.Serves consults it.
var servedByOthers = map[string]func(op string) bool{}

// serveCognito answers one Cognito Identity JSON 1.1 request: op is the
// X-Amz-Target suffix ("GetId"), body the request body, who the signer (nil
// for the unsigned operations).
func (s *Server) serveCognito(w http.ResponseWriter, r *http.Request, op string, body []byte, who *caller) {
	// TODO(cognito/s3 helper)
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// serveS3 answers one path-style S3 REST-XML request.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, body []byte, who *caller) {
	// TODO(cognito/s3 helper)
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// serveSignIn answers the console sign-in endpoint (/federation, /oauth).
func (s *Server) serveSignIn(w http.ResponseWriter, r *http.Request) {
	// TODO(cognito/s3 helper)
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
