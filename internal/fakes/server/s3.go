package server

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/iamkit/iamkit/internal/fakes"
)

// This file is the S3 REST-XML codec, path-style (/bucket/key): a request
// decodes into the SDK's input struct of its operation through the HTTP
// bindings below (one table per protocol, keyed by the SDK's field names,
// which S3 binds to the same header in every operation), the fake's method
// is called by reflection, and its output struct encodes back into status,
// headers and body. Errors are S3's <Error> documents; HEAD answers and
// 304 have no body.

// s3Headers binds SDK field names to HTTP headers, in requests and
// responses alike (from the SDK's serializers and deserializers).
var s3Headers = map[string]string{
	"ACL": "X-Amz-Acl", "AcceptRanges": "Accept-Ranges", "ArchiveStatus": "X-Amz-Archive-Status",
	"BucketArn": "X-Amz-Bucket-Arn", "BucketKeyEnabled": "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled",
	"BucketNamespace": "X-Amz-Bucket-Namespace", "BypassGovernanceRetention": "X-Amz-Bypass-Governance-Retention",
	"CacheControl": "Cache-Control", "ChecksumAlgorithm": "X-Amz-Sdk-Checksum-Algorithm",
	"ChecksumCRC32": "X-Amz-Checksum-Crc32", "ChecksumCRC32C": "X-Amz-Checksum-Crc32c",
	"ChecksumCRC64NVME": "X-Amz-Checksum-Crc64nvme", "ChecksumMD5": "X-Amz-Checksum-Md5",
	"ChecksumMode": "X-Amz-Checksum-Mode", "ChecksumSHA1": "X-Amz-Checksum-Sha1",
	"ChecksumSHA256": "X-Amz-Checksum-Sha256", "ChecksumSHA512": "X-Amz-Checksum-Sha512",
	"ChecksumType": "X-Amz-Checksum-Type", "ChecksumXXHASH128": "X-Amz-Checksum-Xxhash128",
	"ChecksumXXHASH3": "X-Amz-Checksum-Xxhash3", "ChecksumXXHASH64": "X-Amz-Checksum-Xxhash64",
	"ContentDisposition": "Content-Disposition", "ContentEncoding": "Content-Encoding",
	"ContentLanguage": "Content-Language", "ContentLength": "Content-Length", "ContentMD5": "Content-Md5",
	"ContentRange": "Content-Range", "ContentType": "Content-Type", "DeleteMarker": "X-Amz-Delete-Marker",
	"ETag": "Etag", "ExpectedBucketOwner": "X-Amz-Expected-Bucket-Owner", "Expiration": "X-Amz-Expiration",
	"Expires": "Expires", "ExpiresString": "Expires",
	"GrantFullControl": "X-Amz-Grant-Full-Control", "GrantRead": "X-Amz-Grant-Read",
	"GrantReadACP": "X-Amz-Grant-Read-Acp", "GrantWrite": "X-Amz-Grant-Write", "GrantWriteACP": "X-Amz-Grant-Write-Acp",
	"IfMatch": "If-Match", "IfMatchLastModifiedTime": "X-Amz-If-Match-Last-Modified-Time",
	"IfMatchSize": "X-Amz-If-Match-Size", "IfModifiedSince": "If-Modified-Since", "IfNoneMatch": "If-None-Match",
	"IfUnmodifiedSince": "If-Unmodified-Since", "LastModified": "Last-Modified", "Location": "Location",
	"MFA": "X-Amz-Mfa", "MissingMeta": "X-Amz-Missing-Meta",
	"ObjectLockEnabledForBucket": "X-Amz-Bucket-Object-Lock-Enabled", "ObjectLockEventHold": "X-Amz-Object-Lock-Event-Hold",
	"ObjectLockEventHoldDurationDays":  "X-Amz-Object-Lock-Event-Hold-Duration-Days",
	"ObjectLockEventHoldDurationYears": "X-Amz-Object-Lock-Event-Hold-Duration-Years",
	"ObjectLockLegalHoldStatus":        "X-Amz-Object-Lock-Legal-Hold", "ObjectLockMode": "X-Amz-Object-Lock-Mode",
	"ObjectLockRetainUntilDate": "X-Amz-Object-Lock-Retain-Until-Date", "ObjectOwnership": "X-Amz-Object-Ownership",
	"PartsCount": "X-Amz-Mp-Parts-Count", "Range": "Range", "ReplicationStatus": "X-Amz-Replication-Status",
	"RequestCharged": "X-Amz-Request-Charged", "RequestPayer": "X-Amz-Request-Payer", "Restore": "X-Amz-Restore",
	"SSECustomerAlgorithm":    "X-Amz-Server-Side-Encryption-Customer-Algorithm",
	"SSECustomerKey":          "X-Amz-Server-Side-Encryption-Customer-Key",
	"SSECustomerKeyMD5":       "X-Amz-Server-Side-Encryption-Customer-Key-Md5",
	"SSEKMSEncryptionContext": "X-Amz-Server-Side-Encryption-Context",
	"SSEKMSKeyId":             "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "ServerSideEncryption": "X-Amz-Server-Side-Encryption",
	"Size": "X-Amz-Object-Size", "StorageClass": "X-Amz-Storage-Class", "TagCount": "X-Amz-Tagging-Count",
	"Tagging": "X-Amz-Tagging", "VersionId": "X-Amz-Version-Id",
	"WebsiteRedirectLocation": "X-Amz-Website-Redirect-Location", "WriteOffsetBytes": "X-Amz-Write-Offset-Bytes",
}

