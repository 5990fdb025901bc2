package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go"
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
	authIncomplete         authKind = iota + 1 // malformed Authorization header
	authMissing                                // no signature on a signed operation
	authUnknownKey                             // key unknown, inactive, or token mismatch
	authBadSig                                 // signature does not match
	authExpired                                // session credentials expired
	authHashMismatch                           // S3: X-Amz-Content-Sha256 is not the body's hash
	authBadPayloadHash                         // S3: X-Amz-Content-Sha256 is neither a digest nor a keyword
	authMissingPayloadHash                     // S3: no X-Amz-Content-Sha256
	authNotImplemented                         // S3: a signed streaming mode this endpoint does not verify
	authWrongService                           // the credential scope names another service
	authWrongRegion                            // the credential scope names another region
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
	case authWrongService, authWrongRegion:
		return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: f.detail}
	default:
		return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
}

// jsonError is the failure as the JSON 1.1 services (Cognito Identity)
// report it: 400, but 403 for a missing signature.
func (f *authFailure) jsonError() *apiError {
	e := f.queryError()
	e.Status = http.StatusBadRequest
	switch f.kind {
	case authIncomplete:
		e.Code = "IncompleteSignatureException"
	case authMissing:
		e.Code = "MissingAuthenticationTokenException"
		e.Status = http.StatusForbidden
	case authUnknownKey:
		e.Code = "UnrecognizedClientException"
	case authExpired:
		e.Code = "ExpiredTokenException"
	default:
		e.Code = "InvalidSignatureException"
	}
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
	case authBadPayloadHash:
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: f.detail}
	case authMissingPayloadHash:
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: f.detail}
	case authNotImplemented:
		return &apiError{Status: http.StatusNotImplemented, Code: "NotImplemented", Message: f.detail, Fault: smithy.FaultServer}
	case authWrongService, authWrongRegion:
		return &apiError{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed", Message: f.detail}
	default:
		return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
}

// checkScope refuses a credential scope whose service is not service, the
// one the request is routed to, or whose region is not the account's (IAM,
// global, also takes us-east-1), with AWS's messages.
func (s *Server) checkScope(auth sigv4Header, service string) *authFailure {
	if auth.Service != service {
		if service == "s3" {
			return &authFailure{authWrongService, fmt.Sprintf("The authorization header is malformed; incorrect service %q. This endpoint belongs to %q.", auth.Service, service)}
		}
		return &authFailure{authWrongService, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", service)}
	}
	region := s.acct.Region()
	if auth.Region == region || ((service == "iam" || service == "organizations") && auth.Region == iamSigningRegion) {
		return nil
	}
	if service == "s3" {
		return &authFailure{authWrongRegion, fmt.Sprintf("The authorization header is malformed; the region '%s' is wrong; expecting '%s'", auth.Region, region)}
	}
	return &authFailure{authWrongRegion, "Credential should be scoped to a valid region. "}
}

// iamSigningRegion is the region IAM, a global service, is signed for in
// the aws partition.
const iamSigningRegion = "us-east-1"

func missingAuth() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
}

// The X-Amz-Content-Sha256 keywords S3 defines besides a hex digest.
const (
	unsignedPayload               = "UNSIGNED-PAYLOAD"
	streamingUnsignedTrailer      = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingSignedPayload        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingECDSAPayload         = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSAPayloadTrailer  = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)

