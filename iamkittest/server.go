package iamkittest

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/fakes/server"
)

// Server is an account served on a loopback HTTP endpoint over AWS's wire
// protocols: IAM, STS and SNS (query protocol, XML responses and errors),
// Cognito Identity (JSON 1.1), S3 (REST-XML, path-style), EC2's
// DescribeTags (EC2 query; hostsync/ec2tags's client) and the console
// sign-in endpoint. Real SDK clients built from Config reach it unchanged.
// Requests are authenticated with SigV4 against the credentials the
// account issued; faults, latency and call counters behave as in process.
type Server struct {
	impl *server.Server
	acct *Account
}

// NewServer starts a Server on 127.0.0.1 and a free port, for the duration
// of the test: it is closed on tb.Cleanup. Its account runs on a running
// clock (the real time, shifted by whatever Advance and Set add) unless
// WithClock is given, so that SDK clients, which sign with the real time,
// and iamkit's packages on their default clocks agree with it. A server
// that cannot start fails the test.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Start("127.0.0.1:0", opts...)
	if err != nil {
		tb.Fatal(err)
		return nil
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("iamkittest: closing the server: %v", err)
		}
	})
	return s
}

// Start is NewServer outside a test: it serves a new account on addr
// ("127.0.0.1:0" picks a free port) until Close. Options are NewServer's.
func Start(addr string, opts ...Option) (*Server, error) {
	fo := append([]fakes.Option{fakes.WithClock(fakes.NewRunningClock())}, buildOptions(opts)...)
	acct := fakes.NewAccount(fo...)
	impl, err := server.Start(acct, addr)
	if err != nil {
		return nil, fmt.Errorf("iamkittest: starting the server: %w", err)
	}
	return &Server{impl: impl, acct: fromFakesAccount(acct)}, nil
}

// URL returns the endpoint's base URL, http://127.0.0.1:PORT (never
// localhost, so S3 requests stay path-style): the value for
// AWS_ENDPOINT_URL.
func (s *Server) URL() string { return s.impl.URL() }

// Config returns an aws.Config for the SDK's clients: the account's
// region, credentials the account issued, the server as base endpoint and
// a retryer with a short backoff, so that injected throttles do not slow
// tests down. iam.NewFromConfig(srv.Config()) and the STS, Cognito
// Identity and S3 clients reach the server unchanged.
func (s *Server) Config() aws.Config { return s.impl.Config() }

// Account returns the account behind the server: seed it, inspect it,
// inject faults, read the call counters, Disable operations. It is the same
// *Account on every call.
func (s *Server) Account() *Account { return s.acct }

// Serves reports whether the server answers an operation over the wire,
// named as the account's call counters name it: Serves("iam",
// "CreateUser") for "iam:CreateUser".
func (s *Server) Serves(service, op string) bool { return s.impl.Serves(service, op) }

// Close stops the server. NewServer's servers are closed on the test's
// cleanup; closing one again is harmless.
func (s *Server) Close() error { return s.impl.Close() }
