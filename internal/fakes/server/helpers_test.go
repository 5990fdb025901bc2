package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

	mu       sync.Mutex
	statuses []string // "GET 304", one per request
}

// took returns the "METHOD status" of the requests since the last call.
func (w *wire) took() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.statuses
	w.statuses = nil
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func newWire(t testing.TB, opts ...fakes.Option) *wire {
	t.Helper()
	acct := fakes.NewAccount(opts...)
	s := New(acct)
	w := &wire{srv: s, acct: acct}
	w.http = httptest.NewServer(http.HandlerFunc(func(hw http.ResponseWriter, r *http.Request) {
		rw := &statusRecorder{ResponseWriter: hw}
		defer func() {
			w.mu.Lock()
			w.statuses = append(w.statuses, fmt.Sprintf("%s %d", r.Method, rw.status))
			w.mu.Unlock()
		}()
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
		// What config.LoadDefaultConfig sets: checksums on PutObject,
		// checksum mode on GetObject.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
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
