package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// signedAt is the signing time of the hand-signed requests: the server
// never compares it with a clock.
var signedAt = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)

// handSigner is a SigV4 signer written from the specification, independent
// of the SDK's and of the server's code: it signs exactly the headers
// named, as another client (the aws CLI, boto3) would.
type handSigner struct {
	id, secret      string
	service, region string
	headers         []string // lower-case names to sign; host is added
	payloadHash     string   // "" means the hex SHA-256 of the body
	doubleEncode    bool     // escape the path again (every service but S3)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hmacRaw(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// specEscape is SigV4's URI encoding: unreserved characters stay.
func specEscape(s string, slash bool) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 || (slash && c == '/') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// sign signs req (whose body is body) and returns the signature.
func (h handSigner) sign(t *testing.T, req *http.Request, body string) string {
	t.Helper()
	amzDate := signedAt.Format(amzDateFormat)
	req.Header.Set("X-Amz-Date", amzDate)
	payload := h.payloadHash
	if payload == "" {
		payload = sha256Hex(body)
	}
	if h.service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", payload)
	}
	names := append([]string{"host"}, h.headers...)
	sort.Strings(names)
	var canonHeaders strings.Builder
	for _, n := range names {
		var vals []string
		for _, v := range req.Header.Values(n) {
			vals = append(vals, strings.Join(strings.Fields(v), " "))
		}
		v := strings.Join(vals, ",")
		switch n {
		case "host":
			v = req.Host
		case "content-length":
			v = fmt.Sprint(req.ContentLength)
		}
		canonHeaders.WriteString(n + ":" + v + "\n")
	}
	path := req.URL.EscapedPath()
	if h.doubleEncode {
		path = specEscape(path, true)
	}
	q, err := url.ParseQuery(req.URL.RawQuery)
	require.NoError(t, err)
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, specEscape(k, false)+"="+specEscape(v, false))
		}
	}
	sort.Strings(pairs)
	canon := strings.Join([]string{req.Method, path, strings.Join(pairs, "&"), canonHeaders.String(), strings.Join(names, ";"), payload}, "\n")
	day := signedAt.Format("20060102")
	scope := day + "/" + h.region + "/" + h.service + "/aws4_request"
	key := hmacRaw(hmacRaw(hmacRaw(hmacRaw([]byte("AWS4"+h.secret), day), h.region), h.service), "aws4_request")
	sig := hex.EncodeToString(hmacRaw(key, "AWS4-HMAC-SHA256\n"+amzDate+"\n"+scope+"\n"+sha256Hex(canon)))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+h.id+"/"+scope+", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
	return sig
}

// rootSigner is a handSigner of acct's root key for service in region.
func rootSigner(acct *fakes.Account, service, region string, headers ...string) handSigner {
	id, secret := acct.RootAccessKey()
	return handSigner{id: id, secret: secret, service: service, region: region, headers: headers, doubleEncode: service != "s3"}
}

