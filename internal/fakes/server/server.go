// Package server serves a fakes.Account over AWS's wire protocols on a
// loopback HTTP endpoint, so that real SDK clients (iam, sts,
// cognitoidentity, s3) and the console sign-in endpoint reach the same
// in-memory account the in-process fakes use:
//
//   - IAM, STS and SNS: the AWS query protocol (form-encoded POST, Action and
//     Version; XML responses and XML error bodies);
//   - Cognito Identity: JSON 1.1 (X-Amz-Target AWSCognitoIdentityService.Op);
//   - S3: REST-XML, path-style (/bucket/key);
//   - IAM Access Analyzer: REST-JSON (ValidatePolicy, CheckNoNewAccess);
//   - Organizations: JSON 1.1 (X-Amz-Target AWSOrganizationsV20161128.Op);
//   - the sign-in endpoint: /federation and /oauth, as fakes.SignIn serves them.
//
// # Routing
//
// A request with X-Amz-Target AWSCognitoIdentityService.Op goes to Cognito
// Identity. Any other signed request goes to the service its SigV4
// credential scope names (iam, sts, s3, cognito-identity). An unsigned
// request goes to the sign-in endpoint for /federation and /oauth, to the
// query service that serves its Action unsigned (STS's
// AssumeRoleWithWebIdentity) for a form with an Action, and to S3 otherwise.
//
// # Authentication
//
// Requests are authenticated as AWS does: SigV4 verified against the access
// keys the account issued — IAM users' Active keys, the account's root key
// (Account.RootAccessKey, which Config uses), and STS session credentials
// with their token. The canonical request is rebuilt from the headers the
// client lists in SignedHeaders, so any correct SigV4 signer verifies, not
// only the SDK's. An unknown or inactive key answers InvalidClientTokenId,
// a bad signature SignatureDoesNotMatch, session credentials past their
// expiration on the account's clock ExpiredToken, a missing signature
// MissingAuthenticationToken (all 403; Cognito answers its JSON
// equivalents, 400 but for the missing signature); the operations AWS
// leaves unsigned stay unsigned. The credential scope must name the service
// the request is routed to and the account's region (IAM also takes
// us-east-1). S3 checks X-Amz-Content-Sha256 as S3 does: the body's
// digest, UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD with every chunk signature verified;
// the other signed streaming modes answer 501 NotImplemented. The STS fake answers as the signer: the root, the IAM user
// owning the key (Account.STSAs), or the session (Account.STSAsSession).
//
// # Codecs
//
// One codec per protocol decodes requests into the SDK's own input structs
// and encodes the SDK's output structs by reflection, then calls the
// in-process fake's method of the operation's name, so faults, latency and
// call counters behave the same both ways. Errors go out as AWS sends them
// (code, message, HTTP status), so a real client yields the typed
// exceptions and retries throttles.
//
// # Clock
//
// The server follows its account's clock. Real SDK clients sign with the
// real time and iamkit's packages default to the system clock, so the
// account a server is started for should use fakes.NewRunningClock (as
// iamkittest.NewServer arranges) unless a test drives the clock itself; the
// request time is never compared with the account's clock, so advancing it
// (to expire sessions) does not make signatures fail.
//
// iamkittest.NewServer is the public door to this package.
package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/iamkit/iamkit/internal/fakes"
)

// MaxBodySize is the largest request body the server reads; a larger one is
// answered 413.
const MaxBodySize = 10 << 20

// Server serves one fakes.Account over AWS's wire protocols. It is an
// http.Handler; Start also listens on a loopback address.
type Server struct {
	acct  *fakes.Account
	proto protoState // the protocol handlers' state (signin.go)

	mu   sync.Mutex
	url  string
	http *http.Server
	ln   net.Listener
}

// New returns a Server for acct that is not listening: use it as an
// http.Handler, or call Start.
func New(acct *fakes.Account) *Server {
	return &Server{acct: acct}
}

// Start serves acct on addr ("" means 127.0.0.1:0, a free loopback port)
// until Close. The account's clock is the caller's choice: see the package
// documentation.
func Start(acct *fakes.Account, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := New(acct)
	// 127.0.0.1 for a wildcard or IPv4 loopback address, never a name (a
	// host name would make S3 clients use virtual-hosted-style requests).
	host, port := "127.0.0.1", 0
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		port = tcp.Port
		if !tcp.IP.IsUnspecified() && !tcp.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			host = tcp.IP.String()
		}
	}
	s.url = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	s.ln = ln
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	s.http = hs
	go func() { _ = hs.Serve(ln) }()
	return s, nil
}

