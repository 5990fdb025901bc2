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

// ---- Placeholders for the Cognito Identity, S3 and sign-in protocols ----
//
// cognito.go, s3.go and signin.go (written in parallel) define these; the
// router (server.go) calls them. Delete this block when those files land.

// cognitoTargetPrefix is the X-Amz-Target prefix of Cognito Identity.
const cognitoTargetPrefix = "AWSCognitoIdentityService."

// cognitoUnsigned are the Cognito Identity operations AWS serves without a
// signature.
var cognitoUnsigned = map[string]bool{"GetId": true, "GetCredentialsForIdentity": true, "GetOpenIdToken": true, "UnlinkIdentity": true}

// protoState is what the protocol handlers keep per Server.
type protoState struct{}

// serveCognito answers one Cognito Identity JSON 1.1 request: op is the
// X-Amz-Target suffix ("GetId"), body the request body, who the signer (nil
// for the unsigned operations).
func (s *Server) serveCognito(w http.ResponseWriter, r *http.Request, op string, body []byte, who *caller) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// serveS3 answers one path-style S3 REST-XML request.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, body []byte, who *caller) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// serveSignIn answers the console sign-in endpoint (/federation, /oauth).
func (s *Server) serveSignIn(w http.ResponseWriter, r *http.Request) {
	_ = s.proto
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// servesCognito reports whether a Cognito Identity operation is served.
func servesCognito(op string) bool { return false }

// servesS3 reports whether an S3 operation is served.
func servesS3(op string) bool { return false }

// cognitoOps lists the Cognito Identity operations served over the wire.
func cognitoOps() []string { return nil }

// s3Ops lists the S3 operations served over the wire.
func s3Ops() []string { return nil }