func serve(s *Server, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// createBucket makes bucket through the wire, signed by the root.
func createBucket(t *testing.T, s *Server, bucket string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/"+bucket, nil)
	rootSigner(s.acct, "s3", s.acct.Region()).sign(t, req, "")
	w := serve(s, req)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// Signatures of other clients verify: the server builds the canonical
// request from the client's SignedHeaders, not from what the SDK signs.
func TestSigV4VerifiesOtherSigners(t *testing.T) {
	const form = "Action=ListUsers&Version=2010-05-08"
	iamReq := func(path string) func() (*http.Request, string) {
		return func() (*http.Request, string) {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("User-Agent", "aws-cli/2.15.0 Python/3.11  botocore/2.4")
			return r, form
		}
	}
	s3Put := func(path, body string) func() (*http.Request, string) {
		return func() (*http.Request, string) {
			r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1"+path, strings.NewReader(body))
			r.Header.Set("Content-Length", fmt.Sprint(len(body)))
			return r, body
		}
	}
	for _, tc := range []struct {
		name    string
		service string
		headers []string
		req     func() (*http.Request, string)
		tamper  func(*http.Request)
		code    int
	}{
		{"IAM, signing user-agent", "iam", []string{"content-type", "user-agent", "x-amz-date"}, iamReq("/"), nil, http.StatusOK},
		{"IAM, signing content-length", "iam", []string{"content-length", "content-type", "x-amz-date"}, iamReq("/"), nil, http.StatusOK},
		{"IAM, an escaped path is escaped twice", "iam", []string{"content-type", "x-amz-date"}, iamReq("/a%20b/c"), nil, http.StatusOK},
		{"IAM, header values with runs of spaces", "iam", []string{"content-type", "x-amz-meta-x", "x-amz-date"}, func() (*http.Request, string) {
			r, b := iamReq("/")()
			r.Header.Set("X-Amz-Meta-X", "  two   spaces  here ")
			r.Header.Add("X-Amz-Meta-X", "second")
			return r, b
		}, nil, http.StatusOK},
		{"S3, signing content-length 0", "s3", []string{"content-length", "x-amz-content-sha256", "x-amz-date"}, s3Put("/bkt", ""), nil, http.StatusOK},
		{"S3, an escaped key is not escaped again", "s3", []string{"x-amz-content-sha256", "x-amz-date"}, s3Put("/fleet/a%20b%2Bc", "data"), nil, http.StatusOK},
		{"S3, a query string", "s3", []string{"x-amz-content-sha256", "x-amz-date"}, func() (*http.Request, string) {
			return httptest.NewRequest(http.MethodGet, "http://127.0.0.1/fleet/none?x-id=GetObject&response-content-type=text%2Fplain%3B%20a%3Db&response-cache-control", nil), ""
		}, nil, http.StatusNotFound},
		{"IAM, the body changed after signing", "iam", []string{"content-type", "x-amz-date"}, iamReq("/"), func(r *http.Request) {
			r.Body = http.NoBody
			r.ContentLength = 0
		}, http.StatusForbidden},
		{"IAM, a signed header changed", "iam", []string{"content-type", "user-agent", "x-amz-date"}, iamReq("/"), func(r *http.Request) {
			r.Header.Set("User-Agent", "other")
		}, http.StatusForbidden},
		{"IAM, a signed header removed", "iam", []string{"content-type", "user-agent", "x-amz-date"}, iamReq("/"), func(r *http.Request) {
			r.Header.Del("User-Agent")
		}, http.StatusForbidden},
		{"S3, the query changed", "s3", []string{"x-amz-content-sha256", "x-amz-date"}, func() (*http.Request, string) {
			return httptest.NewRequest(http.MethodGet, "http://127.0.0.1/fleet/none?response-content-type=a", nil), ""
		}, func(r *http.Request) { r.URL.RawQuery = "response-content-type=b" }, http.StatusForbidden},
		{"S3, another host", "s3", []string{"x-amz-content-sha256", "x-amz-date"}, s3Put("/bkt", ""), func(r *http.Request) {
			r.Host = "127.0.0.2"
		}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(fakes.NewAccount())
			createBucket(t, s, "fleet")
			req, body := tc.req()
			rootSigner(s.acct, tc.service, s.acct.Region(), tc.headers...).sign(t, req, body)
			if tc.tamper != nil {
				tc.tamper(req)
			}
			w := serve(s, req)
			require.Equal(t, tc.code, w.Code, w.Body.String())
			if tc.code == http.StatusForbidden {
				assert.Contains(t, w.Body.String(), "SignatureDoesNotMatch")
			}
		})
	}
}

// The host header must be signed: a signature over other headers only is
// refused even when it is right.
func TestSigV4RequiresTheHost(t *testing.T) {
	s := New(fakes.NewAccount())
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rootSigner(s.acct, "iam", s.acct.Region(), "content-type").sign(t, req, "Action=ListUsers&Version=2010-05-08")
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "content-type;host", "content-type", 1))
	w := serve(s, req)
	assert.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
}