// emptySHA256 is the hex SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// s3PayloadHash checks an S3 request's X-Amz-Content-Sha256 against its
// body as S3 does and returns the value that goes into the canonical
// request: a lowercase hex digest equal to the body's, UNSIGNED-PAYLOAD,
// STREAMING-UNSIGNED-PAYLOAD-TRAILER (whose chunks are unsigned by
// definition) or STREAMING-AWS4-HMAC-SHA256-PAYLOAD (whose chunk signatures
// authenticate then verifies). The other streaming modes AWS defines are
// refused as not implemented; anything else is an invalid argument.
func s3PayloadHash(h, bodyHash string) (string, *authFailure) {
	switch h {
	case "":
		return "", &authFailure{authMissingPayloadHash, "Missing required header for this request: x-amz-content-sha256"}
	case unsignedPayload, streamingUnsignedTrailer, streamingSignedPayload:
		return h, nil
	case streamingSignedPayloadTrailer, streamingECDSAPayload, streamingECDSAPayloadTrailer:
		return "", &authFailure{authNotImplemented, "This endpoint does not implement the signed streaming payload mode x-amz-content-sha256: " + h +
			"; use " + unsignedPayload + ", " + streamingUnsignedTrailer + ", " + streamingSignedPayload + " or the payload's SHA-256."}
	}
	if !isLowerHex(h, 64) {
		return "", &authFailure{authBadPayloadHash, "x-amz-content-sha256 must be " + unsignedPayload + ", " + streamingUnsignedTrailer + ", " +
			streamingSignedPayload + ", " + streamingSignedPayloadTrailer + ", " + streamingECDSAPayload + ", " +
			streamingECDSAPayloadTrailer + " or a valid sha256 value."}
	}
	if h != bodyHash {
		return "", &authFailure{authHashMismatch, "content hash"}
	}
	return h, nil
}

