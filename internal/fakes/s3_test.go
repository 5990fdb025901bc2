package fakes_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// s3API lists every S3 method the fake implements, with the SDK's exact
// signatures. Both the real client and the fake must satisfy it.
type s3API interface {
	CreateBucket(ctx context.Context, in *s3.CreateBucketInput, optFns ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var (
	_ s3API = (*s3.Client)(nil)
	_ s3API = (*fakes.S3)(nil)
)

// newS3 returns the fake S3 of a fresh account with bucket "fleet".
func newS3(t *testing.T) (*fakes.Account, *fakes.S3) {
	t.Helper()
	acct := fakes.NewAccount()
	f := acct.S3()
	_, err := f.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	return acct, f
}

// realS3 returns the SDK's S3 client talking to gofakes3 on loopback, with
// bucket "fleet".
func realS3(t *testing.T) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		RetryMaxAttempts: 1,
	})
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	return c
}

func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestS3PutGetHead(t *testing.T) {
	ctx := context.Background()
	acct, f := newS3(t)
	body := []byte(`{"hello":"world"}`)
	put, err := f.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("fleet"), Key: aws.String("a/b.json"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"), Metadata: map[string]string{"Content-SHA256": "abc"},
	})
	require.NoError(t, err)
	sum := md5.Sum(body)
	wantETag := `"` + hex.EncodeToString(sum[:]) + `"`
	assert.Equal(t, wantETag, aws.ToString(put.ETag))
	assert.Equal(t, s3types.ServerSideEncryptionAes256, put.ServerSideEncryption)

	get, err := f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("a/b.json")})
	require.NoError(t, err)
	got, err := io.ReadAll(get.Body)
	require.NoError(t, err)
	assert.Equal(t, body, got)
	assert.Equal(t, wantETag, aws.ToString(get.ETag))
	assert.Equal(t, "application/json", aws.ToString(get.ContentType))
	assert.Equal(t, map[string]string{"content-sha256": "abc"}, get.Metadata, "metadata keys come back in lower case")
	assert.Equal(t, int64(len(body)), aws.ToInt64(get.ContentLength))
	assert.Equal(t, fakes.DefaultStart, aws.ToTime(get.LastModified))

	head, err := f.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("a/b.json")})
	require.NoError(t, err)
	assert.Equal(t, wantETag, aws.ToString(head.ETag))
	assert.Equal(t, "abc", head.Metadata["content-sha256"])

	obj, ok := f.Object("fleet", "a/b.json")
	require.True(t, ok)
	assert.Equal(t, body, obj.Body)
	assert.Equal(t, 1, acct.Calls("s3:PutObject"))
	assert.Equal(t, 1, acct.Calls("s3:GetObject"))
	assert.Equal(t, 1, acct.Calls("s3:HeadObject"))
}

func TestS3ConditionalGet(t *testing.T) {
	ctx := context.Background()
	acct, f := newS3(t)
	put, err := f.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("v1")})
	require.NoError(t, err)

	_, err = f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfNoneMatch: put.ETag})
	require.Error(t, err)
	assert.Equal(t, http.StatusNotModified, httpStatus(err))
	assert.Equal(t, "NotModified", apiCode(err))
	var oe *smithy.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "S3", oe.ServiceID)
	assert.Equal(t, "GetObject", oe.OperationName)
	var re *smithyhttp.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusNotModified, re.HTTPStatusCode())

	_, err = f.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfNoneMatch: aws.String("*")})
	assert.Equal(t, http.StatusNotModified, httpStatus(err))

	_, err = f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfNoneMatch: aws.String(`"other"`)})
	require.NoError(t, err)

	_, err = f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfMatch: aws.String(`"other"`)})
	assert.Equal(t, http.StatusPreconditionFailed, httpStatus(err))
	assert.Equal(t, "PreconditionFailed", apiCode(err))

	assert.Equal(t, 3, acct.Calls("s3:GetObject"), "a 304 is a request too")
}