// s3Query binds SDK input fields to query parameters; in requests they win
// over s3Headers (VersionId is a query parameter in, a header out).
var s3Query = map[string]string{
	"PartNumber": "partNumber", "VersionId": "versionId",
	"ResponseCacheControl": "response-cache-control", "ResponseContentDisposition": "response-content-disposition",
	"ResponseContentEncoding": "response-content-encoding", "ResponseContentLanguage": "response-content-language",
	"ResponseContentType": "response-content-type", "ResponseExpires": "response-expires",
}

// s3MetaPrefix is the header prefix of user metadata (the Metadata field).
const s3MetaPrefix = "X-Amz-Meta-"

// s3DateTimeFields are the timestamps S3 sends as ISO 8601; the others are
// HTTP dates.
var s3DateTimeFields = map[string]bool{"ObjectLockRetainUntilDate": true}

// s3Status is the status S3 answers each error code with, when the fake's
// error does not carry one.
var s3Status = map[string]int{
	"NoSuchKey": http.StatusNotFound, "NoSuchBucket": http.StatusNotFound, "NotFound": http.StatusNotFound,
	"AccessDenied": http.StatusForbidden, "Forbidden": http.StatusForbidden,
	"PreconditionFailed": http.StatusPreconditionFailed, "NotModified": http.StatusNotModified,
	"BucketAlreadyOwnedByYou": http.StatusConflict, "BucketAlreadyExists": http.StatusConflict,
	"NotImplemented": http.StatusNotImplemented, "SlowDown": http.StatusServiceUnavailable,
	"InternalError": http.StatusInternalServerError,
}

// s3Request is a decoded path-style request: the operation and its input.
type s3Request struct {
	op          string
	bucket, key string
	in          reflect.Value // pointer to the SDK input struct; invalid if op is not served
	checksums   map[string]string
}

// s3Error is an S3 error answer.
type s3Error struct {
	status        int
	code, message string
}

func (e *s3Error) Error() string { return e.code + ": " + e.message }

// servesS3 reports whether op (an SDK operation name such as "GetObject")
// is an S3 operation the server answers: one the fake implements.
func servesS3(op string) bool {
	_, ok := jsonOpOf((*fakes.S3)(nil), op)
	return ok
}

// s3Ops lists the S3 operations served over the wire.
func s3Ops() []string { return jsonOps((*fakes.S3)(nil)) }

