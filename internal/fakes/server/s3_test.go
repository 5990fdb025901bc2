package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/fakes"
)

// logRecorder keeps what the SDK logs.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Logf(c logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(c)+" "+fmt.Sprintf(format, v...))
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func TestS3WireObjects(t *testing.T) {
	w := newWire(t)
	ctx := t.Context()
	logs := &logRecorder{}
	c := s3.NewFromConfig(w.config(), func(o *s3.Options) {
		o.UsePathStyle = true
		o.Logger = logs
		o.ClientLogMode = aws.LogRetries
	})

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	var owned *s3types.BucketAlreadyOwnedByYou
	require.ErrorAs(t, err, &owned)
	assert.Equal(t, http.StatusConflict, httpStatus(err))

	body := []byte(`{"hello":"world"}`)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("fleet"), Key: aws.String("dir/hosts file.json"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"), CacheControl: aws.String("no-cache"),
		Metadata:             map[string]string{"Iamkit-Digest": "abc", "generated-at": "2026-01-15T09:00:00Z"},
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"),
		ExpectedBucketOwner: aws.String(w.acct.ID()),
	})
	require.NoError(t, err)
	stored, ok := w.acct.S3().Object("fleet", "dir/hosts file.json")
	require.True(t, ok, "the key crossed the wire path-escaped and came back whole")
	assert.Equal(t, body, stored.Body)
	assert.Equal(t, stored.ETag, aws.ToString(put.ETag))
	assert.Equal(t, map[string]string{"iamkit-digest": "abc", "generated-at": "2026-01-15T09:00:00Z"}, stored.Metadata, "metadata keys in lower case")
	assert.Equal(t, "application/json", stored.ContentType)
	assert.Equal(t, s3types.ServerSideEncryptionAwsKms, put.ServerSideEncryption)
	assert.Equal(t, stored.SSEKMSKeyID, aws.ToString(put.SSEKMSKeyId))
	assert.Contains(t, stored.SSEKMSKeyID, ":key/1234abcd-12ab-34cd-56ef-1234567890ab")
	assert.NotEmpty(t, aws.ToString(put.ChecksumCRC32), "S3 echoes the checksum the SDK sent")

	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("dir/hosts file.json")})
	require.NoError(t, err)
	got, err := io.ReadAll(get.Body)
	require.NoError(t, err)
	require.NoError(t, get.Body.Close())
	assert.Equal(t, body, got)
	assert.Equal(t, stored.ETag, aws.ToString(get.ETag))
	assert.Equal(t, stored.Metadata, get.Metadata)
	assert.Equal(t, int64(len(body)), aws.ToInt64(get.ContentLength))
	assert.Equal(t, "application/json", aws.ToString(get.ContentType))
	assert.True(t, stored.LastModified.Truncate(time.Second).Equal(aws.ToTime(get.LastModified)), "Last-Modified is an HTTP date")
	assert.Equal(t, s3types.ServerSideEncryptionAwsKms, get.ServerSideEncryption)
	assert.Equal(t, stored.SSEKMSKeyID, aws.ToString(get.SSEKMSKeyId))

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("dir/hosts file.json")})
	require.NoError(t, err)
	assert.Equal(t, stored.ETag, aws.ToString(head.ETag))
	assert.Equal(t, int64(len(body)), aws.ToInt64(head.ContentLength))
	assert.Equal(t, stored.Metadata, head.Metadata)

	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("fleet"), Key: aws.String("dir/hosts file.json")})
	require.NoError(t, err)
	_, ok = w.acct.S3().Object("fleet", "dir/hosts file.json")
	assert.False(t, ok)

	for _, l := range logs.all() {
		assert.NotContains(t, l, "checksum", "the SDK found every checksum it looks for")
	}
	assert.Equal(t, 1, w.acct.Calls("s3:PutObject"))
}

