package server

import (
	"net/http"
	"sync"

	"github.com/iamkit/iamkit/internal/fakes"
)

// protoState is what the protocol handlers of cognito.go, s3.go and
// signin.go keep per Server; its zero value is ready.
type protoState struct {
	signInOnce sync.Once
	signIn     *fakes.SignIn
}

// SignIn returns the server's console sign-in endpoint (one per server,
// on the server's account), the handler of /federation and /oauth: its
// Logins and Tokens are what tests inspect.
func (s *Server) SignIn() *fakes.SignIn {
	s.proto.signInOnce.Do(func() { s.proto.signIn = fakes.NewSignIn(s.acct) })
	return s.proto.signIn
}

// serveSignIn answers one request to the console sign-in endpoint
// (/federation and /oauth), unsigned as in AWS.
func (s *Server) serveSignIn(w http.ResponseWriter, r *http.Request) {
	s.SignIn().ServeHTTP(w, r)
}
