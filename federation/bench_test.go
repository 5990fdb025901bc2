package federation_test

import (
	"testing"

	"github.com/iamkit/iamkit/federation"
)

// BenchmarkCognitoConsoleURL measures a whole sign-in — the basic flow of an
// ephemeral guest identity, then getSigninToken over loopback HTTP — and
// reports the AWS calls and sign-in requests each one takes.
func BenchmarkCognitoConsoleURL(b *testing.B) {
	e := newEnv(b)
	si := e.signIn()
	si.Logger = nil
	req := e.guestRequest()
	req.Ephemeral = true
	e.acct.ResetCalls()
	b.ReportAllocs()
	for b.Loop() {
		s, err := federation.CognitoBasicFlow(b.Context(), e.acct.Cognito(), e.acct.STS(), req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := si.ConsoleURL(b.Context(), federation.ConsoleRequest{Credentials: s.Credentials}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.acct.CallsWithPrefix("cognito-identity:"))/float64(b.N), "cognito-calls/op")
	b.ReportMetric(float64(e.acct.CallsWithPrefix("sts:"))/float64(b.N), "sts-calls/op")
	b.ReportMetric(float64(e.acct.CallsWithPrefix("signin:"))/float64(b.N), "signin-requests/op")
}