// X-Amz-Content-Sha256 is the body's digest or one of the keywords S3
// defines; anything else is refused before the body is stored.
func TestS3PayloadHashHeader(t *testing.T) {
	const body = "object data"
	unsignedChunked := "b\r\nobject data\r\n0\r\n\r\n"
	for _, tc := range []struct {
		name    string
		hash    string // the header, signed
		body    string
		headers map[string]string
		code    int
		errCode string
	}{
		{"the body's digest", sha256Hex(body), body, nil, http.StatusOK, ""},
		{"UNSIGNED-PAYLOAD", unsignedPayload, body, nil, http.StatusOK, ""},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", streamingUnsignedTrailer, unsignedChunked,
			map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "11"}, http.StatusOK, ""},
		{"another body's digest", sha256Hex("other"), body, nil, http.StatusBadRequest, "XAmzContentSHA256Mismatch"},
		{"the digest in uppercase", strings.ToUpper(sha256Hex(body)), body, nil, http.StatusBadRequest, "InvalidArgument"},
		{"not a digest", "x", body, nil, http.StatusBadRequest, "InvalidArgument"},
		{"63 hex digits", sha256Hex(body)[:63], body, nil, http.StatusBadRequest, "InvalidArgument"},
		{"a keyword in lowercase", "unsigned-payload", body, nil, http.StatusBadRequest, "InvalidArgument"},
		{"an unknown STREAMING keyword", "STREAMING-PAYLOAD", body, nil, http.StatusBadRequest, "InvalidArgument"},
		{"signed streaming with trailer", streamingSignedPayloadTrailer, unsignedChunked, nil, http.StatusNotImplemented, "NotImplemented"},
		{"ECDSA streaming", streamingECDSAPayload, unsignedChunked, nil, http.StatusNotImplemented, "NotImplemented"},
		{"ECDSA streaming with trailer", streamingECDSAPayloadTrailer, unsignedChunked, nil, http.StatusNotImplemented, "NotImplemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(fakes.NewAccount())
			createBucket(t, s, "fleet")
			req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/fleet/obj", strings.NewReader(tc.body))
			var headers []string
			for k, v := range tc.headers {
				req.Header.Set(k, v)
				headers = append(headers, strings.ToLower(k))
			}
			sg := rootSigner(s.acct, "s3", s.acct.Region(), append(headers, "x-amz-content-sha256", "x-amz-date")...)
			sg.payloadHash = tc.hash
			sg.sign(t, req, tc.body)
			w := serve(s, req)
			require.Equal(t, tc.code, w.Code, w.Body.String())
			obj, stored := s.acct.S3().Object("fleet", "obj")
			if tc.errCode != "" {
				assert.Contains(t, w.Body.String(), "<Code>"+tc.errCode+"</Code>")
				assert.False(t, stored, "a refused body is not stored")
				return
			}
			require.True(t, stored)
			assert.Equal(t, body, string(obj.Body))
		})
	}
}

// A signed S3 request without X-Amz-Content-Sha256 is refused as S3 does.
func TestS3PayloadHashRequired(t *testing.T) {
	s := New(fakes.NewAccount())
	req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/fleet", nil)
	sg := rootSigner(s.acct, "s3", s.acct.Region(), "x-amz-date")
	sg.sign(t, req, "")
	req.Header.Del("X-Amz-Content-Sha256")
	w := serve(s, req)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "<Code>InvalidRequest</Code>")
}

// signedChunks is the aws-chunked body of chunks signed in a chain seeded
// by the request signature seed, with the SDK's stream signer (whose
// string to sign, with no event headers, is aws-chunked's).
func signedChunks(t *testing.T, acct *fakes.Account, seed string, chunks ...string) string {
	t.Helper()
	id, secret := acct.RootAccessKey()
	seedRaw, err := hex.DecodeString(seed)
	require.NoError(t, err)
	ss := v4.NewStreamSigner(aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, "s3", acct.Region(), seedRaw)
	var b strings.Builder
	for _, c := range append(chunks, "") {
		sig, err := ss.GetSignature(context.Background(), nil, []byte(c), signedAt)
		require.NoError(t, err)
		fmt.Fprintf(&b, "%x;chunk-signature=%x\r\n%s\r\n", len(c), sig, c)
	}
	return b.String()
}

// STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk's signature is verified
// in its chain; a body whose chunks were changed, reordered, cut or left
// unsigned is refused.
func TestS3SignedStreamingChunks(t *testing.T) {
	chunks := []string{"first chunk|", "second|", "third"}
	for _, tc := range []struct {
		name   string
		tamper func(body string) string
		code   int
	}{
		{"as signed", nil, http.StatusOK},
		{"a chunk's data swapped", func(b string) string { return strings.Replace(b, "second|", "SECOND|", 1) }, http.StatusForbidden},
		{"chunks reordered", func(b string) string {
			parts := strings.SplitAfter(b, "|\r\n")
			return parts[1] + parts[0] + parts[2]
		}, http.StatusForbidden},
		{"the final chunk missing", func(b string) string { return b[:strings.LastIndex(b, "0;chunk-signature")] }, http.StatusForbidden},
		{"a chunk signature zeroed", func(b string) string {
			i := strings.Index(b, "chunk-signature=") + len("chunk-signature=")
			return b[:i] + strings.Repeat("0", 64) + b[i+64:]
		}, http.StatusForbidden},
		{"a chunk without a signature", func(b string) string {
			i := strings.Index(b, ";chunk-signature=")
			return b[:i] + b[i+len(";chunk-signature=")+64:]
		}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(fakes.NewAccount())
			createBucket(t, s, "fleet")
			want := strings.Join(chunks, "")
			req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/fleet/obj", nil)
			req.Header.Set("Content-Encoding", "aws-chunked")
			req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(want)))
			sg := rootSigner(s.acct, "s3", s.acct.Region(), "content-encoding", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length")
			sg.payloadHash = streamingSignedPayload
			seed := sg.sign(t, req, "")
			body := signedChunks(t, s.acct, seed, chunks...)
			if tc.tamper != nil {
				body = tc.tamper(body)
			}
			req.Body = httptest.NewRequest(http.MethodPut, "/", strings.NewReader(body)).Body
			w := serve(s, req)
			require.Equal(t, tc.code, w.Code, w.Body.String())
			obj, stored := s.acct.S3().Object("fleet", "obj")
			if tc.code != http.StatusOK {
				assert.Contains(t, w.Body.String(), "<Code>SignatureDoesNotMatch</Code>")
				assert.False(t, stored)
				return
			}
			require.True(t, stored)
			assert.Equal(t, want, string(obj.Body))
		})
	}
}

