package server

import (
	"net/http"

	"github.com/iamkit/iamkit/internal/fakes"
)

// cognitoTargetPrefix is the X-Amz-Target prefix of Cognito Identity.
const cognitoTargetPrefix = "AWSCognitoIdentityService."

// cognitoUnsigned are the operations Cognito Identity serves without
// credentials (the SDK signs them anonymously).
var cognitoUnsigned = map[string]bool{
	"GetId": true, "GetOpenIdToken": true, "GetCredentialsForIdentity": true, "UnlinkIdentity": true,
}

// cognitoStatus is the HTTP status Cognito Identity answers each error
// code with (the others: 400, or 500 for server faults).
var cognitoStatus = map[string]int{
	"NotAuthorizedException":    http.StatusForbidden,
	"ResourceNotFoundException": http.StatusNotFound,
	"ResourceConflictException": http.StatusConflict,
	"TooManyRequestsException":  http.StatusTooManyRequests,
	"InternalErrorException":    http.StatusInternalServerError,
}

func (s *Server) cognitoService() *jsonService {
	return &jsonService{
		recv:     s.acct.Cognito(),
		prefix:   cognitoTargetPrefix,
		unsigned: cognitoUnsigned,
		status:   cognitoStatus,
		// The SDK's retryer retries TooManyRequestsException.
		throttle: "TooManyRequestsException", throttleStatus: http.StatusTooManyRequests,
		internal: "InternalErrorException",
	}
}

// serveCognito answers one Cognito Identity JSON 1.1 request: op is the
// X-Amz-Target suffix ("GetId"), body the request body, who the signer (nil
// for the unsigned operations).
func (s *Server) serveCognito(w http.ResponseWriter, r *http.Request, op string, body []byte, who *caller) {
	serveJSON(w, r, s.cognitoService(), op, body, who != nil)
}

// servesCognito reports whether op (an X-Amz-Target suffix such as "GetId")
// is a Cognito Identity operation the server answers: one the fake
// implements.
func servesCognito(op string) bool {
	_, ok := jsonOpOf((*fakes.Cognito)(nil), op)
	return ok
}

// cognitoOps lists the Cognito Identity operations served over the wire.
func cognitoOps() []string { return jsonOps((*fakes.Cognito)(nil)) }