// serveS3 answers one path-style S3 REST-XML request.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, body []byte, who *caller) {
	f := s.acct.S3()
	if who == nil {
		// The fake's buckets have no policies letting anyone in anonymously.
		writeS3Error(w, r, &s3Error{http.StatusForbidden, "AccessDenied", "Access Denied"}, "", "")
		return
	}
	req, err := decodeS3(r, body)
	if err != nil {
		writeS3Error(w, r, err, "", "")
		return
	}
	o, _ := jsonOpOf(f, req.op)
	res := o.fn.Call([]reflect.Value{reflect.ValueOf(r.Context()), req.in})
	if err, _ := res[1].Interface().(error); err != nil {
		if s3StatusOf(err) == http.StatusNotModified {
			if obj, ok := f.Object(req.bucket, req.key); ok {
				w.Header().Set("Etag", obj.ETag)
				w.Header().Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
			}
		}
		writeS3Error(w, r, err, req.bucket, req.key)
		return
	}
	out := res[0]
	if req.op == "PutObject" {
		// S3 keeps the checksum the client sent and echoes it.
		for field, v := range req.checksums {
			setStringField(out, field, v)
		}
		if len(req.checksums) > 0 {
			setStringField(out, "ChecksumType", "FULL_OBJECT")
		}
	}
	var payload []byte
	hasBody := false
	if b := out.Elem().FieldByName("Body"); b.IsValid() && b.Type() == reflect.TypeFor[io.ReadCloser]() && !b.IsNil() {
		rc := b.Interface().(io.ReadCloser)
		payload, err = io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			writeS3Error(w, r, err, req.bucket, req.key)
			return
		}
		hasBody = true
	}
	if s3ChecksumMode(req.in) {
		// Answer with a full-object checksum, which the SDK validates, so
		// it has no reason to log that it could not.
		sum := payload
		if !hasBody {
			if obj, ok := f.Object(req.bucket, req.key); ok {
				sum = obj.Body
			}
		}
		setStringField(out, "ChecksumCRC32", checksumOf("CRC32", sum))
		setStringField(out, "ChecksumType", "FULL_OBJECT")
	}
	h := w.Header()
	encodeS3Headers(h, out.Elem())
	s3CommonHeaders(h)
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil // no content sniffing
	}
	if hasBody {
		h.Set("Content-Length", strconv.Itoa(len(payload)))
	} else if r.Method != http.MethodHead {
		h.Set("Content-Length", "0")
	}
	w.WriteHeader(http.StatusOK)
	if hasBody && r.Method != http.MethodHead {
		_, _ = w.Write(payload)
	}
}

func s3CommonHeaders(h http.Header) {
	id := wireRequestID()
	h.Set("X-Amz-Request-Id", strings.ToUpper(strings.ReplaceAll(id[:19], "-", "")))
	h.Set("X-Amz-Id-2", base64.StdEncoding.EncodeToString([]byte(id)))
	h.Set("Server", "AmazonS3")
}

// s3ChecksumMode reports whether the input asked for the object's checksum.
func s3ChecksumMode(in reflect.Value) bool {
	f := in.Elem().FieldByName("ChecksumMode")
	return f.IsValid() && f.Kind() == reflect.String && strings.EqualFold(f.String(), "ENABLED")
}

func setStringField(v reflect.Value, name, s string) {
	f := v.Elem().FieldByName(name)
	switch {
	case !f.IsValid() || !f.CanSet():
	case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String:
		p := reflect.New(f.Type().Elem())
		p.Elem().SetString(s)
		f.Set(p)
	case f.Kind() == reflect.String:
		f.SetString(s)
	}
}

// ---- requests ----

// s3Subresources are the query parameters that select another operation
// on a bucket or object ("acl": GetBucketAcl, PutObjectAcl, ...), for the
// error that names the operation not served.
var s3Subresources = map[string]string{
	"acl": "Acl", "tagging": "Tagging", "versioning": "Versioning", "policy": "Policy", "cors": "Cors",
	"lifecycle": "Lifecycle", "location": "Location", "attributes": "Attributes", "retention": "Retention",
	"legal-hold": "LegalHold", "encryption": "Encryption", "website": "Website", "logging": "Logging",
	"notification": "NotificationConfiguration", "replication": "Replication", "object-lock": "ObjectLockConfiguration",
	"ownershipControls": "OwnershipControls", "publicAccessBlock": "PublicAccessBlock", "accelerate": "Accelerate",
	"requestPayment": "RequestPayment", "policyStatus": "PolicyStatus", "torrent": "Torrent",
}

