package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// wire is an httptest server that hands requests straight to the protocol
// handlers of a Server (the router and SigV4 are tested elsewhere): a
// request with an Authorization header counts as signed by a dummy caller.
type wire struct {
	srv  *Server
	acct *fakes.Account
	http *httptest.Server
}

func newWire(t testing.TB, opts ...fakes.Option) *wire {
	t.Helper()
	acct := fakes.NewAccount(opts...)
	s := New(acct)
	w := &wire{srv: s, acct: acct}
	w.http = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		var who *caller
		if r.Header.Get("Authorization") != "" {
			who = &caller{AccessKeyID: "AKIAWIRETEST"}
		}
		switch {
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), cognitoTargetPrefix):
			s.serveCognito(rw, r, strings.TrimPrefix(r.Header.Get("X-Amz-Target"), cognitoTargetPrefix), body, who)
		case r.URL.Path == "/federation" || r.URL.Path == "/oauth":
			s.serveSignIn(rw, r)
		default:
			s.serveS3(rw, r, body, who)
		}
	}))
	t.Cleanup(w.http.Close)
	return w
}

// config is an aws.Config reaching the wire server with a fast retryer.
func (w *wire) config() aws.Config {
	return aws.Config{
		Region:       w.acct.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAWIRETEST", "secret", ""),
		BaseEndpoint: aws.String(w.http.URL),
		HTTPClient:   w.http.Client(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxBackoff = time.Millisecond
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Microsecond, nil })
			})
		},
	}
}

func (w *wire) cognito() *cognitoidentity.Client { return cognitoidentity.NewFromConfig(w.config()) }

func (w *wire) s3() *s3.Client {
	return s3.NewFromConfig(w.config(), func(o *s3.Options) { o.UsePathStyle = true })
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	require.NoError(t, err)
}