// Close stops a server started with Start and closes its connections.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http == nil {
		return nil
	}
	err := s.http.Close()
	s.http = nil
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Account returns the account the server serves.
func (s *Server) Account() *fakes.Account { return s.acct }

// URL returns the base URL, http://127.0.0.1:PORT (never localhost, so that
// S3 requests stay path-style); "" before Start.
func (s *Server) URL() string { return s.url }

// RetryBackoff is the delay between the attempts of the retryer Config
// installs: short, so that injected throttles do not make tests slow.
const RetryBackoff = 2 * time.Millisecond

// Config returns an aws.Config that makes iam.NewFromConfig and the STS,
// Cognito Identity and S3 clients reach the server unchanged: the account's
// region; static credentials of the account root's access key
// (Account.RootAccessKey), so calls act as the root as the in-process fakes
// do by default; BaseEndpoint URL(); the SDK's standard retryer (3
// attempts) with a RetryBackoff delay and no retry quota; and no SDK
// logging. It is meant for a server made with Start: one made with New has
// no URL, and its Config no endpoint.
func (s *Server) Config() aws.Config {
	id, secret := s.acct.RootAccessKey()
	return s.ConfigWith(credentials.NewStaticCredentialsProvider(id, secret, ""))
}

// ConfigWith returns Config with other credentials: an IAM user's access key
// (the STS fake then answers as that user), session credentials the
// account's STS issued, or a provider such as stscreds over a client of
// this server.
func (s *Server) ConfigWith(creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:       s.acct.Region(),
		Credentials:  creds,
		BaseEndpoint: aws.String(s.url),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxBackoff = RetryBackoff
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return RetryBackoff, nil })
				o.RateLimiter = ratelimit.None
			})
		},
		Logger:        logging.Nop{},
		ClientLogMode: 0,
	}
}

// Serves reports whether operation op of the service with signing name
// service ("iam", "sts", "cognito-identity", "s3", "ec2") is served over the
// wire.
func (s *Server) Serves(service, op string) bool {
	if q, ok := queryServices[service]; ok {
		_, ok := q.methods()[op]
		return ok
	}
	switch service {
	case "cognito-identity":
		return servesCognito(op)
	case "s3":
		return servesS3(op)
	case "ec2":
		return op == "DescribeTags"
	case accessAnalyzerService:
		return servesAccessAnalyzer(op)
	case "organizations":
		return servesOrganizations(op)
	}
	return false
}

// Operations lists every operation served over the wire, as the account's
// call counters name them ("iam:CreateUser", "s3:GetObject"), sorted.
func (s *Server) Operations() []string {
	var ops []string
	for name, q := range queryServices {
		for op := range q.methods() {
			ops = append(ops, name+":"+op)
		}
	}
	for _, op := range cognitoOps() {
		ops = append(ops, "cognito-identity:"+op)
	}
	for _, op := range s3Ops() {
		ops = append(ops, "s3:"+op)
	}
	ops = append(ops, "ec2:DescribeTags")
	for _, op := range accessAnalyzerOps() {
		ops = append(ops, accessAnalyzerService+":"+op)
	}
	for _, op := range organizationsOps() {
		ops = append(ops, "organizations:"+op)
	}
	sort.Strings(ops)
	return ops
}

// statusWriter remembers whether the response was started, so that a
// recovered panic is answered only when nothing was written yet.
type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) { w.wrote = true; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.wrote = true
		f.Flush()
	}
}

