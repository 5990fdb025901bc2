package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// FuzzDecodeJSON: the JSON 1.1 decoder never panics on any body for any
// operation, and what it decodes encodes back to the same input.
func FuzzDecodeJSON(f *testing.F) {
	ops := cognitoOps()
	f.Add([]byte(`{"IdentityPoolId":"us-east-1:0000","Logins":{"accounts.google.com":"tok"}}`), uint8(0))
	f.Add([]byte(`{"RoleMappings":{"p":{"Type":"Rules","RulesConfiguration":{"Rules":[{"Claim":"c","MatchType":"Equals","Value":"v","RoleARN":"arn"}]}}}}`), uint8(1))
	f.Add([]byte(`{"TokenDuration":3600,"AllowUnauthenticatedIdentities":true}`), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, pick uint8) {
		o, ok := jsonOpOf((*fakes.Cognito)(nil), ops[int(pick)%len(ops)])
		require.True(t, ok)
		in := reflect.New(o.in)
		if err := decodeJSON(body, in.Interface()); err != nil {
			return
		}
		enc, err := encodeJSON(in.Interface())
		require.NoError(t, err)
		again := reflect.New(o.in)
		require.NoError(t, decodeJSON(enc, again.Interface()), "%s", enc)
		assert.Equal(t, in.Interface(), again.Interface())
	})
}

// FuzzServeCognito: any target and body get an AWS-shaped JSON answer,
// never a panic.
func FuzzServeCognito(f *testing.F) {
	acct := fakes.NewAccount()
	pool, err := acct.Cognito().CreateIdentityPool(context.Background(), &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("fuzz"), AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(true),
	})
	if err != nil {
		f.Fatal(err)
	}
	s := New(acct)
	f.Add("GetId", []byte(`{"IdentityPoolId":"`+aws.ToString(pool.IdentityPoolId)+`"}`), false)
	f.Add("DescribeIdentityPool", []byte(`{"IdentityPoolId":12}`), true)
	f.Add("MakeCoffee", []byte(`{}`), true)
	f.Fuzz(func(t *testing.T, op string, body []byte, signed bool) {
		var who *caller
		if signed {
			who = &caller{AccessKeyID: "AKIAFUZZ"}
		}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		s.serveCognito(rec, r, op, body, who)
		if rec.Code >= 400 {
			assert.NotEmpty(t, rec.Header().Get("X-Amzn-Errortype"))
		}
		assert.Contains(t, rec.Header().Get("Content-Type"), "json")
	})
}

// FuzzDecodeS3: the S3 request decoder (path, query, headers, aws-chunked
// body, XML payload) never panics, and serveS3 answers every request with
// a status and, when it failed, an S3 <Error> document (none for HEAD).
func FuzzDecodeS3(f *testing.F) {
	acct := fakes.NewAccount()
	ctx := context.Background()
	if _, err := acct.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")}); err != nil {
		f.Fatal(err)
	}
	if _, err := acct.S3().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fleet"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		f.Fatal(err)
	}
	s := New(acct)
	f.Add("GET", "/fleet/k?x-id=GetObject", "If-None-Match: \"abc\"\nX-Amz-Checksum-Mode: ENABLED\n", []byte(nil))
	f.Add("PUT", "/fleet/dir/a%20b", "Content-Type: text/plain\nX-Amz-Meta-Digest: x\nX-Amz-Checksum-Crc32: AAAAAA==\n", []byte("data"))
	f.Add("PUT", "/fleet/k", "Content-Encoding: aws-chunked\nX-Amz-Decoded-Content-Length: 4\nX-Amz-Trailer: x-amz-checksum-crc32\n", []byte("4\r\ndata\r\n0\r\nx-amz-checksum-crc32:rL0Y2w==\r\n\r\n"))
	f.Add("PUT", "/newbucket", "", []byte("<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint><Tags><Tag><Key>a</Key></Tag></Tags></CreateBucketConfiguration>"))
	f.Add("HEAD", "/fleet/missing", "", []byte(nil))
	f.Add("DELETE", "/fleet/k?versionId=1", "X-Amz-Expected-Bucket-Owner: 123456789012\n", []byte(nil))
	f.Fuzz(func(t *testing.T, method, target, headers string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(headers + "\n\n"))).ReadMIMEHeader()
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, Header: http.Header(h), Host: "127.0.0.1", RequestURI: target, ContentLength: int64(len(body))}
		r = r.WithContext(ctx)
		_, _ = decodeS3(r, body)
		rec := httptest.NewRecorder()
		s.serveS3(rec, r, body, &caller{AccessKeyID: "AKIAFUZZ"})
		assert.NotZero(t, rec.Code)
		if rec.Code >= 300 && method != http.MethodHead && rec.Code != http.StatusNotModified {
			var doc struct {
				XMLName xml.Name `xml:"Error"`
				Code    string
			}
			require.NoError(t, xml.Unmarshal(rec.Body.Bytes(), &doc), "%d %s", rec.Code, rec.Body)
			assert.NotEmpty(t, doc.Code)
		}
	})
}

// FuzzAWSChunked: the aws-chunked decoder never panics, and decodes what
// an encoder writes.
func FuzzAWSChunked(f *testing.F) {
	f.Add([]byte("4\r\ndata\r\n0\r\nx-amz-checksum-crc32:rL0Y2w==\r\n\r\n"), []byte("data"), 3)
	f.Add([]byte("5;chunk-signature=abc\r\nhello\r\n0;chunk-signature=def\r\n\r\n"), []byte(""), 1)
	f.Fuzz(func(t *testing.T, raw, data []byte, chunk int) {
		_, _, _ = decodeAWSChunked(raw)
		if chunk <= 0 || chunk > 1<<16 {
			return
		}
		var b bytes.Buffer
		for rest := data; len(rest) > 0; {
			n := min(chunk, len(rest))
			fmt.Fprintf(&b, "%x;chunk-signature=00\r\n", n)
			b.Write(rest[:n])
			b.WriteString("\r\n")
			rest = rest[n:]
		}
		b.WriteString("0\r\nx-amz-checksum-crc32:" + checksumOf("CRC32", data) + "\r\n\r\n")
		got, trailers, err := decodeAWSChunked(b.Bytes())
		require.NoError(t, err)
		assert.Equal(t, string(data), string(got))
		assert.Equal(t, checksumOf("CRC32", data), trailers.Get("X-Amz-Checksum-Crc32"))
	})
}
