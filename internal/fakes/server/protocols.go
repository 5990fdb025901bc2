package server

import "net/http"

// caller is who signed a request, as authenticate found them; nil for the
// operations AWS leaves unsigned.
type caller struct {
	AccessKeyID string
	// UserName is the IAM user that owns a long-term key; "" for the
	// account's root key and for STS session credentials.
	UserName string
	// Session is set for STS session credentials.
	Session *struct{ ARN string }
}

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