func TestS3WireErrors(t *testing.T) {
	w := newWire(t)
	ctx := t.Context()
	c := w.s3()
	mustDo(t, func() error {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
		return err
	}())
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("v1")})
	require.NoError(t, err)
	etag := aws.ToString(put.ETag)

	t.Run("NoSuchKey", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("missing")})
		var nsk *s3types.NoSuchKey
		require.ErrorAs(t, err, &nsk)
		assert.Equal(t, http.StatusNotFound, httpStatus(err))
		assert.Equal(t, "The specified key does not exist.", nsk.ErrorMessage())
	})
	t.Run("HEAD of a missing key is NotFound, without a body", func(t *testing.T) {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("fleet"), Key: aws.String("missing")})
		var nf *s3types.NotFound
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, http.StatusNotFound, httpStatus(err))
	})
	t.Run("NoSuchBucket", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nope"), Key: aws.String("k")})
		assert.Equal(t, "NoSuchBucket", apiCode(t, err))
		assert.Equal(t, http.StatusNotFound, httpStatus(err))
	})
	t.Run("another owner is AccessDenied", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), ExpectedBucketOwner: aws.String("999999999999")})
		assert.Equal(t, "AccessDenied", apiCode(t, err))
		assert.Equal(t, http.StatusForbidden, httpStatus(err))
	})
	t.Run("If-None-Match is a 304", func(t *testing.T) {
		w.took()
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfNoneMatch: aws.String(etag)})
		assert.Equal(t, http.StatusNotModified, httpStatus(err))
		assert.Equal(t, "NotModified", apiCode(t, err))
		assert.Equal(t, []string{"GET 304"}, w.took(), "not retried")
	})
	t.Run("If-Match is a 412", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), IfMatch: aws.String(`"0000"`)})
		assert.Equal(t, "PreconditionFailed", apiCode(t, err))
		assert.Equal(t, http.StatusPreconditionFailed, httpStatus(err))
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("v2"), IfNoneMatch: aws.String("*")})
		assert.Equal(t, "PreconditionFailed", apiCode(t, err), "a conditional write on an existing key")
	})
	t.Run("conditional reads by date", func(t *testing.T) {
		lm := w.acct.Clock().Now().Truncate(time.Second)
		for _, tc := range []struct {
			name   string
			in     s3.GetObjectInput
			status int
		}{
			{"modified since before", s3.GetObjectInput{IfModifiedSince: aws.Time(lm.Add(-time.Hour))}, http.StatusOK},
			{"not modified since", s3.GetObjectInput{IfModifiedSince: aws.Time(lm)}, http.StatusNotModified},
			{"If-None-Match wins over If-Modified-Since", s3.GetObjectInput{IfNoneMatch: aws.String(`"other"`), IfModifiedSince: aws.Time(lm)}, http.StatusOK},
			{"unmodified since", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(lm)}, http.StatusOK},
			{"modified after", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(lm.Add(-time.Hour))}, http.StatusPreconditionFailed},
			{"If-Match wins over If-Unmodified-Since", s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(lm.Add(-time.Hour))}, http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.Bucket, in.Key = aws.String("fleet"), aws.String("k")
				out, err := c.GetObject(ctx, &in)
				if tc.status == http.StatusOK {
					require.NoError(t, err)
					_ = out.Body.Close()
					return
				}
				assert.Equal(t, tc.status, httpStatus(err))
			})
		}
	})
	t.Run("a throttle is retried by the SDK", func(t *testing.T) {
		w.acct.ResetCalls()
		w.acct.Throttle("s3:GetObject", 1)
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k")})
		require.NoError(t, err)
		_ = out.Body.Close()
		assert.Equal(t, 2, w.acct.Calls("s3:GetObject"))
		w.acct.Throttle("s3:GetObject", 0)
		defer w.acct.ClearFaults()
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k")})
		assert.Equal(t, "SlowDown", apiCode(t, err))
		assert.Equal(t, http.StatusServiceUnavailable, httpStatus(err))
	})
	t.Run("an operation the fake does not implement", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("fleet")})
		assert.Equal(t, "NotImplemented", apiCode(t, err))
		assert.Contains(t, err.Error(), "ListObjectsV2")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k2"), CopySource: aws.String("fleet/k")})
		assert.Equal(t, "NotImplemented", apiCode(t, err))
		assert.Contains(t, err.Error(), "CopyObject")
	})
}

