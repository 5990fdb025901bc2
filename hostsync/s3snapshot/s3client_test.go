package s3snapshot_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An S3-compatible endpoint that stores no checksums makes the SDK log
// "Response has no supported checksum" on every GetObject; NewS3Client
// keeps a daemon's stderr free of it.
func TestNewS3ClientLogsNoChecksumNotice(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"abc"`)
		_, _ = io.WriteString(w, `{"snapshot":true}`)
	}))
	t.Cleanup(srv.Close)
	get := func(c *s3.Client) {
		out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), ChecksumMode: "ENABLED"})
		require.NoError(t, err)
		_, _ = io.ReadAll(out.Body)
		out.Body.Close()
	}
	cfg := func(logs *bytes.Buffer) aws.Config {
		return aws.Config{
			Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
			Logger:      logging.NewStandardLogger(logs),
		}
	}
	var plain, ours bytes.Buffer
	get(s3.NewFromConfig(cfg(&plain), func(o *s3.Options) { o.UsePathStyle = true }))
	get(s3snapshot.NewS3Client(cfg(&ours), func(o *s3.Options) { o.UsePathStyle = true }))
	assert.Contains(t, plain.String(), "no supported checksum", "the SDK's default (the notice this test is about)")
	assert.Empty(t, ours.String())
}