// s3Operation names the operation of a path-style request, as the SDK
// names it. The SDK's x-id query parameter is a hint only: the method,
// path and subresource decide, as in S3.
func s3Operation(r *http.Request, bucket, key string) string {
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	verb := map[string]string{http.MethodGet: "Get", http.MethodPut: "Put", http.MethodHead: "Head", http.MethodDelete: "Delete", http.MethodPost: "Post"}[r.Method]
	kind := "Bucket"
	if key != "" {
		kind = "Object"
	}
	switch {
	case verb == "":
		return r.Method
	case bucket == "":
		return "ListBuckets"
	case has("uploads"):
		if verb == "Post" {
			return "CreateMultipartUpload"
		}
		return "ListMultipartUploads"
	case has("uploadId"):
		switch verb {
		case "Put":
			return "UploadPart"
		case "Post":
			return "CompleteMultipartUpload"
		case "Delete":
			return "AbortMultipartUpload"
		}
		return "ListParts"
	case has("delete") && verb == "Post":
		return "DeleteObjects"
	case has("restore") && verb == "Post":
		return "RestoreObject"
	case has("select") && verb == "Post":
		return "SelectObjectContent"
	case has("versions"):
		return "ListObjectVersions"
	case has("list-type") && key == "":
		return "ListObjectsV2"
	}
	subs := make([]string, 0, len(q))
	for k := range q {
		if _, ok := s3Subresources[k]; ok {
			subs = append(subs, k)
		}
	}
	sort.Strings(subs)
	switch {
	case len(subs) > 0:
		return verb + kind + s3Subresources[subs[0]]
	case key == "" && verb == "Put":
		return "CreateBucket"
	case key == "" && verb == "Get":
		return "ListObjects"
	case key == "" && verb == "Post":
		return "PostObject"
	case verb == "Put" && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	}
	return verb + kind
}