// The credential scope must name the service the request is routed to and
// the account's region (IAM, global, also takes us-east-1); the refusal is
// in the shape of the routed service's protocol.
func TestCredentialScopeMustMatchTheRoute(t *testing.T) {
	const region = "eu-west-3"
	cognitoReq := func() (*http.Request, string) {
		body := `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true}`
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.CreateIdentityPool")
		return r, body
	}
	queryReq := func(form string) func() (*http.Request, string) {
		return func() (*http.Request, string) {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r, form
		}
	}
	iamReq := queryReq("Action=ListUsers&Version=2010-05-08")
	stsReq := queryReq("Action=GetCallerIdentity&Version=2011-06-15")
	s3Req := func() (*http.Request, string) {
		return httptest.NewRequest(http.MethodPut, "http://127.0.0.1/fleet", nil), ""
	}
	for _, tc := range []struct {
		name, service, region string
		req                   func() (*http.Request, string)
		code                  int
		want                  []string // in the body
	}{
		{"Cognito in its region", "cognito-identity", region, cognitoReq, http.StatusOK, nil},
		{"Cognito signed for IAM", "iam", region, cognitoReq, http.StatusBadRequest,
			[]string{`"__type":"InvalidSignatureException"`, "Credential should be scoped to correct service: 'cognito-identity'."}},
		{"Cognito signed for another region", "cognito-identity", "us-east-1", cognitoReq, http.StatusBadRequest,
			[]string{`"__type":"InvalidSignatureException"`, "Credential should be scoped to a valid region."}},
		{"IAM in the account's region", "iam", region, iamReq, http.StatusOK, nil},
		{"IAM in us-east-1", "iam", "us-east-1", iamReq, http.StatusOK, nil},
		{"IAM in another region", "iam", "ap-south-1", iamReq, http.StatusForbidden,
			[]string{"<Code>SignatureDoesNotMatch</Code>", "Credential should be scoped to a valid region."}},
		{"STS in its region", "sts", region, stsReq, http.StatusOK, nil},
		{"STS in another region", "sts", "us-east-1", stsReq, http.StatusForbidden,
			[]string{"<Code>SignatureDoesNotMatch</Code>", "Credential should be scoped to a valid region."}},
		{"S3 in its region", "s3", region, s3Req, http.StatusOK, nil},
		{"S3 in another region", "s3", "us-west-2", s3Req, http.StatusBadRequest,
			[]string{"<Code>AuthorizationHeaderMalformed</Code>", "the region &#39;us-west-2&#39; is wrong; expecting &#39;eu-west-3&#39;"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(fakes.NewAccount(fakes.WithRegion(region)))
			req, body := tc.req()
			headers := []string{"x-amz-date"}
			if tc.service == "s3" {
				headers = append(headers, "x-amz-content-sha256")
			}
			rootSigner(s.acct, tc.service, tc.region, headers...).sign(t, req, body)
			w := serve(s, req)
			require.Equal(t, tc.code, w.Code, w.Body.String())
			for _, want := range tc.want {
				assert.Contains(t, w.Body.String(), want)
			}
		})
	}
}