// hostsync's snapshot publisher and source, run over the wire: the second
// sync is a conditional GET answered 304, which the source recognises.
func TestS3WireHostsyncSnapshot(t *testing.T) {
	w := newWire(t)
	ctx := t.Context()
	acct := w.acct
	svc := acct.IAM()
	for _, g := range []string{"ssh", "admins"} {
		_, err := svc.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
		require.NoError(t, err)
	}
	_, err := svc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = svc.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String("ssh")})
	require.NoError(t, err)
	seed := sha256.Sum256([]byte("alice"))
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public())
	require.NoError(t, err)
	_, err = svc.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(string(ssh.MarshalAuthorizedKey(pub)))})
	require.NoError(t, err)
	c := w.s3()
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(t, err)

	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}}
	snap, err := iamsource.BuildSnapshot(ctx, iamsource.NewIAMSource(svc, cfg), acct.ID(), acct.Clock().Now())
	require.NoError(t, err)
	res, err := s3snapshot.Publish(ctx, c, "fleet", "hosts.json", snap, hostsync.WithExpectedBucketOwner(acct.ID()))
	require.NoError(t, err)
	require.True(t, res.Written, res.Reason)
	res, err = s3snapshot.Publish(ctx, c, "fleet", "hosts.json", snap)
	require.NoError(t, err)
	assert.False(t, res.Written, "unchanged: %s", res.Reason)

	w.took()
	src := s3snapshot.NewS3SnapshotSource(c, "fleet", "hosts.json", cfg, hostsync.WithAccount(acct.ID()), hostsync.WithClock(acct.Clock()), hostsync.WithExpectedBucketOwner(acct.ID()))
	host := fakes.NewHost()
	for range 2 {
		_, _, err := hostsync.Sync(ctx, src, host, cfg)
		require.NoError(t, err)
	}
	u, ok := host.User("alice")
	require.True(t, ok)
	assert.Len(t, u.Keys, 1)
	assert.Equal(t, []string{"GET 200", "GET 304"}, w.took(), "the second sync is one conditional GET")
}

func TestS3WireAnonymousIsDenied(t *testing.T) {
	w := newWire(t)
	c := s3.NewFromConfig(w.config(), func(o *s3.Options) {
		o.UsePathStyle = true
		o.Credentials = aws.AnonymousCredentials{}
	})
	_, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	assert.Equal(t, "AccessDenied", apiCode(t, err))
	assert.Equal(t, http.StatusForbidden, httpStatus(err))
	assert.Zero(t, w.acct.Calls("s3:CreateBucket"))
}

func TestServes(t *testing.T) {
	for _, op := range []string{"GetId", "GetOpenIdToken", "GetCredentialsForIdentity", "GetOpenIdTokenForDeveloperIdentity", "DeleteIdentities", "DescribeIdentity", "CreateIdentityPool"} {
		assert.True(t, servesCognito(op), op)
	}
	for _, op := range []string{"", "getId", "ListIdentities", "UnlinkIdentity"} {
		assert.False(t, servesCognito(op), op)
	}
	for _, op := range []string{"CreateBucket", "PutObject", "GetObject", "HeadObject", "DeleteObject"} {
		assert.True(t, servesS3(op), op)
	}
	for _, op := range []string{"", "Object", "Account", "ListObjectsV2", "CopyObject"} {
		assert.False(t, servesS3(op), op)
	}
}