// splitS3Path splits a path-style path into bucket and key.
func splitS3Path(r *http.Request) (bucket, key string, err error) {
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	b, k, _ := strings.Cut(p, "/")
	if bucket, err = url.PathUnescape(b); err != nil {
		return "", "", &s3Error{http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI."}
	}
	if key, err = url.PathUnescape(k); err != nil {
		return "", "", &s3Error{http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI."}
	}
	return bucket, key, nil
}

// decodeS3 decodes a path-style request into its operation's SDK input.
// Operations the fake does not implement are a NotImplemented error.
func decodeS3(r *http.Request, body []byte) (*s3Request, error) {
	bucket, key, err := splitS3Path(r)
	if err != nil {
		return nil, err
	}
	op := s3Operation(r, bucket, key)
	o, ok := jsonOpOf((*fakes.S3)(nil), op)
	if !ok {
		return nil, &s3Error{http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("This endpoint does not implement the S3 operation %s.", op)}
	}
	req := &s3Request{op: op, bucket: bucket, key: key, in: reflect.New(o.in)}
	body, trailers, err := s3Payload(r, body)
	if err != nil {
		return nil, err
	}
	if req.checksums, err = verifyChecksums(r.Header, trailers, body); err != nil {
		return nil, err
	}
	if err := setS3Input(req.in.Elem(), r, bucket, key, body, trailers); err != nil {
		return nil, err
	}
	return req, nil
}

// setS3Input fills the input struct v from the request's bindings.
func setS3Input(v reflect.Value, r *http.Request, bucket, key string, body []byte, trailers http.Header) error {
	t := v.Type()
	q := r.URL.Query()
	for i := range t.NumField() {
		f := t.Field(i)
		fv := v.Field(i)
		if !serialized(f) {
			continue
		}
		switch {
		case f.Name == "Bucket":
			fv.Set(reflect.ValueOf(&bucket))
		case f.Name == "Key":
			fv.Set(reflect.ValueOf(&key))
		case f.Type == reflect.TypeFor[io.Reader]():
			fv.Set(reflect.ValueOf(io.Reader(bytes.NewReader(body))))
		case f.Name == "Metadata":
			m := map[string]string{}
			for name, vals := range r.Header {
				if k, ok := cutPrefixFold(name, s3MetaPrefix); ok {
					m[strings.ToLower(k)] = strings.Join(vals, ",")
				}
			}
			if len(m) > 0 {
				fv.Set(reflect.ValueOf(m))
			}
		case f.Name == "ContentLength":
			n := r.ContentLength
			if d := r.Header.Get("X-Amz-Decoded-Content-Length"); d != "" {
				var err error
				if n, err = strconv.ParseInt(d, 10, 64); err != nil {
					return &s3Error{http.StatusBadRequest, "InvalidArgument", "x-amz-decoded-content-length is not a number"}
				}
			}
			if n >= 0 {
				fv.Set(reflect.ValueOf(&n))
			}
		case s3Query[f.Name] != "":
			if vals, ok := q[s3Query[f.Name]]; ok && len(vals) > 0 {
				if err := setS3Value(fv, f.Name, vals[0]); err != nil {
					return err
				}
			}
		case s3Headers[f.Name] != "":
			val, ok := headerValue(r.Header, s3Headers[f.Name])
			if !ok {
				val, ok = headerValue(trailers, s3Headers[f.Name])
			}
			if !ok {
				continue
			}
			if f.Name == "ContentEncoding" {
				val = stripAWSChunked(val)
				if val == "" {
					continue
				}
			}
			if err := setS3Value(fv, f.Name, val); err != nil {
				return err
			}
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			// An XML payload (CreateBucketConfiguration).
			if len(bytes.TrimSpace(body)) == 0 {
				continue
			}
			root, err := parseXML(body)
			if err == nil {
				err = setXML(fv, root, 0)
			}
			if err != nil {
				return &s3Error{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema."}
			}
		}
	}
	return nil
}

func headerValue(h http.Header, name string) (string, bool) {
	vals := h.Values(name)
	if len(vals) == 0 {
		return "", false
	}
	return strings.Join(vals, ","), true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// xmlNode is an element of an XML payload.
type xmlNode struct {
	name string
	text string
	kids []*xmlNode
}

// maxXMLNodes bounds the elements of an XML payload.
const maxXMLNodes = 10000

// parseXML parses an XML payload into its root element.
func parseXML(b []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xmlNode
	var root *xmlNode
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if n++; n > maxXMLNodes || len(stack) >= maxJSONDepth {
				return nil, errors.New("XML payload too large or too deep")
			}
			e := &xmlNode{name: tok.Name.Local}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.kids = append(top.kids, e)
			} else if root != nil {
				return nil, errors.New("more than one root element")
			} else {
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// setXML stores the REST-XML element n into the SDK shape v: structure
// members are child elements named as the SDK's fields, lists are wrapped
// (one child element per item), maps are <entry><key/><value/></entry>,
// timestamps ISO 8601.
func setXML(v reflect.Value, n *xmlNode, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("XML nested too deeply")
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := setXML(p.Elem(), n, depth+1); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	text := strings.TrimSpace(n.text)
	switch {
	case t == timeType:
		tm, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(tm.UTC()))
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return err
		}
		v.SetBytes(b)
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(n.text)
	case reflect.Bool, reflect.Int32, reflect.Int64:
		return setS3Value(v, n.name, text)
	case reflect.Slice:
		s := reflect.MakeSlice(t, len(n.kids), len(n.kids))
		for i, k := range n.kids {
			if err := setXML(s.Index(i), k, depth+1); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("unsupported map %s", t)
		}
		m := reflect.MakeMapWithSize(t, len(n.kids))
		for _, entry := range n.kids {
			var key *xmlNode
			val := reflect.New(t.Elem()).Elem()
			for _, k := range entry.kids {
				switch k.name {
				case "key":
					key = k
				case "value":
					if err := setXML(val, k, depth+1); err != nil {
						return err
					}
				}
			}
			if key != nil {
				m.SetMapIndex(reflect.ValueOf(key.text).Convert(t.Key()), val)
			}
		}
		v.Set(m)
	case reflect.Struct:
		for _, k := range n.kids {
			f, ok := jsonField(t, k.name)
			if !ok || f.Type.Kind() == reflect.Interface {
				continue // unknown element: ignored
			}
			if err := setXML(v.FieldByIndex(f.Index), k, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unsupported member type %s", t)
	}
	return nil
}

// setS3Value parses a header or query value into an SDK field.
func setS3Value(fv reflect.Value, name, val string) error {
	bad := func() error {
		return &s3Error{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("Invalid value for %s: %q", name, val)}
	}
	t := fv.Type()
	ptr := t.Kind() == reflect.Pointer
	if ptr {
		t = t.Elem()
	}
	x := reflect.New(t).Elem()
	switch {
	case t == timeType:
		var tm time.Time
		var err error
		if s3DateTimeFields[name] {
			tm, err = time.Parse(time.RFC3339Nano, val)
		} else {
			tm, err = http.ParseTime(val)
		}
		if err != nil {
			return bad()
		}
		x.Set(reflect.ValueOf(tm.UTC()))
	case t.Kind() == reflect.String:
		x.SetString(val)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return bad()
		}
		x.SetBool(b)
	case t.Kind() == reflect.Int32 || t.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(val, 10, t.Bits())
		if err != nil {
			return bad()
		}
		x.SetInt(n)
	default:
		return bad()
	}
	if ptr {
		p := reflect.New(t)
		p.Elem().Set(x)
		fv.Set(p)
	} else {
		fv.Set(x)
	}
	return nil
}

// ---- payload: aws-chunked and checksums ----

// s3Payload returns the object data of a request body, decoding
// aws-chunked content encoding (with its trailing headers) when used.
func s3Payload(r *http.Request, body []byte) ([]byte, http.Header, error) {
	chunked := strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	for _, ce := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
		chunked = chunked || strings.TrimSpace(ce) == "aws-chunked"
	}
	if !chunked {
		return body, nil, nil
	}
	data, trailers, err := decodeAWSChunked(body)
	if err != nil {
		return nil, nil, &s3Error{http.StatusBadRequest, "IncompleteBody", "The aws-chunked request body is malformed: " + err.Error()}
	}
	return data, trailers, nil
}

// decodeAWSChunked decodes an aws-chunked body: chunks of
// "hex-size[;chunk-signature=...]\r\ndata\r\n", ending with a zero-size
// chunk and optional trailing headers, then an empty line.
func decodeAWSChunked(b []byte) ([]byte, http.Header, error) {
	var data []byte
	trailers := http.Header{}
	for {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			return nil, nil, errors.New("chunk header without CRLF")
		}
		sizeHex, _, _ := bytes.Cut(line, []byte(";"))
		size, err := strconv.ParseUint(strings.TrimSpace(string(sizeHex)), 16, 31)
		if err != nil {
			return nil, nil, fmt.Errorf("bad chunk size %q", sizeHex)
		}
		b = rest
		if size == 0 {
			break
		}
		if uint64(len(b)) < size+2 || !bytes.Equal(b[size:size+2], []byte("\r\n")) {
			return nil, nil, errors.New("chunk shorter than its size")
		}
		data = append(data, b[:size]...)
		b = b[size+2:]
	}
	// Trailing headers until an empty line (or the end of the body).
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte("\r\n"))
		b = rest
		if len(line) == 0 {
			break
		}
		name, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return nil, nil, fmt.Errorf("bad trailer %q", line)
		}
		trailers.Add(strings.TrimSpace(string(name)), strings.TrimSpace(string(val)))
	}
	if data == nil {
		data = []byte{}
	}
	return data, trailers, nil
}