func TestS3Errors(t *testing.T) {
	ctx := context.Background()
	_, f := newS3(t)

	_, err := f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("missing")})
	var nsk *s3types.NoSuchKey
	require.ErrorAs(t, err, &nsk)
	assert.Equal(t, http.StatusNotFound, httpStatus(err))

	_, err = f.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("missing")})
	var nf *s3types.NotFound
	require.ErrorAs(t, err, &nf)

	_, err = f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nope"), Key: aws.String("k")})
	assert.Equal(t, "NoSuchBucket", apiCode(err))

	_, err = f.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	var owned *s3types.BucketAlreadyOwnedByYou
	require.ErrorAs(t, err, &owned)

	_, err = f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), ExpectedBucketOwner: aws.String("111122223333")})
	assert.Equal(t, http.StatusForbidden, httpStatus(err))
	assert.Equal(t, "AccessDenied", apiCode(err))

	_, err = f.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("x"), SSEKMSKeyId: aws.String("k1")})
	assert.Equal(t, "InvalidArgument", apiCode(err))

	_, err = f.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"big": strings.Repeat("x", fakes.MaxS3MetadataSize)}})
	assert.Equal(t, "MetadataTooLarge", apiCode(err))
}

func TestS3ConditionalPut(t *testing.T) {
	ctx := context.Background()
	_, f := newS3(t)
	in := func() *s3.PutObjectInput {
		return &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("v"), IfNoneMatch: aws.String("*")}
	}
	put, err := f.PutObject(ctx, in())
	require.NoError(t, err)
	_, err = f.PutObject(ctx, in())
	assert.Equal(t, http.StatusPreconditionFailed, httpStatus(err))

	_, err = f.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("v2"), IfMatch: aws.String(`"stale"`)})
	assert.Equal(t, http.StatusPreconditionFailed, httpStatus(err))
	_, err = f.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("v2"), IfMatch: put.ETag})
	require.NoError(t, err)
}

func TestS3KMS(t *testing.T) {
	ctx := context.Background()
	acct, f := newS3(t)
	put := func() *s3.PutObjectOutput {
		out, err := f.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("same"),
			ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"),
		})
		require.NoError(t, err)
		return out
	}
	first, second := put(), put()
	wantARN := "arn:aws:kms:us-east-1:" + acct.ID() + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	assert.Equal(t, wantARN, aws.ToString(first.SSEKMSKeyId))
	sum := md5.Sum([]byte("same"))
	assert.NotEqual(t, `"`+hex.EncodeToString(sum[:])+`"`, aws.ToString(first.ETag), "an SSE-KMS ETag is not the MD5 of the data")
	assert.NotEqual(t, aws.ToString(first.ETag), aws.ToString(second.ETag))

	get, err := f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k")})
	require.NoError(t, err)
	assert.Equal(t, s3types.ServerSideEncryptionAwsKms, get.ServerSideEncryption)
	assert.Equal(t, wantARN, aws.ToString(get.SSEKMSKeyId))
	head, err := f.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k")})
	require.NoError(t, err)
	assert.Equal(t, wantARN, aws.ToString(head.SSEKMSKeyId))
}

func TestS3Faults(t *testing.T) {
	ctx := context.Background()
	acct, f := newS3(t)
	acct.Throttle("s3:GetObject", 1)
	_, err := f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k")})
	assert.Equal(t, "Throttling", apiCode(err))
	_, err = f.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k")})
	var nsk *s3types.NoSuchKey
	assert.ErrorAs(t, err, &nsk)
	assert.Equal(t, 2, acct.Calls("s3:GetObject"))
	assert.Equal(t, 3, acct.CallsWithPrefix("s3:"), "CreateBucket and the two GetObject")
}

// The fake reports S3's answers with the same error shapes as the SDK
// client does against an S3 protocol server (gofakes3 on loopback), so code
// that tells a 304 or a missing key apart works the same on both.
func TestS3ErrorShapesMatchSDK(t *testing.T) {
	ctx := context.Background()
	_, fake := newS3(t)
	real := realS3(t)
	for name, api := range map[string]s3API{"fake": fake, "sdk+gofakes3": real} {
		t.Run(name, func(t *testing.T) {
			put, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: bytes.NewReader([]byte("v1"))})
			require.NoError(t, err)
			sum := md5.Sum([]byte("v1"))
			assert.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, aws.ToString(put.ETag))

			_, err = api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfNoneMatch: put.ETag})
			require.Error(t, err)
			assert.Equal(t, http.StatusNotModified, httpStatus(err), "%v", err)
			assert.Equal(t, "NotModified", apiCode(err), "%v", err)
			var oe *smithy.OperationError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, "GetObject", oe.OperationName)

			_, err = api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("missing")})
			var nsk *s3types.NoSuchKey
			assert.ErrorAs(t, err, &nsk, "%v", err)
			assert.Equal(t, http.StatusNotFound, httpStatus(err))

			_, err = api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("missing")})
			var nf *s3types.NotFound
			assert.ErrorAs(t, err, &nf, "%v", err)
		})
	}
}
