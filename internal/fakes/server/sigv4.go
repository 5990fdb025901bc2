package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sigv4Algorithm is the only signing algorithm the server accepts.
const sigv4Algorithm = "AWS4-HMAC-SHA256"

// amzDateFormat is the format of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// sigv4Header is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20260115/us-east-1/iam/aws4_request,
//	SignedHeaders=host;x-amz-date, Signature=<64 hex digits>
type sigv4Header struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders []string // lower-case, as listed
	Signature     string   // lower-case hex
}

// errIncompleteSignature is the failure of a malformed Authorization header.
var errIncompleteSignature = errors.New("incomplete signature")

// parseSigV4 parses an Authorization header of the SigV4 scheme.
func parseSigV4(h string) (sigv4Header, error) {
	var out sigv4Header
	rest, ok := strings.CutPrefix(h, sigv4Algorithm+" ")
	if !ok {
		return out, fmt.Errorf("%w: unsupported algorithm", errIncompleteSignature)
	}
	var cred, signed, sig string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return out, fmt.Errorf("%w: %q is not key=value", errIncompleteSignature, part)
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		default:
			return out, fmt.Errorf("%w: unknown parameter %q", errIncompleteSignature, k)
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return out, fmt.Errorf("%w: Credential, SignedHeaders and Signature are required", errIncompleteSignature)
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" || scope[2] == "" || scope[3] == "" {
		return out, fmt.Errorf("%w: Credential must be KEY/DATE/REGION/SERVICE/aws4_request", errIncompleteSignature)
	}
	if _, err := time.Parse("20060102", scope[1]); err != nil || len(scope[1]) != 8 {
		return out, fmt.Errorf("%w: bad credential scope date %q", errIncompleteSignature, scope[1])
	}
	if len(sig) != 64 {
		return out, fmt.Errorf("%w: Signature must be 64 hex digits", errIncompleteSignature)
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return out, fmt.Errorf("%w: Signature must be 64 hex digits", errIncompleteSignature)
	}
	headers := strings.Split(signed, ";")
	for _, hd := range headers {
		if hd == "" || hd != strings.ToLower(hd) || strings.ContainsAny(hd, " \t:") {
			return out, fmt.Errorf("%w: bad SignedHeaders %q", errIncompleteSignature, signed)
		}
	}
	out = sigv4Header{
		AccessKeyID: scope[0], Date: scope[1], Region: scope[2], Service: scope[3],
		SignedHeaders: headers, Signature: strings.ToLower(sig),
	}
	return out, nil
}

// authKind is why authentication failed, independent of the protocol that
// reports it.
type authKind int

const (
	authIncomplete   authKind = iota + 1 // malformed Authorization header
	authMissing                          // no signature on a signed operation
	authUnknownKey                       // key unknown, inactive, or token mismatch
	authBadSig                           // signature does not match
	authExpired                          // session credentials expired
	authHashMismatch                     // S3: X-Amz-Content-Sha256 is not the body's hash
)

// authFailure is a failed authentication; the router reports it in the shape
// of the protocol the request was for (query XML, JSON 1.1, S3 XML).
type authFailure struct {
	kind   authKind
	detail string
}

func (f *authFailure) Error() string { return f.detail }