// stripAWSChunked removes aws-chunked from a Content-Encoding, as S3 does
// before storing it.
func stripAWSChunked(ce string) string {
	var keep []string
	for _, e := range strings.Split(ce, ",") {
		if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
			keep = append(keep, e)
		}
	}
	return strings.Join(keep, ",")
}

// s3ChecksumFields are the checksum algorithms S3 verifies here, by the
// SDK field that carries them.
var s3ChecksumFields = map[string]string{
	"ChecksumCRC32": "CRC32", "ChecksumCRC32C": "CRC32C", "ChecksumCRC64NVME": "CRC64NVME",
	"ChecksumSHA1": "SHA1", "ChecksumSHA256": "SHA256",
}

// crc64NVME is the (reflected) CRC-64/NVME polynomial.
const crc64NVME = 0x9a6c9329ac4bc9b5

// checksumOf returns the base64 checksum of data with algorithm alg.
func checksumOf(alg string, data []byte) string {
	var h hash.Hash
	switch alg {
	case "CRC32":
		h = crc32.NewIEEE()
	case "CRC32C":
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		h = crc64.New(crc64.MakeTable(crc64NVME))
	case "SHA1":
		h = sha1.New()
	case "SHA256":
		h = sha256.New()
	case "MD5":
		h = md5.New()
	default:
		return ""
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// verifyChecksums checks Content-MD5 and the x-amz-checksum-* the client
// sent (in headers or aws-chunked trailers) against the data, as S3 does,
// and returns them by SDK field.
func verifyChecksums(h, trailers http.Header, data []byte) (map[string]string, error) {
	if md := h.Get("Content-Md5"); md != "" {
		if raw, err := base64.StdEncoding.DecodeString(md); err != nil || len(raw) != md5.Size {
			return nil, &s3Error{http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid."}
		}
		if md != checksumOf("MD5", data) {
			return nil, &s3Error{http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received."}
		}
	}
	sums := map[string]string{}
	for field, alg := range s3ChecksumFields {
		v, ok := headerValue(h, s3Headers[field])
		if !ok {
			v, ok = headerValue(trailers, s3Headers[field])
		}
		if !ok {
			continue
		}
		if v != checksumOf(alg, data) {
			return nil, &s3Error{http.StatusBadRequest, "BadDigest", fmt.Sprintf("The %s you specified did not match the calculated checksum.", alg)}
		}
		sums[field] = v
	}
	return sums, nil
}

// ---- responses ----

// encodeS3Headers writes the header-bound fields of an SDK output struct.
func encodeS3Headers(h http.Header, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		fv := v.Field(i)
		if !serialized(f) || isUnset(fv) {
			continue
		}
		if f.Name == "Metadata" && fv.Kind() == reflect.Map {
			it := fv.MapRange()
			for it.Next() {
				h.Set(s3MetaPrefix+it.Key().String(), it.Value().String())
			}
			continue
		}
		name := s3Headers[f.Name]
		if name == "" || (f.Name == "Expires" && !isUnset(v.FieldByName("ExpiresString"))) {
			continue
		}
		for fv.Kind() == reflect.Pointer {
			fv = fv.Elem()
		}
		switch {
		case fv.Type() == timeType:
			tm := fv.Interface().(time.Time).UTC()
			if s3DateTimeFields[f.Name] {
				h.Set(name, tm.Format("2006-01-02T15:04:05.000Z"))
			} else {
				h.Set(name, tm.Format(http.TimeFormat))
			}
		case fv.Kind() == reflect.String:
			h.Set(name, fv.String())
		case fv.Kind() == reflect.Bool:
			h.Set(name, strconv.FormatBool(fv.Bool()))
		case fv.Kind() == reflect.Int32 || fv.Kind() == reflect.Int64:
			h.Set(name, strconv.FormatInt(fv.Int(), 10))
		}
	}
}

// s3StatusOf returns the HTTP status err carries, or 0.
func s3StatusOf(err error) int {
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatusCode()
	}
	return 0
}

// writeS3Error answers err as S3 does: status and an <Error> document
// (none for HEAD requests and 304).
func writeS3Error(w http.ResponseWriter, r *http.Request, err error, bucket, key string) {
	e := &s3Error{}
	var se *s3Error
	var ae smithy.APIError
	switch {
	case errors.As(err, &se):
		e = se
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e = &s3Error{http.StatusServiceUnavailable, "ServiceUnavailable", "The request was cancelled."}
	case errors.As(err, &ae) && isThrottle(ae.ErrorCode()):
		e = &s3Error{http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."}
	case errors.As(err, &ae):
		e.code, e.message = ae.ErrorCode(), ae.ErrorMessage()
		if e.status = s3StatusOf(err); e.status == 0 {
			e.status = s3Status[e.code]
		}
		if e.status == 0 {
			e.status = http.StatusBadRequest
			if ae.ErrorFault() == smithy.FaultServer {
				e.status = http.StatusInternalServerError
			}
		}
	default:
		e = &s3Error{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."}
	}
	h := w.Header()
	s3CommonHeaders(h)
	if r.Method == http.MethodHead || e.status == http.StatusNotModified {
		w.WriteHeader(e.status)
		return
	}
	doc := struct {
		XMLName    xml.Name `xml:"Error"`
		Code       string   `xml:"Code"`
		Message    string   `xml:"Message"`
		BucketName string   `xml:"BucketName,omitempty"`
		Key        string   `xml:"Key,omitempty"`
		RequestID  string   `xml:"RequestId"`
		HostID     string   `xml:"HostId"`
	}{Code: e.code, Message: e.message, RequestID: h.Get("X-Amz-Request-Id"), HostID: h.Get("X-Amz-Id-2")}
	switch e.code {
	case "NoSuchBucket":
		doc.BucketName = bucket
	case "NoSuchKey":
		doc.Key = key
	}
	out, _ := xml.Marshal(doc)
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(out)
}