// isLowerHex reports whether s is n lowercase hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// authenticate verifies the SigV4 signature of r (whose body is body)
// against the keys the account issued and returns who signed it.
//
// The canonical request is built from what the client says it signed: its
// SignedHeaders list (so a signer that signs User-Agent, Expect or a
// Content-Length of 0 verifies as well as the SDK's), the host of r.Host,
// the path as sent (escaped once more for the services other than S3) and
// the canonical query string; the signature is computed with the derived
// signing key and compared in constant time. For S3 the payload hash is the
// X-Amz-Content-Sha256 header, checked by s3PayloadHash, and the chunk
// signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD are verified too. The
// request time is not compared with any clock: the SDK signs with the real
// time while tests move the account's clock, so only session expiry follows
// the account's clock.
func (s *Server) authenticate(r *http.Request, body []byte, auth sigv4Header) (*caller, *authFailure) {
	amzDate := r.Header.Get("X-Amz-Date")
	if _, err := time.Parse(amzDateFormat, amzDate); err != nil {
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

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if auth.Service == "s3" {
		var fail *authFailure
		if payloadHash, fail = s3PayloadHash(r.Header.Get("X-Amz-Content-Sha256"), payloadHash); fail != nil {
			return nil, fail
		}
	}
	canon, err := canonicalRequest(r, auth, payloadHash)
	if err != nil {
		return nil, &authFailure{authBadSig, err.Error()}
	}
	scope := auth.Date + "/" + auth.Region + "/" + auth.Service + "/aws4_request"
	signingKey := deriveSigningKey(key.SecretAccessKey, auth.Date, auth.Region, auth.Service)
	crHash := sha256.Sum256([]byte(canon))
	want := hmacHex(signingKey, sigv4Algorithm+"\n"+amzDate+"\n"+scope+"\n"+hex.EncodeToString(crHash[:]))
	if subtle.ConstantTimeCompare([]byte(want), []byte(auth.Signature)) != 1 {
		return nil, &authFailure{authBadSig, "signature"}
	}
	if auth.Service == "s3" && payloadHash == streamingSignedPayload {
		if err := verifyChunkSignatures(body, signingKey, amzDate, scope, want); err != nil {
			return nil, &authFailure{authBadSig, err.Error()}
		}
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

// deriveSigningKey is SigV4's key derivation: HMAC-SHA256 of the date,
// region, service and "aws4_request", keyed by "AWS4"+secret.
func deriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	return hmacSum(k, "aws4_request")
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hmacHex(key []byte, data string) string { return hex.EncodeToString(hmacSum(key, data)) }

// canonicalRequest is SigV4's canonical request of r over the headers the
// client signed, with payloadHash as its last line.
func canonicalRequest(r *http.Request, auth sigv4Header, payloadHash string) (string, error) {
	rawPath := r.URL.EscapedPath()
	if ru := r.RequestURI; strings.HasPrefix(ru, "/") {
		rawPath, _, _ = strings.Cut(ru, "?")
	}
	if rawPath == "" {
		rawPath = "/"
	}
	if auth.Service != "s3" {
		// Every service but S3 signs the escaped path escaped again.
		rawPath = awsEscape(rawPath, false)
	}
	query, err := canonicalQuery(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.Method + "\n" + rawPath + "\n" + query + "\n")
	hasHost := false
	for _, name := range auth.SignedHeaders {
		var vals []string
		switch name {
		case "host":
			hasHost = true
			vals = []string{r.Host}
		case "content-length":
			if r.ContentLength >= 0 {
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			} else {
				vals = r.Header.Values(name)
			}
		case "transfer-encoding":
			if vals = r.Header.Values(name); len(vals) == 0 && len(r.TransferEncoding) > 0 {
				vals = []string{strings.Join(r.TransferEncoding, ",")}
			}
		default:
			vals = r.Header.Values(name)
		}
		if len(vals) == 0 {
			return "", fmt.Errorf("signed header %q is missing", name)
		}
		b.WriteString(name + ":")
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(canonicalHeaderValue(v))
		}
		b.WriteByte('\n')
	}
	if !hasHost {
		return "", errors.New("the host header must be signed")
	}
	b.WriteString("\n" + strings.Join(auth.SignedHeaders, ";") + "\n" + payloadHash)
	return b.String(), nil
}

// canonicalHeaderValue trims v and collapses its inner runs of spaces.
func canonicalHeaderValue(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := range len(v) {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// canonicalQuery is SigV4's canonical query string of raw: every parameter
// (a name without "=" has an empty value) decoded, escaped the AWS way and
// sorted by name, then value.
func canonicalQuery(raw string) (string, error) {
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return "", fmt.Errorf("query parameter name: %w", err)
		}
		if v, err = url.QueryUnescape(v); err != nil {
			return "", fmt.Errorf("query parameter value: %w", err)
		}
		pairs = append(pairs, pair{awsEscape(k, true), awsEscape(v, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k + "=" + p.v)
	}
	return b.String(), nil
}

// awsEscape percent-encodes every byte of s but the unreserved ones
// (A-Z a-z 0-9 - . _ ~), and "/" unless encodeSlash, in uppercase hex.
func awsEscape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~',
			c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// verifyChunkSignatures verifies the chain of chunk signatures of an
// aws-chunked STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: each chunk
// "hex-size;chunk-signature=SIG\r\ndata\r\n", the last one of size 0, is
// signed over the previous signature (the request's for the first) and the
// chunk's data, and nothing follows the last one.
func verifyChunkSignatures(body, signingKey []byte, amzDate, scope, seed string) error {
	prev := seed
	for {
		line, rest, ok := bytes.Cut(body, []byte("\r\n"))
		if !ok {
			return errors.New("chunk header without CRLF")
		}
		sizeHex, ext, _ := bytes.Cut(line, []byte(";"))
		size, err := strconv.ParseUint(string(sizeHex), 16, 31)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", sizeHex)
		}
		sig, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
		if !ok {
			return errors.New("chunk without a chunk-signature")
		}
		if uint64(len(rest)) < size {
			return errors.New("chunk shorter than its size")
		}
		data := rest[:size]
		sum := sha256.Sum256(data)
		want := hmacHex(signingKey, sigv4Algorithm+"-PAYLOAD\n"+amzDate+"\n"+scope+"\n"+prev+"\n"+emptySHA256+"\n"+hex.EncodeToString(sum[:]))
		if subtle.ConstantTimeCompare([]byte(want), bytes.ToLower(sig)) != 1 {
			return errors.New("chunk signature")
		}
		if size == 0 {
			// Without a trailer the body ends here: nothing unsigned may
			// follow (it would be taken for trailing headers).
			if !bytes.Equal(rest, []byte("\r\n")) {
				return errors.New("data after the final chunk")
			}
			return nil
		}
		if after, ok := bytes.CutPrefix(rest[size:], []byte("\r\n")); ok {
			body = after
		} else {
			return errors.New("chunk shorter than its size")
		}
		prev = want
	}
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