// Cognito answers a missing signature 403 MissingAuthenticationTokenException
// whichever layer refuses it; its other authentication failures are 400.
func TestCognitoAuthFailureStatus(t *testing.T) {
	for _, tc := range []struct {
		kind authKind
		code string
		want int
	}{
		{authMissing, "MissingAuthenticationTokenException", http.StatusForbidden},
		{authIncomplete, "IncompleteSignatureException", http.StatusBadRequest},
		{authUnknownKey, "UnrecognizedClientException", http.StatusBadRequest},
		{authBadSig, "InvalidSignatureException", http.StatusBadRequest},
		{authExpired, "ExpiredTokenException", http.StatusBadRequest},
	} {
		t.Run(tc.code, func(t *testing.T) {
			e := (&authFailure{kind: tc.kind}).jsonError()
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.want, e.Status)
		})
	}
	t.Run("through the router", func(t *testing.T) {
		s := New(fakes.NewAccount())
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(`{"IdentityPoolId":"us-east-1:x"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.DescribeIdentityPool")
		w := serve(s, req)
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.Equal(t, "MissingAuthenticationTokenException", w.Header().Get("X-Amzn-Errortype"))
	})
}

func TestCanonicalQuery(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", ""},
		{"acl", "acl="},
		{"b=2&a=1&a=0", "a=0&a=1&b=2"},
		{"prefix=a+b&x=%7e%2f", "prefix=a%20b&x=~%2F"},
		{"&&k=v&", "k=v"},
		{"%C3%A9=%E2%82%AC", "%C3%A9=%E2%82%AC"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := canonicalQuery(tc.raw)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := canonicalQuery("a=%zz")
	assert.Error(t, err)
}

// FuzzCanonicalQuery: the canonical query string parser never panics and
// its output is canonical already.
func FuzzCanonicalQuery(f *testing.F) {
	f.Add("list-type=2&prefix=a%20b&delimiter=%2F")
	f.Add("acl&versionId=x+y")
	f.Add("=&==&%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := canonicalQuery(raw)
		if err != nil {
			return
		}
		again, err := canonicalQuery(got)
		require.NoError(t, err)
		assert.Equal(t, got, again)
	})
}

// FuzzChunkSignatures: a body signed in a chain verifies, and any change of
// one of its bytes is refused (or leaves it verifying only when the
// framing still says the same: a chunk size's case).
func FuzzChunkSignatures(f *testing.F) {
	f.Add([]byte("hello world"), uint8(5), uint16(3), byte('x'))
	f.Add([]byte(""), uint8(0), uint16(0), byte('1'))
	f.Add([]byte("0123456789abcdef"), uint8(200), uint16(90), byte(0))
	key := deriveSigningKey("secret", "20260115", "us-east-1", "s3")
	scope := "20260115/us-east-1/s3/aws4_request"
	const amzDate = "20260115T093000Z"
	seed := strings.Repeat("ab", 32)
	seedRaw, _ := hex.DecodeString(seed)
	f.Fuzz(func(t *testing.T, data []byte, split uint8, at uint16, to byte) {
		cut := int(split) % (len(data) + 1)
		ss := v4.NewStreamSigner(aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, "s3", "us-east-1", seedRaw)
		var chunks [][]byte
		for _, c := range [][]byte{data[:cut], data[cut:]} {
			if len(c) > 0 {
				chunks = append(chunks, c)
			}
		}
		var body []byte
		for _, c := range append(chunks, nil) {
			sig, err := ss.GetSignature(context.Background(), nil, c, signedAt)
			require.NoError(t, err)
			body = fmt.Appendf(body, "%x;chunk-signature=%x\r\n%s\r\n", len(c), sig, c)
		}
		require.NoError(t, verifyChunkSignatures(body, key, amzDate, scope, seed))
		i := int(at) % len(body)
		if body[i] == to {
			return
		}
		changed := append([]byte(nil), body...)
		changed[i] = to
		if err := verifyChunkSignatures(changed, key, amzDate, scope, seed); err == nil {
			// Only the case of a hex digit (size or signature) may change
			// without changing what was signed.
			assert.True(t, strings.EqualFold(string(body[i]), string(to)), "byte %d %q -> %q verified", i, body[i], to)
		}
	})
}

// BenchmarkAuthenticate measures the verification of an SDK-signed IAM
// request and of a 64 KiB S3 upload in signed chunks.
func BenchmarkAuthenticate(b *testing.B) {
	acct := fakes.NewAccount()
	s := New(acct)
	id, secret := acct.RootAccessKey()
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	b.Run("iam", func(b *testing.B) {
		body := "Action=ListUsers&Version=2010-05-08"
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		require.NoError(b, v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex(body), "iam", acct.Region(), time.Now()))
		auth, err := parseSigV4(req.Header.Get("Authorization"))
		require.NoError(b, err)
		for b.Loop() {
			if _, fail := s.authenticate(req, []byte(body), auth); fail != nil {
				b.Fatal(fail)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/verify")
	})
	b.Run("s3-signed-chunks", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/fleet/obj", nil)
		req.Header.Set("X-Amz-Content-Sha256", streamingSignedPayload)
		require.NoError(b, v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
			SignHTTP(context.Background(), creds, req, streamingSignedPayload, "s3", acct.Region(), signedAt))
		auth, err := parseSigV4(req.Header.Get("Authorization"))
		require.NoError(b, err)
		seedRaw, err := hex.DecodeString(auth.Signature)
		require.NoError(b, err)
		ss := v4.NewStreamSigner(creds, "s3", acct.Region(), seedRaw)
		var body []byte
		chunk := []byte(strings.Repeat("x", 8<<10))
		for _, c := range [][]byte{chunk, chunk, chunk, chunk, chunk, chunk, chunk, chunk, nil} {
			sig, err := ss.GetSignature(context.Background(), nil, c, signedAt)
			require.NoError(b, err)
			body = fmt.Appendf(body, "%x;chunk-signature=%x\r\n%s\r\n", len(c), sig, c)
		}
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, fail := s.authenticate(req, body, auth); fail != nil {
				b.Fatal(fail)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/verify")
	})
}