func TestS3Operation(t *testing.T) {
	for _, tc := range []struct{ method, target, copySource, want string }{
		{"GET", "/", "", "ListBuckets"},
		{"PUT", "/fleet", "", "CreateBucket"},
		{"PUT", "/fleet/", "", "CreateBucket"},
		{"HEAD", "/fleet", "", "HeadBucket"},
		{"DELETE", "/fleet", "", "DeleteBucket"},
		{"GET", "/fleet", "", "ListObjects"},
		{"GET", "/fleet?list-type=2&prefix=a", "", "ListObjectsV2"},
		{"GET", "/fleet?location", "", "GetBucketLocation"},
		{"PUT", "/fleet?acl", "", "PutBucketAcl"},
		{"POST", "/fleet?delete", "", "DeleteObjects"},
		{"GET", "/fleet/k?x-id=GetObject", "", "GetObject"},
		{"GET", "/fleet/k?x-id=DeleteObject", "", "GetObject"},
		{"GET", "/fleet/k?versionId=3&response-content-type=a", "", "GetObject"},
		{"PUT", "/fleet/a/b/c", "", "PutObject"},
		{"HEAD", "/fleet/k", "", "HeadObject"},
		{"DELETE", "/fleet/k", "", "DeleteObject"},
		{"PUT", "/fleet/k", "other/k", "CopyObject"},
		{"GET", "/fleet/k?tagging", "", "GetObjectTagging"},
		{"PUT", "/fleet/k?acl", "", "PutObjectAcl"},
		{"POST", "/fleet/k?uploads", "", "CreateMultipartUpload"},
		{"PUT", "/fleet/k?partNumber=1&uploadId=u", "", "UploadPart"},
		{"POST", "/fleet/k?uploadId=u", "", "CompleteMultipartUpload"},
		{"DELETE", "/fleet/k?uploadId=u", "", "AbortMultipartUpload"},
		{"GET", "/fleet/k?uploadId=u", "", "ListParts"},
		{"PATCH", "/fleet/k", "", "PATCH"},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.copySource != "" {
				r.Header.Set("X-Amz-Copy-Source", tc.copySource)
			}
			bucket, key, err := splitS3Path(r)
			require.NoError(t, err)
			assert.Equal(t, tc.want, s3Operation(r, bucket, key))
		})
	}
}

func TestDecodeS3Payloads(t *testing.T) {
	data := "hello world"
	crc := checksumOf("CRC32", []byte(data))
	chunked := "5;chunk-signature=aa\r\nhello\r\n6;chunk-signature=bb\r\n world\r\n0;chunk-signature=cc\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n"
	for _, tc := range []struct {
		name    string
		headers map[string]string
		body    string
		code    string // "" when the request decodes
	}{
		{"plain with a checksum header", map[string]string{"X-Amz-Checksum-Crc32": crc}, data, ""},
		{"plain with a wrong checksum", map[string]string{"X-Amz-Checksum-Crc32": checksumOf("CRC32", []byte("other"))}, data, "BadDigest"},
		{"SHA256 checksum", map[string]string{"X-Amz-Checksum-Sha256": checksumOf("SHA256", []byte(data))}, data, ""},
		{"Content-MD5", map[string]string{"Content-Md5": checksumOf("MD5", []byte(data))}, data, ""},
		{"wrong Content-MD5", map[string]string{"Content-Md5": checksumOf("MD5", []byte("x"))}, data, "BadDigest"},
		{"invalid Content-MD5", map[string]string{"Content-Md5": "nope"}, data, "InvalidDigest"},
		{"aws-chunked with a trailing checksum", map[string]string{
			"Content-Encoding": "aws-chunked", "X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			"X-Amz-Decoded-Content-Length": "11", "X-Amz-Trailer": "x-amz-checksum-crc32",
		}, chunked, ""},
		{"aws-chunked with a wrong trailing checksum", map[string]string{"Content-Encoding": "aws-chunked"},
			strings.Replace(chunked, crc, checksumOf("CRC32", []byte("x")), 1), "BadDigest"},
		{"truncated aws-chunked", map[string]string{"Content-Encoding": "aws-chunked"}, chunked[:12], "IncompleteBody"},
		{"bad header value", map[string]string{"Expires": "someday"}, data, "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, "/fleet/k", strings.NewReader(tc.body))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			req, err := decodeS3(r, []byte(tc.body))
			if tc.code != "" {
				var se *s3Error
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tc.code, se.code)
				assert.Equal(t, http.StatusBadRequest, se.status)
				return
			}
			require.NoError(t, err)
			in := req.in.Interface().(*s3.PutObjectInput)
			got, err := io.ReadAll(in.Body)
			require.NoError(t, err)
			assert.Equal(t, data, string(got))
			assert.Equal(t, int64(len(data)), aws.ToInt64(in.ContentLength))
			assert.Nil(t, in.ContentEncoding, "aws-chunked is not the object's encoding")
		})
	}
}
