package fakes

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// MaxS3MetadataSize is the most user metadata (keys and values, UTF-8
// bytes) S3 accepts on one object: 2 KB.
const MaxS3MetadataSize = 2 << 10

// s3State is the account's S3 buckets, by name. Its maps are created on
// first use (callers hold a.mu).
type s3State struct {
	buckets map[string]*s3Bucket
	seq     uint64 // object writes, for the ETags of SSE-KMS objects
}

type s3Bucket struct {
	objects map[string]*s3Object
}

type s3Object struct {
	body         []byte
	etag         string
	contentType  string
	metadata     map[string]string
	sse          s3types.ServerSideEncryption
	kmsKeyID     string
	lastModified time.Time
}

// S3Object is what the fake S3 holds for one object, for tests to inspect.
type S3Object struct {
	// Body is the object's content.
	Body []byte
	// ETag is the object's entity tag, quoted, as S3 sends it.
	ETag string
	// ContentType is the Content-Type it was written with.
	ContentType string
	// Metadata is the user metadata, keys in lower case as S3 returns them.
	Metadata map[string]string
	// ServerSideEncryption is AES256 (S3's default encryption) unless the
	// object was written with SSE-KMS.
	ServerSideEncryption s3types.ServerSideEncryption
	// SSEKMSKeyID is the KMS key of an SSE-KMS object, as an ARN.
	SSEKMSKeyID string
	// LastModified is when it was written, on the account's clock.
	LastModified time.Time
}

// S3 is the account's S3 service: buckets of objects in memory, with the
// behaviour of the operations iamkit calls, as the SDK client surfaces it:
//
//   - CreateBucket; a bucket the account already has is
//     *types.BucketAlreadyOwnedByYou.
//   - PutObject stores the body, content type, user metadata (keys in lower
//     case, at most MaxS3MetadataSize bytes) and encryption: AES256 (S3's
//     default) or aws:kms with SSEKMSKeyId (a bare key ID becomes the key's
//     ARN; aliases are kept, not resolved). The ETag is the quoted hex MD5
//     of the body, except for SSE-KMS objects, whose ETag, as in S3, is not
//     the MD5 of their data (here: it changes with every write). IfNoneMatch
//     "*" and IfMatch make conditional writes (412 PreconditionFailed).
//   - GetObject and HeadObject answer with the body (GetObject), ETag,
//     LastModified, metadata and encryption fields; IfMatch and
//     IfUnmodifiedSince (412), IfNoneMatch, which answers 304 when the ETag
//     matches (or is "*"), and IfModifiedSince (304), in RFC 7232's order.
//
// Errors have the shape the SDK gives them: a *smithy.OperationError
// wrapping an *awshttp.ResponseError whose HTTPStatusCode() is the status,
// wrapping the API error — *types.NoSuchKey (GetObject, 404), *types.NotFound
// (HeadObject, 404: HEAD responses have no body), NoSuchBucket (404),
// AccessDenied (403; ExpectedBucketOwner other than the account),
// PreconditionFailed (412), and for a conditional read whose ETag matches, a
// smithy.APIError with code "NotModified" and status 304, exactly as the SDK
// client reports S3's 304 (it treats every non-2xx answer as an error).
//
// Calls are counted and faults injected per operation as "s3:GetObject",
// "s3:PutObject", "s3:HeadObject", "s3:CreateBucket", "s3:DeleteObject".
type S3 struct{ a *Account }

// S3 returns the account's S3 service.
func (a *Account) S3() *S3 { return &S3{a: a} }

// Account returns the account the service belongs to.
func (f *S3) Account() *Account { return f.a }

// state returns the account's S3 state, creating its maps. Callers hold a.mu.
func (f *S3) state() *s3State {
	st := &f.a.s3
	if st.buckets == nil {
		st.buckets = map[string]*s3Bucket{}
	}
	return st
}