// ServeHTTP routes one request to its protocol (query, JSON 1.1, REST-XML,
// sign-in), after authenticating it; see the package documentation.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if !w.wrote {
				protocol := "query"
				if r.Header.Get("X-Amz-Target") != "" {
					protocol = "json"
				}
				writeAPIError(w, protocol, &apiError{Status: http.StatusInternalServerError, Code: "InternalFailure",
					Message: "The request processing has failed because of an unknown error, exception or failure.", Fault: smithy.FaultServer}, "")
			}
		}
	}()

	target := r.Header.Get("X-Amz-Target")
	authz := r.Header.Get("Authorization")
	protocol := "query"
	switch {
	case target != "":
		protocol = "json"
	case authz == "" && (r.URL.Path == "/federation" || r.URL.Path == "/oauth" || strings.HasPrefix(r.URL.Path, "/oauth/")):
		s.serveSignIn(w, r)
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	if err != nil {
		writeAPIError(w, protocol, badRequest("MalformedInput", "cannot read the request body"), "")
		return
	}
	if len(body) > MaxBodySize {
		writeAPIError(w, protocol, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
			Message: fmt.Sprintf("Request body must be at most %d bytes", MaxBodySize)}, "")
		return
	}

	var who *caller
	service := ""
	if authz != "" {
		auth, err := parseSigV4(authz)
		if err != nil {
			f := &authFailure{authIncomplete, err.Error()}
			s.writeAuthFailure(w, r, target, f)
			return
		}
		service = auth.Service
		routed := routedService(target, service)
		if routed != "" {
			if fail := s.checkScope(auth, routed); fail != nil {
				s.writeAuthFailure(w, r, routed, fail)
				return
			}
		}
		var fail *authFailure
		who, fail = s.authenticate(r, body, auth)
		if fail != nil {
			s.writeAuthFailure(w, r, service, fail)
			return
		}
		s.acct.RecordKeyUse(who.AccessKeyID, service) // as GetAccessKeyLastUsed shows it
	}

	switch {
	case strings.HasPrefix(target, cognitoTargetPrefix):
		op := strings.TrimPrefix(target, cognitoTargetPrefix)
		if who == nil && !cognitoUnsigned[op] {
			writeAPIError(w, "json", (&authFailure{kind: authMissing}).jsonError(), "")
			return
		}
		s.serveCognito(w, r, op, body, who)
	case strings.HasPrefix(target, organizationsTargetPrefix):
		if who == nil {
			writeAPIError(w, "json", (&authFailure{kind: authMissing}).jsonError(), "")
			return
		}
		serveJSON(w, r, s.organizationsService(), strings.TrimPrefix(target, organizationsTargetPrefix), body, true)
	case target != "":
		writeAPIError(w, "json", badRequest("UnknownOperationException", "unknown X-Amz-Target "+target), "")
	case service == "s3":
		s.serveS3(w, r, body, who)
	case service == accessAnalyzerService:
		s.serveAccessAnalyzer(w, r, body)
	case service == "cognito-identity":
		writeAPIError(w, "json", badRequest("UnknownOperationException", "Cognito Identity requests need an X-Amz-Target"), "")
	case service == "ec2":
		s.serveEC2(w, r, body, who)
	case service != "":
		q, ok := queryServices[service]
		if !ok {
			writeAPIError(w, "query", badRequest("InvalidAction", "service "+service+" is not served here"), "")
			return
		}
		form, err := parseQueryForm(r, body)
		if err != nil {
			writeAPIError(w, "query", badRequest("MalformedQueryString", "the request body is not a valid form"), q.xmlns)
			return
		}
		s.serveQuery(w, r, q, form, who)
	default:
		// Unsigned: a query action AWS serves unsigned, or S3.
		if isForm(r) || r.URL.Query().Has("Action") {
			form, err := parseQueryForm(r, body)
			if err != nil {
				writeAPIError(w, "query", badRequest("MalformedQueryString", "the request body is not a valid form"), "")
				return
			}
			if action := form.Get("Action"); action != "" {
				if q := queryServiceForUnsigned(action); q != nil {
					s.serveQuery(w, r, q, form, nil)
					return
				}
				writeAPIError(w, "query", missingAuth(), "")
				return
			}
		}
		s.serveS3(w, r, body, nil)
	}
}

// routedService is the signing name of the service a signed request with
// X-Amz-Target target and credential scope service scopeService is served
// by, "" when none is (the router then answers an unknown operation or
// service).
func routedService(target, scopeService string) string {
	switch {
	case strings.HasPrefix(target, cognitoTargetPrefix):
		return "cognito-identity"
	case strings.HasPrefix(target, organizationsTargetPrefix):
		return "organizations"
	case target != "":
		return ""
	case scopeService == "s3", scopeService == "ec2", scopeService == accessAnalyzerService:
		return scopeService
	}
	if _, ok := queryServices[scopeService]; ok {
		return scopeService
	}
	return ""
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return r.Method == http.MethodPost && strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded")
}

// writeAuthFailure reports f in the shape of the protocol of the service
// the request was for.
func (s *Server) writeAuthFailure(w http.ResponseWriter, r *http.Request, service string, f *authFailure) {
	switch {
	case strings.HasPrefix(service, cognitoTargetPrefix) || service == "cognito-identity" || r.Header.Get("X-Amz-Target") != "":
		writeAPIError(w, "json", f.jsonError(), "")
	case service == "s3":
		writeAPIError(w, "s3", f.s3Error(), "")
	case service == accessAnalyzerService:
		e := f.jsonError()
		writeRESTJSONError(w, e.Status, e.Code, e.Message, nil)
	case service == "ec2":
		writeEC2Error(w, f.queryError(), newRequestID())
	default:
		xmlns := ""
		if q, ok := queryServices[service]; ok {
			xmlns = q.xmlns
		}
		writeAPIError(w, "query", f.queryError(), xmlns)
	}
}