// queryError is the failure as IAM and STS report it.
func (f *authFailure) queryError() *apiError {
	switch f.kind {
	case authIncomplete:
		return &apiError{Status: http.StatusBadRequest, Code: "IncompleteSignature", Message: f.detail}
	case authMissing:
		return missingAuth()
	case authUnknownKey:
		return &apiError{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	case authExpired:
		return &apiError{Status: http.StatusForbidden, Code: "ExpiredToken", Message: "The security token included in the request is expired"}
	default:
		return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
}

// jsonError is the failure as the JSON 1.1 services (Cognito Identity)
// report it.
func (f *authFailure) jsonError() *apiError {
	e := f.queryError()
	switch f.kind {
	case authIncomplete:
		e.Code = "IncompleteSignatureException"
	case authMissing:
		e.Code = "MissingAuthenticationTokenException"
	case authUnknownKey:
		e.Code = "UnrecognizedClientException"
	case authExpired:
		e.Code = "ExpiredTokenException"
	default:
		e.Code = "InvalidSignatureException"
	}
	e.Status = http.StatusBadRequest
	return e
}

// s3Error is the failure as S3 reports it.
func (f *authFailure) s3Error() *apiError {
	switch f.kind {
	case authIncomplete:
		return &apiError{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed", Message: f.detail}
	case authMissing:
		return &apiError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Access Denied"}
	case authUnknownKey:
		if f.detail == "token" {
			return &apiError{Status: http.StatusBadRequest, Code: "InvalidToken", Message: "The provided token is malformed or otherwise invalid."}
		}
		return &apiError{Status: http.StatusForbidden, Code: "InvalidAccessKeyId", Message: "The AWS Access Key Id you provided does not exist in our records."}
	case authExpired:
		return &apiError{Status: http.StatusBadRequest, Code: "ExpiredToken", Message: "The provided token has expired."}
	case authHashMismatch:
		return &apiError{Status: http.StatusBadRequest, Code: "XAmzContentSHA256Mismatch", Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
	default:
		return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
}

func missingAuth() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
}

// authenticate verifies the SigV4 signature of r (whose body is body)
// against the keys the account issued and returns who signed it.
//
// The signature is checked by re-signing, with the SDK's own signer, a copy
// of the request that holds only the headers the client signed, at the time
// (X-Amz-Date), region and service of its credential scope, and comparing
// the two signatures in constant time. The request time is not compared
// with any clock: the SDK signs with the real time while tests move the
// account's clock, so only session expiry follows the account's clock.
func (s *Server) authenticate(r *http.Request, body []byte, auth sigv4Header) (*caller, *authFailure) {
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return nil, &authFailure{authIncomplete, "Authorization header requires existence of a valid 'X-Amz-Date' header."}
	}
	if amzDate[:8] != auth.Date {
		return nil, &authFailure{authBadSig, "credential scope date differs from X-Amz-Date"}
	}
	key, ok := s.acct.LookupKey(auth.AccessKeyID)
	if !ok || !key.Active {
		return nil, &authFailure{authUnknownKey, "key"}
	}
	token := r.Header.Get("X-Amz-Security-Token")
	switch {
	case key.Temporary && subtle.ConstantTimeCompare([]byte(token), []byte(key.Session.SessionToken)) != 1:
		return nil, &authFailure{authUnknownKey, "token"}
	case !key.Temporary && token != "":
		return nil, &authFailure{authUnknownKey, "token"}
	}

	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	if auth.Service == "s3" && payloadHash != "" {
		// UNSIGNED-PAYLOAD and the STREAMING-* forms are signed as sent;
		// a hex digest must be the body's.
		if len(payloadHash) == 64 && !strings.HasPrefix(payloadHash, "STREAMING") && !strings.EqualFold(payloadHash, bodyHash) {
			return nil, &authFailure{authHashMismatch, "content hash"}
		}
	} else {
		payloadHash = bodyHash
	}

	clone, err := signedCopy(r, auth)
	if err != nil {
		return nil, &authFailure{authBadSig, err.Error()}
	}
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
	signsToken := clone.Header.Get("X-Amz-Security-Token") != ""
	if signsToken {
		creds.SessionToken = token
	}
	signer := s.signer
	if auth.Service == "s3" {
		signer = s.s3Signer
	}
	if err := signer.SignHTTP(context.Background(), creds, clone, payloadHash, auth.Service, auth.Region, signedAt); err != nil {
		return nil, &authFailure{authBadSig, err.Error()}
	}
	want, err := parseSigV4(clone.Header.Get("Authorization"))
	if err != nil || strings.Join(want.SignedHeaders, ";") != strings.Join(auth.SignedHeaders, ";") ||
		subtle.ConstantTimeCompare([]byte(want.Signature), []byte(auth.Signature)) != 1 {
		return nil, &authFailure{authBadSig, "signature"}
	}
	if key.Temporary && !s.acct.Clock().Now().Before(key.Session.Expiration) {
		return nil, &authFailure{authExpired, "expired"}
	}
	who := &caller{AccessKeyID: key.AccessKeyID, UserName: key.UserName, Root: key.Root}
	if key.Temporary {
		who.Session = &key.Session
	}
	return who, nil
}

// signedCopy returns a copy of r holding only what the client signed: the
// method, the raw path and query, the host, and the signed headers.
func signedCopy(r *http.Request, auth sigv4Header) (*http.Request, error) {
	rawPath := r.URL.EscapedPath()
	if ru := r.RequestURI; strings.HasPrefix(ru, "/") {
		rawPath, _, _ = strings.Cut(ru, "?")
	}
	u := &url.URL{Scheme: "http", Host: r.Host, Opaque: "//" + r.Host + rawPath, RawQuery: r.URL.RawQuery}
	clone := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}, Body: http.NoBody}
	hasHost := false
	for _, h := range auth.SignedHeaders {
		switch h {
		case "host":
			hasHost = true
		case "content-length":
			n, err := strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64)
			if err != nil {
				n = r.ContentLength
			}
			clone.ContentLength = n
		default:
			vs := r.Header.Values(h)
			if len(vs) == 0 {
				return nil, fmt.Errorf("signed header %q is missing", h)
			}
			clone.Header[http.CanonicalHeaderKey(h)] = append([]string(nil), vs...)
		}
	}
	if !hasHost {
		return nil, errors.New("the host header must be signed")
	}
	return clone, nil
}

// writeAPIError writes e, in the shape of protocol ("query", "json", "s3").
func writeAPIError(w http.ResponseWriter, protocol string, e *apiError, xmlns string) {
	requestID := newRequestID()
	switch protocol {
	case "json":
		var buf bytes.Buffer
		buf.WriteString(`{"__type":"`)
		buf.WriteString(jsonEscape(e.Code))
		buf.WriteString(`","message":"`)
		buf.WriteString(jsonEscape(e.Message))
		buf.WriteString(`"}`)
		h := w.Header()
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-Requestid", requestID)
		h.Set("X-Amzn-Errortype", e.Code)
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		w.WriteHeader(e.Status)
		_, _ = w.Write(buf.Bytes())
	case "s3":
		var buf bytes.Buffer
		buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>")
		xmlText(&buf, e.Code)
		buf.WriteString("</Code><Message>")
		xmlText(&buf, e.Message)
		buf.WriteString("</Message><RequestId>" + requestID + "</RequestId></Error>")
		h := w.Header()
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", requestID)
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		w.WriteHeader(e.Status)
		_, _ = w.Write(buf.Bytes())
	default:
		writeQueryError(w, e, xmlns, requestID)
	}
}

// jsonEscape escapes s for a JSON string literal.
func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// newSigners returns the signers used to verify requests: one for the
// services whose paths are escaped twice, one for S3 (escaped once).
func newSigners() (*v4.Signer, *v4.Signer) {
	return v4.NewSigner(), v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}