// Object returns a copy of what the fake holds for bucket/key.
func (f *S3) Object(bucket, key string) (S3Object, bool) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	b, ok := f.state().buckets[bucket]
	if !ok {
		return S3Object{}, false
	}
	o, ok := b.objects[key]
	if !ok {
		return S3Object{}, false
	}
	return S3Object{
		Body: bytes.Clone(o.body), ETag: o.etag, ContentType: o.contentType,
		Metadata: maps.Clone(o.metadata), ServerSideEncryption: o.sse, SSEKMSKeyID: o.kmsKeyID,
		LastModified: o.lastModified,
	}, true
}

// s3HTTPError wraps an S3 API error the way the SDK does: in the HTTP
// response error that carries the status code. Callers hold a.mu.
func (f *S3) s3HTTPError(status int, err error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
			Err:      err,
		},
		RequestID: f.a.newID("", 16),
	}
}

func s3APIError(code, format string, args ...any) *smithy.GenericAPIError {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

var s3BucketNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`) })

// bucket checks the bucket name and owner and returns the bucket. head
// selects the body-less error shapes of HeadObject. Callers hold a.mu.
func (f *S3) bucket(name, expectedOwner *string, head bool) (*s3Bucket, error) {
	if aws.ToString(name) == "" {
		return nil, f.s3HTTPError(http.StatusBadRequest, s3APIError("InvalidBucketName", "The specified bucket is not valid."))
	}
	if o := aws.ToString(expectedOwner); o != "" && o != f.a.id {
		if head {
			return nil, f.s3HTTPError(http.StatusForbidden, s3APIError("Forbidden", "Forbidden"))
		}
		return nil, f.s3HTTPError(http.StatusForbidden, s3APIError("AccessDenied", "Access Denied"))
	}
	b, ok := f.state().buckets[*name]
	if !ok {
		if head {
			return nil, f.s3HTTPError(http.StatusNotFound, &s3types.NotFound{Message: aws.String("Not Found")})
		}
		return nil, f.s3HTTPError(http.StatusNotFound, s3APIError("NoSuchBucket", "The specified bucket does not exist"))
	}
	return b, nil
}

// CreateBucket implements s3.Client.CreateBucket.
func (f *S3) CreateBucket(ctx context.Context, in *s3.CreateBucketInput, _ ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	return call(ctx, f.a, "s3:CreateBucket", in, func() (*s3.CreateBucketOutput, error) {
		name := aws.ToString(in.Bucket)
		if !s3BucketNameRE().MatchString(name) || strings.Contains(name, "..") {
			return nil, f.s3HTTPError(http.StatusBadRequest, s3APIError("InvalidBucketName", "The specified bucket is not valid."))
		}
		st := f.state()
		if _, ok := st.buckets[name]; ok {
			return nil, f.s3HTTPError(http.StatusConflict, &s3types.BucketAlreadyOwnedByYou{Message: aws.String("Your previous request to create the named bucket succeeded and you already own it.")})
		}
		st.buckets[name] = &s3Bucket{objects: map[string]*s3Object{}}
		return &s3.CreateBucketOutput{Location: aws.String("/" + name)}, nil
	})
}

// kmsKeyARN returns the ARN S3 reports for an SSEKMSKeyId.
func (f *S3) kmsKeyARN(id string) string {
	switch {
	case id == "":
		// The AWS managed key for S3 (aws/s3).
		return fmt.Sprintf("arn:%s:kms:%s:%s:key/00000000-0000-4000-8000-0000000a0053", f.a.partition, f.a.region, f.a.id)
	case strings.HasPrefix(id, "arn:"):
		return id
	case strings.HasPrefix(id, "alias/"):
		return fmt.Sprintf("arn:%s:kms:%s:%s:%s", f.a.partition, f.a.region, f.a.id, id)
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", f.a.partition, f.a.region, f.a.id, id)
}

// PutObject implements s3.Client.PutObject.
func (f *S3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	// Read the body before taking the account lock.
	var body []byte
	if in.Body != nil {
		var err error
		if body, err = io.ReadAll(in.Body); err != nil {
			return nil, opErr("s3:PutObject", fmt.Errorf("reading the request body: %w", err))
		}
	}
	return call(ctx, f.a, "s3:PutObject", in, func() (*s3.PutObjectOutput, error) {
		b, err := f.bucket(in.Bucket, in.ExpectedBucketOwner, false)
		if err != nil {
			return nil, err
		}
		key := aws.ToString(in.Key)
		if key == "" || len(key) > 1024 {
			return nil, f.s3HTTPError(http.StatusBadRequest, s3APIError("KeyTooLongError", "Your key is too long"))
		}
		if in.ContentLength != nil && *in.ContentLength != int64(len(body)) {
			return nil, f.s3HTTPError(http.StatusBadRequest, s3APIError("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header."))
		}
		cur, exists := b.objects[key]
		if m := aws.ToString(in.IfNoneMatch); m != "" {
			if m != "*" {
				return nil, f.s3HTTPError(http.StatusNotImplemented, s3APIError("NotImplemented", "If-None-Match supports only '*' on writes"))
			}
			if exists {
				return nil, f.s3HTTPError(http.StatusPreconditionFailed, s3APIError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"))
			}
		}
		if m := aws.ToString(in.IfMatch); m != "" {
			if !exists {
				return nil, f.s3HTTPError(http.StatusNotFound, &s3types.NoSuchKey{Message: aws.String("The specified key does not exist.")})
			}
			if m != cur.etag {
				return nil, f.s3HTTPError(http.StatusPreconditionFailed, s3APIError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"))
			}
		}
		meta := make(map[string]string, len(in.Metadata))
		size := 0
		for k, v := range in.Metadata {
			meta[strings.ToLower(k)] = v
			size += len(k) + len(v)
		}
		if size > MaxS3MetadataSize {
			return nil, f.s3HTTPError(http.StatusBadRequest, s3APIError("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."))
		}
		obj := &s3Object{
			body: body, contentType: aws.ToString(in.ContentType), metadata: meta,
			sse: s3types.ServerSideEncryptionAes256, lastModified: f.a.clock.Now().UTC().Truncate(time.Second),
		}
		if obj.contentType == "" {
			obj.contentType = "binary/octet-stream"
		}
		switch in.ServerSideEncryption {
		case "", s3types.ServerSideEncryptionAes256:
			if in.SSEKMSKeyId != nil {
				return nil, f.s3HTTPError(http.StatusBadRequest, s3APIError("InvalidArgument", "Specifying a KMS key requires x-amz-server-side-encryption: aws:kms"))
			}
		case s3types.ServerSideEncryptionAwsKms, s3types.ServerSideEncryptionAwsKmsDsse:
			obj.sse = in.ServerSideEncryption
			obj.kmsKeyID = f.kmsKeyARN(aws.ToString(in.SSEKMSKeyId))
		default:
			return nil, f.s3HTTPError(http.StatusBadRequest, s3APIError("InvalidArgument", "The encryption method specified is not supported"))
		}
		sum := md5.Sum(body)
		st := f.state()
		st.seq++
		if obj.kmsKeyID != "" {
			// S3: "Objects encrypted by SSE-KMS have ETags that are not an
			// MD5 digest of their object data."
			var n [8]byte
			binary.BigEndian.PutUint64(n[:], st.seq)
			sum = md5.Sum(append(sum[:], n[:]...))
		}
		obj.etag = `"` + hex.EncodeToString(sum[:]) + `"`
		b.objects[key] = obj
		out := &s3.PutObjectOutput{ETag: aws.String(obj.etag), ServerSideEncryption: obj.sse, Size: aws.Int64(int64(len(body)))}
		if obj.kmsKeyID != "" {
			out.SSEKMSKeyId = aws.String(obj.kmsKeyID)
		}
		return out, nil
	})
}

// precondition evaluates the conditional headers of a read of o, in
// RFC 7232's order as S3 does: If-Match (else If-Unmodified-Since) fails
// with 412; If-None-Match (else If-Modified-Since) answers 304. Times
// compare at S3's one-second resolution.
func (f *S3) precondition(o *s3Object, ifMatch, ifNoneMatch *string, ifModifiedSince, ifUnmodifiedSince *time.Time) error {
	lm := o.lastModified.Truncate(time.Second)
	failed := func() error {
		return f.s3HTTPError(http.StatusPreconditionFailed, s3APIError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"))
	}
	if m := aws.ToString(ifMatch); m != "" {
		if m != "*" && !etagListed(m, o.etag) {
			return failed()
		}
	} else if ifUnmodifiedSince != nil && lm.After(*ifUnmodifiedSince) {
		return failed()
	}
	notModified := f.s3HTTPError(http.StatusNotModified, s3APIError("NotModified", "Not Modified"))
	if m := aws.ToString(ifNoneMatch); m != "" {
		if m == "*" || etagListed(m, o.etag) {
			return notModified
		}
	} else if ifModifiedSince != nil && !lm.After(*ifModifiedSince) {
		return notModified
	}
	return nil
}

// etagListed reports whether a comma-separated If-(None-)Match list names
// etag (weak or strong).
func etagListed(list, etag string) bool {
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag {
			return true
		}
	}
	return false
}

// object looks an object up for a read. Callers hold a.mu.
func (f *S3) object(bucket, key, owner *string, head bool) (*s3Object, error) {
	b, err := f.bucket(bucket, owner, head)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[aws.ToString(key)]
	if !ok {
		if head {
			return nil, f.s3HTTPError(http.StatusNotFound, &s3types.NotFound{Message: aws.String("Not Found")})
		}
		return nil, f.s3HTTPError(http.StatusNotFound, &s3types.NoSuchKey{Message: aws.String("The specified key does not exist.")})
	}
	return o, nil
}

// GetObject implements s3.Client.GetObject.
func (f *S3) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return call(ctx, f.a, "s3:GetObject", in, func() (*s3.GetObjectOutput, error) {
		o, err := f.object(in.Bucket, in.Key, in.ExpectedBucketOwner, false)
		if err != nil {
			return nil, err
		}
		if err := f.precondition(o, in.IfMatch, in.IfNoneMatch, in.IfModifiedSince, in.IfUnmodifiedSince); err != nil {
			return nil, err
		}
		out := &s3.GetObjectOutput{
			Body:                 io.NopCloser(bytes.NewReader(bytes.Clone(o.body))),
			ContentLength:        aws.Int64(int64(len(o.body))),
			ContentType:          aws.String(o.contentType),
			ETag:                 aws.String(o.etag),
			LastModified:         aws.Time(o.lastModified),
			Metadata:             maps.Clone(o.metadata),
			ServerSideEncryption: o.sse,
			AcceptRanges:         aws.String("bytes"),
		}
		if o.kmsKeyID != "" {
			out.SSEKMSKeyId = aws.String(o.kmsKeyID)
		}
		return out, nil
	})
}

// HeadObject implements s3.Client.HeadObject.
func (f *S3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return call(ctx, f.a, "s3:HeadObject", in, func() (*s3.HeadObjectOutput, error) {
		o, err := f.object(in.Bucket, in.Key, in.ExpectedBucketOwner, true)
		if err != nil {
			return nil, err
		}
		if err := f.precondition(o, in.IfMatch, in.IfNoneMatch, in.IfModifiedSince, in.IfUnmodifiedSince); err != nil {
			return nil, err
		}
		out := &s3.HeadObjectOutput{
			ContentLength:        aws.Int64(int64(len(o.body))),
			ContentType:          aws.String(o.contentType),
			ETag:                 aws.String(o.etag),
			LastModified:         aws.Time(o.lastModified),
			Metadata:             maps.Clone(o.metadata),
			ServerSideEncryption: o.sse,
			AcceptRanges:         aws.String("bytes"),
		}
		if o.kmsKeyID != "" {
			out.SSEKMSKeyId = aws.String(o.kmsKeyID)
		}
		return out, nil
	})
}

// DeleteObject implements s3.Client.DeleteObject (unversioned: the object
// is gone; deleting a missing key succeeds, as in S3).
func (f *S3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	return call(ctx, f.a, "s3:DeleteObject", in, func() (*s3.DeleteObjectOutput, error) {
		b, err := f.bucket(in.Bucket, in.ExpectedBucketOwner, false)
		if err != nil {
			return nil, err
		}
		delete(b.objects, aws.ToString(in.Key))
		return &s3.DeleteObjectOutput{}, nil
	})
}
